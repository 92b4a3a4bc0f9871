//! Sending SMS: one trait, three providers. The sandbox keeps messages for
//! `GET /sandbox/messages`; Termii and Twilio are real HTTP APIs whose
//! requests and replies are built and read by the pure `domain::sms` code.

use futures_util::future::{select, Either};
use worker::{AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit};

use crate::config::setting;
use crate::domain::sms::{self, termii, twilio, HttpRequest, SentSms, SmsError, SmsMessage};
use crate::objects::inbox::{InboxClient, SmsRecord};

/// An SMS provider is given a complete message and says whether it took it.
pub trait SmsProvider {
    async fn send(&self, msg: &SmsMessage) -> Result<SentSms, SmsError>;
}

/// Stores the message instead of sending it, readable by that client's test
/// key at `GET /sandbox/messages`. Test keys only: a live message is refused
/// (never logged, never kept where a test key could read it).
pub struct Sandbox<'a> {
    pub env: &'a Env,
    pub client_id: &'a str,
    pub livemode: bool,
    pub message_id: String,
}

impl SmsProvider for Sandbox<'_> {
    async fn send(&self, msg: &SmsMessage) -> Result<SentSms, SmsError> {
        // `provider_for` already refuses this; kept so the sandbox itself can
        // never be made to swallow a live code.
        if self.livemode {
            return Err(SmsError::SandboxInLivemode);
        }
        let record = SmsRecord {
            id: self.message_id.clone(),
            to: msg.to().to_owned(),
            body: msg.body().to_owned(),
            created_at: 0,
        };
        InboxClient::new(self.env, self.client_id, msg.to())
            .map_err(|e| SmsError::transport(&format!("{e:?}")))?
            .add(&record)
            .await
            .map_err(|e| SmsError::transport(&format!("{e:?}")))?;
        Ok(SentSms {
            provider_message_id: self.message_id.clone(),
        })
    }
}

pub struct Termii(pub termii::TermiiConfig);

impl SmsProvider for Termii {
    async fn send(&self, msg: &SmsMessage) -> Result<SentSms, SmsError> {
        let (status, body) = http(&termii::build_request(&self.0, msg)).await?;
        termii::parse_response(status, &body)
    }
}

pub struct Twilio(pub twilio::TwilioConfig);

impl SmsProvider for Twilio {
    async fn send(&self, msg: &SmsMessage) -> Result<SentSms, SmsError> {
        let (status, body) = http(&twilio::build_request(&self.0, msg)).await?;
        twilio::parse_response(status, &body)
    }
}

/// Provider requests give up after this long (the partner is waiting).
const TIMEOUT_MS: u64 = 10_000;

async fn http(r: &HttpRequest) -> Result<(u16, Vec<u8>), SmsError> {
    let fail = |e: worker::Error| SmsError::transport(&e.to_string());
    let headers = Headers::new();
    for (k, v) in &r.headers {
        headers.set(k, v).map_err(fail)?;
    }
    let method = if r.method == "POST" {
        Method::Post
    } else {
        Method::Get
    };
    let mut init = RequestInit::new();
    init.with_method(method)
        .with_headers(headers)
        .with_body(Some(r.body.clone().into()));
    let req = Request::new_with_init(&r.url, &init).map_err(fail)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(req);
    let attempt = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Delay::from(std::time::Duration::from_millis(TIMEOUT_MS));
    let answered = match select(attempt, timeout).await {
        Either::Left((Ok(resp), _)) => Ok(resp),
        Either::Left((Err(e), _)) => Err(fail(e)),
        Either::Right(_) => {
            controller.abort();
            Err(SmsError::transport("timeout"))
        }
    };
    let mut resp = answered?;
    let body = resp.bytes().await.map_err(fail)?;
    Ok((resp.status_code(), body))
}

/// Sends `msg` through the provider for this key's mode (test keys: always
/// the sandbox) and the configured `SMS_PROVIDER`.
pub async fn send(
    env: &Env,
    client_id: &str,
    livemode: bool,
    msg: &SmsMessage,
    message_id: String,
) -> Result<SentSms, SmsError> {
    let lookup = |name: &str| setting(env, name);
    match sms::provider_for(livemode, lookup("SMS_PROVIDER").as_deref())? {
        sms::SmsProviderKind::Sandbox => {
            Sandbox {
                env,
                client_id,
                livemode,
                message_id,
            }
            .send(msg)
            .await
        }
        sms::SmsProviderKind::Termii => {
            Termii(termii::TermiiConfig::from_settings(lookup)?)
                .send(msg)
                .await
        }
        sms::SmsProviderKind::Twilio => {
            Twilio(twilio::TwilioConfig::from_settings(lookup)?)
                .send(msg)
                .await
        }
    }
}
