//! `ClientStore`: clients by id, and the API-key-hash -> client index.

use serde::{Deserialize, Serialize};
use worker::kv::KvStore;
use worker::Env;

use crate::domain::client::ClientRecord;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "CLIENTS";

/// What an API key hash points to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyIndex {
    pub client_id: String,
    pub livemode: bool,
}

pub struct ClientStore {
    kv: KvStore,
}

fn kv_err(e: worker::kv::KvError) -> ApiError {
    ApiError::Internal(format!("kv: {e}"))
}

impl ClientStore {
    pub fn new(env: &Env) -> ApiResult<Self> {
        Ok(Self {
            kv: env.kv(BINDING)?,
        })
    }

    pub async fn get(&self, id: &str) -> ApiResult<Option<ClientRecord>> {
        crate::hops::kv_call();
        self.kv
            .get(&format!("client:{id}"))
            .json()
            .await
            .map_err(kv_err)
    }

    pub async fn put(&self, client: &ClientRecord) -> ApiResult<()> {
        crate::hops::kv_call();
        self.kv
            .put(&format!("client:{}", client.id), client)
            .map_err(kv_err)?
            .execute()
            .await
            .map_err(kv_err)
    }

    pub async fn put_key(&self, key_hash: &str, index: &KeyIndex) -> ApiResult<()> {
        crate::hops::kv_call();
        self.kv
            .put(&format!("apikey:{key_hash}"), index)
            .map_err(kv_err)?
            .execute()
            .await
            .map_err(kv_err)
    }
}
