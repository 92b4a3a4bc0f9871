//! At-least-once delivery survives a restart of `wrangler dev` between an
//! event and its delivery (same persist dir).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mid_tests::{eventually, Receiver, Worker};
use serde_json::json;

#[tokio::test]
async fn a_pending_delivery_is_delivered_after_a_restart() {
    // Retries 4 s apart: room to kill the worker after the failed first attempt.
    let mut worker = Worker::start("restart", &[("WEBHOOK_RETRY_BASE_MS", "4000")]).await;
    let api = worker.api();
    let rx = Receiver::start(1).await;
    let p = api
        .new_partner(json!({"name": "Restart Shop", "webhookUrl": rx.url}))
        .await;
    api.consent(
        &p,
        json!({"recipient": "+2348031234567", "intent": "login"}),
    )
    .await;
    eventually(30, "first (failed) attempt", || async {
        (!rx.of("consent.created").is_empty()).then_some(())
    })
    .await;
    worker.stop();
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(
        rx.of("consent.created").len(),
        1,
        "nothing is delivered while the worker is down"
    );
    worker.restart().await;
    // Local workerd re-arms an object's alarm when the object is next used
    // (production alarms are durable on their own); the partner's first
    // request after the restart does that for its outbox.
    assert_eq!(
        api.test(&p, "GET", "/webhooks/deliveries", None)
            .await
            .status,
        200
    );
    let attempts = eventually(60, "delivery after restart", || async {
        Some(rx.of("consent.created")).filter(|a| a.len() >= 2)
    })
    .await;
    assert_eq!(attempts[1].answered, 200);
    assert_eq!(attempts[1].body, attempts[0].body);
}
