//! `RegistrationTokenObject`: one object per registration token, named by
//! the token's SHA-256 so only a holder of the token can reach it. Holds the
//! hashed record, makes consumption single use, and deletes itself at expiry.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::ctx::Ctx;
use super::rpc;
use super::sql_kv::SqlKv;
use crate::domain::crypto::sha256_hex;
use crate::domain::otp::{
    ConsumeError, ConsumedToken, RegistrationTokenRecord, REGISTRATION_TOKEN_PREFIX,
};
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "REGISTRATION_TOKENS";
const RECORD: &str = "record";
/// Longer input is not one of our tokens (`rt_` + 43 base64url characters).
const MAX_TOKEN_LEN: usize = 128;

#[durable_object]
pub struct RegistrationTokenObject {
    state: State,
    kv: SqlKv,
}

/// The calls a `RegistrationTokenObject` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenCall {
    /// Stores the hashed record (idempotent for the same token); deletes itself at expiry.
    Store {
        record: Box<RegistrationTokenRecord>,
    },
    /// Spends the token once; replies [`Consumed`].
    Consume { token: String },
}

/// The object's answer to `consume`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Consumed {
    #[serde(rename_all = "camelCase")]
    Ok {
        user_id: String,
        #[serde(default)]
        client_id: String,
        #[serde(default)]
        livemode: bool,
    },
    Invalid,
    Used,
    Expired,
}

impl DurableObject for RegistrationTokenObject {
    fn new(state: State, _env: Env) -> Self {
        let kv = SqlKv::new(&state);
        Self { state, kv }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |call: TokenCall| async move {
            let now = Ctx::new().now;
            match call {
                TokenCall::Store { record } => rpc::reply(self.store(*record, now).await?),
                TokenCall::Consume { token } => rpc::reply(self.consume(&token, now)?),
            }
        })
        .await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}

impl RegistrationTokenObject {
    async fn store(&self, record: RegistrationTokenRecord, now: i64) -> ApiResult<()> {
        match self.kv.get::<RegistrationTokenRecord>(RECORD)? {
            // A resumed verification storing its token again: already done.
            Some(existing) if existing.is_same_token(&record) => return Ok(()),
            Some(_) => return Err(ApiError::Internal("registration token collision".into())),
            None => {}
        }
        self.kv.put(RECORD, &record)?;
        self.state
            .storage()
            .set_alarm(super::alarm_at(record.expires_at.max(now)))
            .await?;
        Ok(())
    }

    /// Load, check and mark used with no await in between: single use.
    fn consume(&self, token: &str, now: i64) -> ApiResult<Consumed> {
        let Some(mut record) = self.kv.get::<RegistrationTokenRecord>(RECORD)? else {
            return Ok(Consumed::Invalid);
        };
        let result = record.consume(now, token);
        self.kv.put(RECORD, &record)?;
        Ok(match result {
            Ok(consumed) => Consumed::Ok {
                user_id: consumed.user_id,
                client_id: consumed.client_id,
                livemode: consumed.livemode,
            },
            Err(ConsumeError::Invalid) => Consumed::Invalid,
            Err(ConsumeError::AlreadyUsed) => Consumed::Used,
            Err(ConsumeError::Expired) => Consumed::Expired,
        })
    }
}

/// Typed client of one token's object.
pub struct RegistrationTokenClient {
    stub: rpc::Stub,
}

impl RegistrationTokenClient {
    pub fn for_token(env: &Env, token: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, &sha256_hex(token.as_bytes()))?,
        })
    }

    pub async fn store(&self, record: &RegistrationTokenRecord) -> ApiResult<()> {
        rpc::invoke(
            &self.stub,
            &TokenCall::Store {
                record: Box::new(record.clone()),
            },
        )
        .await
    }

    async fn consume(&self, token: &str) -> ApiResult<Consumed> {
        rpc::invoke(
            &self.stub,
            &TokenCall::Consume {
                token: token.to_owned(),
            },
        )
        .await
    }
}

/// Spends a `registrationToken` (from `POST /enrollments/:id/verify`) and
/// returns the id of the user it lets register a passkey. Single use, valid
/// 15 minutes. Errors: unknown or malformed token -> 401 `unauthorized`;
/// already used -> 409 `conflict`; expired -> 410 `expired`.
pub async fn consume_registration_token(env: &Env, token: &str) -> ApiResult<ConsumedToken> {
    if !plausible(token) {
        return Err(ApiError::Unauthorized);
    }
    let outcome = RegistrationTokenClient::for_token(env, token)?
        .consume(token)
        .await?;
    user_of(outcome)
}

/// Our tokens only: anything else is refused without touching storage.
fn plausible(token: &str) -> bool {
    token.starts_with(REGISTRATION_TOKEN_PREFIX) && token.len() <= MAX_TOKEN_LEN
}

fn user_of(outcome: Consumed) -> ApiResult<ConsumedToken> {
    match outcome {
        Consumed::Ok {
            user_id,
            client_id,
            livemode,
        } => Ok(ConsumedToken {
            user_id,
            client_id,
            livemode,
        }),
        Consumed::Invalid => Err(ApiError::Unauthorized),
        Consumed::Used => Err(ApiError::Conflict(
            "This registration token has already been used.".into(),
        )),
        Consumed::Expired => Err(ApiError::Expired),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::otp::RegistrationTokenRecord;

    #[test]
    fn only_our_token_shape_reaches_storage() {
        let issued = RegistrationTokenRecord::issue(&[7u8; 32], "user_x", 0).unwrap();
        assert!(plausible(&issued.token));
        assert!(!plausible("not-a-token"));
        assert!(!plausible(""));
        assert!(!plausible(&format!("rt_{}", "a".repeat(200))));
    }

    #[test]
    fn outcomes_map_to_the_documented_errors() {
        let ok = user_of(Consumed::Ok {
            user_id: "user_0123456789abcdef".into(),
            client_id: "mid_client_0123456789abcdef".into(),
            livemode: true,
        });
        let ok = ok.unwrap();
        assert_eq!(ok.user_id, "user_0123456789abcdef");
        assert_eq!(
            (ok.client_id.as_str(), ok.livemode),
            ("mid_client_0123456789abcdef", true)
        );
        let status = |c| user_of(c).map_err(|e| (e.status(), e.code())).unwrap_err();
        assert_eq!(status(Consumed::Invalid), (401, "unauthorized"));
        assert_eq!(status(Consumed::Used), (409, "conflict"));
        assert_eq!(status(Consumed::Expired), (410, "expired"));
    }

    #[test]
    fn the_object_answer_round_trips() {
        for c in [
            Consumed::Ok {
                user_id: "user_a".into(),
                client_id: String::new(),
                livemode: false,
            },
            Consumed::Invalid,
            Consumed::Used,
            Consumed::Expired,
        ] {
            let text = serde_json::to_string(&c).unwrap();
            let back: Consumed = serde_json::from_slice(text.as_bytes()).unwrap();
            assert_eq!(format!("{back:?}"), format!("{c:?}"));
        }
    }
}
