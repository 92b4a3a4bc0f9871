//! `CredentialIndex`: one object per credential id (named by its SHA-256).
//! It makes credential ids globally unique (the first registration claims
//! the id) and maps a credential to its user for discoverable sign-in.
//!
//! The same namespace holds one entry per device id (named `device:<id>`,
//! never a 64-hex digest, so the two kinds cannot collide): the strongly
//! consistent device -> user map that lets `GET`/`DELETE /devices/:id` reach
//! the user's object when the KV read model has no entry. And one entry per
//! StoreKit `appAccountToken` (named `appaccount:<uuid>`), written when the
//! user is created, so an App Store notification finds its user in one hop.

use serde::{Deserialize, Serialize};
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

/// The calls a `CredentialIndex` entry serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IndexCall {
    /// First claim wins; replies the owner (409 `credential_exists` for another user).
    Claim { owner: Owner },
    /// The owner (404 if none).
    Get,
    /// Frees the id if `user_id` holds it.
    #[serde(rename_all = "camelCase")]
    Release { user_id: String },
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
        rpc::serve(req, |call: IndexCall| async move {
            match call {
                IndexCall::Claim { owner } => rpc::reply(self.claim(owner)?),
                IndexCall::Get => {
                    rpc::reply(self.kv.get::<Owner>(OWNER)?.ok_or(ApiError::NotFound)?)
                }
                IndexCall::Release { user_id } => rpc::reply(self.release(&user_id)?),
            }
        })
        .await
    }
}

impl CredentialIndex {
    /// First claim wins; a repeated claim by the same user answers the existing
    /// owner (its credential object decides whether the credential exists).
    fn claim(&self, wanted: Owner) -> ApiResult<Owner> {
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

    fn release(&self, user_id: &str) -> ApiResult<()> {
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
    stub: rpc::Stub,
}

impl CredentialIndexClient {
    pub fn new(env: &Env, credential_id: &[u8]) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, &sha256_hex(credential_id))?,
        })
    }

    /// The entry of one device id (passkey or device key).
    pub fn for_device(env: &Env, device_id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("device:{device_id}"))?,
        })
    }

    /// The entry of one user's StoreKit `appAccountToken` (lower-case UUID).
    pub fn for_app_account(env: &Env, token: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("appaccount:{token}"))?,
        })
    }

    pub async fn claim(&self, owner: &Owner) -> ApiResult<Owner> {
        rpc::invoke(
            &self.stub,
            &IndexCall::Claim {
                owner: owner.clone(),
            },
        )
        .await
    }

    /// The owner, or `None` for an unknown credential.
    pub async fn get(&self) -> ApiResult<Option<Owner>> {
        match rpc::invoke(&self.stub, &IndexCall::Get).await {
            Ok(o) => Ok(Some(o)),
            Err(ApiError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn release(&self, user_id: &str) -> ApiResult<()> {
        rpc::invoke(
            &self.stub,
            &IndexCall::Release {
                user_id: user_id.to_owned(),
            },
        )
        .await
    }
}
