//! Incoming billing webhooks against the real worker (DESIGN §4): a forged
//! event changes nothing, a real one is applied once and never rolled back by
//! an older one; the operator reads what each did at `GET /billing/events`.
//!
//! Stripe signatures are made by the official `stripe` npm package
//! (`generateTestHeaderString`), an implementation independent of MID's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use mid_tests::{repo_root, Api, Partner, Worker};
use serde_json::{json, Value};

const STRIPE_SECRET: &str = "whsec_billing_integration_test_secret";

fn now_s() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// `Stripe-Signature` for `payload`, from stripe-node itself.
fn stripe_header(payload: &str, secret: &str, timestamp: i64) -> String {
    let out = Command::new("node")
        .current_dir(repo_root())
        .env("PAYLOAD", payload)
        .env("SECRET", secret)
        .env("TS", timestamp.to_string())
        .args([
            "-e",
            "const Stripe = require('stripe'); \
             const s = new Stripe('sk_test_unused'); \
             process.stdout.write(s.webhooks.generateTestHeaderString({ \
               payload: process.env.PAYLOAD, secret: process.env.SECRET, \
               timestamp: Number(process.env.TS) }));",
        ])
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "stripe-node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn post_stripe(api: &Api, payload: &str, signature: Option<&str>) -> (u16, Value) {
    let mut req = api
        .http
        .post(format!("{}/webhooks/stripe", api.base))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(payload.to_owned());
    if let Some(s) = signature {
        req = req.header("Stripe-Signature", s);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("Content-Type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.bytes().await.unwrap();
    // Sent outside `Api::send` (raw body, own headers), so checked here.
    mid_tests::openapi::check_response(
        "POST",
        "/webhooks/stripe",
        status,
        content_type.as_deref(),
        &bytes,
    );
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Signs and sends a Stripe event now.
async fn send_stripe(api: &Api, event: &Value) -> (u16, Value) {
    let payload = event.to_string();
    let sig = stripe_header(&payload, STRIPE_SECRET, now_s());
    post_stripe(api, &payload, Some(&sig)).await
}

fn stripe_event(id: &str, ty: &str, created: i64, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": ty, "created": created,
        "livemode": false, "data": {"object": object}})
}

async fn plan_of(api: &Api, p: &Partner) -> String {
    let r = api.admin("GET", &format!("/clients/{}", p.id), None).await;
    assert_eq!(r.status, 200);
    r.json()["plan"].as_str().unwrap().to_owned()
}

async fn events_of(api: &Api, query: &str) -> Vec<Value> {
    let r = api
        .admin("GET", &format!("/billing/events?{query}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let v = r.json();
    assert_eq!(v["object"], "list");
    assert!(v["hasMore"].is_boolean());
    v["data"].as_array().unwrap().clone()
}

async fn stripe_worker(name: &str) -> Worker {
    Worker::start(name, &[("STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)]).await
}

#[tokio::test]
async fn stripe_checkout_sets_the_plan_once_and_the_rate_limit_follows() {
    let w = stripe_worker("billing-stripe-happy").await;
    let api = w.api();
    let p = api.partner().await;
    let r = api
        .test(&p, "GET", &format!("/clients/{}", p.id), None)
        .await;
    assert_eq!(r.header("X-RateLimit-Limit").as_deref(), Some("60"));

    let event = stripe_event(
        "evt_checkout_1",
        "checkout.session.completed",
        now_s(),
        json!({"object": "checkout.session", "metadata": {"clientId": p.id, "plan": "enterprise"}}),
    );
    let (status, body) = send_stripe(&api, &event).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(false)));
    assert_eq!(plan_of(&api, &p).await, "enterprise");
    // The plan's limit applies from the very next request.
    let r = api
        .test(&p, "GET", &format!("/clients/{}", p.id), None)
        .await;
    assert_eq!(r.header("X-RateLimit-Limit").as_deref(), Some("6000"));

    // Stripe redelivers: 2xx, applied once, recorded once.
    let (status, body) = send_stripe(&api, &event).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(true)));
    let events = events_of(&api, &format!("clientId={}", p.id)).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["id"], "evt_checkout_1");
    assert_eq!(events[0]["source"], "stripe");
    assert_eq!(events[0]["outcome"], "applied");
    assert_eq!(events[0]["change"], "plan=enterprise status=active");

    // Cancelling returns the partner to free.
    let deleted = stripe_event(
        "evt_deleted_1",
        "customer.subscription.deleted",
        now_s() + 1,
        json!({"object": "subscription", "status": "canceled", "metadata": {"clientId": p.id}}),
    );
    assert_eq!(send_stripe(&api, &deleted).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "free");
    let events = events_of(&api, &format!("clientId={}", p.id)).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["id"], "evt_deleted_1", "newest first");
}

#[tokio::test]
async fn security_stripe_forgeries_change_nothing() {
    let w = stripe_worker("billing-stripe-forged").await;
    let api = w.api();
    let p = api.partner().await;
    let event = stripe_event(
        "evt_forged_1",
        "checkout.session.completed",
        now_s(),
        json!({"metadata": {"clientId": p.id, "plan": "enterprise"}}),
    );
    let payload = event.to_string();
    let good = stripe_header(&payload, STRIPE_SECRET, now_s());
    let tampered = payload.replace("enterprise", "pro");
    let cases: Vec<(&str, String, Option<String>)> = vec![
        ("tampered body", tampered.clone(), Some(good.clone())),
        (
            "wrong secret",
            payload.clone(),
            Some(stripe_header(&payload, "whsec_not_the_secret", now_s())),
        ),
        (
            "timestamp too old",
            payload.clone(),
            Some(stripe_header(&payload, STRIPE_SECRET, now_s() - 400)),
        ),
        (
            "timestamp in the future",
            payload.clone(),
            Some(stripe_header(&payload, STRIPE_SECRET, now_s() + 400)),
        ),
        ("no header", payload.clone(), None),
        ("v0 only", payload.clone(), Some(good.replace("v1=", "v0="))),
    ];
    for (what, body, sig) in cases {
        let (status, resp) = post_stripe(&api, &body, sig.as_deref()).await;
        assert_eq!(status, 400, "{what}: {resp}");
        assert_eq!(resp["error"]["code"], "invalid_signature", "{what}");
    }
    assert_eq!(plan_of(&api, &p).await, "free");
    assert!(events_of(&api, &format!("clientId={}", p.id))
        .await
        .is_empty());
    // The genuine one still goes through afterwards (nothing was burnt by the forgeries).
    assert_eq!(post_stripe(&api, &payload, Some(&good)).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "enterprise");
}

#[tokio::test]
async fn stripe_out_of_order_unknown_and_ignored_events() {
    let w = stripe_worker("billing-stripe-order").await;
    let api = w.api();
    let p = api.partner().await;
    let t = now_s();
    let active = |id: &str, created: i64| {
        stripe_event(
            id,
            "customer.subscription.updated",
            created,
            json!({"status": "active", "metadata": {"clientId": p.id, "plan": "pro"}}),
        )
    };
    assert_eq!(send_stripe(&api, &active("evt_a", t - 20)).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "pro");
    let deleted = stripe_event(
        "evt_b",
        "customer.subscription.deleted",
        t - 10,
        json!({"status": "canceled", "metadata": {"clientId": p.id}}),
    );
    assert_eq!(send_stripe(&api, &deleted).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "free");
    // An update made before the cancellation arrives late: no roll-back.
    assert_eq!(send_stripe(&api, &active("evt_c", t - 15)).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "free");
    let events = events_of(&api, &format!("clientId={}", p.id)).await;
    let outcome = |id: &str| {
        events
            .iter()
            .find(|e| e["id"] == id)
            .map(|e| e["outcome"].as_str().unwrap().to_owned())
    };
    assert_eq!(outcome("evt_c").as_deref(), Some("stale"));
    assert_eq!(outcome("evt_b").as_deref(), Some("applied"));

    // A failed payment marks the status, keeps the plan.
    let failed = stripe_event(
        "evt_d",
        "invoice.payment_failed",
        t,
        json!({"object": "invoice", "parent": {"subscription_details": {"metadata": {"clientId": p.id}}}}),
    );
    assert_eq!(send_stripe(&api, &failed).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "free");
    assert_eq!(
        events_of(&api, &format!("clientId={}", p.id)).await[0]["change"],
        "status=past_due"
    );

    // A client MID does not have: 200, recorded, nothing created.
    let ghost = "mid_client_0000000000000000";
    let (status, _) = send_stripe(
        &api,
        &stripe_event(
            "evt_ghost",
            "checkout.session.completed",
            t,
            json!({"metadata": {"clientId": ghost, "plan": "enterprise"}}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let ghost_events = events_of(&api, &format!("clientId={ghost}")).await;
    assert_eq!(ghost_events.len(), 1);
    assert_eq!(ghost_events[0]["outcome"], "unknown_subject");
    assert_eq!(
        api.admin("GET", &format!("/clients/{ghost}"), None)
            .await
            .status,
        404
    );

    // An event type MID does not act on: 200, recorded as ignored.
    let (status, _) = send_stripe(
        &api,
        &stripe_event(
            "evt_other",
            "charge.succeeded",
            t,
            json!({"metadata": {"clientId": p.id}}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let events = events_of(&api, &format!("clientId={}", p.id)).await;
    assert_eq!(events[0]["id"], "evt_other");
    assert_eq!(events[0]["outcome"], "ignored");
    assert_eq!(plan_of(&api, &p).await, "free");

    // Only the operator reads the ledger.
    let r = api
        .test(
            &p,
            "GET",
            &format!("/billing/events?clientId={}", p.id),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    let r = api
        .send("GET", "/billing/events?clientId=x", None, None, &[])
        .await;
    assert_eq!(r.status, 401);
}
