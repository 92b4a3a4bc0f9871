//! Transport rules: JSON errors everywhere, auth, body limits, content types.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mid_tests::shared;
use serde_json::json;

#[tokio::test]
async fn health_needs_no_auth() {
    let r = shared().send("GET", "/health", None, None, &[]).await;
    assert_eq!((r.status, r.json()), (200, json!({"status": "ok"})));
    assert_eq!(r.bytes, br#"{"status":"ok"}"#, "compact JSON");
}

#[tokio::test]
async fn openapi_document_is_served_as_json_at_its_path() {
    let r = shared().send("GET", "/openapi.json", None, None, &[]).await;
    assert_eq!(r.status, 200);
    let ct = r.header("Content-Type").unwrap_or_default();
    assert_eq!(ct.split(';').next(), Some("application/json"), "{ct}");
    let file: serde_json::Value =
        serde_json::from_str(include_str!("../../www/openapi.json")).unwrap();
    assert_eq!(r.json(), file, "the served document is the repo's");
    assert_eq!(file["openapi"], "3.1.0");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json_errors() {
    let api = shared();
    assert_eq!(
        api.send("GET", "/nope", None, None, &[]).await.error(),
        (404, "not_found".into())
    );
    assert_eq!(
        api.send("DELETE", "/health", None, None, &[]).await.error(),
        (405, "method_not_allowed".into())
    );
    assert_eq!(
        api.send("GET", "/consents/auth/extra/segments/here", None, None, &[])
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn partner_auth_failures_are_uniform_401s() {
    let api = shared();
    let p = api.partner().await;
    let q = api.partner().await;
    let bad = [
        api.send("GET", "/webhooks/deliveries", None, None, &[])
            .await,
        api.send(
            "GET",
            "/webhooks/deliveries",
            Some((&p.test_key, None)),
            None,
            &[],
        )
        .await,
        api.send(
            "GET",
            "/webhooks/deliveries",
            Some((&p.test_key, Some(&q.id))),
            None,
            &[],
        )
        .await,
        api.send(
            "GET",
            "/webhooks/deliveries",
            Some(("mid_sk_test_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Some(&p.id))),
            None,
            &[],
        )
        .await,
        api.send(
            "GET",
            "/webhooks/deliveries",
            Some(("garbage", Some(&p.id))),
            None,
            &[],
        )
        .await,
        api.send(
            "GET",
            "/webhooks/deliveries",
            Some((&api.admin, Some(&p.id))),
            None,
            &[],
        )
        .await,
    ];
    for r in &bad {
        assert_eq!(r.error(), (401, "unauthorized".into()));
        assert_eq!(r.bytes, bad[0].bytes);
    }
    assert_eq!(
        api.test(&p, "GET", "/webhooks/deliveries", None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn bodies_are_bounded_json_objects() {
    let api = shared();
    let p = api.partner().await;
    let auth = Some((p.test_key.as_str(), Some(p.id.as_str())));
    let huge = json!({"recipient": "+2348031234567", "intent": "login", "metadata": {"x": "y".repeat(70_000)}});
    let r = api
        .send("POST", "/consents/auth", auth, Some(&huge), &[])
        .await;
    assert_eq!(r.error(), (413, "payload_too_large".into()));
    let r = api
        .http
        .post(format!("{}/consents/auth", api.base))
        .header("Authorization", format!("Bearer {}", p.test_key))
        .header("X-Client-ID", &p.id)
        .header("Content-Type", "text/plain")
        .body(r#"{"recipient":"+2348031234567","intent":"login"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "unsupported_media_type"
    );
    let r = api
        .http
        .post(format!("{}/consents/auth", api.base))
        .header("Authorization", format!("Bearer {}", p.test_key))
        .header("X-Client-ID", &p.id)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = api
        .send("POST", "/consents/auth", auth, Some(&json!([1, 2])), &[])
        .await;
    assert_eq!(r.error(), (400, "invalid_request".into()));
}

#[tokio::test]
async fn partner_responses_carry_rate_limit_headers() {
    let api = shared();
    let p = api.partner().await;
    let r = api.test(&p, "GET", "/webhooks/deliveries", None).await;
    assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("60"));
    let first: u32 = r.header("x-ratelimit-remaining").unwrap().parse().unwrap();
    let r = api.test(&p, "GET", "/webhooks/deliveries", None).await;
    assert_eq!(
        r.header("x-ratelimit-remaining")
            .unwrap()
            .parse::<u32>()
            .unwrap(),
        first - 1
    );
    assert!(
        r.header("x-ratelimit-reset")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1_700_000_000
    );
}

#[tokio::test]
async fn free_plan_is_limited_to_60_requests_a_minute() {
    let api = shared();
    let p = api.partner().await;
    let mut limited = None;
    for i in 0..130 {
        let r = api.test(&p, "GET", "/webhooks/deliveries", None).await;
        if r.status == 429 {
            limited = Some((i, r));
            break;
        }
    }
    let (i, r) = limited.expect("no 429 within 130 requests");
    // A minute window can roll over mid-loop, which allows up to 60 more.
    assert!(i >= 60, "limited after only {i} requests");
    assert_eq!(r.error().1, "rate_limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
}

#[tokio::test]
async fn a_chunked_body_without_length_is_cut_off_at_64_kib() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let api = shared();
    let p = api.partner().await;
    let addr = api.base.trim_start_matches("http://").to_owned();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /consents/auth HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nX-Client-ID: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        p.test_key, p.id
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    // 80 chunks of 1 KiB: no Content-Length announces the size.
    let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
    for _ in 0..80 {
        if sock.write_all(chunk.as_bytes()).await.is_err() {
            break; // the server may answer and close before we finish
        }
    }
    let _ = sock.write_all(b"0\r\n\r\n").await;
    let mut reply = Vec::new();
    let _ = sock.read_to_end(&mut reply).await;
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains(r#""code":"payload_too_large""#), "{text}");
}
