//! `UserObject`: one object per `user_`, holding the user record, the
//! clients allowed to see it, and its entitlements.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::{now_ms, OsRandom};
use crate::domain::ids;
use crate::domain::user::UserRecord;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "USERS";
const USER: &str = "user";

#[durable_object]
pub struct UserObject {
    kv: SqlKv,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnsureArgs {
    id: String,
    mobile: String,
    livemode: bool,
    client_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReaderArgs {
    client_id: String,
    livemode: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantArgs {
    client_id: String,
}

impl DurableObject for UserObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "ensure" => rpc::answer(self.ensure(&body)),
            "get" => rpc::answer(self.get(&body)),
            "grant" => rpc::answer(self.grant(&body)),
            "record" => rpc::answer(self.load()),
            _ => rpc::answer::<()>(Err(ApiError::NotFound)),
        }
    }
}

impl UserObject {
    fn load(&self) -> ApiResult<UserRecord> {
        self.kv.get(USER)?.ok_or(ApiError::NotFound)
    }

    /// Creates the user on first call (the appAccountToken is drawn here, so
    /// racing first calls still agree on one) and lets the client see it.
    fn ensure(&self, body: &Value) -> ApiResult<UserRecord> {
        let a: EnsureArgs = rpc::arg(body)?;
        let mut user = match self.kv.get::<UserRecord>(USER)? {
            Some(u) => u,
            None => {
                let mut rng = OsRandom::default();
                let token = ids::uuid_v4(&mut rng);
                if rng.failed() {
                    return Err(ApiError::Internal("no randomness".into()));
                }
                UserRecord::new(&a.id, &a.mobile, a.livemode, &token, now_ms())
            }
        };
        user.grant(&a.client_id);
        self.kv.put(USER, &user)?;
        Ok(user)
    }

    fn get(&self, body: &Value) -> ApiResult<Value> {
        let a: ReaderArgs = rpc::arg(body)?;
        let user = self.load()?;
        if !user.visible_to(&a.client_id, a.livemode) {
            return Err(ApiError::NotFound);
        }
        Ok(user.view())
    }

    fn grant(&self, body: &Value) -> ApiResult<()> {
        let a: GrantArgs = rpc::arg(body)?;
        let mut user = self.load()?;
        if user.grant(&a.client_id) {
            self.kv.put(USER, &user)?;
        }
        Ok(())
    }
}

/// Typed client of one user's object.
pub struct UserClient {
    stub: worker::Stub,
}

impl UserClient {
    pub fn new(env: &Env, user_id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, user_id)?,
        })
    }

    /// Creates the user if new; lets `client_id` see it either way.
    pub async fn ensure(
        &self,
        id: &str,
        mobile: &str,
        livemode: bool,
        client_id: &str,
    ) -> ApiResult<UserRecord> {
        rpc::call(
            &self.stub,
            "ensure",
            &json!({"id": id, "mobile": mobile, "livemode": livemode, "clientId": client_id}),
        )
        .await
    }

    /// `GET /users/:id` for a partner: 404 unless it may see the user.
    pub async fn view_for(&self, client_id: &str, livemode: bool) -> ApiResult<Value> {
        rpc::call(
            &self.stub,
            "get",
            &json!({"clientId": client_id, "livemode": livemode}),
        )
        .await
    }

    /// Lets `client_id` see the user from now on, e.g. once the user approved
    /// one of its consents.
    pub async fn grant(&self, client_id: &str) -> ApiResult<()> {
        rpc::call(&self.stub, "grant", &json!({ "clientId": client_id })).await
    }

    /// The full record, for internal use (e.g. the passkey ceremony's user name).
    pub async fn record(&self) -> ApiResult<UserRecord> {
        rpc::call(&self.stub, "record", &json!({})).await
    }
}
