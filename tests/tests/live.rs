//! The live WebSocket channel of a consent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mid_tests::{shared, Api, Partner, Worker};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens the page's live channel of consent `c`.
async fn connect(api: &Api, c: &Value) -> Ws {
    let url = format!(
        "{}/consents/{}/live?clientSecret={}",
        api.base.replace("http://", "ws://"),
        c["id"].as_str().unwrap(),
        c["clientSecret"].as_str().unwrap()
    );
    tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap()
        .0
}

/// What the API says about the consent now, for timeout messages.
async fn current_status(api: &Api, p: &Partner, id: &str) -> String {
    let r = api.test(p, "GET", &format!("/consents/{id}"), None).await;
    format!(
        "GET /consents/{id} -> {} {}",
        r.status,
        String::from_utf8_lossy(&r.bytes)
    )
}

/// The next frame as JSON; on a timeout the panic says what the consent's status is.
async fn next_json(ws: &mut Ws, api: &Api, p: &Partner, id: &str, what: &str) -> Value {
    match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str(&t).unwrap(),
        Ok(other) => panic!("{what}: expected a text frame, got {other:?}"),
        Err(_) => panic!(
            "{what}: nothing within 10 s; {}",
            current_status(api, p, id).await
        ),
    }
}

/// The channel ends (a close frame, or the stream ends) within 10 s.
async fn expect_close(ws: &mut Ws, what: &str) {
    let closed = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap_or_else(|_| panic!("{what}: no close within 10 s"));
    assert!(
        matches!(closed, Some(Ok(Message::Close(_))) | None),
        "{what}: {closed:?}"
    );
}

/// `POST /sandbox/consents/:id/<action>`, asserted to succeed.
async fn sandbox(api: &Api, p: &Partner, id: &str, action: &str) -> Value {
    let r = api
        .test(p, "POST", &format!("/sandbox/consents/{id}/{action}"), None)
        .await;
    assert_eq!(
        r.status,
        200,
        "sandbox {action}: {}",
        String::from_utf8_lossy(&r.bytes)
    );
    r.json()
}

async fn new_consent(api: &Api, p: &Partner) -> (Value, String) {
    let c = api
        .consent(
            p,
            json!({"recipient": mid_tests::mobile(), "intent": "login"}),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    (c, id)
}

#[tokio::test]
async fn live_channel_sends_status_then_approval_then_closes() {
    let api = shared();
    let p = api.partner().await;
    let (c, id) = new_consent(&api, &p).await;
    let mut ws = connect(&api, &c).await;
    let first = next_json(&mut ws, &api, &p, &id, "first status").await;
    assert_eq!(first["type"], "status");
    assert_eq!(first["consent"]["status"], "pending");
    assert_eq!(first["consent"]["id"], id.as_str());

    let approved = sandbox(&api, &p, &id, "approve").await;
    assert_eq!(approved["status"], "approved");
    let update = next_json(&mut ws, &api, &p, &id, "approval update").await;
    assert_eq!(update["type"], "status");
    assert_eq!(update["consent"]["status"], "approved");
    expect_close(&mut ws, "after approval").await;
}

#[tokio::test]
async fn live_channel_reaches_every_socket_of_a_consent() {
    let api = shared();
    let p = api.partner().await;
    let (c, id) = new_consent(&api, &p).await;
    let mut sockets = Vec::new();
    for i in 0..3 {
        let mut ws = connect(&api, &c).await;
        let first = next_json(&mut ws, &api, &p, &id, &format!("socket {i} status")).await;
        assert_eq!(first["consent"]["status"], "pending");
        sockets.push(ws);
    }
    sandbox(&api, &p, &id, "approve").await;
    for (i, ws) in sockets.iter_mut().enumerate() {
        let update = next_json(ws, &api, &p, &id, &format!("socket {i} update")).await;
        assert_eq!(update["consent"]["status"], "approved", "socket {i}");
        expect_close(ws, &format!("socket {i}")).await;
    }
}

#[tokio::test]
async fn live_channel_opened_after_the_decision_gets_it_then_closes() {
    let api = shared();
    let p = api.partner().await;
    let (c, id) = new_consent(&api, &p).await;
    sandbox(&api, &p, &id, "approve").await;
    let mut ws = connect(&api, &c).await;
    let first = next_json(&mut ws, &api, &p, &id, "late status").await;
    assert_eq!(first["type"], "status");
    assert_eq!(first["consent"]["status"], "approved");
    expect_close(&mut ws, "late socket").await;
}

/// A page that sends a broken frame ends its own socket, and nothing else: no
/// panic (which would reset the worker's Wasm instance and fail every request
/// in flight), and the other pages' channels keep working.
#[tokio::test]
async fn security_a_broken_frame_on_the_live_channel_panics_nothing() {
    // An own worker, so its log holds only this test's requests.
    let worker = Worker::start("live-frame", &[]).await;
    let api = worker.api();
    let p = api.partner().await;
    let (c, id) = new_consent(&api, &p).await;
    let mut bad = connect(&api, &c).await;
    next_json(&mut bad, &api, &p, &id, "first status").await;
    let frame = Frame::message(vec![1u8, 2, 3], OpCode::Data(Data::Reserved(3)), true);
    bad.send(Message::Frame(frame)).await.unwrap();
    expect_close(&mut bad, "after a broken frame").await;

    let (c2, id2) = new_consent(&api, &p).await;
    let mut good = connect(&api, &c2).await;
    next_json(&mut good, &api, &p, &id2, "other status").await;
    sandbox(&api, &p, &id2, "approve").await;
    let update = next_json(&mut good, &api, &p, &id2, "other approval").await;
    assert_eq!(update["consent"]["status"], "approved");

    // wrangler writes its log asynchronously: wait for the approval's line, then a little more.
    let path = worker.persist.with_extension("log");
    let approved_line = format!("/sandbox/consents/{id2}/approve 200");
    mid_tests::eventually(20, "the approval in the worker log", || {
        let path = path.clone();
        let approved_line = approved_line.clone();
        async move {
            std::fs::read_to_string(&path)
                .ok()
                .filter(|l| l.contains(&approved_line))
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let log = std::fs::read_to_string(&path).unwrap();
    for sign in ["panicked", "Critical", "Reinitializing"] {
        assert!(!log.contains(sign), "worker log has {sign:?}:\n{log}");
    }
}

#[tokio::test]
async fn live_channel_needs_the_right_secret() {
    let api = shared();
    let p = api.partner().await;
    let (_, id) = new_consent(&api, &p).await;
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
