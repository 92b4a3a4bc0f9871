//! Sending one webhook attempt: a trait, as the SMS providers have, so the
//! outbox only decides what to send and `domain::delivery` decides what an
//! answer means.

use futures_util::future::{select, Either};
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

use crate::domain::delivery::{Outcome, WebhookRequest};
use crate::domain::webhook::ATTEMPT_TIMEOUT_MS;

/// Makes one attempt and says how it ended; never fails otherwise.
pub trait WebhookSender {
    async fn send(&self, req: &WebhookRequest) -> Outcome;
}

/// The Workers `fetch`: POST, redirects returned rather than followed (so a
/// 3xx is an answer and the body never reaches the `Location`), 10 s timeout.
pub struct FetchSender;

impl WebhookSender for FetchSender {
    async fn send(&self, req: &WebhookRequest) -> Outcome {
        let Ok(request) = build(req) else {
            return Outcome::Unreachable;
        };
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(request);
        let attempt = Box::pin(fetch.send_with_signal(&signal));
        let timeout = Delay::from(std::time::Duration::from_millis(
            u64::try_from(ATTEMPT_TIMEOUT_MS).unwrap_or(10_000),
        ));
        // Bound to a local so the select's temporaries drop before `signal`.
        let outcome = match select(attempt, timeout).await {
            Either::Left((Ok(resp), _)) => Outcome::Answered {
                status: resp.status_code(),
                retry_after: resp.headers().get("retry-after").ok().flatten(),
            },
            Either::Left((Err(_), _)) => Outcome::Unreachable,
            Either::Right(_) => {
                controller.abort();
                Outcome::TimedOut
            }
        };
        outcome
    }
}

fn build(req: &WebhookRequest) -> worker::Result<Request> {
    let headers = Headers::new();
    for (name, value) in &req.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(req.body.clone().into()));
    Request::new_with_init(&req.url, &init)
}
