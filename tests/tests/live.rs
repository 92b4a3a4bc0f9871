//! The live WebSocket channel of a consent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use futures_util::StreamExt;
use mid_tests::shared;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn live_channel_sends_status_then_approval_then_closes() {
    let api = shared();
    let p = api.partner().await;
    let c = api
        .consent(
            &p,
            json!({"recipient": "+2348031234567", "intent": "login"}),
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let ws_url = format!(
        "{}/consents/{id}/live?clientSecret={}",
        api.base.replace("http://", "ws://"),
        c["clientSecret"].as_str().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url.as_str())
        .await
        .unwrap();
    let next = |m: Option<Result<Message, _>>| -> Value {
        match m {
            Some(Ok(Message::Text(t))) => serde_json::from_str(&t).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    };
    let first = next(
        tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap(),
    );
    assert_eq!(first["type"], "status");
    assert_eq!(first["consent"]["status"], "pending");
    assert_eq!(first["consent"]["id"], id);

    api.test(&p, "POST", &format!("/sandbox/consents/{id}/approve"), None)
        .await;
    let update = next(
        tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap(),
    );
    assert_eq!(update["consent"]["status"], "approved");
    let closed = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap();
    assert!(
        matches!(closed, Some(Ok(Message::Close(_))) | None),
        "{closed:?}"
    );
}

#[tokio::test]
async fn live_channel_needs_the_right_secret() {
    let api = shared();
    let p = api.partner().await;
    let c = api
        .consent(
            &p,
            json!({"recipient": "+2348031234567", "intent": "login"}),
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let base = api.base.replace("http://", "ws://");
    let wrong = format!("{base}/consents/{id}/live?clientSecret=cs_wrong");
    assert!(tokio_tungstenite::connect_async(wrong.as_str())
        .await
        .is_err());
    let r = api
        .send(
            "GET",
            &format!("/consents/{id}/live?clientSecret=x"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(
        r.error(),
        (400, "invalid_request".into()),
        "plain GET is not a WebSocket"
    );
}
