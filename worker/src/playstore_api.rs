//! The outbound calls Google Play needs: Google's JWKS (to verify the
//! Pub/Sub push token), the OAuth JWT-bearer grant, and the Play Developer
//! API's subscriptionsv2 lookup. Fetching is a trait, as webhook sending is;
//! JWKS and access token are cached in the isolate (a cold isolate fetches
//! again, which is only slower).

use std::cell::RefCell;

use futures_util::future::{select, Either};
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

use crate::domain::billing::jwt::{self, Jwk};
use crate::domain::billing::playstore::{self, AccessToken, ServiceAccount};
use crate::error::{ApiError, ApiResult};

/// Per call.
const TIMEOUT_MS: u64 = 10_000;
/// Largest answer read (a JWKS or a subscription is a few KiB).
const ANSWER_MAX: usize = 256 * 1024;
/// How long Google's keys are trusted before fetching them again (Google
/// rotates them over days and publishes new ones ahead of use; an unknown
/// `kid` refetches at once anyway).
const JWKS_TTL_MS: i64 = 3_600_000;

/// An answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// One outbound HTTP call; `Err` when there was no answer.
pub trait Outbound {
    async fn get(&self, url: &str, bearer: Option<&str>) -> Result<Answer, String>;
    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<Answer, String>;
}

/// The Workers `fetch`, redirects not followed, 10 s timeout.
pub struct FetchOutbound;

impl Outbound for FetchOutbound {
    async fn get(&self, url: &str, bearer: Option<&str>) -> Result<Answer, String> {
        let headers = Headers::new();
        headers
            .set("Accept", "application/json")
            .map_err(|e| e.to_string())?;
        if let Some(t) = bearer {
            headers
                .set("Authorization", &format!("Bearer {t}"))
                .map_err(|e| e.to_string())?;
        }
        send(url, Method::Get, headers, None).await
    }

    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<Answer, String> {
        let headers = Headers::new();
        headers
            .set("Content-Type", "application/x-www-form-urlencoded")
            .map_err(|e| e.to_string())?;
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        send(url, Method::Post, headers, Some(body)).await
    }
}

async fn send(
    url: &str,
    method: Method,
    headers: Headers,
    body: Option<String>,
) -> Result<Answer, String> {
    let mut init = RequestInit::new();
    init.with_method(method)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if let Some(b) = body {
        init.with_body(Some(b.into()));
    }
    let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let attempt = Box::pin(async {
        let mut resp = fetch.send_with_signal(&signal).await?;
        let status = resp.status_code();
        let body = resp.bytes().await?;
        Ok::<_, worker::Error>(Answer { status, body })
    });
    let timeout = Delay::from(std::time::Duration::from_millis(TIMEOUT_MS));
    let outcome = match select(attempt, timeout).await {
        Either::Left((Ok(a), _)) if a.body.len() <= ANSWER_MAX => Ok(a),
        Either::Left((Ok(_), _)) => Err(format!("{url}: answer too large")),
        Either::Left((Err(e), _)) => Err(format!("{url}: {e}")),
        Either::Right(_) => {
            controller.abort();
            Err(format!("{url}: timed out"))
        }
    };
    outcome
}

struct CachedKeys {
    url: String,
    fetched_at: i64,
    keys: Vec<Jwk>,
}

struct CachedToken {
    /// Service account and token URL it was granted for.
    for_whom: (String, String),
    token: AccessToken,
}

thread_local! {
    static KEYS: RefCell<Option<CachedKeys>> = const { RefCell::new(None) };
    static TOKEN: RefCell<Option<CachedToken>> = const { RefCell::new(None) };
}

/// Google's keys from `url`: the cached ones unless stale or `refresh`.
pub async fn google_keys(
    out: &impl Outbound,
    url: &str,
    now: i64,
    refresh: bool,
) -> ApiResult<Vec<Jwk>> {
    if !refresh {
        let cached = KEYS.with_borrow(|c| {
            c.as_ref()
                .filter(|c| c.url == url && now - c.fetched_at < JWKS_TTL_MS)
                .map(|c| c.keys.clone())
        });
        if let Some(keys) = cached {
            return Ok(keys);
        }
    }
    let answer = out.get(url, None).await.map_err(ApiError::Internal)?;
    if answer.status != 200 {
        return Err(ApiError::Internal(format!(
            "JWKS {url}: status {}",
            answer.status
        )));
    }
    let keys = jwt::parse_jwks(&answer.body);
    KEYS.with_borrow_mut(|c| {
        *c = Some(CachedKeys {
            url: url.to_owned(),
            fetched_at: now,
            keys: keys.clone(),
        })
    });
    Ok(keys)
}

/// An access token for the Play Developer API: cached until shortly before
/// it expires, else granted for a fresh assertion.
pub async fn access_token(
    out: &impl Outbound,
    sa: &ServiceAccount,
    token_url: &str,
    now: i64,
) -> ApiResult<String> {
    let for_whom = (sa.client_email.clone(), token_url.to_owned());
    let cached = TOKEN.with_borrow(|c| {
        c.as_ref()
            .filter(|c| c.for_whom == for_whom && now < c.token.use_until_ms)
            .map(|c| c.token.token.clone())
    });
    if let Some(t) = cached {
        return Ok(t);
    }
    let unusable = || ApiError::Internal("PLAYSTORE_SERVICE_ACCOUNT private_key unusable".into());
    let key = jwt::private_key_from_pem(&sa.private_key).map_err(|_| unusable())?;
    let input = jwt::rs256_signing_input(&playstore::assertion_claims(
        sa,
        token_url,
        now.div_euclid(1000),
    ));
    let signature = crate::subtle::sign_rs256(&key, input.as_bytes())
        .await
        .map_err(|e| match e {
            jwt::KeyError::BadKey => unusable(),
            jwt::KeyError::Sign => ApiError::Internal("assertion signing failed".into()),
        })?;
    let assertion = jwt::compact(&input, &signature);
    let answer = out
        .post_form(
            token_url,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", &assertion),
            ],
        )
        .await
        .map_err(ApiError::Internal)?;
    let token = (answer.status == 200)
        .then(|| playstore::parse_token_response(&answer.body, now))
        .flatten()
        .ok_or_else(|| {
            ApiError::Internal(format!("token grant {token_url}: status {}", answer.status))
        })?;
    let value = token.token.clone();
    TOKEN.with_borrow_mut(|c| *c = Some(CachedToken { for_whom, token }));
    Ok(value)
}
