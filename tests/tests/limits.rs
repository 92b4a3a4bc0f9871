//! The fixed limits of DESIGN §4 "Rate limits" that are not the client's
//! plan: the phone side of one consent, live pages per consent, passkeys per
//! user, ceremonies per registration token, and which bucket a 429 describes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mid_tests::passkey::{SoftAuthenticator, ORIGIN};
use mid_tests::{shared, token_of, Api, Partner, Resp};
use serde_json::{json, Value};

/// A call from the person's phone: no API key.
async fn phone(api: &Api, path: &str, body: Value) -> Resp {
    api.send("POST", path, None, Some(&body), &[]).await
}

async fn new_consent(api: &Api, p: &Partner) -> (String, String) {
    let c = api
        .consent(
            p,
            json!({"recipient": mid_tests::mobile(), "intent": "login"}),
        )
        .await;
    (c["id"].as_str().unwrap().to_owned(), token_of(&c))
}

fn assert_phone_429(r: &Resp, what: &str) {
    assert_eq!(r.error(), (429, "rate_limited".into()), "{what}");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{what}: Retry-After {retry}");
    assert_eq!(
        r.header("x-ratelimit-limit").as_deref(),
        Some("30"),
        "{what}: the headers describe the consent's phone bucket"
    );
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("0"));
}

#[tokio::test]
async fn security_phone_side_calls_share_thirty_a_minute_per_consent() {
    let api = shared();
    let p = api.partner().await;
    let (id, token) = new_consent(&api, &p).await;
    let scan = format!("/consents/{id}/scan");
    let started = Instant::now();
    let mut statuses = Vec::new();
    // Scans and begins draw on one budget.
    for _ in 0..10 {
        let r = phone(&api, &scan, json!({ "token": token })).await;
        statuses.push(r.status);
    }
    let mut first_refusal = None;
    let mut ceremony = None;
    for _ in 0..70 {
        let r = phone(
            &api,
            "/fido/authenticate/begin",
            json!({"consentId": id, "token": token}),
        )
        .await;
        if r.status == 429 && first_refusal.is_none() {
            first_refusal = Some(r.clone());
        }
        if r.status == 200 {
            ceremony = Some(r.json()["ceremonyId"].clone());
        }
        statuses.push(r.status);
    }
    assert_eq!(&statuses[..30], &[200; 30][..], "{statuses:?}");
    assert_phone_429(
        first_refusal.as_ref().expect("80 begins must meet a 429"),
        "begin",
    );
    if started.elapsed() < Duration::from_secs(55) {
        // The limit holds over any 60 s (a sliding log), not per fixed window.
        assert_eq!(&statuses[30..], &[429; 50][..], "{statuses:?}");
        // Reject is refused before it does anything: the consent is still open.
        let r = phone(
            &api,
            &format!("/consents/{id}/reject"),
            json!({ "token": token }),
        )
        .await;
        assert_phone_429(&r, "reject");
        let r = phone(&api, &scan, json!({ "token": token })).await;
        assert_phone_429(&r, "scan");
        let complete = phone(
            &api,
            "/fido/authenticate/complete",
            json!({"ceremonyId": ceremony.unwrap(), "consentId": id,
                "token": token, "response": {}}),
        )
        .await;
        assert_phone_429(&complete, "complete");
        let view = api
            .test(&p, "GET", &format!("/consents/{id}"), None)
            .await
            .json();
        assert_eq!(view["status"], "scanned", "{view}");
    }
    // The limit is per consent: another consent of the same partner is unaffected.
    let (other, other_token) = new_consent(&api, &p).await;
    let r = phone(
        &api,
        &format!("/consents/{other}/scan"),
        json!({ "token": other_token }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
}

#[tokio::test]
async fn security_wrong_tokens_count_toward_the_phone_limit_but_answer_404() {
    let api = shared();
    let p = api.partner().await;
    let (id, token) = new_consent(&api, &p).await;
    let scan = format!("/consents/{id}/scan");
    for i in 0..40 {
        let r = phone(&api, &scan, json!({"token": format!("wrong-{i}")})).await;
        assert_eq!(
            r.error(),
            (404, "not_found".into()),
            "a wrong token never learns the consent exists (attempt {i})"
        );
    }
    let r = phone(
        &api,
        "/fido/authenticate/begin",
        json!({"consentId": id, "token": "wrong"}),
    )
    .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    // The wrong tokens used up the budget (unless a minute passed meanwhile).
    let started = Instant::now();
    let r = phone(&api, &scan, json!({ "token": token })).await;
    if started.elapsed() < Duration::from_secs(50) {
        assert_phone_429(&r, "right token after 30 wrong ones");
    }
    // A consent that does not exist answers like a wrong token.
    let r = phone(
        &api,
        "/consents/cons_0000000000000000/scan",
        json!({ "token": token }),
    )
    .await;
    assert_eq!(r.error(), (404, "not_found".into()));
}

#[tokio::test]
async fn security_an_eleventh_live_socket_on_one_consent_is_refused() {
    let api = shared();
    let p = api.partner().await;
    let c = api
        .consent(
            &p,
            json!({"recipient": mid_tests::mobile(), "intent": "login"}),
        )
        .await;
    let url = format!(
        "{}/consents/{}/live?clientSecret={}",
        api.base.replace("http://", "ws://"),
        c["id"].as_str().unwrap(),
        c["clientSecret"].as_str().unwrap()
    );
    let mut open = Vec::new();
    for i in 0..10 {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap_or_else(|e| panic!("socket {i}: {e}"));
        let first = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap();
        assert!(matches!(first, Some(Ok(_))), "socket {i}: {first:?}");
        open.push(ws);
    }
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 429);
            assert!(resp.headers().get("retry-after").is_some());
        }
        other => panic!("the 11th socket must get 429, got {other:?}"),
    }
    // The refusal's JSON body, read whole by a plain HTTP client (the WebSocket
    // client may hand over the status before the body has arrived).
    let upgrade = reqwest::Client::new()
        .get(url.replace("ws://", "http://"))
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(upgrade.status().as_u16(), 429);
    let body: Value = upgrade.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // Capped, not counted: once a page leaves, another may join.
    let mut gone = open.pop().unwrap();
    gone.close(None).await.unwrap();
    drop(gone);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok((ws, _)) => {
                open.push(ws);
                break;
            }
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("a freed slot must be reusable: {e}"),
        }
    }
}

#[tokio::test]
async fn security_a_recipient_429_describes_the_recipient_bucket() {
    let api = shared();
    let p = api.partner().await;
    let body = json!({"recipient": mid_tests::mobile(), "intent": "login"});
    let mut refused = None;
    for _ in 0..11 {
        let r = api.test(&p, "POST", "/consents/auth", Some(&body)).await;
        if r.status == 201 {
            // Success still describes the client's bucket (60/min on free).
            assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("60"));
        } else {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("a sixth consent to one recipient within a minute is refused");
    assert_eq!(r.error(), (429, "rate_limited".into()));
    assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("5"));
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("0"));
    let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let reset: i64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - 2..=now + 61).contains(&reset),
        "reset {reset} is within the recipient's minute"
    );
}

#[tokio::test]
async fn security_an_otp_send_429_describes_the_mobile_bucket() {
    let api = shared();
    let p = api.partner().await;
    let mobile = mid_tests::mobile();
    let body = json!({ "mobile": mobile });
    let mut refused = None;
    for _ in 0..5 {
        let r = api.test(&p, "POST", "/enrollments", Some(&body)).await;
        if r.status == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    }
    let r = refused.expect("a fourth OTP send to one mobile in 10 minutes is refused");
    assert_eq!(r.error(), (429, "rate_limited".into()));
    assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("3"));
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("0"));
    assert!(r.header("retry-after").is_some());
}

async fn partner_register(
    api: &Api,
    p: &Partner,
    user: &str,
) -> (String, Value, SoftAuthenticator) {
    let r = api
        .test(
            p,
            "POST",
            "/fido/register/begin",
            Some(&json!({ "userId": user })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let v = r.json();
    (
        v["ceremonyId"].as_str().unwrap().to_owned(),
        v["options"].clone(),
        SoftAuthenticator::new(),
    )
}

async fn partner_complete(
    api: &Api,
    p: &Partner,
    ceremony: &str,
    options: &Value,
    device: &mut SoftAuthenticator,
) -> Resp {
    let response = device.register(options, ORIGIN).await;
    api.test(
        p,
        "POST",
        "/fido/register/complete",
        Some(&json!({"ceremonyId": ceremony, "response": response})),
    )
    .await
}

#[tokio::test]
async fn security_a_user_holds_at_most_twenty_passkeys() {
    let api = shared();
    let p = api.partner().await;
    // Enough requests per minute for 20 registrations.
    let r = api
        .admin(
            "PUT",
            &format!("/clients/{}", p.id),
            Some(&json!({"plan": "pro"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let r = api
        .test(
            &p,
            "POST",
            "/sandbox/users",
            Some(&json!({ "mobile": mid_tests::mobile() })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let user = r.json()["id"].as_str().unwrap().to_owned();
    for i in 0..19 {
        let (ceremony, options, mut device) = partner_register(&api, &p, &user).await;
        let r = partner_complete(&api, &p, &ceremony, &options, &mut device).await;
        assert_eq!(
            r.status,
            201,
            "passkey {i}: {}",
            String::from_utf8_lossy(&r.bytes)
        );
    }
    // Two ceremonies begun with room for one: the second complete is refused.
    let (c1, o1, mut d1) = partner_register(&api, &p, &user).await;
    let (c2, o2, mut d2) = partner_register(&api, &p, &user).await;
    let r = partner_complete(&api, &p, &c1, &o1, &mut d1).await;
    assert_eq!(
        r.status,
        201,
        "the 20th: {}",
        String::from_utf8_lossy(&r.bytes)
    );
    let r = partner_complete(&api, &p, &c2, &o2, &mut d2).await;
    assert_eq!(r.error(), (409, "conflict".into()), "the 21st");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("20 passkeys"),
        "{}",
        r.json()
    );
    // And a new registration does not even begin.
    let r = api
        .test(
            &p,
            "POST",
            "/fido/register/begin",
            Some(&json!({ "userId": user })),
        )
        .await;
    assert_eq!(r.error(), (409, "conflict".into()));
    let list = api
        .test(&p, "GET", &format!("/users/{user}/devices"), None)
        .await
        .json();
    assert_eq!(list["data"].as_array().unwrap().len(), 20, "{list}");
}

#[tokio::test]
async fn security_a_registration_token_begins_one_ceremony_however_often_it_is_sent() {
    let api = shared();
    let p = api.partner().await;
    let mobile = mid_tests::mobile();
    let enrollment = api.enroll(&p, &mobile).await;
    let (_, code) = api.sandbox_sms(&p, &mobile).await;
    let path = format!("/enrollments/{}/verify", enrollment["id"].as_str().unwrap());
    let v = api
        .test(&p, "POST", &path, Some(&json!({ "code": code })))
        .await
        .json();
    let token = v["registrationToken"].as_str().unwrap().to_owned();
    let mut begun = 0;
    for i in 0..12 {
        let r = phone(
            &api,
            "/fido/register/begin",
            json!({ "registrationToken": token }),
        )
        .await;
        match r.status {
            200 => begun += 1,
            _ => assert_eq!(r.error(), (409, "conflict".into()), "attempt {i}"),
        }
    }
    assert_eq!(begun, 1, "single use: far below the cap of 10 ceremonies");
}
