//! `CredentialObject`: one object per user (named by the user id). It holds
//! the user's passkeys with their sign counters, the user's pending ceremony
//! challenges, and the device events not yet handed to the webhook outbox.
//!
//! Every check-then-write (consuming a challenge, verifying an assertion and
//! advancing its counter, registering, deregistering) runs with no `.await`
//! in between, so it is atomic; a state change and its event are written in
//! the same synchronous step and forwarded afterwards, retried from the alarm.
//!
//! Discoverable sign-in ceremonies (no user known at begin) live in an
//! instance of this class named `ceremony:<id>` that holds only that ceremony.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::credential_index::{CredentialIndexClient, Owner};
use super::event_queue::{self, NewEvent};
use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::now_ms;
use crate::domain::approval;
use crate::domain::consent::{DeviceRef, UserRef};
use crate::domain::fido::{
    self, authentication_options, registration_options, Ceremony, CeremonyKind, Credential,
    NewDevice,
};
use crate::domain::limits;
use crate::domain::webauthn::{
    base64url_encode, AuthenticationResponseJSON, RegistrationResponseJSON, WebauthnError,
};
use crate::domain::webhook::{DEVICE_DEREGISTERED, DEVICE_REGISTERED};
use crate::error::{ApiError, ApiResult};
use crate::store::devices::{DeviceEntry, DeviceStore};

pub const BINDING: &str = "CREDENTIALS";
const USER: &str = "user";
const CRED: &str = "cred:";
const CEREMONY: &str = "cer:";

/// Who may see the user: the (client, mode) pairs that created or enrolled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Visibility {
    pub client_id: String,
    pub livemode: bool,
}

/// The user as this object knows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KnownUser {
    user: UserRef,
    visible_to: Vec<Visibility>,
    created_at: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterArgs {
    ceremony_id: String,
    /// `None`: the person's phone, allowed only for a phone-registration ceremony.
    access: Option<Visibility>,
    response: Value,
    device_name: Option<String>,
    device_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticateArgs {
    /// A ceremony stored here, consumed now...
    ceremony_id: Option<String>,
    /// ...or one already consumed from its own object (discoverable sign-in).
    ceremony: Option<Ceremony>,
    access: Visibility,
    response: Value,
}

/// A successful sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub user: UserRef,
    pub device: DeviceRef,
}

#[durable_object]
pub struct CredentialObject {
    state: State,
    env: Env,
    kv: SqlKv,
}

impl DurableObject for CredentialObject {
    fn new(state: State, env: Env) -> Self {
        let kv = SqlKv::new(&state);
        Self { state, env, kv }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        let result = match op.as_str() {
            "add_user" => self.add_user(&body).map(|u| json!(u)),
            "begin" => self.begin(&body).await,
            "take" => self.take(&body).map(|c| json!(c)),
            "register" => self.register(&body).await,
            "authenticate" => self.authenticate(&body).map(|s| json!(s)),
            "devices" => self.devices(&body).map(|d| json!(d)),
            "device" => self.device(&body).map(|d| json!(d)),
            "deregister" => self.deregister(&body).await.map(|d| json!(d)),
            _ => Err(ApiError::NotFound),
        };
        rpc::answer(result)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(e) = self.purge_expired(now_ms()) {
            worker::console_error!("credentials purge: {e:?}");
        }
        event_queue::flush(&self.env, &self.kv).await;
        if let Err(e) = self.reschedule().await {
            worker::console_error!("credentials reschedule: {e:?}");
        }
        Response::empty()
    }
}

fn malformed(_: serde_json::Error) -> ApiError {
    ApiError::Webauthn(WebauthnError::MalformedResponse)
}

impl CredentialObject {
    fn known_user(&self) -> ApiResult<Option<KnownUser>> {
        self.kv.get(USER)
    }

    /// Records the user (sandbox helper) and who may see it.
    fn add_user(&self, body: &Value) -> ApiResult<UserRef> {
        let user: UserRef = rpc::arg(&body["user"])?;
        let access: Visibility = rpc::arg(&body["access"])?;
        let mut known = self.known_user()?.unwrap_or(KnownUser {
            user: user.clone(),
            visible_to: Vec::new(),
            created_at: now_ms(),
        });
        if !known.visible_to.contains(&access) {
            known.visible_to.push(access);
        }
        self.kv.put(USER, &known)?;
        Ok(known.user)
    }

    fn credentials(&self) -> ApiResult<Vec<Credential>> {
        Ok(self
            .kv
            .list::<Credential>(CRED, usize::MAX, false)?
            .into_iter()
            .map(|(_, c)| c)
            .collect())
    }

    /// Stores a ceremony and answers its options.
    async fn begin(&self, body: &Value) -> ApiResult<Value> {
        let ceremony: Ceremony = rpc::arg(&body["ceremony"])?;
        let now = now_ms();
        self.purge_expired(now)?;
        let creds = self.credentials()?;
        let mine: Vec<&Credential> = creds
            .iter()
            .filter(|c| {
                c.rp_id == ceremony.rp.id && c.visible_to(&ceremony.client_id, ceremony.livemode)
            })
            .collect();
        let mut stored = ceremony.clone();
        let options = match (ceremony.kind, &ceremony.user) {
            (CeremonyKind::Registration, Some(user)) => {
                limits::passkey_room(creds.len())?;
                json!(registration_options(&ceremony, user, &mine))
            }
            (CeremonyKind::Authentication, Some(_)) => {
                if mine.is_empty() {
                    return Err(ApiError::Webauthn(WebauthnError::UnknownCredential));
                }
                stored.allow_credentials =
                    Some(mine.iter().map(|c| c.credential_id.clone()).collect());
                json!(authentication_options(&ceremony, Some(&mine)))
            }
            (CeremonyKind::Authentication, None) => json!(authentication_options(&ceremony, None)),
            (CeremonyKind::Registration, None) => {
                return Err(ApiError::Internal("registration without user".into()))
            }
        };
        self.kv
            .put(&format!("{CEREMONY}{}", ceremony.id), &stored)?;
        if self.state.storage().get_alarm().await?.is_none() {
            self.state
                .storage()
                .set_alarm(super::alarm_at(ceremony.expires_at))
                .await?;
        }
        Ok(options)
    }

    /// Consumes a ceremony: deleted on first use whatever the outcome. Another
    /// client's ceremony is not found (and not consumed).
    fn take_ceremony(&self, id: &str, access: &Visibility) -> ApiResult<Ceremony> {
        let key = format!("{CEREMONY}{id}");
        let ceremony: Ceremony = self
            .kv
            .get(&key)?
            .ok_or(ApiError::Webauthn(WebauthnError::CeremonyExpired))?;
        if ceremony.client_id != access.client_id || ceremony.livemode != access.livemode {
            return Err(ApiError::NotFound);
        }
        self.kv.delete(&key)?;
        ceremony.check_live(now_ms())?;
        Ok(ceremony)
    }

    /// Like [`Self::take_ceremony`] for a caller without an API key: only a
    /// ceremony begun with a registration token qualifies.
    fn take_phone_registration(&self, id: &str) -> ApiResult<Ceremony> {
        let key = format!("{CEREMONY}{id}");
        let ceremony: Ceremony = self
            .kv
            .get(&key)?
            .ok_or(ApiError::Webauthn(WebauthnError::CeremonyExpired))?;
        if !ceremony.phone_registration {
            return Err(ApiError::Unauthorized);
        }
        self.kv.delete(&key)?;
        ceremony.check_live(now_ms())?;
        Ok(ceremony)
    }

    fn take(&self, body: &Value) -> ApiResult<Ceremony> {
        let id = body["ceremonyId"].as_str().unwrap_or_default();
        let access: Visibility = rpc::arg(&body["access"])?;
        self.take_ceremony(id, &access)
    }

    async fn register(&self, body: &Value) -> ApiResult<Value> {
        let args: RegisterArgs = rpc::arg(body)?;
        let ceremony = match &args.access {
            Some(access) => self.take_ceremony(&args.ceremony_id, access)?,
            None => self.take_phone_registration(&args.ceremony_id)?,
        };
        limits::passkey_room(self.credentials()?.len())?;
        let now = now_ms();
        let response: RegistrationResponseJSON =
            serde_json::from_value(args.response).map_err(malformed)?;
        let user = ceremony
            .user
            .clone()
            .ok_or_else(|| ApiError::Internal("registration without user".into()))?;
        let reg = fido::verify_registration_for(&ceremony, &response, now)?;
        let key = format!("{CRED}{}", base64url_encode(&reg.credential_id));
        if self.kv.get::<Credential>(&key)?.is_some() {
            return Err(WebauthnError::CredentialExists.into());
        }
        CredentialIndexClient::new(&self.env, &reg.credential_id)?
            .claim(&Owner {
                user_id: user.id.clone(),
                device_id: args.device_id.clone(),
            })
            .await?;
        // Re-checked after the await: the credential id may have been registered meanwhile.
        if self.kv.get::<Credential>(&key)?.is_some() {
            return Err(WebauthnError::CredentialExists.into());
        }
        limits::passkey_room(self.credentials()?.len())?;
        let cred = Credential::from_registration(
            &ceremony,
            &reg,
            &NewDevice {
                device_id: &args.device_id,
                user_id: &user.id,
                name: args.device_name.as_deref(),
                now,
            },
        );
        let mut known = self.known_user()?.unwrap_or(KnownUser {
            user: user.clone(),
            visible_to: Vec::new(),
            created_at: now,
        });
        known.user = user.clone();
        self.kv.put(USER, &known)?;
        self.kv.put(&key, &cred)?;
        self.queue_event(&cred, DEVICE_REGISTERED, "registered", &user, now)?;
        self.after_change(now).await;
        if let Err(e) = self.directory_put(&cred).await {
            worker::console_error!("device directory put: {e:?}");
        }
        Ok(cred.view("active"))
    }

    /// Verifies an assertion and advances the counter in one synchronous step.
    fn authenticate(&self, body: &Value) -> ApiResult<SignedIn> {
        let args: AuthenticateArgs = rpc::arg(body)?;
        let ceremony = match (args.ceremony, args.ceremony_id) {
            (Some(c), _) => c,
            (None, Some(id)) => self.take_ceremony(&id, &args.access)?,
            (None, None) => return Err(ApiError::Internal("no ceremony".into())),
        };
        let now = now_ms();
        let response: AuthenticationResponseJSON =
            serde_json::from_value(args.response).map_err(malformed)?;
        let key = format!("{CRED}{}", base64url_encode(&response.raw_id));
        let mut cred: Credential = self
            .kv
            .get(&key)?
            .ok_or(ApiError::Webauthn(WebauthnError::UnknownCredential))?;
        let verified = fido::verify_authentication_for(&ceremony, &response, &cred, now)?;
        let user = match self.known_user()? {
            Some(k) => k.user,
            None => return Err(ApiError::Internal("credential without user".into())),
        };
        // Phone path: DESIGN §2 decides whether this passkey may decide the consent.
        if let Some(party) = ceremony.consent_party() {
            approval::may_decide(&cred.authenticator(&user.mobile), &party)?;
        }
        cred.record_use(&verified, now);
        self.kv.put(&key, &cred)?;
        Ok(SignedIn {
            user,
            device: cred.device_ref(),
        })
    }

    fn visible(&self, body: &Value) -> ApiResult<Vec<Credential>> {
        let access: Visibility = rpc::arg(&body["access"])?;
        let mut list: Vec<Credential> = self
            .credentials()?
            .into_iter()
            .filter(|c| c.visible_to(&access.client_id, access.livemode))
            .collect();
        list.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(b.device_id.cmp(&a.device_id))
        });
        Ok(list)
    }

    fn devices(&self, body: &Value) -> ApiResult<Vec<Credential>> {
        self.visible(body)
    }

    fn device(&self, body: &Value) -> ApiResult<Credential> {
        let id = body["deviceId"].as_str().unwrap_or_default();
        self.visible(body)?
            .into_iter()
            .find(|c| c.device_id == id)
            .ok_or(ApiError::NotFound)
    }

    async fn deregister(&self, body: &Value) -> ApiResult<Credential> {
        let cred = self.device(body)?;
        let now = now_ms();
        let user = self
            .known_user()?
            .map(|k| k.user)
            .ok_or_else(|| ApiError::Internal("credential without user".into()))?;
        self.kv.delete(&format!("{CRED}{}", cred.credential_id))?;
        self.queue_event(&cred, DEVICE_DEREGISTERED, "deregistered", &user, now)?;
        self.after_change(now).await;
        if let Some(raw) = crate::domain::webauthn::base64url_decode(&cred.credential_id) {
            if let Err(e) = async {
                CredentialIndexClient::new(&self.env, &raw)?
                    .release(&cred.user_id)
                    .await
            }
            .await
            {
                worker::console_error!("credential index release: {e:?}");
            }
        }
        if let Err(e) = async { DeviceStore::new(&self.env)?.delete(&cred.device_id).await }.await {
            worker::console_error!("device directory delete: {e:?}");
        }
        Ok(cred)
    }

    async fn directory_put(&self, cred: &Credential) -> ApiResult<()> {
        DeviceStore::new(&self.env)?
            .put(&DeviceEntry {
                device_id: cred.device_id.clone(),
                user_id: cred.user_id.clone(),
                client_id: cred.client_id.clone(),
                livemode: cred.livemode,
            })
            .await
    }

    /// Writes the event beside the state change (same synchronous step).
    fn queue_event(
        &self,
        cred: &Credential,
        name: &str,
        status: &str,
        user: &UserRef,
        now: i64,
    ) -> ApiResult<()> {
        event_queue::queue(
            &self.kv,
            NewEvent {
                event: name,
                client_id: &cred.client_id,
                livemode: cred.livemode,
                data: fido::device_event_data(cred, status, user),
            },
            now,
        )
    }

    async fn after_change(&self, now: i64) {
        event_queue::forward(&self.state, &self.env, &self.kv, now).await;
        if let Err(e) = self.reschedule().await {
            worker::console_error!("credentials reschedule: {e:?}");
        }
    }

    fn purge_expired(&self, now: i64) -> ApiResult<()> {
        for (key, c) in self.kv.list::<Ceremony>(CEREMONY, 200, false)? {
            if c.expires_at <= now {
                self.kv.delete(&key)?;
            }
        }
        Ok(())
    }

    async fn reschedule(&self) -> ApiResult<()> {
        let storage = self.state.storage();
        let now = now_ms();
        let retry = event_queue::retry_at(&self.kv, now)?;
        let expiry = self
            .kv
            .list::<Ceremony>(CEREMONY, 200, false)?
            .into_iter()
            .map(|(_, c)| c.expires_at)
            .min();
        match [retry, expiry].into_iter().flatten().min() {
            Some(at) => storage.set_alarm(super::alarm_at(at)).await?,
            None => storage.delete_alarm().await?,
        }
        Ok(())
    }
}

/// Typed client of one user's credential object (or of a discoverable
/// ceremony's own object).
pub struct CredentialClient {
    stub: worker::Stub,
}

impl CredentialClient {
    pub fn for_user(env: &Env, user_id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, user_id)?,
        })
    }

    pub fn for_ceremony(env: &Env, ceremony_id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("ceremony:{ceremony_id}"))?,
        })
    }

    pub async fn add_user(&self, user: &UserRef, access: &Visibility) -> ApiResult<UserRef> {
        rpc::call(
            &self.stub,
            "add_user",
            &json!({"user": user, "access": access}),
        )
        .await
    }

    pub async fn begin(&self, ceremony: &Ceremony) -> ApiResult<Value> {
        rpc::call(&self.stub, "begin", &json!({ "ceremony": ceremony })).await
    }

    pub async fn take(&self, ceremony_id: &str, access: &Visibility) -> ApiResult<Ceremony> {
        rpc::call(
            &self.stub,
            "take",
            &json!({"ceremonyId": ceremony_id, "access": access}),
        )
        .await
    }

    pub async fn register(
        &self,
        ceremony_id: &str,
        access: Option<&Visibility>,
        response: &Value,
        device_name: Option<&str>,
        device_id: &str,
    ) -> ApiResult<Value> {
        rpc::call(
            &self.stub,
            "register",
            &json!({"ceremonyId": ceremony_id, "access": access, "response": response,
                "deviceName": device_name, "deviceId": device_id}),
        )
        .await
    }

    pub async fn authenticate(
        &self,
        ceremony_id: Option<&str>,
        ceremony: Option<&Ceremony>,
        access: &Visibility,
        response: &Value,
    ) -> ApiResult<SignedIn> {
        rpc::call(
            &self.stub,
            "authenticate",
            &json!({"ceremonyId": ceremony_id, "ceremony": ceremony, "access": access,
                "response": response}),
        )
        .await
    }

    pub async fn devices(&self, access: &Visibility) -> ApiResult<Vec<Credential>> {
        rpc::call(&self.stub, "devices", &json!({ "access": access })).await
    }

    pub async fn device(&self, device_id: &str, access: &Visibility) -> ApiResult<Credential> {
        rpc::call(
            &self.stub,
            "device",
            &json!({"deviceId": device_id, "access": access}),
        )
        .await
    }

    pub async fn deregister(&self, device_id: &str, access: &Visibility) -> ApiResult<Credential> {
        rpc::call(
            &self.stub,
            "deregister",
            &json!({"deviceId": device_id, "access": access}),
        )
        .await
    }
}
