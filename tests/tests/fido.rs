//! WebAuthn ceremonies over HTTP against the real worker, answered by a real
//! software authenticator; devices; webhooks of device events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mid_tests::passkey::{re_answer, SoftAuthenticator, ORIGIN};
use mid_tests::{assert_device_gone, eventually, shared, Api, Partner, Receiver, Resp};
use serde_json::{json, Value};

async fn sandbox_user(api: &Api, p: &Partner, mobile: &str) -> String {
    let r = api
        .test(
            p,
            "POST",
            "/sandbox/users",
            Some(&json!({ "mobile": mobile })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn begin(api: &Api, p: &Partner, path: &str, body: Value) -> (String, Value) {
    let r = api.test(p, "POST", path, Some(&body)).await;
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.bytes)
    );
    let v = r.json();
    (
        v["ceremonyId"].as_str().unwrap().to_owned(),
        v["options"].clone(),
    )
}

async fn complete(api: &Api, p: &Partner, path: &str, ceremony: &str, response: &Value) -> Resp {
    api.test(
        p,
        "POST",
        path,
        Some(&json!({"ceremonyId": ceremony, "response": response})),
    )
    .await
}

/// Registers a passkey for `user`; returns (device, registration response).
async fn register(
    api: &Api,
    p: &Partner,
    user: &str,
    device: &mut SoftAuthenticator,
    name: Option<&str>,
) -> (Value, Value) {
    let (ceremony, options) = begin(api, p, "/fido/register/begin", json!({"userId": user})).await;
    let response = device.register(&options, ORIGIN).await;
    let mut body = json!({"ceremonyId": ceremony, "response": response});
    if let Some(n) = name {
        body["deviceName"] = json!(n);
    }
    let r = api
        .test(p, "POST", "/fido/register/complete", Some(&body))
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    (r.json(), response)
}

async fn sign_in(api: &Api, p: &Partner, body: Value, device: &mut SoftAuthenticator) -> Resp {
    let (ceremony, options) = begin(api, p, "/fido/authenticate/begin", body).await;
    let response = device.authenticate(&options, ORIGIN).await;
    complete(api, p, "/fido/authenticate/complete", &ceremony, &response).await
}

#[tokio::test]
async fn register_then_authenticate_with_a_real_authenticator() {
    let api = shared();
    let hooks = Receiver::start(0).await;
    let p = api
        .new_partner(json!({"name": "Passkey Shop", "webhookUrl": hooks.url}))
        .await;
    let user = sandbox_user(&api, &p, "+2348031230001").await;
    let mut device = SoftAuthenticator::new();

    let (ceremony, options) =
        begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    assert!(ceremony.starts_with("cer_"), "{ceremony}");
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["timeout"], 300000);
    assert_eq!(options["attestation"], "none");
    assert_eq!(
        options["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "preferred"
    );
    let algs: Vec<i64> = options["pubKeyCredParams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["alg"].as_i64().unwrap())
        .collect();
    assert_eq!(algs, [-8, -7, -257]);
    assert_eq!(options["excludeCredentials"], json!([]));
    let reg = device.register(&options, ORIGIN).await;
    let r = api
        .test(
            &p,
            "POST",
            "/fido/register/complete",
            Some(&json!({"ceremonyId": ceremony, "response": reg, "deviceName": "Ada's phone"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let dev = r.json();
    let device_id = dev["id"].as_str().unwrap().to_owned();
    assert!(device_id.starts_with("device_") && device_id.len() == 23);
    assert_eq!(dev["object"], "device");
    assert_eq!(dev["userId"], user.as_str());
    assert_eq!(dev["name"], "Ada's phone");
    assert_eq!(
        dev["model"], "Ada's phone",
        "unknown AAGUID: the given name"
    );
    assert_eq!(dev["credentialId"], reg["id"]);
    assert_eq!(dev["algorithm"], "ES256");
    assert_eq!(dev["status"], "active");

    // The ceremony was single use.
    let again = complete(&api, &p, "/fido/register/complete", &ceremony, &reg).await;
    assert_eq!(again.error(), (400, "ceremony_expired".into()));

    // The same credential id again, answering a fresh challenge: 400 (DESIGN §3:
    // WebAuthn failures are 400 with the specific code), nothing changed.
    let (c2, o2) = begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    assert_eq!(o2["excludeCredentials"][0]["id"], reg["id"]);
    let dup = re_answer(&reg, o2["challenge"].as_str().unwrap(), ORIGIN);
    let r = complete(&api, &p, "/fido/register/complete", &c2, &dup).await;
    assert_eq!(r.error(), (400, "credential_exists".into()));

    // Read models.
    let r = api
        .test(&p, "GET", &format!("/devices/{device_id}"), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], device_id.as_str());
    let r = api
        .test(&p, "GET", &format!("/users/{user}/devices"), None)
        .await;
    assert_eq!(r.status, 200);
    let list = r.json();
    assert_eq!(list["object"], "list");
    assert_eq!(list["hasMore"], false);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // Authentication with allowCredentials.
    let (ceremony, options) = begin(
        &api,
        &p,
        "/fido/authenticate/begin",
        json!({"userId": user}),
    )
    .await;
    assert_eq!(options["rpId"], "localhost");
    assert_eq!(options["userVerification"], "preferred");
    assert_eq!(options["allowCredentials"][0]["id"], reg["id"]);
    let assertion = device.authenticate(&options, ORIGIN).await;
    let r = complete(
        &api,
        &p,
        "/fido/authenticate/complete",
        &ceremony,
        &assertion,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(
        r.json(),
        json!({"verified": true, "userId": user, "deviceId": device_id})
    );
    assert_eq!(r.bytes.iter().filter(|b| **b == b' ').count(), 0, "compact");

    // Replays of that assertion: on the same ceremony, and on a fresh one.
    let r = complete(
        &api,
        &p,
        "/fido/authenticate/complete",
        &ceremony,
        &assertion,
    )
    .await;
    assert_eq!(r.error(), (400, "ceremony_expired".into()));
    let (fresh, _) = begin(
        &api,
        &p,
        "/fido/authenticate/begin",
        json!({"userId": user}),
    )
    .await;
    let r = complete(&api, &p, "/fido/authenticate/complete", &fresh, &assertion).await;
    assert_eq!(r.error(), (400, "challenge_mismatch".into()));

    // A second sign-in works (counter moves on) and the device shows its last use.
    let r = sign_in(&api, &p, json!({"userId": user}), &mut device).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let r = api
        .test(&p, "GET", &format!("/devices/{device_id}"), None)
        .await;
    assert!(r.json()["lastUsedAt"].as_str().unwrap().ends_with('Z'));

    // device.registered, with the contract's data shape and order.
    let hook = eventually(20, "device.registered", || {
        let h = hooks.of("device.registered");
        async move { h.into_iter().next() }
    })
    .await;
    let body = String::from_utf8(hook.body.clone()).unwrap();
    let want = format!(
        r#""data":{{"deviceId":"{device_id}","clientId":"{}","status":"registered","user":{{"id":"{user}","mobile":"+2348031230001","verified":true}},"device":{{"id":"{device_id}","model":"Ada's phone"}}}}"#,
        p.id
    );
    assert!(body.contains(&want), "{body}");
    assert!(body.starts_with(r#"{"event":"device.registered","timestamp":""#));
}

#[tokio::test]
async fn concurrent_completes_of_one_ceremony_succeed_exactly_once() {
    let api = shared();
    let p = api.partner().await;
    let user = sandbox_user(&api, &p, "+2348031230002").await;
    let mut device = SoftAuthenticator::new();
    register(&api, &p, &user, &mut device, None).await;
    for _ in 0..3 {
        let (ceremony, options) = begin(
            &api,
            &p,
            "/fido/authenticate/begin",
            json!({"userId": user}),
        )
        .await;
        let assertion = device.authenticate(&options, ORIGIN).await;
        let path = "/fido/authenticate/complete";
        let (a, b, c) = tokio::join!(
            complete(&api, &p, path, &ceremony, &assertion),
            complete(&api, &p, path, &ceremony, &assertion),
            complete(&api, &p, path, &ceremony, &assertion),
        );
        let ok = [&a, &b, &c].iter().filter(|r| r.status == 200).count();
        assert_eq!(ok, 1, "{:?} {:?} {:?}", a.error(), b.error(), c.error());
        for r in [&a, &b, &c] {
            if r.status != 200 {
                assert_eq!(r.error(), (400, "ceremony_expired".into()));
            }
        }
    }
    // Registration too.
    let (ceremony, options) =
        begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    let mut other = SoftAuthenticator::new();
    let reg = other.register(&options, ORIGIN).await;
    let path = "/fido/register/complete";
    let (a, b) = tokio::join!(
        complete(&api, &p, path, &ceremony, &reg),
        complete(&api, &p, path, &ceremony, &reg),
    );
    assert_eq!(
        [a.status, b.status].iter().filter(|s| **s == 201).count(),
        1
    );
}

#[tokio::test]
async fn wrong_origin_and_client_rp_settings() {
    let api = shared();
    let p = api.partner().await;
    let user = sandbox_user(&api, &p, "+2348031230003").await;
    let mut device = SoftAuthenticator::new();
    let (ceremony, options) =
        begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    let reg = device.register(&options, "http://evil.example:8787").await;
    let r = complete(&api, &p, "/fido/register/complete", &ceremony, &reg).await;
    assert_eq!(r.error(), (400, "origin_mismatch".into()));
    assert!(r.json()["error"]["message"].as_str().unwrap().len() > 10);

    // The client's own RP: its origins only.
    let r = api
        .test(
            &p,
            "PUT",
            &format!("/clients/{}", p.id),
            Some(&json!({"rpId": "localhost", "allowedOrigins": ["http://localhost:3000"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let (ceremony, options) =
        begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    assert_eq!(options["rp"]["name"], "Test Shop");
    let reg = device.register(&options, ORIGIN).await;
    let r = complete(&api, &p, "/fido/register/complete", &ceremony, &reg).await;
    assert_eq!(r.error(), (400, "origin_mismatch".into()));
    let (ceremony, options) =
        begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    let reg = device.register(&options, "http://localhost:3000").await;
    let r = complete(&api, &p, "/fido/register/complete", &ceremony, &reg).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));

    // A credential for another RP id.
    let r = api
        .test(
            &p,
            "PUT",
            &format!("/clients/{}", p.id),
            Some(&json!({"rpId": "shop.example", "allowedOrigins": ["https://shop.example"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let (ceremony, mut options) =
        begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    options["rp"]["id"] = json!("other.example");
    let reg = SoftAuthenticator::new()
        .register(&options, "https://shop.example")
        .await;
    let r = complete(&api, &p, "/fido/register/complete", &ceremony, &reg).await;
    assert_eq!(r.error(), (400, "rp_id_mismatch".into()));
}

#[tokio::test]
async fn other_clients_never_see_users_devices_or_ceremonies() {
    let api = shared();
    let p = api.partner().await;
    let q = api.partner().await;
    let user = sandbox_user(&api, &p, "+2348031230004").await;
    let mut device = SoftAuthenticator::new();
    let (dev, _) = register(&api, &p, &user, &mut device, None).await;
    let device_id = dev["id"].as_str().unwrap();

    for (method, path, body) in [
        (
            "POST",
            "/fido/register/begin".to_owned(),
            Some(json!({"userId": user})),
        ),
        (
            "POST",
            "/fido/authenticate/begin".to_owned(),
            Some(json!({"userId": user})),
        ),
        ("GET", format!("/devices/{device_id}"), None),
        ("DELETE", format!("/devices/{device_id}"), None),
        ("GET", format!("/users/{user}/devices"), None),
    ] {
        let r = api.test(&q, method, &path, body.as_ref()).await;
        assert_eq!(r.error(), (404, "not_found".into()), "{method} {path}");
        // The live key of the same client sees no sandbox data either.
        let r = api.live(&p, method, &path, body.as_ref()).await;
        assert_eq!(r.error(), (404, "not_found".into()), "live {method} {path}");
    }
    // Another client cannot complete (nor burn) this client's ceremony.
    let (ceremony, options) = begin(
        &api,
        &p,
        "/fido/authenticate/begin",
        json!({"userId": user}),
    )
    .await;
    let assertion = device.authenticate(&options, ORIGIN).await;
    let r = complete(
        &api,
        &q,
        "/fido/authenticate/complete",
        &ceremony,
        &assertion,
    )
    .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    let r = complete(
        &api,
        &p,
        "/fido/authenticate/complete",
        &ceremony,
        &assertion,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    // Unknown ids.
    let r = api
        .test(&p, "GET", "/devices/device_0000000000000000", None)
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    let r = api
        .test(
            &p,
            "POST",
            "/fido/register/begin",
            Some(&json!({"userId": "user_0000000000000000"})),
        )
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
}

#[tokio::test]
async fn deregistered_devices_cannot_authenticate() {
    let api = shared();
    let hooks = Receiver::start(0).await;
    let p = api
        .new_partner(json!({"name": "Dereg Shop", "webhookUrl": hooks.url}))
        .await;
    let user = sandbox_user(&api, &p, "+2348031230005").await;
    let mut device = SoftAuthenticator::new();
    let (dev, _) = register(&api, &p, &user, &mut device, None).await;
    let device_id = dev["id"].as_str().unwrap().to_owned();
    assert_eq!(dev["model"], "Passkey");

    // A ceremony begun before the delete must not succeed after it.
    let (ceremony, options) = begin(
        &api,
        &p,
        "/fido/authenticate/begin",
        json!({"userId": user}),
    )
    .await;
    let assertion = device.authenticate(&options, ORIGIN).await;

    let r = api
        .test(&p, "DELETE", &format!("/devices/{device_id}"), None)
        .await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.bytes));
    assert!(r.bytes.is_empty());

    let r = complete(
        &api,
        &p,
        "/fido/authenticate/complete",
        &ceremony,
        &assertion,
    )
    .await;
    assert_eq!(r.error(), (400, "unknown_credential".into()));
    let r = api
        .test(
            &p,
            "POST",
            "/fido/authenticate/begin",
            Some(&json!({"userId": user})),
        )
        .await;
    assert_eq!(r.error(), (400, "unknown_credential".into()));
    let r = sign_in(&api, &p, json!({}), &mut device).await;
    assert_eq!(r.error(), (400, "unknown_credential".into()));
    let hook = assert_device_gone(&api, &p, &hooks, &user, &device_id).await;
    assert_eq!(
        hook.json()["data"]["device"],
        json!({"id": device_id, "model": "Passkey"})
    );
}

#[tokio::test]
async fn discoverable_sign_in_needs_no_user_id() {
    let api = shared();
    let p = api.partner().await;
    let user = sandbox_user(&api, &p, "+2348031230006").await;
    let mut device = SoftAuthenticator::new();
    let (dev, _) = register(&api, &p, &user, &mut device, None).await;
    let (ceremony, options) = begin(&api, &p, "/fido/authenticate/begin", json!({})).await;
    assert!(options.get("allowCredentials").is_none(), "{options}");
    let assertion = device.authenticate(&options, ORIGIN).await;
    assert!(assertion["response"]["userHandle"].is_string());
    let r = complete(
        &api,
        &p,
        "/fido/authenticate/complete",
        &ceremony,
        &assertion,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.json()["userId"], user.as_str());
    assert_eq!(r.json()["deviceId"], dev["id"]);
    let r = complete(
        &api,
        &p,
        "/fido/authenticate/complete",
        &ceremony,
        &assertion,
    )
    .await;
    assert_eq!(r.error(), (400, "ceremony_expired".into()));
    // Another client cannot sign in with this client's credential.
    let q = api.partner().await;
    let (ceremony, options) = begin(&api, &q, "/fido/authenticate/begin", json!({})).await;
    let assertion = device.authenticate(&options, ORIGIN).await;
    let r = complete(
        &api,
        &q,
        "/fido/authenticate/complete",
        &ceremony,
        &assertion,
    )
    .await;
    assert_eq!(r.error(), (400, "unknown_credential".into()));
}

#[tokio::test]
async fn bad_inputs_are_precise_400s_never_500s() {
    let api = shared();
    let p = api.partner().await;
    let user = sandbox_user(&api, &p, "+2348031230007").await;
    let r = api
        .test(
            &p,
            "POST",
            "/fido/register/begin",
            Some(&json!({"userId": user, "admin": true})),
        )
        .await;
    assert_eq!(r.error(), (400, "invalid_request".into()));
    assert_eq!(r.json()["error"]["param"], "admin");
    let (ceremony, _) = begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    for (body, code) in [
        (
            json!({"ceremonyId": ceremony, "response": {"id": 1}}),
            "malformed_response",
        ),
        (
            json!({"ceremonyId": "cer_nope", "response": {}}),
            "ceremony_expired",
        ),
        (json!({"ceremonyId": ceremony}), "invalid_request"),
        (
            json!({"ceremonyId": ceremony, "response": "x"}),
            "invalid_request",
        ),
    ] {
        let r = api
            .test(&p, "POST", "/fido/register/complete", Some(&body))
            .await;
        assert_eq!(r.error(), (400, code.into()), "{body}");
    }
    // The malformed attempt used the ceremony up.
    let mut device = SoftAuthenticator::new();
    let (_, options) = begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    let reg = device.register(&options, ORIGIN).await;
    let r = complete(&api, &p, "/fido/register/complete", &ceremony, &reg).await;
    assert_eq!(r.error(), (400, "ceremony_expired".into()));
    // Garbage inside well-formed JSON.
    let (ceremony, options) =
        begin(&api, &p, "/fido/register/begin", json!({"userId": user})).await;
    let mut reg = device.register(&options, ORIGIN).await;
    reg["response"]["attestationObject"] = json!("AAAA");
    let r = complete(&api, &p, "/fido/register/complete", &ceremony, &reg).await;
    assert_eq!(r.error(), (400, "malformed_response".into()));
}

#[tokio::test]
async fn the_recipients_passkey_approves_a_consent_from_the_phone() {
    let api = shared();
    let hooks = Receiver::start(0).await;
    let p = api
        .new_partner(json!({"name": "Phone Bank", "webhookUrl": hooks.url}))
        .await;
    let mobile = "+2348031230008";
    let user = sandbox_user(&api, &p, mobile).await;
    let mut device = SoftAuthenticator::new();
    let (dev, _) = register(&api, &p, &user, &mut device, Some("Ada's phone")).await;
    // Someone else's passkey (another mobile) must not approve.
    let other_user = sandbox_user(&api, &p, "+2348031230009").await;
    let mut other = SoftAuthenticator::new();
    register(&api, &p, &other_user, &mut other, None).await;

    let consent = api
        .consent(
            &p,
            json!({"recipient": mobile, "intent": "payment", "message": "Pay 5000 NGN"}),
        )
        .await;
    let id = consent["id"].as_str().unwrap().to_owned();
    let token = mid_tests::token_of(&consent);
    let phone_begin = |token: String| {
        let api = api.clone();
        let id = id.clone();
        async move {
            api.send(
                "POST",
                "/fido/authenticate/begin",
                None,
                Some(&json!({"consentId": id, "token": token})),
                &[],
            )
            .await
        }
    };
    let phone_complete = |ceremony: String, token: String, response: Value| {
        let api = api.clone();
        let id = id.clone();
        async move {
            api.send(
                "POST",
                "/fido/authenticate/complete",
                None,
                Some(&json!({"ceremonyId": ceremony, "consentId": id, "token": token, "response": response})),
                &[],
            )
            .await
        }
    };

    // A wrong token sees nothing.
    let r = phone_begin("x".repeat(32)).await;
    assert_eq!(r.error(), (404, "not_found".into()));

    // The other person's passkey: refused, consent untouched.
    let r = phone_begin(token.clone()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let b = r.json();
    assert!(b["options"].get("allowCredentials").is_none());
    assert_eq!(b["options"]["rpId"], "localhost");
    let response = other.authenticate(&b["options"], ORIGIN).await;
    let r = phone_complete(
        b["ceremonyId"].as_str().unwrap().into(),
        token.clone(),
        response,
    )
    .await;
    assert_eq!(r.error(), (403, "forbidden".into()));
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("someone else"),
        "{}",
        r.json()
    );

    // A phone ceremony cannot be completed on the partner path, and vice versa.
    let b = phone_begin(token.clone()).await.json();
    let response = device.authenticate(&b["options"], ORIGIN).await;
    let r = complete(
        &api,
        &p,
        "/fido/authenticate/complete",
        b["ceremonyId"].as_str().unwrap(),
        &response,
    )
    .await;
    assert_eq!(r.error(), (400, "ceremony_expired".into()));

    // The recipient's passkey approves, exactly once.
    let b = phone_begin(token.clone()).await.json();
    let response = device.authenticate(&b["options"], ORIGIN).await;
    let r = phone_complete(
        b["ceremonyId"].as_str().unwrap().into(),
        token.clone(),
        response,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let v = r.json();
    assert_eq!(v["verified"], true);
    assert_eq!(v["userId"], user.as_str());
    assert_eq!(v["deviceId"], dev["id"]);
    assert_eq!(v["consent"]["status"], "approved");
    assert_eq!(v["consent"]["user"]["id"], user.as_str());
    assert_eq!(v["consent"]["device"]["model"], "Ada's phone");
    let r = phone_begin(token.clone()).await;
    assert_eq!(r.error(), (409, "conflict".into()));
    let r = api.test(&p, "GET", &format!("/consents/{id}"), None).await;
    assert_eq!(r.json()["status"], "approved");
    let hook = eventually(20, "consent.approved", || {
        let h = hooks.of("consent.approved");
        async move { h.into_iter().next() }
    })
    .await;
    assert_eq!(hook.json()["data"]["device"]["id"], dev["id"]);

    // The token alone still cannot approve.
    let r = api
        .send(
            "POST",
            "/fido/authenticate/complete",
            None,
            Some(
                &json!({"ceremonyId": "cer_nope", "consentId": id, "token": token, "response": {}}),
            ),
            &[],
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn an_enrolled_phone_registers_a_passkey_with_its_registration_token() {
    let api = shared();
    let bank = api.partner().await;
    let mobile = mid_tests::mobile();
    // Enrollment with the code from the sandbox inbox.
    let enrollment = api.enroll(&bank, &mobile).await;
    let (_, code) = api.sandbox_sms(&bank, &mobile).await;
    let path = format!("/enrollments/{}/verify", enrollment["id"].as_str().unwrap());
    let v = api
        .test(&bank, "POST", &path, Some(&json!({"code": code})))
        .await
        .json();
    let token = v["registrationToken"].as_str().unwrap().to_owned();
    let user = v["userId"].as_str().unwrap().to_owned();

    // The phone: no API key, only the token (single use).
    let phone = |body: Value, path: &'static str| {
        let api = api.clone();
        async move { api.send("POST", path, None, Some(&body), &[]).await }
    };
    let r = phone(json!({"registrationToken": token}), "/fido/register/begin").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let b = r.json();
    assert_eq!(
        b["options"]["rp"]["id"], "localhost",
        "the service's RP: hosted pages"
    );
    assert_eq!(b["options"]["user"]["name"], mobile.as_str());
    let mut device = SoftAuthenticator::new();
    let response = device.register(&b["options"], ORIGIN).await;
    let again = phone(json!({"registrationToken": token}), "/fido/register/begin").await;
    assert_eq!(
        again.error(),
        (409, "conflict".into()),
        "the token is single use"
    );
    let bogus = phone(
        json!({"registrationToken": "rt_forged"}),
        "/fido/register/begin",
    )
    .await;
    assert_eq!(bogus.error(), (401, "unauthorized".into()));
    let r = phone(
        json!({"ceremonyId": b["ceremonyId"], "response": response, "deviceName": "Ada's phone"}),
        "/fido/register/complete",
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let dev = r.json();
    assert_eq!(dev["userId"], user.as_str());

    // It is the enrolling client's device.
    let list = api
        .test(&bank, "GET", &format!("/users/{user}/devices"), None)
        .await
        .json();
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == dev["id"]),
        "{list}"
    );

    // A partner-begun ceremony cannot be completed without the API key.
    let (ceremony, options) =
        begin(&api, &bank, "/fido/register/begin", json!({"userId": user})).await;
    let response = SoftAuthenticator::new().register(&options, ORIGIN).await;
    let r = phone(
        json!({"ceremonyId": ceremony, "response": response}),
        "/fido/register/complete",
    )
    .await;
    assert_eq!(r.error(), (401, "unauthorized".into()));

    // Another client does not see the user until the user approves one of its consents.
    let shop = api.partner().await;
    let r = api
        .test(&shop, "GET", &format!("/users/{user}"), None)
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    let consent = api
        .consent(&shop, json!({"recipient": mobile, "intent": "login"}))
        .await;
    let (id, ctoken) = (
        consent["id"].as_str().unwrap().to_owned(),
        mid_tests::token_of(&consent),
    );
    let b = phone(
        json!({"consentId": id, "token": ctoken}),
        "/fido/authenticate/begin",
    )
    .await
    .json();
    let assertion = device.authenticate(&b["options"], ORIGIN).await;
    let r = phone(
        json!({"ceremonyId": b["ceremonyId"], "consentId": id, "token": ctoken, "response": assertion}),
        "/fido/authenticate/complete",
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let r = api
        .test(&shop, "GET", &format!("/users/{user}"), None)
        .await;
    assert_eq!((r.status, r.json()["mobile"].clone()), (200, json!(mobile)));
}

/// The phone path in one call: begin with the approval token, answer with
/// `device`, complete. Returns the complete answer.
async fn phone_decide(api: &Api, consent: &Value, device: &mut SoftAuthenticator) -> Resp {
    let id = consent["id"].as_str().unwrap();
    let token = mid_tests::token_of(consent);
    let r = api
        .send(
            "POST",
            "/fido/authenticate/begin",
            None,
            Some(&json!({"consentId": id, "token": token})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let b = r.json();
    let assertion = device.authenticate(&b["options"], ORIGIN).await;
    api.send(
        "POST",
        "/fido/authenticate/complete",
        None,
        Some(
            &json!({"ceremonyId": b["ceremonyId"], "consentId": id, "token": token,
            "response": assertion}),
        ),
        &[],
    )
    .await
}

/// A passkey registered on the phone path with the registration token of a
/// verified test-mode enrollment of `p`.
async fn phone_passkey(api: &Api, p: &Partner, mobile: &str) -> (String, SoftAuthenticator) {
    let enrollment = api.enroll(p, mobile).await;
    let (_, code) = api.sandbox_sms(p, mobile).await;
    let path = format!("/enrollments/{}/verify", enrollment["id"].as_str().unwrap());
    let v = api
        .test(p, "POST", &path, Some(&json!({ "code": code })))
        .await
        .json();
    let token = v["registrationToken"].as_str().unwrap().to_owned();
    let b = api
        .send(
            "POST",
            "/fido/register/begin",
            None,
            Some(&json!({ "registrationToken": token })),
            &[],
        )
        .await
        .json();
    let mut device = SoftAuthenticator::new();
    let response = device.register(&b["options"], ORIGIN).await;
    let r = api
        .send(
            "POST",
            "/fido/register/complete",
            None,
            Some(&json!({"ceremonyId": b["ceremonyId"], "response": response})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    (v["userId"].as_str().unwrap().to_owned(), device)
}

#[tokio::test]
async fn security_a_test_mode_passkey_never_decides_a_live_consent() {
    let api = shared();
    let p = api.partner().await;
    let mobile = mid_tests::mobile();
    let (_, mut device) = phone_passkey(&api, &p, &mobile).await;

    // A live consent for the same number: the test-mode passkey proves possession
    // but may not decide it (DESIGN §2: modes never mix).
    let r = api
        .live(
            &p,
            "POST",
            "/consents/auth",
            Some(&json!({"recipient": mobile, "intent": "payment"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let live = r.json();
    assert_eq!(live["livemode"], true);
    let r = phone_decide(&api, &live, &mut device).await;
    assert_eq!(r.error(), (403, "forbidden".into()));
    let r = api
        .live(
            &p,
            "GET",
            &format!("/consents/{}", live["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.json()["status"], "pending", "{}", r.json());

    // The same passkey still decides a test consent for that number.
    let test = api
        .consent(&p, json!({"recipient": mobile, "intent": "payment"}))
        .await;
    let r = phone_decide(&api, &test, &mut device).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.json()["consent"]["status"], "approved");
}

#[tokio::test]
async fn security_a_partners_passkey_never_decides_another_partners_consent() {
    let api = shared();
    let hooks_b = Receiver::start(0).await;
    let a = api.partner().await;
    let b = api
        .new_partner(json!({"name": "Other Shop", "webhookUrl": hooks_b.url}))
        .await;
    let mobile = mid_tests::mobile();
    // Partner A registers a passkey for the person (partner path, service RP).
    let user = sandbox_user(&api, &a, &mobile).await;
    let mut device = SoftAuthenticator::new();
    register(&api, &a, &user, &mut device, Some("A's passkey")).await;

    // B's consent for the same person: A's passkey may not vouch towards B.
    let consent_b = api
        .consent(&b, json!({"recipient": mobile, "intent": "login"}))
        .await;
    let id_b = consent_b["id"].as_str().unwrap().to_owned();
    let r = phone_decide(&api, &consent_b, &mut device).await;
    assert_eq!(r.error(), (403, "forbidden".into()));
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("another service"),
        "{}",
        r.json()
    );
    let r = api
        .test(&b, "GET", &format!("/consents/{id_b}"), None)
        .await;
    assert_eq!(r.json()["status"], "pending", "{}", r.json());
    assert!(r.json().get("user").is_none(), "{}", r.json());
    // B learns nothing about the user either.
    let r = api.test(&b, "GET", &format!("/users/{user}"), None).await;
    assert_eq!(r.error(), (404, "not_found".into()));

    // The same passkey decides A's own consent for that person.
    let consent_a = api
        .consent(&a, json!({"recipient": mobile, "intent": "login"}))
        .await;
    let r = phone_decide(&api, &consent_a, &mut device).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));

    // A passkey the person registered themself (phone path) decides B's consent.
    let (_, mut own) = phone_passkey(&api, &a, &mobile).await;
    let r = phone_decide(&api, &consent_b, &mut own).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.json()["consent"]["status"], "approved");
    let hook = eventually(20, "B's consent.approved", || {
        let h = hooks_b.of("consent.approved");
        async move { h.into_iter().next() }
    })
    .await;
    assert_eq!(hook.json()["data"]["sessionId"], id_b.as_str());
}
