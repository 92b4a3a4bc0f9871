//! `CeremonyObject`: one object per partner-path discoverable ceremony (a
//! sign-in begun with `{}`: no user known), holding only that ceremony until
//! it is taken, once, or expires. Phone-path ceremonies live with their
//! consent (`ConsentObject`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::ctx::Ctx;
use super::rpc;
use super::sql_kv::SqlKv;
use crate::domain::fido::Ceremony;
use crate::domain::passkeys::{self, Completer};
use crate::domain::tenant::Tenant;
use crate::domain::webauthn::WebauthnError;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "CEREMONIES";
const CEREMONY: &str = "ceremony";

/// The calls a `CeremonyObject` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CeremonyCall {
    /// Stores the ceremony (and an alarm to drop it at expiry).
    Store { ceremony: Box<Ceremony> },
    /// Consumes it for `tenant` (partner path). Replies the ceremony.
    Take { tenant: Tenant },
}

#[durable_object]
pub struct CeremonyObject {
    state: State,
    kv: SqlKv,
}

impl DurableObject for CeremonyObject {
    fn new(state: State, _env: Env) -> Self {
        let kv = SqlKv::new(&state);
        Self { state, kv }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |call: CeremonyCall| self.handle(call, Ctx::new().now)).await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(e) = self.kv.delete(CEREMONY) {
            worker::console_error!("ceremony expiry: {e:?}");
        }
        Response::empty()
    }
}

impl CeremonyObject {
    async fn handle(&self, call: CeremonyCall, now: i64) -> ApiResult<Value> {
        match call {
            CeremonyCall::Store { ceremony } => {
                self.kv.put(CEREMONY, &ceremony)?;
                self.state
                    .storage()
                    .set_alarm(super::alarm_at(ceremony.expires_at))
                    .await?;
                rpc::reply(())
            }
            CeremonyCall::Take { tenant } => rpc::reply(self.take(&tenant, now)?),
        }
    }

    /// Single use whatever the outcome; another tenant neither sees nor burns it.
    fn take(&self, tenant: &Tenant, now: i64) -> ApiResult<Ceremony> {
        let ceremony: Ceremony = self
            .kv
            .get(CEREMONY)?
            .ok_or(ApiError::Webauthn(WebauthnError::CeremonyExpired))?;
        passkeys::may_take(&ceremony, Completer::Partner(tenant))?;
        self.kv.delete(CEREMONY)?;
        ceremony.check_live(now)?;
        // A phone ceremony stored here before they moved to their consent
        // completes on no path.
        if ceremony.consent.is_some() {
            return Err(WebauthnError::CeremonyExpired.into());
        }
        Ok(ceremony)
    }
}

/// Typed client of one discoverable ceremony's object.
pub struct CeremonyClient {
    stub: rpc::Stub,
}

impl CeremonyClient {
    pub fn new(env: &Env, ceremony_id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, ceremony_id)?,
        })
    }

    pub async fn store(&self, ceremony: Ceremony) -> ApiResult<()> {
        rpc::invoke(
            &self.stub,
            &CeremonyCall::Store {
                ceremony: Box::new(ceremony),
            },
        )
        .await
    }

    pub async fn take(&self, tenant: &Tenant) -> ApiResult<Ceremony> {
        rpc::invoke(
            &self.stub,
            &CeremonyCall::Take {
                tenant: tenant.clone(),
            },
        )
        .await
    }
}
