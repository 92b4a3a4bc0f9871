//! Configuration from wrangler vars and secrets (names fixed by DESIGN §5).

use std::rc::Rc;

use worker::Env;

use crate::domain::crypto::{derive_key, sealing_master};
use crate::error::{ApiError, ApiResult};

/// Logged on every request while `SEALING_KEY` is unusable.
pub const MISSING_SEALING_KEY: &str =
    "SEALING_KEY is missing or not base64 of at least 32 bytes: set it (wrangler secret put SEALING_KEY, or .dev.vars locally)";

#[derive(Debug, Clone)]
// RP and SMS settings are read by the WebAuthn and enrollment handlers.
#[allow(dead_code)]
pub struct Config {
    pub admin_token: Option<String>,
    pub rp_id: String,
    pub rp_name: String,
    pub rp_origins: Vec<String>,
    pub public_url: String,
    pub sms_provider: String,
    pub webhook_retry_base_ms: i64,
    pub allow_private_webhook_urls: bool,
    /// `DEBUG_HOP_HEADERS = "true"` (local benchmarks only): answer the
    /// object and KV call counts as `X-MID-Object-Calls` / `X-MID-KV-Calls`.
    pub debug_hop_headers: bool,
    /// Root of the keys that seal recoverable secrets (`SEALING_KEY`); `None`
    /// when missing or too short, and then nothing is served.
    sealing_master: Option<[u8; 32]>,
}

/// A secret or plain var, secrets first; empty counts as unset.
pub fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.is_empty())
}

/// Apple Root CA - G3, the default App Store trust anchor (a public certificate).
const APPLE_ROOT_CA_G3: &str = include_str!("../certs/AppleRootCA-G3.pem");

/// The App Store settings (DESIGN §5).
pub struct AppStoreSettings {
    /// DER roots from `APPSTORE_ROOT_CERTS` (a PEM bundle), default Apple
    /// Root CA - G3. A value holding no certificate trusts nothing.
    pub roots: Vec<Vec<u8>>,
    /// `APPSTORE_BUNDLE_ID`; empty matches no notification.
    pub bundle_id: String,
    /// `APPSTORE_ENVIRONMENT` (`Sandbox` | `Production`); empty matches none.
    pub environment: String,
}

impl AppStoreSettings {
    pub fn from_env(env: &Env) -> Self {
        let pem = setting(env, "APPSTORE_ROOT_CERTS");
        Self {
            roots: crate::domain::billing::jws::pem_certificates(
                pem.as_deref().unwrap_or(APPLE_ROOT_CA_G3),
            ),
            bundle_id: setting(env, "APPSTORE_BUNDLE_ID").unwrap_or_default(),
            environment: setting(env, "APPSTORE_ENVIRONMENT").unwrap_or_default(),
        }
    }
}

thread_local! {
    /// This isolate's configuration, read on its first request.
    static CACHED: std::cell::OnceCell<Rc<Config>> = const { std::cell::OnceCell::new() };
}

impl Config {
    /// The configuration, read from `env` once per isolate: vars and secrets
    /// are fixed for a deployed version, and a new version (or a changed
    /// secret) starts new isolates. Reading them took about fifteen JS calls
    /// and the `SEALING_KEY` decode on every request (docs/benchmarks.md).
    pub fn cached(env: &Env) -> Rc<Self> {
        CACHED.with(|c| c.get_or_init(|| Rc::new(Self::from_env(env))).clone())
    }

    pub fn from_env(env: &Env) -> Self {
        let get = |name: &str| setting(env, name);
        let rp_id = get("RP_ID").unwrap_or_else(|| "localhost".into());
        Self {
            admin_token: get("ADMIN_TOKEN"),
            rp_name: get("RP_NAME").unwrap_or_else(|| "MID".into()),
            rp_origins: get("RP_ORIGINS")
                .unwrap_or_else(|| "http://localhost:8787".into())
                .split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            public_url: get("PUBLIC_URL")
                .unwrap_or_else(|| "http://127.0.0.1:8787".into())
                .trim_end_matches('/')
                .to_owned(),
            sms_provider: get("SMS_PROVIDER").unwrap_or_else(|| "sandbox".into()),
            webhook_retry_base_ms: get("WEBHOOK_RETRY_BASE_MS")
                .and_then(|v| v.parse().ok())
                .filter(|v: &i64| *v > 0)
                .unwrap_or(5000),
            allow_private_webhook_urls: get("ALLOW_PRIVATE_WEBHOOK_URLS").as_deref()
                == Some("true"),
            debug_hop_headers: get("DEBUG_HOP_HEADERS").as_deref() == Some("true"),
            // Required, never derived from another secret (DESIGN §5).
            sealing_master: get("SEALING_KEY").as_deref().and_then(sealing_master),
            rp_id,
        }
    }

    /// The key sealing one kind of secret; an internal error without `SEALING_KEY`.
    pub fn sealing_key(&self, purpose: &str) -> ApiResult<[u8; 32]> {
        self.sealing_master
            .map(|master| derive_key(&master, purpose))
            .ok_or_else(|| ApiError::Internal(MISSING_SEALING_KEY.into()))
    }

    /// Whether `SEALING_KEY` is set and valid; the router refuses to serve otherwise.
    pub fn has_sealing_key(&self) -> bool {
        self.sealing_master.is_some()
    }
}
