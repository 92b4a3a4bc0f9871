//! `DeviceStore`: the device directory (read model). A device id points to
//! its owner and user; the credential object of that user is authoritative.

use serde::{Deserialize, Serialize};
use worker::kv::KvStore;
use worker::Env;

use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "DEVICES";

/// What `device:<id>` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceEntry {
    pub device_id: String,
    pub user_id: String,
    pub client_id: String,
    pub livemode: bool,
}

pub struct DeviceStore {
    kv: KvStore,
}

fn kv_err(e: worker::kv::KvError) -> ApiError {
    ApiError::Internal(format!("kv: {e}"))
}

impl DeviceStore {
    pub fn new(env: &Env) -> ApiResult<Self> {
        Ok(Self {
            kv: env.kv(BINDING)?,
        })
    }

    pub async fn get(&self, device_id: &str) -> ApiResult<Option<DeviceEntry>> {
        crate::hops::kv_call();
        self.kv
            .get(&format!("device:{device_id}"))
            .json()
            .await
            .map_err(kv_err)
    }

    pub async fn put(&self, entry: &DeviceEntry) -> ApiResult<()> {
        crate::hops::kv_call();
        self.kv
            .put(&format!("device:{}", entry.device_id), entry)
            .map_err(kv_err)?
            .execute()
            .await
            .map_err(kv_err)
    }

    pub async fn delete(&self, device_id: &str) -> ApiResult<()> {
        crate::hops::kv_call();
        self.kv
            .delete(&format!("device:{device_id}"))
            .await
            .map_err(kv_err)
    }
}
