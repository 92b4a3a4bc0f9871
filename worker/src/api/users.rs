//! `/users`: the people partners enrolled (or who approved their consents).

use worker::{Request, Response};

use crate::app::App;
use crate::auth;
use crate::domain::ids;
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::objects::user::UserClient;

/// `GET /users/:id`: 404 unless this client (in this key's mode) may see the user.
pub async fn get(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let partner = auth::partner(&req, app).await?;
    if !ids::is_id(id, "user_", 16) {
        return Err(ApiError::NotFound);
    }
    let view = UserClient::new(&app.env, id)?
        .view_for(&partner.tenant())
        .await?;
    Ok(json(200, &view))
}
