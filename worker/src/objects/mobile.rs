//! `MobileObject`: one object per (mode, E.164 mobile), the strongly
//! consistent pointer from a phone number to its one `user_`.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::OsRandom;
use crate::domain::ids;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "MOBILES";
const USER_ID: &str = "userId";

#[durable_object]
pub struct MobileObject {
    kv: SqlKv,
}

#[derive(Deserialize)]
struct LookupArgs {
    create: bool,
}

impl DurableObject for MobileObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "user" => rpc::answer(self.user(&body)),
            _ => rpc::answer::<()>(Err(ApiError::NotFound)),
        }
    }
}

impl MobileObject {
    /// The mobile's user id; with `create`, mints one if there is none. The
    /// read and the write have no await between them, so two first
    /// verifications of one number get the same id.
    fn user(&self, body: &Value) -> ApiResult<Option<String>> {
        let a: LookupArgs = rpc::arg(body)?;
        if let Some(id) = self.kv.get::<String>(USER_ID)? {
            return Ok(Some(id));
        }
        if !a.create {
            return Ok(None);
        }
        let mut rng = OsRandom::default();
        let id = ids::user_id(&mut rng);
        if rng.failed() {
            return Err(ApiError::Internal("no randomness".into()));
        }
        self.kv.put(USER_ID, &id)?;
        Ok(Some(id))
    }
}

/// Typed client of one mobile's object.
pub struct MobileClient {
    stub: worker::Stub,
}

impl MobileClient {
    /// `mobile` must be normalised E.164; test and live users are separate.
    pub fn new(env: &Env, mobile: &str, livemode: bool) -> ApiResult<Self> {
        let mode = if livemode { "live" } else { "test" };
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("{mode}:{mobile}"))?,
        })
    }

    /// The user id of this mobile; with `create`, minted if there is none yet.
    pub async fn user_id(&self, create: bool) -> ApiResult<Option<String>> {
        rpc::call(&self.stub, "user", &json!({ "create": create })).await
    }
}
