//! `UserObject`: one object per `user_`, the authority on a person: the user
//! record (mobile, which clients see it, entitlements), their passkeys with
//! sign counters, the ceremonies begun for them, and the device events not
//! yet handed to the webhook outbox.
//!
//! Every check-then-write (consuming a challenge, verifying an assertion and
//! advancing its counter, registering, deregistering) runs with no `.await`
//! in between, so it is atomic; a state change and its event are written in
//! the same synchronous step and forwarded afterwards, retried from the alarm.
//! The decisions themselves are pure (`domain::passkeys`, `domain::device_key`,
//! `domain::approval`).
//!
//! Native-app device keys (`POST /devices`) live here beside the passkeys, so
//! deleting one takes effect at once: a decision is verified here, never
//! against the KV read model.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::credential_index::{CredentialIndexClient, Owner};
use super::ctx::Ctx;
use super::event_queue::{self, NewEvent};
use super::rpc;
use super::sql_kv::SqlKv;
use crate::domain::approval::{self, ConsentParty};
use crate::domain::billing::{Applied, EntitlementChange, Source};
use crate::domain::consent::{Decision, DeviceRef, UserRef};
use crate::domain::device_key::DeviceKey;
use crate::domain::fido::{self, Ceremony, Credential, NewDevice};
use crate::domain::ids;
use crate::domain::limits;
use crate::domain::passkeys::{self, Completer};
use crate::domain::tenant::Tenant;
use crate::domain::user::UserRecord;
use crate::domain::webauthn::{
    base64url_decode, base64url_encode, check_sign_count, AuthenticationResponseJSON,
    RegistrationResponseJSON, WebauthnError,
};
use crate::domain::webhook::{DEVICE_DEREGISTERED, DEVICE_REGISTERED};
use crate::error::{ApiError, ApiResult};
use crate::store::devices::{DeviceEntry, DeviceStore};

pub const BINDING: &str = "USERS";
const USER: &str = "user";
const CRED: &str = "cred:";
const CEREMONY: &str = "cer:";
/// Device keys, by device id.
const DKEY: &str = "dkey:";
/// The store event time (unix ms) of the change that set the entitlements.
const ENTITLEMENTS_AS_OF: &str = "entAsOf";
/// Set once the `appAccountToken` index entry is written.
const APP_ACCOUNT_INDEXED: &str = "appAccountIndexed";
/// Ceremonies read per purge (they live 5 minutes; a user rarely has more than a few).
const CEREMONY_SCAN: usize = 200;

/// The calls a `UserObject` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UserCall {
    /// Creates the user on first call (drawing its appAccountToken here, so
    /// racing first calls agree) and lets `tenant` see it. Replies the record.
    Ensure {
        id: String,
        mobile: String,
        tenant: Tenant,
    },
    /// `GET /users/:id` for `tenant` (404 unless it sees the user).
    View { tenant: Tenant },
    /// A verified App Store / Play event's entitlement change, unless a newer
    /// event (store time `as_of`, unix ms) already set them. Replies [`Applied`].
    #[serde(rename_all = "camelCase")]
    SetEntitlement {
        change: EntitlementChange,
        source: Source,
        as_of: i64,
    },
    /// Stores a ceremony for this user and replies its options. A partner
    /// ceremony needs the user visible to its tenant; a phone registration
    /// (the worker consumed the registration token naming this user) needs
    /// the user in the ceremony's mode.
    Begin { ceremony: Box<Ceremony> },
    /// Completes a registration; replies the device view.
    #[serde(rename_all = "camelCase")]
    Register {
        ceremony_id: String,
        /// `None`: the person's phone (only a phone-registration ceremony).
        tenant: Option<Tenant>,
        response: Value,
        device_name: Option<String>,
        device_id: String,
    },
    /// Verifies an assertion and advances the counter; replies [`SignedIn`].
    #[serde(rename_all = "camelCase")]
    Authenticate {
        /// A ceremony stored here, consumed now (partner path with `userId`)...
        ceremony_id: Option<String>,
        /// ...or one already consumed from its own object (discoverable, phone path).
        ceremony: Option<Box<Ceremony>>,
        tenant: Tenant,
        response: Value,
    },
    /// The tenant's view of the user's passkeys and device keys, newest first
    /// (404 if it does not see the user).
    Devices { tenant: Tenant },
    /// One passkey or device key the tenant registered; replies its view.
    #[serde(rename_all = "camelCase")]
    Device { device_id: String, tenant: Tenant },
    /// Removes a passkey or device key the tenant registered; replies its view.
    #[serde(rename_all = "camelCase")]
    Deregister { device_id: String, tenant: Tenant },
    /// Stores a device key for a user the tenant sees (its client, mode and
    /// user are checked here); replies its view.
    RegisterDeviceKey { tenant: Tenant, key: Box<DeviceKey> },
    /// Verifies a device key's signature over the decision string, then
    /// DESIGN §2 for the consent; records the use. Replies [`SignedIn`].
    #[serde(rename_all = "camelCase")]
    DecideWithDeviceKey {
        device_id: String,
        consent: DeviceConsent,
        /// base64url of the raw 64-byte signature.
        signature: String,
    },
}

/// The consent a device key decides, as the consent's object reported it
/// when it gave up its challenge.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceConsent {
    pub consent_id: String,
    pub client_id: String,
    pub livemode: bool,
    pub recipient: String,
    /// `approve` | `reject`.
    pub decision: String,
    pub challenge: String,
}

/// A successful sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub user: UserRef,
    pub device: DeviceRef,
}

#[durable_object]
pub struct UserObject {
    state: State,
    env: Env,
    kv: SqlKv,
}

impl DurableObject for UserObject {
    fn new(state: State, env: Env) -> Self {
        let kv = SqlKv::new(&state);
        Self { state, env, kv }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |call: UserCall| async move {
            self.handle(call, &Ctx::new()).await
        })
        .await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let ctx = Ctx::new();
        if let Err(e) = self.purge_expired(ctx.now) {
            worker::console_error!("user ceremonies purge: {e:?}");
        }
        event_queue::flush(&self.env, &self.kv).await;
        if let Err(e) = self.reschedule(ctx.now).await {
            worker::console_error!("user reschedule: {e:?}");
        }
        Response::empty()
    }
}

fn malformed(_: serde_json::Error) -> ApiError {
    ApiError::Webauthn(WebauthnError::MalformedResponse)
}

impl UserObject {
    async fn handle(&self, call: UserCall, ctx: &Ctx) -> ApiResult<Value> {
        let now = ctx.now;
        match call {
            UserCall::Ensure { id, mobile, tenant } => {
                let user = self.ensure(&id, &mobile, &tenant, ctx)?;
                self.index_app_account(&user).await?;
                rpc::reply(user)
            }
            UserCall::View { tenant } => rpc::reply(self.visible_user(&tenant)?.at(now).view()),
            UserCall::SetEntitlement {
                change,
                source,
                as_of,
            } => rpc::reply(self.set_entitlement(&change, source, as_of)?),
            UserCall::Begin { ceremony } => self.begin(*ceremony, now).await,
            UserCall::Register {
                ceremony_id,
                tenant,
                response,
                device_name,
                device_id,
            } => {
                let who = tenant.as_ref().map_or(Completer::Phone, Completer::Partner);
                self.register(&ceremony_id, who, response, device_name, &device_id, ctx)
                    .await
            }
            UserCall::Authenticate {
                ceremony_id,
                ceremony,
                tenant,
                response,
            } => {
                let ceremony = match (ceremony, ceremony_id) {
                    (Some(c), _) => *c,
                    (None, Some(id)) => self.take(&id, Completer::Partner(&tenant), now)?,
                    (None, None) => return Err(ApiError::Internal("no ceremony".into())),
                };
                rpc::reply(self.authenticate(&ceremony, response, now).await?)
            }
            UserCall::Devices { tenant } => {
                self.visible_user(&tenant)?;
                let creds = self.credentials()?;
                let keys = self.device_keys()?;
                let mut list: Vec<(i64, &str, Value)> = passkeys::visible(&creds, &tenant)
                    .into_iter()
                    .map(|c| (c.created_at, c.device_id.as_str(), c.view("active")))
                    .chain(
                        keys.iter()
                            .filter(|k| tenant.owns(&k.client_id, k.livemode))
                            .map(|k| (k.created_at, k.device_id.as_str(), k.view("active"))),
                    )
                    .collect();
                list.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(a.1)));
                rpc::reply(list.into_iter().map(|(_, _, v)| v).collect::<Vec<_>>())
            }
            UserCall::Device { device_id, tenant } => match self.device_key(&device_id)? {
                Some(k) if tenant.owns(&k.client_id, k.livemode) => rpc::reply(k.view("active")),
                Some(_) => Err(ApiError::NotFound),
                None => rpc::reply(self.device(&device_id, &tenant)?.view("active")),
            },
            UserCall::Deregister { device_id, tenant } => {
                if self.device_key(&device_id)?.is_some() {
                    rpc::reply(self.deregister_key(&device_id, &tenant, ctx).await?)
                } else {
                    rpc::reply(
                        self.deregister(&device_id, &tenant, ctx)
                            .await?
                            .view("deregistered"),
                    )
                }
            }
            UserCall::RegisterDeviceKey { tenant, key } => {
                rpc::reply(self.register_key(&tenant, *key, ctx).await?)
            }
            UserCall::DecideWithDeviceKey {
                device_id,
                consent,
                signature,
            } => rpc::reply(
                self.decide_with_key(&device_id, &consent, &signature, now)
                    .await?,
            ),
        }
    }

    fn load(&self) -> ApiResult<UserRecord> {
        self.kv.get(USER)?.ok_or(ApiError::NotFound)
    }

    /// The user if `tenant` may see it, else 404 (another client's user is none).
    fn visible_user(&self, tenant: &Tenant) -> ApiResult<UserRecord> {
        let user = self.load()?;
        if user.visible_to(&tenant.client_id, tenant.livemode()) {
            Ok(user)
        } else {
            Err(ApiError::NotFound)
        }
    }

    fn ensure(&self, id: &str, mobile: &str, tenant: &Tenant, ctx: &Ctx) -> ApiResult<UserRecord> {
        let mut user = match self.kv.get::<UserRecord>(USER)? {
            Some(u) => u,
            None => {
                let token = ctx.random(|r| ids::uuid_v4(r))?;
                UserRecord::new(id, mobile, tenant.livemode(), &token, ctx.now)
            }
        };
        if user.livemode != tenant.livemode() {
            return Err(ApiError::Internal("user of the other mode".into()));
        }
        user.grant(&tenant.client_id);
        self.kv.put(USER, &user)?;
        Ok(user)
    }

    /// Writes `appaccount:<token>` -> this user once (idempotent: a retry
    /// after a crash claims it again as the same owner).
    async fn index_app_account(&self, user: &UserRecord) -> ApiResult<()> {
        if self.kv.get::<bool>(APP_ACCOUNT_INDEXED)? == Some(true) {
            return Ok(());
        }
        CredentialIndexClient::for_app_account(&self.env, &user.app_account_token)?
            .claim(&Owner {
                user_id: user.id.clone(),
                device_id: String::new(),
            })
            .await?;
        self.kv.put(APP_ACCOUNT_INDEXED, &true)
    }

    /// Check and write in one synchronous step; equal times apply (a
    /// redelivery after a crash between applying and recording is harmless).
    fn set_entitlement(
        &self,
        change: &EntitlementChange,
        source: Source,
        as_of: i64,
    ) -> ApiResult<Applied> {
        let mut user = self.load()?;
        if self
            .kv
            .get::<i64>(ENTITLEMENTS_AS_OF)?
            .is_some_and(|current| as_of < current)
        {
            return Ok(Applied::Stale);
        }
        user.entitlements = change.entitlements(source);
        self.kv.put(USER, &user)?;
        self.kv.put(ENTITLEMENTS_AS_OF, &as_of)?;
        Ok(Applied::Applied)
    }

    fn credentials(&self) -> ApiResult<Vec<Credential>> {
        Ok(self
            .kv
            .list::<Credential>(CRED, usize::MAX, false)?
            .into_iter()
            .map(|(_, c)| c)
            .collect())
    }

    fn device_keys(&self) -> ApiResult<Vec<DeviceKey>> {
        Ok(self
            .kv
            .list::<DeviceKey>(DKEY, usize::MAX, false)?
            .into_iter()
            .map(|(_, k)| k)
            .collect())
    }

    fn device_key(&self, device_id: &str) -> ApiResult<Option<DeviceKey>> {
        self.kv.get(&format!("{DKEY}{device_id}"))
    }

    /// Passkeys and device keys together: one cap covers both.
    fn authenticators(&self) -> ApiResult<usize> {
        Ok(self.credentials()?.len() + self.device_keys()?.len())
    }

    async fn register_key(&self, tenant: &Tenant, key: DeviceKey, ctx: &Ctx) -> ApiResult<Value> {
        let user = self.visible_user(tenant)?;
        if key.user_id != user.id || !tenant.owns(&key.client_id, key.livemode) {
            return Err(ApiError::Internal(
                "device key of another user or tenant".into(),
            ));
        }
        limits::passkey_room(self.authenticators()?)?;
        // Claimed before it exists, so every stored device can be found from its id alone.
        CredentialIndexClient::for_device(&self.env, &key.device_id)?
            .claim(&Owner {
                user_id: user.id.clone(),
                device_id: key.device_id.clone(),
            })
            .await?;
        // Re-checked after the await: the cap may have been reached meanwhile.
        limits::passkey_room(self.authenticators()?)?;
        self.kv.put(&format!("{DKEY}{}", key.device_id), &key)?;
        self.queue_key_event(&key, DEVICE_REGISTERED, "registered", &user.user_ref(), ctx)?;
        self.after_change(ctx.now).await;
        if let Err(e) = async {
            DeviceStore::new(&self.env)?
                .put(&DeviceEntry {
                    device_id: key.device_id.clone(),
                    user_id: key.user_id.clone(),
                    client_id: key.client_id.clone(),
                    livemode: key.livemode,
                })
                .await
        }
        .await
        {
            worker::console_error!("device directory put: {e:?}");
        }
        Ok(key.view("active"))
    }

    /// Signature first (possession, checked by the runtime), then DESIGN §2,
    /// then the use is recorded: one synchronous step after the signature, so
    /// a concurrent delete either precedes it (404) or follows it.
    async fn decide_with_key(
        &self,
        device_id: &str,
        consent: &DeviceConsent,
        signature: &str,
        now: i64,
    ) -> ApiResult<SignedIn> {
        let key = format!("{DKEY}{device_id}");
        let signer: DeviceKey = self.kv.get(&key)?.ok_or(ApiError::NotFound)?;
        let decision = Decision::parse(&consent.decision)
            .ok_or_else(|| ApiError::Internal("bad decision".into()))?;
        let sig = base64url_decode(signature).ok_or(ApiError::Decision(
            crate::domain::device_key::DecisionRefusal::BadSignature,
        ))?;
        signer
            .signed_decision(&consent.consent_id, decision, &consent.challenge, &sig)
            .verify(&crate::subtle::verifier())
            .await
            .map_err(ApiError::Decision)?;
        // Re-read after the await: a delete meanwhile wins (404).
        let mut device: DeviceKey = self
            .kv
            .get(&key)?
            .filter(|d: &DeviceKey| d.public_key == signer.public_key)
            .ok_or(ApiError::NotFound)?;
        let user = self.load()?;
        approval::may_decide(
            &device.authenticator(&user.mobile),
            &ConsentParty {
                client_id: &consent.client_id,
                livemode: consent.livemode,
                recipient: &consent.recipient,
            },
        )?;
        device.last_used_at = Some(now);
        self.kv.put(&key, &device)?;
        Ok(SignedIn {
            user: user.user_ref(),
            device: device.device_ref(),
        })
    }

    async fn deregister_key(
        &self,
        device_id: &str,
        tenant: &Tenant,
        ctx: &Ctx,
    ) -> ApiResult<Value> {
        let key = self
            .device_key(device_id)?
            .filter(|k| tenant.owns(&k.client_id, k.livemode))
            .ok_or(ApiError::NotFound)?;
        let user = self.load()?.user_ref();
        self.kv.delete(&format!("{DKEY}{device_id}"))?;
        self.queue_key_event(&key, DEVICE_DEREGISTERED, "deregistered", &user, ctx)?;
        self.after_change(ctx.now).await;
        if let Err(e) = async { DeviceStore::new(&self.env)?.delete(device_id).await }.await {
            worker::console_error!("device directory delete: {e:?}");
        }
        Ok(key.view("deregistered"))
    }

    fn queue_key_event(
        &self,
        key: &DeviceKey,
        name: &str,
        status: &str,
        user: &UserRef,
        ctx: &Ctx,
    ) -> ApiResult<()> {
        event_queue::queue(
            &self.kv,
            NewEvent {
                event: name,
                client_id: &key.client_id,
                livemode: key.livemode,
                data: key.event_data(status, user),
            },
            ctx.now,
            ctx,
        )
    }

    /// Stores a ceremony for this user and answers its options.
    async fn begin(&self, mut ceremony: Ceremony, now: i64) -> ApiResult<Value> {
        let user = self.load()?;
        let allowed = if ceremony.phone_registration {
            user.livemode == ceremony.livemode
        } else {
            user.visible_to(&ceremony.client_id, ceremony.livemode)
        };
        if !allowed {
            return Err(ApiError::NotFound);
        }
        self.purge_expired(now)?;
        let options = passkeys::begin(&mut ceremony, user.user_ref(), &self.credentials()?)?;
        self.kv
            .put(&format!("{CEREMONY}{}", ceremony.id), &ceremony)?;
        if self.state.storage().get_alarm().await?.is_none() {
            self.state
                .storage()
                .set_alarm(super::alarm_at(ceremony.expires_at))
                .await?;
        }
        Ok(options)
    }

    /// Consumes a ceremony: deleted on first use whatever the outcome; a
    /// caller who may not take it neither sees nor consumes it.
    fn take(&self, id: &str, who: Completer<'_>, now: i64) -> ApiResult<Ceremony> {
        let key = format!("{CEREMONY}{id}");
        let ceremony: Ceremony = self
            .kv
            .get(&key)?
            .ok_or(ApiError::Webauthn(WebauthnError::CeremonyExpired))?;
        passkeys::may_take(&ceremony, who)?;
        self.kv.delete(&key)?;
        ceremony.check_live(now)?;
        Ok(ceremony)
    }

    async fn register(
        &self,
        ceremony_id: &str,
        who: Completer<'_>,
        response: Value,
        device_name: Option<String>,
        device_id: &str,
        ctx: &Ctx,
    ) -> ApiResult<Value> {
        let now = ctx.now;
        let ceremony = self.take(ceremony_id, who, now)?;
        limits::passkey_room(self.authenticators()?)?;
        let response: RegistrationResponseJSON =
            serde_json::from_value(response).map_err(malformed)?;
        let user = ceremony
            .user
            .clone()
            .ok_or_else(|| ApiError::Internal("registration without user".into()))?;
        let reg = fido::verify_registration_for(&ceremony, &response, now)?
            .verify(&crate::subtle::verifier())
            .await?;
        let key = format!("{CRED}{}", base64url_encode(&reg.credential_id));
        if self.kv.get::<Credential>(&key)?.is_some() {
            return Err(WebauthnError::CredentialExists.into());
        }
        CredentialIndexClient::new(&self.env, &reg.credential_id)?
            .claim(&Owner {
                user_id: user.id.clone(),
                device_id: device_id.to_owned(),
            })
            .await?;
        CredentialIndexClient::for_device(&self.env, device_id)?
            .claim(&Owner {
                user_id: user.id.clone(),
                device_id: device_id.to_owned(),
            })
            .await?;
        // Re-checked after the await: the id may have been registered, or the cap reached, meanwhile.
        if self.kv.get::<Credential>(&key)?.is_some() {
            return Err(WebauthnError::CredentialExists.into());
        }
        limits::passkey_room(self.authenticators()?)?;
        let cred = Credential::from_registration(
            &ceremony,
            &reg,
            &NewDevice {
                device_id,
                user_id: &user.id,
                name: device_name.as_deref(),
                now,
            },
        );
        self.kv.put(&key, &cred)?;
        self.queue_event(&cred, DEVICE_REGISTERED, "registered", &user, ctx)?;
        self.after_change(now).await;
        if let Err(e) = self.directory_put(&cred).await {
            worker::console_error!("device directory put: {e:?}");
        }
        Ok(cred.view("active"))
    }

    /// Verifies an assertion (and, on the phone path, DESIGN §2), then
    /// advances the counter in one synchronous step after the signature check
    /// (awaited in the runtime), re-checked against the counter stored then. A
    /// phone-path approval lets the consent's client see the user from now on.
    async fn authenticate(
        &self,
        ceremony: &Ceremony,
        response: Value,
        now: i64,
    ) -> ApiResult<SignedIn> {
        let response: AuthenticationResponseJSON =
            serde_json::from_value(response).map_err(malformed)?;
        let key = format!("{CRED}{}", base64url_encode(&response.raw_id));
        let unknown = || ApiError::Webauthn(WebauthnError::UnknownCredential);
        let cred: Credential = self.kv.get(&key)?.ok_or_else(unknown)?;
        let mobile = self.load()?.mobile;
        let verified = passkeys::authenticate(ceremony, &response, &cred, &mobile, now)?
            .verify(&crate::subtle::verifier())
            .await?;
        // A use of the same credential may have been recorded during the await.
        let mut cred: Credential = self.kv.get(&key)?.ok_or_else(unknown)?;
        check_sign_count(cred.sign_count, verified.sign_count)?;
        let mut user = self.load()?;
        cred.record_use(&verified, now);
        self.kv.put(&key, &cred)?;
        if ceremony.consent.is_some() && user.grant(&ceremony.client_id) {
            self.kv.put(USER, &user)?;
        }
        Ok(SignedIn {
            user: user.user_ref(),
            device: cred.device_ref(),
        })
    }

    fn device(&self, device_id: &str, tenant: &Tenant) -> ApiResult<Credential> {
        self.credentials()?
            .into_iter()
            .find(|c| c.device_id == device_id && tenant.owns(&c.client_id, c.livemode))
            .ok_or(ApiError::NotFound)
    }

    async fn deregister(
        &self,
        device_id: &str,
        tenant: &Tenant,
        ctx: &Ctx,
    ) -> ApiResult<Credential> {
        let cred = self.device(device_id, tenant)?;
        let user = self.load()?.user_ref();
        self.kv.delete(&format!("{CRED}{}", cred.credential_id))?;
        self.queue_event(&cred, DEVICE_DEREGISTERED, "deregistered", &user, ctx)?;
        self.after_change(ctx.now).await;
        if let Some(raw) = base64url_decode(&cred.credential_id) {
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
        ctx: &Ctx,
    ) -> ApiResult<()> {
        event_queue::queue(
            &self.kv,
            NewEvent {
                event: name,
                client_id: &cred.client_id,
                livemode: cred.livemode,
                data: fido::device_event_data(cred, status, user),
            },
            ctx.now,
            ctx,
        )
    }

    async fn after_change(&self, now: i64) {
        event_queue::forward(&self.state, &self.env, &self.kv, now).await;
        if let Err(e) = self.reschedule(now).await {
            worker::console_error!("user reschedule: {e:?}");
        }
    }

    fn purge_expired(&self, now: i64) -> ApiResult<()> {
        for (key, c) in self.kv.list::<Ceremony>(CEREMONY, CEREMONY_SCAN, false)? {
            if c.expires_at <= now {
                self.kv.delete(&key)?;
            }
        }
        Ok(())
    }

    async fn reschedule(&self, now: i64) -> ApiResult<()> {
        let storage = self.state.storage();
        let retry = event_queue::retry_at(&self.kv, now)?;
        let expiry = self
            .kv
            .list::<Ceremony>(CEREMONY, CEREMONY_SCAN, false)?
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

/// Typed client of one user's object.
pub struct UserClient {
    stub: rpc::Stub,
}

impl UserClient {
    pub fn new(env: &Env, user_id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, user_id)?,
        })
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, call: UserCall) -> ApiResult<T> {
        rpc::invoke(&self.stub, &call).await
    }

    /// Creates the user if new; lets the tenant's client see it either way.
    pub async fn ensure(&self, id: &str, mobile: &str, tenant: &Tenant) -> ApiResult<UserRecord> {
        self.call(UserCall::Ensure {
            id: id.to_owned(),
            mobile: mobile.to_owned(),
            tenant: tenant.clone(),
        })
        .await
    }

    /// `GET /users/:id` for a partner: 404 unless it may see the user.
    pub async fn view_for(&self, tenant: &Tenant) -> ApiResult<Value> {
        self.call(UserCall::View {
            tenant: tenant.clone(),
        })
        .await
    }

    /// Sets the premium entitlement unless a newer store event already did.
    pub async fn set_entitlement(
        &self,
        change: EntitlementChange,
        source: Source,
        as_of: i64,
    ) -> ApiResult<Applied> {
        self.call(UserCall::SetEntitlement {
            change,
            source,
            as_of,
        })
        .await
    }

    pub async fn begin(&self, ceremony: Ceremony) -> ApiResult<Value> {
        self.call(UserCall::Begin {
            ceremony: Box::new(ceremony),
        })
        .await
    }

    pub async fn register(
        &self,
        ceremony_id: &str,
        tenant: Option<&Tenant>,
        response: Value,
        device_name: Option<String>,
        device_id: &str,
    ) -> ApiResult<Value> {
        self.call(UserCall::Register {
            ceremony_id: ceremony_id.to_owned(),
            tenant: tenant.cloned(),
            response,
            device_name,
            device_id: device_id.to_owned(),
        })
        .await
    }

    pub async fn authenticate(
        &self,
        ceremony_id: Option<&str>,
        ceremony: Option<Ceremony>,
        tenant: &Tenant,
        response: Value,
    ) -> ApiResult<SignedIn> {
        self.call(UserCall::Authenticate {
            ceremony_id: ceremony_id.map(str::to_owned),
            ceremony: ceremony.map(Box::new),
            tenant: tenant.clone(),
            response,
        })
        .await
    }

    pub async fn devices(&self, tenant: &Tenant) -> ApiResult<Vec<Value>> {
        self.call(UserCall::Devices {
            tenant: tenant.clone(),
        })
        .await
    }

    pub async fn device(&self, device_id: &str, tenant: &Tenant) -> ApiResult<Value> {
        self.call(UserCall::Device {
            device_id: device_id.to_owned(),
            tenant: tenant.clone(),
        })
        .await
    }

    pub async fn deregister(&self, device_id: &str, tenant: &Tenant) -> ApiResult<Value> {
        self.call(UserCall::Deregister {
            device_id: device_id.to_owned(),
            tenant: tenant.clone(),
        })
        .await
    }

    pub async fn register_device_key(&self, tenant: &Tenant, key: DeviceKey) -> ApiResult<Value> {
        self.call(UserCall::RegisterDeviceKey {
            tenant: tenant.clone(),
            key: Box::new(key),
        })
        .await
    }

    pub async fn decide_with_device_key(
        &self,
        device_id: &str,
        consent: DeviceConsent,
        signature: &str,
    ) -> ApiResult<SignedIn> {
        self.call(UserCall::DecideWithDeviceKey {
            device_id: device_id.to_owned(),
            consent,
            signature: signature.to_owned(),
        })
        .await
    }
}
