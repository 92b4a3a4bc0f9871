//! The consent lifecycle against the real worker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mid_tests::qr::{decode_png, decode_svg};
use mid_tests::{shared, token_of};
use serde_json::{json, Value};

fn login() -> Value {
    json!({"recipient": "0803 123 4567", "intent": "login", "message": "Log in to Test Shop", "metadata": {"order": 42}})
}

#[tokio::test]
async fn lifecycle_create_scan_approve_then_conflict() {
    let api = shared();
    let p = api.partner().await;
    let c = api.consent(&p, login()).await;
    let id = c["id"].as_str().unwrap();
    assert!(id.starts_with("cons_") && id.len() == 21);
    assert_eq!(c["status"], "pending");
    assert_eq!(
        c["recipient"], "+2348031234567",
        "Nigerian local form normalised"
    );
    assert_eq!(c["livemode"], false);
    assert_eq!(c["metadata"], json!({"order": 42}));
    assert!(c["clientSecret"].as_str().unwrap().starts_with("cs_"));
    assert_eq!(c["qr"]["svg"], format!("/consents/qr/svg/{id}"));
    let url = c["qr"]["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/a/{id}#t=", api.base)), "{url}");
    assert!(token_of(&c).len() >= 22, "token carries at least 128 bits");

    let token = token_of(&c);
    let scan = api
        .send(
            "POST",
            &format!("/consents/{id}/scan"),
            None,
            Some(&json!({"token": token})),
            &[],
        )
        .await;
    assert_eq!(scan.status, 200);
    let view = scan.json();
    assert_eq!(view["recipientMasked"], "+234******4567");
    assert_eq!(view["clientName"], "Test Shop");
    assert_eq!(view["status"], "scanned");
    assert!(view["challenge"].as_str().unwrap().len() >= 43);
    let again = api
        .send(
            "POST",
            &format!("/consents/{id}/scan"),
            None,
            Some(&json!({"token": token})),
            &[],
        )
        .await;
    assert_eq!(
        again.json()["status"],
        "scanned",
        "scanning again is harmless"
    );

    let got = api
        .test(&p, "GET", &format!("/consents/{id}"), None)
        .await
        .json();
    assert_eq!(got["status"], "scanned");
    assert!(got.get("scannedAt").is_some());
    assert!(
        got.get("clientSecret").is_none(),
        "the page secret is shown once"
    );

    let approved = api
        .test(&p, "POST", &format!("/sandbox/consents/{id}/approve"), None)
        .await;
    assert_eq!(approved.status, 200);
    let a = approved.json();
    assert_eq!(a["status"], "approved");
    assert_eq!(a["user"]["mobile"], "+2348031234567");
    assert!(a["device"]["id"].as_str().unwrap().starts_with("device_"));
    for action in ["approve", "reject", "expire"] {
        let r = api
            .test(
                &p,
                "POST",
                &format!("/sandbox/consents/{id}/{action}"),
                None,
            )
            .await;
        assert_eq!(r.error(), (409, "conflict".into()), "{action}");
    }
    let r = api
        .send(
            "POST",
            &format!("/consents/{id}/reject"),
            None,
            Some(&json!({"token": token})),
            &[],
        )
        .await;
    assert_eq!(r.error(), (409, "conflict".into()));
    assert_eq!(
        api.test(&p, "GET", &format!("/consents/{id}"), None)
            .await
            .json()["status"],
        "approved"
    );
}

#[tokio::test]
async fn the_phone_can_reject_but_a_token_alone_never_approves() {
    let api = shared();
    let p = api.partner().await;
    let c = api.consent(&p, login()).await;
    let id = c["id"].as_str().unwrap();
    let wrong = api
        .send(
            "POST",
            &format!("/consents/{id}/scan"),
            None,
            Some(&json!({"token": "x".repeat(32)})),
            &[],
        )
        .await;
    assert_eq!(wrong.error(), (404, "not_found".into()));
    let r = api
        .send(
            "POST",
            &format!("/consents/{id}/reject"),
            None,
            Some(&json!({"token": token_of(&c)})),
            &[],
        )
        .await;
    assert_eq!(
        (r.status, r.json()["status"].clone()),
        (200, json!("rejected"))
    );
    let r = api
        .send(
            "POST",
            &format!("/consents/{id}/scan"),
            None,
            Some(&json!({"token": token_of(&c)})),
            &[],
        )
        .await;
    assert_eq!(r.error(), (409, "conflict".into()));
}

#[tokio::test]
async fn client_secret_reads_only_its_own_consent() {
    let api = shared();
    let p = api.partner().await;
    let c1 = api.consent(&p, login()).await;
    let c2 = api.consent(&p, login()).await;
    let (id1, secret1) = (
        c1["id"].as_str().unwrap(),
        c1["clientSecret"].as_str().unwrap(),
    );
    let id2 = c2["id"].as_str().unwrap();
    let r = api
        .send(
            "GET",
            &format!("/consents/{id1}?clientSecret={secret1}"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!((r.status, r.json()["id"].clone()), (200, json!(id1)));
    let r = api
        .send(
            "GET",
            &format!("/consents/{id2}?clientSecret={secret1}"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    let r = api
        .send("GET", &format!("/consents/{id1}"), None, None, &[])
        .await;
    assert_eq!(r.error(), (401, "unauthorized".into()));
    let r = api
        .send(
            "GET",
            &format!("/consents/qr/svg/{id1}?clientSecret={secret1}"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn another_client_and_the_other_mode_get_404() {
    let api = shared();
    let a = api.partner().await;
    let b = api.partner().await;
    let c = api.consent(&a, login()).await;
    let id = c["id"].as_str().unwrap();
    for path in [format!("/consents/{id}"), format!("/consents/qr/png/{id}")] {
        assert_eq!(
            api.test(&b, "GET", &path, None).await.error(),
            (404, "not_found".into()),
            "{path}"
        );
        assert_eq!(
            api.live(&a, "GET", &path, None).await.error(),
            (404, "not_found".into()),
            "live key, {path}"
        );
    }
    let r = api
        .test(&b, "POST", &format!("/sandbox/consents/{id}/approve"), None)
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    let r = api
        .live(&a, "POST", &format!("/sandbox/consents/{id}/approve"), None)
        .await;
    assert_eq!(
        r.error(),
        (404, "not_found".into()),
        "sandbox is test-mode only"
    );
    assert_eq!(
        api.test(&a, "GET", "/consents/cons_0000000000000000", None)
            .await
            .status,
        404
    );
    assert_eq!(
        api.test(&a, "GET", "/consents/not-an-id", None)
            .await
            .status,
        404
    );
    assert_eq!(
        api.test(&a, "GET", &format!("/consents/{id}"), None)
            .await
            .json()["status"],
        "pending"
    );
}

#[tokio::test]
async fn qr_images_decode_to_the_approval_link() {
    let api = shared();
    let p = api.partner().await;
    let c = api.consent(&p, login()).await;
    let id = c["id"].as_str().unwrap();
    let url = c["qr"]["url"].as_str().unwrap();
    let png = api
        .test(&p, "GET", &format!("/consents/qr/png/{id}"), None)
        .await;
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type").as_deref(), Some("image/png"));
    assert_eq!(png.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(decode_png(&png.bytes), url);
    let svg = api
        .test(&p, "GET", &format!("/consents/qr/svg/{id}"), None)
        .await;
    assert_eq!(svg.header("content-type").as_deref(), Some("image/svg+xml"));
    assert_eq!(decode_svg(&String::from_utf8(svg.bytes).unwrap()), url);
    let r = api
        .test(&p, "GET", &format!("/consents/qr/gif/{id}"), None)
        .await;
    assert_eq!(r.error(), (400, "invalid_request".into()));
    api.test(&p, "POST", &format!("/sandbox/consents/{id}/reject"), None)
        .await;
    let r = api
        .test(&p, "GET", &format!("/consents/qr/png/{id}"), None)
        .await;
    assert_eq!(
        r.error(),
        (410, "expired".into()),
        "terminal consent has no QR"
    );
}

#[tokio::test]
async fn the_approval_link_is_an_html_page() {
    let api = shared();
    let p = api.partner().await;
    let c = api.consent(&p, login()).await;
    let r = api
        .send(
            "GET",
            &format!("/a/{}", c["id"].as_str().unwrap()),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(r.header("referrer-policy").as_deref(), Some("no-referrer"));
    assert!(String::from_utf8_lossy(&r.bytes).contains("approve.js"));
}

#[tokio::test]
async fn every_invalid_field_is_a_400_naming_it() {
    let api = shared();
    let p = api.partner().await;
    let ok = |extra: Value| {
        let mut b = json!({"recipient": "+2348031234567", "intent": "login"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases = [
        (json!({"intent": "login"}), "recipient", "invalid_request"),
        (
            ok(json!({"recipient": "12345"})),
            "recipient",
            "invalid_phone",
        ),
        (
            ok(json!({"recipient": "+2348031234567890"})),
            "recipient",
            "invalid_phone",
        ),
        (
            ok(json!({"recipient": "+٢٣٤٨٠٣١٢٣٤٥٦٧"})),
            "recipient",
            "invalid_phone",
        ),
        (ok(json!({"intent": "steal"})), "intent", "invalid_request"),
        (
            ok(json!({"message": "m".repeat(141)})),
            "message",
            "invalid_request",
        ),
        (
            ok(json!({"metadata": "string"})),
            "metadata",
            "invalid_request",
        ),
        (
            ok(json!({"metadata": {"k": "v".repeat(2100)}})),
            "metadata",
            "invalid_request",
        ),
        (ok(json!({"expiresIn": 29})), "expiresIn", "invalid_request"),
        (
            ok(json!({"expiresIn": 901})),
            "expiresIn",
            "invalid_request",
        ),
        (
            ok(json!({"status": "approved"})),
            "status",
            "invalid_request",
        ),
        (
            ok(json!({"clientId": "mid_client_x"})),
            "clientId",
            "invalid_request",
        ),
    ];
    for (body, param, code) in cases {
        let r = api.test(&p, "POST", "/consents/auth", Some(&body)).await;
        assert_eq!(r.error(), (400, code.into()), "{body}");
        assert_eq!(r.json()["error"]["param"], param, "{body}");
    }
}

#[tokio::test]
async fn idempotency_key_replays_or_conflicts() {
    let api = shared();
    let p = api.partner().await;
    let auth = Some((p.test_key.as_str(), Some(p.id.as_str())));
    let key = [("Idempotency-Key", "order-7781")];
    let first = api
        .send("POST", "/consents/auth", auth, Some(&login()), &key)
        .await;
    assert_eq!(first.status, 201);
    let again = api
        .send("POST", "/consents/auth", auth, Some(&login()), &key)
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(
        again.bytes, first.bytes,
        "the original body, secrets included"
    );
    let mut other = login();
    other["intent"] = json!("payment");
    let r = api
        .send("POST", "/consents/auth", auth, Some(&other), &key)
        .await;
    assert_eq!(r.error(), (409, "conflict".into()));
    let fresh = api
        .send(
            "POST",
            "/consents/auth",
            auth,
            Some(&login()),
            &[("Idempotency-Key", "order-7782")],
        )
        .await;
    assert_ne!(fresh.json()["id"], first.json()["id"]);
    // The same key in the other mode is another key.
    let live = api
        .send(
            "POST",
            "/consents/auth",
            Some((&p.live_key, Some(&p.id))),
            Some(&login()),
            &key,
        )
        .await;
    assert_eq!(live.status, 201);
    assert_ne!(live.json()["id"], first.json()["id"]);
    let bad = api
        .send(
            "POST",
            "/consents/auth",
            auth,
            Some(&login()),
            &[("Idempotency-Key", "has space")],
        )
        .await;
    assert_eq!(bad.error(), (400, "invalid_request".into()));
}

#[tokio::test]
async fn at_most_five_consents_a_minute_per_recipient() {
    let api = shared();
    let p = api.partner().await;
    let body = json!({"recipient": "+2348099990001", "intent": "login"});
    let mut statuses = Vec::new();
    // Fixed one-minute windows: eleven quick requests span at most one
    // boundary, so at most ten (five per window) can succeed.
    for _ in 0..11 {
        let r = api.test(&p, "POST", "/consents/auth", Some(&body)).await;
        if r.status == 429 {
            assert_eq!(r.error().1, "rate_limited");
            assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
        }
        statuses.push(r.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 201).count() <= 10,
        "{statuses:?}"
    );
    assert_eq!(&statuses[..5], &[201; 5], "{statuses:?}");
    let other = api
        .test(
            &p,
            "POST",
            "/consents/auth",
            Some(&json!({"recipient": "+2348099990002", "intent": "login"})),
        )
        .await;
    assert_eq!(other.status, 201, "another recipient is unaffected");
}

#[tokio::test]
async fn expires_at_expires_at_even_without_an_alarm_and_acting_on_it_is_410() {
    let api = shared();
    let p = api.partner().await;
    let c = api
        .consent(
            &p,
            json!({"recipient": "+2348031234567", "intent": "payment", "expiresIn": 30}),
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let r = api
        .test(&p, "POST", &format!("/sandbox/consents/{id}/expire"), None)
        .await;
    assert_eq!(
        (r.status, r.json()["status"].clone()),
        (200, json!("expired"))
    );
    for action in ["approve", "reject", "expire"] {
        let r = api
            .test(
                &p,
                "POST",
                &format!("/sandbox/consents/{id}/{action}"),
                None,
            )
            .await;
        assert_eq!(r.error(), (410, "expired".into()), "{action}");
    }
    let r = api
        .send(
            "POST",
            &format!("/consents/{id}/scan"),
            None,
            Some(&json!({"token": token_of(&c)})),
            &[],
        )
        .await;
    assert_eq!(r.error(), (410, "expired".into()));
}

#[tokio::test]
async fn a_consent_expires_by_itself_after_expires_in() {
    let api = shared();
    let p = api.partner().await;
    let c = api
        .consent(
            &p,
            json!({"recipient": "+2348031234567", "intent": "login", "expiresIn": 30}),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    let expires_at = c["expiresAt"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_secs(31)).await;
    let got = api
        .test(&p, "GET", &format!("/consents/{id}"), None)
        .await
        .json();
    assert_eq!(got["status"], "expired");
    assert_eq!(got["expiresAt"], expires_at);
}

#[tokio::test]
async fn security_concurrent_requests_with_one_idempotency_key_create_one_consent() {
    let api = shared();
    let p = api.partner().await;
    for round in 0..3 {
        let key = format!("order-race-{round}-{}", std::process::id());
        let tries = (0..2).map(|_| {
            let (api, p, key) = (api.clone(), p.clone(), key.clone());
            async move {
                let auth = Some((p.test_key.as_str(), Some(p.id.as_str())));
                api.send(
                    "POST",
                    "/consents/auth",
                    auth,
                    Some(&login()),
                    &[("Idempotency-Key", key.as_str())],
                )
                .await
            }
        });
        let answers = futures_util::future::join_all(tries).await;
        // Each is the creation, its replay, or 409 while the first runs.
        let created: Vec<Value> = answers
            .iter()
            .filter(|r| r.status == 201)
            .map(|r| r.json())
            .collect();
        for r in answers.iter().filter(|r| r.status != 201) {
            assert_eq!(r.error(), (409, "conflict".into()));
        }
        assert!(!created.is_empty());
        // Once it finished, the key replays that one consent.
        let auth = Some((p.test_key.as_str(), Some(p.id.as_str())));
        let after = api
            .send(
                "POST",
                "/consents/auth",
                auth,
                Some(&login()),
                &[("Idempotency-Key", key.as_str())],
            )
            .await;
        assert_eq!(after.status, 201);
        assert_eq!(after.header("idempotent-replayed").as_deref(), Some("true"));
        for c in &created {
            assert_eq!(c["id"], after.json()["id"], "one consent per key");
        }
    }
}
