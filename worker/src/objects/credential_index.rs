//! `CredentialIndex`: one object per credential id (named by its SHA-256).
//! It makes credential ids globally unique (the first registration claims
//! the id) and maps a credential to its user for discoverable sign-in.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::domain::crypto::sha256_hex;
use crate::domain::webauthn::WebauthnError;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "CREDENTIAL_INDEX";
const OWNER: &str = "owner";

/// Who holds a credential id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    pub user_id: String,
    pub device_id: String,
}

#[durable_object]
pub struct CredentialIndex {
    kv: SqlKv,
}

impl DurableObject for CredentialIndex {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "claim" => rpc::answer(self.claim(&body)),
            "get" => rpc::answer(
                self.kv
                    .get::<Owner>(OWNER)
                    .and_then(|o| o.ok_or(ApiError::NotFound)),
            ),
            "release" => rpc::answer(self.release(&body)),
            _ => rpc::answer::<()>(Err(ApiError::NotFound)),
        }
    }
}

impl CredentialIndex {
    /// First claim wins; a repeated claim by the same user answers the existing
    /// owner (its credential object decides whether the credential exists).
    fn claim(&self, body: &Value) -> ApiResult<Owner> {
        let wanted: Owner = rpc::arg(body)?;
        match self.kv.get::<Owner>(OWNER)? {
            Some(owner) if owner.user_id != wanted.user_id => {
                Err(ApiError::Webauthn(WebauthnError::CredentialExists))
            }
            Some(owner) => Ok(owner),
            None => {
                self.kv.put(OWNER, &wanted)?;
                Ok(wanted)
            }
        }
    }

    fn release(&self, body: &Value) -> ApiResult<()> {
        let user_id = body["userId"].as_str().unwrap_or_default();
        if self
            .kv
            .get::<Owner>(OWNER)?
            .is_some_and(|o| o.user_id == user_id)
        {
            self.kv.delete(OWNER)?;
        }
        Ok(())
    }
}

/// Typed client of the index entry of one credential id.
pub struct CredentialIndexClient {
    stub: worker::Stub,
}

impl CredentialIndexClient {
    pub fn new(env: &Env, credential_id: &[u8]) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, &sha256_hex(credential_id))?,
        })
    }

    pub async fn claim(&self, owner: &Owner) -> ApiResult<Owner> {
        rpc::call(&self.stub, "claim", owner).await
    }

    /// The owner, or `None` for an unknown credential.
    pub async fn get(&self) -> ApiResult<Option<Owner>> {
        match rpc::call(&self.stub, "get", &json!({})).await {
            Ok(o) => Ok(Some(o)),
            Err(ApiError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn release(&self, user_id: &str) -> ApiResult<()> {
        rpc::call::<_, Value>(&self.stub, "release", &json!({ "userId": user_id })).await?;
        Ok(())
    }
}
