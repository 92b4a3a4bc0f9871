//! Object and KV calls per request (issue 13 "Fewer hops"), read from the
//! `X-MID-Object-Calls` / `X-MID-KV-Calls` headers of a worker started with
//! `DEBUG_HOP_HEADERS=true`. Its own worker, one request at a time: the
//! counters are the isolate's, so only then is a request's figure exact.
//! The partner has no webhook URL, so no delivery alarm runs in between
//! (the hand-off of each event to the outbox is still made and counted).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mid_tests::passkey::{SoftAuthenticator, ORIGIN};
use mid_tests::{token_of, Api, Partner, Resp, Worker};
use serde_json::{json, Value};

/// `(object calls, KV calls)` of one answer.
fn hops(r: &Resp) -> (u32, u32) {
    let n = |h: &str| {
        r.header(h)
            .unwrap_or_else(|| panic!("no {h}: DEBUG_HOP_HEADERS is off"))
            .parse::<u32>()
            .unwrap()
    };
    (n("X-MID-Object-Calls"), n("X-MID-KV-Calls"))
}

fn ok(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.bytes));
    r.json()
}

async fn phone(api: &Api, path: &str, body: Value) -> Resp {
    api.send("POST", path, None, Some(&body), &[]).await
}

/// A sandbox user of `p` with `mobile` and a passkey `p` registered for it
/// (which may decide `p`'s consents to that mobile, DESIGN §2).
async fn user_with_passkey(api: &Api, p: &Partner, mobile: &str) -> (String, SoftAuthenticator) {
    let r = api
        .test(
            p,
            "POST",
            "/sandbox/users",
            Some(&json!({ "mobile": mobile })),
        )
        .await;
    let user = ok(&r, 201)["id"].as_str().unwrap().to_owned();
    let r = api
        .test(
            p,
            "POST",
            "/fido/register/begin",
            Some(&json!({ "userId": user })),
        )
        .await;
    let b = ok(&r, 200);
    let mut device = SoftAuthenticator::new();
    let response = device.register(&b["options"], ORIGIN).await;
    let r = api
        .test(
            p,
            "POST",
            "/fido/register/complete",
            Some(&json!({"ceremonyId": b["ceremonyId"], "response": response})),
        )
        .await;
    ok(&r, 201);
    (user, device)
}

#[tokio::test]
async fn requests_make_no_more_object_calls_than_the_goal() {
    let worker = Worker::start("hops", &[("DEBUG_HOP_HEADERS", "true")]).await;
    let api = worker.api();
    let p = api.partner().await;
    let mobile = mid_tests::mobile();
    let (user, mut device) = user_with_passkey(&api, &p, &mobile).await;
    // The first partner request of a client in an isolate also wakes its
    // webhook outbox (one call, once); get it out of the way.
    let r = api
        .test(&p, "GET", "/consents/cons_0000000000000000", None)
        .await;
    assert_eq!(r.status, 404);

    let health = api.send("GET", "/health", None, None, &[]).await;
    assert_eq!(hops(&health), (0, 0), "GET /health");

    // A partner call: one call to the client's object (key, status, rate and,
    // for a creation, the recipient's limit) before its own work. Creation:
    // + the consent's object, which hands `consent.created` to the outbox
    // (+1), which reads the client's webhook target to sign it (+1).
    let body = json!({"recipient": mobile, "intent": "login"});
    let r = api.test(&p, "POST", "/consents/auth", Some(&body)).await;
    let consent = ok(&r, 201);
    assert_eq!(hops(&r), (4, 0), "POST /consents/auth");
    let id = consent["id"].as_str().unwrap().to_owned();
    let token = token_of(&consent);

    let r = api.test(&p, "GET", &format!("/consents/{id}"), None).await;
    ok(&r, 200);
    assert_eq!(hops(&r), (2, 0), "GET /consents/:id");

    // The phone: every call one call to the consent's object, except the
    // complete, which also has the passkey's user object verify.
    let r = phone(
        &api,
        &format!("/consents/{id}/scan"),
        json!({ "token": token }),
    )
    .await;
    ok(&r, 200);
    assert_eq!(hops(&r), (1, 0), "POST /consents/:id/scan");

    let r = phone(
        &api,
        "/fido/authenticate/begin",
        json!({"consentId": id, "token": token}),
    )
    .await;
    let b = ok(&r, 200);
    let begin = hops(&r);
    assert_eq!(begin, (1, 0), "phone POST /fido/authenticate/begin");

    let assertion = device.authenticate(&b["options"], ORIGIN).await;
    let r = phone(
        &api,
        "/fido/authenticate/complete",
        json!({"ceremonyId": b["ceremonyId"], "consentId": id, "token": token,
            "response": assertion}),
    )
    .await;
    let v = ok(&r, 200);
    assert_eq!(v["consent"]["status"], "approved");
    assert_eq!(v["userId"], user.as_str());
    let complete = hops(&r);
    // Consent object + user object (the ceremony itself: 3 with begin), then
    // the hand-off of `consent.approved`: outbox + its read of the client.
    assert_eq!(complete, (4, 0), "phone POST /fido/authenticate/complete");
    assert_eq!(begin.0 + complete.0, 5, "the phone approval in total");

    // The partner-path ceremony: client object + user object, each call.
    let r = api
        .test(
            &p,
            "POST",
            "/fido/authenticate/begin",
            Some(&json!({ "userId": user })),
        )
        .await;
    let b = ok(&r, 200);
    assert_eq!(hops(&r), (2, 0), "POST /fido/authenticate/begin");
    let assertion = device.authenticate(&b["options"], ORIGIN).await;
    let r = api
        .test(
            &p,
            "POST",
            "/fido/authenticate/complete",
            Some(&json!({"ceremonyId": b["ceremonyId"], "response": assertion})),
        )
        .await;
    ok(&r, 200);
    assert_eq!(hops(&r), (2, 0), "POST /fido/authenticate/complete");

    // The recipient's limit is refused by that same one call: nothing else runs.
    let mut refused = None;
    for _ in 0..6 {
        let r = api.test(&p, "POST", "/consents/auth", Some(&body)).await;
        if r.status == 429 {
            refused = Some(r);
            break;
        }
        ok(&r, 201);
    }
    let r = refused.expect("a sixth consent to one recipient within a minute is refused");
    assert_eq!(r.header("X-RateLimit-Limit").as_deref(), Some("5"));
    assert_eq!(hops(&r), (1, 0), "a refused POST /consents/auth");
}
