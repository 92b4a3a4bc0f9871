//! Signed webhooks, retries and the delivery log, checked with an
//! independent HMAC implementation (the `hmac-sha256` crate).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use std::time::{Duration, Instant};

use mid_tests::passkey::{SoftAuthenticator, ORIGIN};
use mid_tests::receiver::Received;
use mid_tests::{eventually, mobile, shared, token_of, Api, Behaviour, Partner, Receiver, Script};
use serde_json::{json, Value};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks both signatures of a delivery exactly as a partner would.
pub fn verify(p: &Partner, r: &Received) {
    let key = STANDARD
        .decode(p.webhook_secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let body = String::from_utf8(r.body.clone()).unwrap();
    // Body signature: HMAC over the body without its `signature` member.
    let (unsigned, sig) = body.rsplit_once(r#","signature":"sha256="#).unwrap();
    let sig = sig.strip_suffix("\"}").unwrap();
    let unsigned = format!("{unsigned}}}");
    assert_eq!(
        sig,
        hex(&hmac_sha256::HMAC::mac(unsigned.as_bytes(), &key)),
        "body signature"
    );
    // Standard Webhooks headers.
    let id = r.header("webhook-id").unwrap();
    let ts = r.header("webhook-timestamp").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - ts.parse::<i64>().unwrap()).abs() < 300,
        "timestamp is current"
    );
    let signed = format!("{id}.{ts}.{body}");
    let want = format!(
        "v1,{}",
        STANDARD.encode(hmac_sha256::HMAC::mac(signed.as_bytes(), &key))
    );
    assert_eq!(
        r.header("webhook-signature"),
        Some(want.as_str()),
        "webhook-signature"
    );
    assert!(id.starts_with("evt_") && id.len() == 28, "{id}");
    assert_eq!(r.header("x-mid-event"), r.json()["event"].as_str());
    assert_eq!(r.header("content-type"), Some("application/json"));
}

async fn partner_with(api: &Api, rx: &Receiver) -> Partner {
    api.new_partner(json!({"name": "Hooked Shop", "webhookUrl": rx.url}))
        .await
}

async fn wait_for(rx: &Receiver, event: &str, n: usize) -> Vec<Received> {
    eventually(30, event, || async {
        Some(rx.of(event)).filter(|v| v.len() >= n)
    })
    .await
}

#[tokio::test]
async fn consent_events_have_the_contract_body_and_both_signatures() {
    let api = shared();
    let rx = Receiver::start(0).await;
    let p = partner_with(&api, &rx).await;
    let c = api
        .consent(
            &p,
            json!({"recipient": "+2348031234567", "intent": "payment"}),
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let created = wait_for(&rx, "consent.created", 1).await.remove(0);
    verify(&p, &created);
    let body = String::from_utf8(created.body.clone()).unwrap();
    let expected_prefix = format!(
        r#"{{"event":"consent.created","timestamp":"{}","data":{{"sessionId":"{id}","clientId":"{}","recipient":"+2348031234567","intent":"payment","status":"pending"}},"signature":"sha256="#,
        created.json()["timestamp"].as_str().unwrap(),
        p.id
    );
    assert!(body.starts_with(&expected_prefix), "{body}");
    assert_eq!(
        rx.all().iter().filter(|r| r.path == "/hooks/mid").count(),
        rx.all().len()
    );

    api.test(&p, "POST", &format!("/sandbox/consents/{id}/approve"), None)
        .await;
    let approved = wait_for(&rx, "consent.approved", 1).await.remove(0);
    verify(&p, &approved);
    let data = &approved.json()["data"];
    assert_eq!(data["status"], "approved");
    assert_eq!(data["user"]["mobile"], "+2348031234567");
    assert_eq!(data["user"]["verified"], true);
    assert!(data["device"]["model"].is_string());
    let text = String::from_utf8(approved.body).unwrap();
    assert!(
        text.contains(r#""status":"approved","user":{"id":"#),
        "member order: {text}"
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_identical_bytes_and_logged() {
    let api = shared();
    let rx = Receiver::start(2).await;
    let p = partner_with(&api, &rx).await;
    api.consent(
        &p,
        json!({"recipient": "+2348031234567", "intent": "login"}),
    )
    .await;
    let attempts = wait_for(&rx, "consent.created", 3).await;
    assert_eq!(
        attempts.iter().map(|a| a.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert!(
        attempts.iter().all(|a| a.body == attempts[0].body),
        "a retry sends identical body bytes"
    );
    assert!(attempts
        .iter()
        .all(|a| a.header("webhook-id") == attempts[0].header("webhook-id")));
    verify(&p, &attempts[2]);

    let list = eventually(10, "delivered", || async {
        let l = api
            .test(&p, "GET", "/webhooks/deliveries", None)
            .await
            .json();
        Some(l).filter(|l| l["data"][0]["status"] == "delivered")
    })
    .await;
    assert_eq!(list["object"], "list");
    assert_eq!(list["hasMore"], false);
    let d = &list["data"][0];
    assert_eq!(
        (
            d["attempts"].clone(),
            d["responseStatus"].clone(),
            d["event"].clone()
        ),
        (json!(3), json!(200), json!("consent.created"))
    );
    assert_eq!(d["eventId"].as_str(), attempts[0].header("webhook-id"));
    assert!(d["id"].as_str().unwrap().starts_with("dlv_"));
    assert!(d["lastAttemptAt"].is_string() && d["nextAttemptAt"].is_null());

    let r = api
        .test(
            &p,
            "POST",
            &format!("/webhooks/deliveries/{}/retry", d["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let again = wait_for(&rx, "consent.created", 4).await;
    assert_eq!(
        again[3].body, attempts[0].body,
        "redelivery sends the same event"
    );
    let other = api.partner().await;
    let r = api
        .test(
            &other,
            "POST",
            &format!("/webhooks/deliveries/{}/retry", d["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(
        r.error(),
        (404, "not_found".into()),
        "another client's delivery"
    );
}

/// The delivery log shows the exact bytes and headers that were signed and
/// sent, so a partner (and the sandbox console) can debug a verifier.
#[tokio::test]
async fn delivery_log_shows_the_exact_signed_body_and_headers_sent() {
    let api = shared();
    let rx = Receiver::start(1).await;
    let p = partner_with(&api, &rx).await;
    api.consent(
        &p,
        json!({"recipient": "+2348031234567", "intent": "login"}),
    )
    .await;
    let attempts = wait_for(&rx, "consent.created", 2).await;
    let last = attempts.last().unwrap();
    verify(&p, last);
    let d = eventually(10, "delivered", || async {
        let l = api
            .test(&p, "GET", "/webhooks/deliveries", None)
            .await
            .json();
        Some(l["data"][0].clone()).filter(|d| d["status"] == "delivered")
    })
    .await;
    assert_eq!(d["body"].as_str().unwrap().as_bytes(), last.body.as_slice());
    let shown = d["lastRequestHeaders"].as_object().unwrap();
    for name in [
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "X-MID-Event",
        "Content-Type",
    ] {
        assert_eq!(
            shown.get(name).and_then(Value::as_str),
            last.header(name),
            "{name} as sent on the last attempt"
        );
    }
}

#[tokio::test]
async fn concurrent_decisions_make_exactly_one_terminal_event() {
    let api = shared();
    let rx = Receiver::start(0).await;
    let p = partner_with(&api, &rx).await;
    let c = api
        .consent(
            &p,
            json!({"recipient": "+2348031234567", "intent": "login"}),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    let token = token_of(&c);
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (api, p, id, token) = (api.clone(), p.clone(), id.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            match i % 3 {
                0 => {
                    api.test(&p, "POST", &format!("/sandbox/consents/{id}/approve"), None)
                        .await
                        .status
                }
                1 => {
                    api.test(&p, "POST", &format!("/sandbox/consents/{id}/reject"), None)
                        .await
                        .status
                }
                _ => {
                    api.send(
                        "POST",
                        &format!("/consents/{id}/reject"),
                        None,
                        Some(&json!({"token": token})),
                        &[],
                    )
                    .await
                    .status
                }
            }
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
    let terminal = || {
        rx.all()
            .into_iter()
            .filter(|r| {
                matches!(
                    r.header("x-mid-event"),
                    Some("consent.approved" | "consent.rejected")
                )
            })
            .count()
    };
    eventually(30, "a terminal event", || async {
        (terminal() >= 1).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(terminal(), 1, "exactly one terminal event");
}

#[tokio::test]
async fn expiry_is_emitted_once() {
    let api = shared();
    let rx = Receiver::start(0).await;
    let p = partner_with(&api, &rx).await;
    let c = api
        .consent(
            &p,
            json!({"recipient": "+2348031234567", "intent": "login"}),
        )
        .await;
    let id = c["id"].as_str().unwrap();
    api.test(&p, "POST", &format!("/sandbox/consents/{id}/expire"), None)
        .await;
    api.test(&p, "GET", &format!("/consents/{id}"), None).await;
    let expired = wait_for(&rx, "consent.expired", 1).await;
    verify(&p, &expired[0]);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(rx.of("consent.expired").len(), 1);
    let v: Value = expired[0].json();
    assert_eq!(v["data"]["status"], "expired");
}

#[tokio::test]
async fn delivery_list_is_bounded_and_validated() {
    let api = shared();
    let p = api.partner().await;
    for q in ["?limit=0", "?limit=101", "?limit=abc"] {
        let r = api
            .test(&p, "GET", &format!("/webhooks/deliveries{q}"), None)
            .await;
        assert_eq!(r.error(), (400, "invalid_request".into()), "{q}");
    }
    let r = api
        .test(
            &p,
            "POST",
            "/webhooks/deliveries/dlv_0000000000000000/retry",
            None,
        )
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
}

/// Milliseconds into the day of an RFC 3339 `...THH:MM:SS.mmmZ` value.
fn ms_of_day(t: &Value) -> i64 {
    let t = t.as_str().unwrap();
    let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().unwrap();
    ((n(11..13) * 60 + n(14..16)) * 60 + n(17..19)) * 1000 + n(20..23)
}

/// Deliveries as the partner sees them, newest first.
async fn deliveries(api: &Api, p: &Partner) -> Value {
    api.test(&p.clone(), "GET", "/webhooks/deliveries?limit=100", None)
        .await
        .json()
}

#[tokio::test]
async fn security_a_redirect_is_a_failed_attempt_and_never_followed() {
    let api = shared();
    let elsewhere = Receiver::start(0).await;
    let redirecting = Receiver::behaving(
        usize::MAX,
        Script {
            fail: (302, String::new()),
            ok: (200, "ok".into()),
        },
        Behaviour {
            fail_headers: vec![("Location".into(), elsewhere.url.clone())],
            ..Behaviour::default()
        },
    )
    .await;
    let p = partner_with(&api, &redirecting).await;
    api.consent(&p, json!({"recipient": mobile(), "intent": "login"}))
        .await;
    // Two attempts: the first was recorded as failed and retried.
    wait_for(&redirecting, "consent.created", 2).await;
    let list = eventually(10, "a recorded 302", || async {
        let l = deliveries(&api, &p).await;
        Some(l).filter(|l| l["data"][0]["attempts"].as_u64() >= Some(2))
    })
    .await;
    let d = &list["data"][0];
    assert_eq!(d["responseStatus"], 302, "{d}");
    assert_eq!(d["status"], "pending", "a 3xx is not a delivery: {d}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        elsewhere.all().is_empty(),
        "the redirect target received {:?}",
        elsewhere.all()
    );
}

#[tokio::test]
async fn security_a_slow_endpoint_does_not_serialise_the_backlog() {
    let api = shared();
    let slow = Receiver::behaving(
        0,
        Script {
            fail: (500, String::new()),
            ok: (200, "ok".into()),
        },
        Behaviour {
            delay: Duration::from_secs(3),
            ..Behaviour::default()
        },
    )
    .await;
    let p = partner_with(&api, &slow).await;
    let started = Instant::now();
    for _ in 0..24 {
        api.consent(&p, json!({"recipient": mobile(), "intent": "login"}))
            .await;
    }
    // One after another this takes 72 s; ten at a time about 9 s.
    let arrived = eventually(40, "24 deliveries", || async {
        Some(slow.of("consent.created")).filter(|v| v.len() >= 24)
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
    let mut ids: Vec<_> = arrived
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24, "24 distinct events");
    let most = slow.max_in_flight();
    assert!((2..=10).contains(&most), "in flight at once: {most}");
    let list = eventually(10, "all delivered", || async {
        let l = deliveries(&api, &p).await;
        let done = l["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"] == "delivered")
            .count();
        (done == 24).then_some(l)
    })
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 24);
}

#[tokio::test]
async fn security_retry_after_sets_the_next_attempt() {
    let api = shared();
    let limited = Receiver::behaving(
        1,
        Script {
            fail: (429, "slow down".into()),
            ok: (200, "ok".into()),
        },
        Behaviour {
            fail_headers: vec![("Retry-After".into(), "2".into())],
            ..Behaviour::default()
        },
    )
    .await;
    let p = partner_with(&api, &limited).await;
    api.consent(&p, json!({"recipient": mobile(), "intent": "login"}))
        .await;
    let first = wait_for(&limited, "consent.created", 1).await.remove(0);
    let pending = eventually(10, "the 429 recorded", || async {
        let l = deliveries(&api, &p).await;
        Some(l).filter(|l| l["data"][0]["responseStatus"] == 429)
    })
    .await;
    // nextAttemptAt says so too: 2 s after the attempt, not the 300 ms backoff.
    let d = &pending["data"][0];
    let gap =
        (ms_of_day(&d["nextAttemptAt"]) - ms_of_day(&d["lastAttemptAt"])).rem_euclid(86_400_000);
    assert!((1_900..=2_100).contains(&gap), "{gap} ms: {d}");
    let attempts = wait_for(&limited, "consent.created", 2).await;
    assert_eq!(
        attempts.iter().map(|a| a.answered).collect::<Vec<_>>(),
        [429, 200]
    );
    let waited = attempts[1].at.duration_since(first.at);
    assert!(
        waited >= Duration::from_millis(1_900),
        "retried after {waited:?}, before Retry-After: 2"
    );
    assert!(waited < Duration::from_secs(10), "{waited:?}");
}

#[tokio::test]
async fn security_concurrent_forwards_of_one_event_make_one_delivery() {
    // Registrations completed at once for one user: each completion forwards
    // every event its user's object still holds, so the same event reaches
    // the outbox from several requests at the same time.
    let api = shared();
    let rx = Receiver::start(0).await;
    let p = partner_with(&api, &rx).await;
    let r = api
        .test(
            &p,
            "POST",
            "/sandbox/users",
            Some(&json!({ "mobile": mobile() })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let user = r.json()["id"].as_str().unwrap().to_owned();
    let mut bodies = Vec::new();
    for _ in 0..8 {
        let r = api
            .test(
                &p,
                "POST",
                "/fido/register/begin",
                Some(&json!({"userId": user})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
        let v = r.json();
        let response = SoftAuthenticator::new()
            .register(&v["options"], ORIGIN)
            .await;
        bodies.push(json!({"ceremonyId": v["ceremonyId"], "response": response}));
    }
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (api, p) = (api.clone(), p.clone());
            tokio::spawn(async move {
                api.test(&p, "POST", "/fido/register/complete", Some(&body))
                    .await
                    .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    wait_for(&rx, "device.registered", 8).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = rx.of("device.registered");
    let mut ids: Vec<_> = got
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((got.len(), ids.len()), (8, 8), "each event delivered once");
    let list = deliveries(&api, &p).await;
    let events: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["event"] == "device.registered")
        .map(|d| d["eventId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events.len(), 8, "one delivery per event: {list}");
}

/// The `v1,` signatures of a delivery's `webhook-signature` that verify with `whsec`.
fn standard_signatures_by(whsec: &str, r: &Received) -> Vec<usize> {
    let key = STANDARD
        .decode(whsec.strip_prefix("whsec_").unwrap())
        .unwrap();
    let body = String::from_utf8(r.body.clone()).unwrap();
    let signed = format!(
        "{}.{}.{body}",
        r.header("webhook-id").unwrap(),
        r.header("webhook-timestamp").unwrap()
    );
    let want = format!(
        "v1,{}",
        STANDARD.encode(hmac_sha256::HMAC::mac(signed.as_bytes(), &key))
    );
    r.header("webhook-signature")
        .unwrap()
        .split(' ')
        .enumerate()
        .filter(|(_, s)| *s == want)
        .map(|(i, _)| i)
        .collect()
}

#[tokio::test]
async fn security_a_rotated_webhook_secret_signs_beside_the_new_one_until_it_expires() {
    let api = shared();
    let rx = Receiver::start(0).await;
    let p = partner_with(&api, &rx).await;
    let path = format!("/clients/{}/webhook-secret", p.id);
    let r = api
        .test(&p, "POST", &path, Some(&json!({"expiresIn": 600})))
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let new_secret = r.json()["webhookSecret"].as_str().unwrap().to_owned();
    assert!(new_secret.starts_with("whsec_") && new_secret != p.webhook_secret);
    assert!(r.json()["previousExpiresAt"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    // During the overlap: `v1,<new> v1,<old>`, and the body is signed with the new secret.
    api.consent(&p, json!({"recipient": mobile(), "intent": "login"}))
        .await;
    let hook = wait_for(&rx, "consent.created", 1).await.remove(0);
    assert_eq!(standard_signatures_by(&new_secret, &hook), [0]);
    assert_eq!(standard_signatures_by(&p.webhook_secret, &hook), [1]);
    let rotated = Partner {
        webhook_secret: new_secret.clone(),
        ..p.clone()
    };
    let body = String::from_utf8(hook.body.clone()).unwrap();
    let (unsigned, sig) = body.rsplit_once(r#","signature":"sha256="#).unwrap();
    let key = STANDARD
        .decode(rotated.webhook_secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    assert_eq!(
        sig.strip_suffix("\"}").unwrap(),
        hex(&hmac_sha256::HMAC::mac(
            format!("{unsigned}}}").as_bytes(),
            &key
        ))
    );

    // Rotating again with no overlap: only the newest secret signs.
    let r = api
        .admin("POST", &path, Some(&json!({"expiresIn": 0})))
        .await;
    assert_eq!(r.status, 201);
    let newest = Partner {
        webhook_secret: r.json()["webhookSecret"].as_str().unwrap().to_owned(),
        ..p.clone()
    };
    api.consent(&p, json!({"recipient": mobile(), "intent": "login"}))
        .await;
    let hook = wait_for(&rx, "consent.created", 2).await.remove(1);
    verify(&newest, &hook);
    assert!(standard_signatures_by(&new_secret, &hook).is_empty());
    // Another client cannot rotate it.
    let other = api.partner().await;
    let r = api.test(&other, "POST", &path, Some(&json!({}))).await;
    assert_eq!(r.error(), (404, "not_found".into()));
}
