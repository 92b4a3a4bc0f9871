//! Native-app device keys against the real worker: registration, listing,
//! deletion, and consent decisions signed with P-256 and Ed25519 keys (signed
//! here with the `p256` / `ed25519-dalek` crates, as a phone app would).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::Signer as _;

use mid_tests::receiver::Received;
use mid_tests::{
    assert_device_gone, eventually, mobile, shared, token_of, Api, Partner, Receiver, Resp,
};
use serde_json::{json, Value};

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 fresh secret bytes (no RNG crate needed: a hash of time and a counter).
fn seed() -> [u8; 32] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    hmac_sha256::Hash::hash(format!("{t}:{n}:{}", std::process::id()).as_bytes())
}

/// A device key as the phone app holds it.
enum Key {
    Ec(p256::ecdsa::SigningKey),
    Ed(ed25519_dalek::SigningKey),
}

impl Key {
    fn p256() -> Key {
        Key::Ec(p256::ecdsa::SigningKey::from_slice(&seed()).unwrap())
    }

    fn ed25519() -> Key {
        Key::Ed(ed25519_dalek::SigningKey::from_bytes(&seed()))
    }

    fn jwk(&self) -> Value {
        match self {
            Key::Ec(k) => {
                let p = k.verifying_key().to_encoded_point(false);
                json!({"kty": "EC", "crv": "P-256", "x": b64(p.x().unwrap()), "y": b64(p.y().unwrap())})
            }
            Key::Ed(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.verifying_key().as_bytes())})
            }
        }
    }

    /// base64url of the raw signature over the decision string.
    fn sign(&self, consent_id: &str, decision: &str, challenge: &str) -> String {
        let msg = format!("mid-consent:v1:{consent_id}:{decision}:{challenge}");
        match self {
            Key::Ec(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg.as_bytes());
                b64(&sig.to_bytes())
            }
            Key::Ed(k) => b64(&k.sign(msg.as_bytes()).to_bytes()),
        }
    }
}

/// Checks both signatures of a delivery as a Standard Webhooks verifier does.
fn verify(p: &Partner, r: &Received) {
    let key = STANDARD
        .decode(p.webhook_secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let body = String::from_utf8(r.body.clone()).unwrap();
    let (unsigned, sig) = body.rsplit_once(r#","signature":"sha256="#).unwrap();
    let sig = sig.strip_suffix("\"}").unwrap();
    assert_eq!(
        sig,
        hex(&hmac_sha256::HMAC::mac(
            format!("{unsigned}}}").as_bytes(),
            &key
        )),
        "body signature"
    );
    let id = r.header("webhook-id").unwrap();
    let ts = r.header("webhook-timestamp").unwrap();
    let want = format!(
        "v1,{}",
        STANDARD.encode(hmac_sha256::HMAC::mac(
            format!("{id}.{ts}.{body}").as_bytes(),
            &key
        ))
    );
    assert_eq!(r.header("webhook-signature"), Some(want.as_str()));
    assert_eq!(r.header("x-mid-event"), r.json()["event"].as_str());
}

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

async fn register(api: &Api, p: &Partner, user: &str, key: &Key, name: &str) -> Value {
    let r = api
        .test(
            p,
            "POST",
            "/devices",
            Some(&json!({"userId": user, "name": name, "platform": "ios", "publicKey": key.jwk(), "pushToken": "apns-token-1"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    r.json()
}

/// The scan challenge of a consent.
/// Registers a device key and returns its id.
async fn register_id(api: &Api, p: &Partner, user: &str, key: &Key, name: &str) -> String {
    register(api, p, user, key, name).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The start of the decision tests that watch webhooks: a partner with its own webhook
/// receiver, a sandbox user on a fresh mobile, one device key registered for
/// that user, and a `payment` consent to the mobile.
struct Setup {
    hooks: Receiver,
    p: Partner,
    user: String,
    key: Key,
    dev: String,
    c: Value,
}

async fn device_setup(api: &Api, partner_name: &str, key: Key, device_name: &str) -> Setup {
    let hooks = Receiver::start(0).await;
    let p = api
        .new_partner(json!({"name": partner_name, "webhookUrl": hooks.url}))
        .await;
    let m = mobile();
    let user = sandbox_user(api, &p, &m).await;
    let dev = register_id(api, &p, &user, &key, device_name).await;
    let c = api
        .consent(&p, json!({"recipient": m, "intent": "payment"}))
        .await;
    Setup {
        hooks,
        p,
        user,
        key,
        dev,
        c,
    }
}

async fn scan(api: &Api, consent: &Value) -> String {
    let id = consent["id"].as_str().unwrap();
    let r = api
        .send(
            "POST",
            &format!("/consents/{id}/scan"),
            None,
            Some(&json!({"token": token_of(consent)})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    r.json()["challenge"].as_str().unwrap().to_owned()
}

async fn decide(api: &Api, consent_id: &str, device_id: &str, decision: &str, sig: &str) -> Resp {
    api.send(
        "POST",
        &format!("/consents/{consent_id}/decision"),
        None,
        Some(&json!({"deviceId": device_id, "decision": decision, "signature": sig})),
        &[],
    )
    .await
}

/// Scans, signs and sends one decision.
async fn scan_and_decide(
    api: &Api,
    consent: &Value,
    device_id: &str,
    key: &Key,
    decision: &str,
) -> Resp {
    let id = consent["id"].as_str().unwrap();
    let challenge = scan(api, consent).await;
    decide(
        api,
        id,
        device_id,
        decision,
        &key.sign(id, decision, &challenge),
    )
    .await
}

async fn status(api: &Api, p: &Partner, consent: &Value) -> Value {
    let r = api
        .test(
            p,
            "GET",
            &format!("/consents/{}", consent["id"].as_str().unwrap()),
            None,
        )
        .await;
    r.json()
}

#[tokio::test]
async fn register_list_approve_and_reject_with_device_keys() {
    let api = shared();
    let hooks = Receiver::start(0).await;
    let p = api
        .new_partner(json!({"name": "Device Bank", "webhookUrl": hooks.url}))
        .await;
    let m = mobile();
    let user = sandbox_user(&api, &p, &m).await;

    let ec = Key::p256();
    let dev = register(&api, &p, &user, &ec, "Ada's iPhone").await;
    let ec_id = dev["id"].as_str().unwrap().to_owned();
    assert!(ec_id.starts_with("device_") && ec_id.len() == 23, "{dev}");
    assert_eq!(dev["kind"], "device_key");
    assert_eq!(dev["name"], "Ada's iPhone");
    assert_eq!(dev["platform"], "ios");
    assert_eq!(dev["algorithm"], "ES256");
    assert_eq!(dev["publicKey"], ec.jwk());
    assert_eq!(
        dev["pushToken"], true,
        "the push token itself is never echoed"
    );
    assert_eq!(dev["lastUsedAt"], Value::Null);
    let ed = Key::ed25519();
    let ed_id = register_id(&api, &p, &user, &ed, "Pixel 9").await;

    let r = api
        .test(&p, "GET", &format!("/devices/{ec_id}"), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], ec_id.as_str());
    let r = api
        .test(&p, "GET", &format!("/users/{user}/devices"), None)
        .await;
    let ids: Vec<String> = r.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [ed_id.clone(), ec_id.clone()], "newest first");

    // Approve with the P-256 key.
    let c1 = api
        .consent(&p, json!({"recipient": m, "intent": "payment"}))
        .await;
    let r = scan_and_decide(&api, &c1, &ec_id, &ec, "approve").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.json()["status"], "approved");
    let got = status(&api, &p, &c1).await;
    assert_eq!(got["status"], "approved");
    assert_eq!(got["device"], json!({"id": ec_id, "model": "Ada's iPhone"}));
    assert_eq!(got["user"]["id"], user.as_str());
    let r = api
        .test(&p, "GET", &format!("/devices/{ec_id}"), None)
        .await;
    assert!(r.json()["lastUsedAt"].is_string(), "{}", r.json());

    // Reject another with the Ed25519 key.
    let c2 = api
        .consent(&p, json!({"recipient": m, "intent": "login"}))
        .await;
    let r = scan_and_decide(&api, &c2, &ed_id, &ed, "reject").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(status(&api, &p, &c2).await["status"], "rejected");

    // Webhooks: the registrations and the approval, signed.
    let registered = eventually(20, "two device.registered", || {
        let h = hooks.of("device.registered");
        async move { (h.len() == 2).then_some(h) }
    })
    .await;
    for h in &registered {
        verify(&p, h);
    }
    let data = &registered
        .iter()
        .find(|h| h.json()["data"]["deviceId"] == ec_id.as_str())
        .unwrap()
        .json()["data"];
    assert_eq!(
        *data,
        json!({"deviceId": ec_id, "clientId": p.id, "status": "registered",
               "user": {"id": user, "mobile": m, "verified": true},
               "device": {"id": ec_id, "model": "Ada's iPhone"}})
    );
    let approved = eventually(20, "consent.approved", || {
        let h = hooks.of("consent.approved");
        async move { h.into_iter().next() }
    })
    .await;
    verify(&p, &approved);
    assert_eq!(
        approved.json()["data"]["device"],
        json!({"id": ec_id, "model": "Ada's iPhone"})
    );
}

#[tokio::test]
async fn security_a_challenge_is_single_use_and_a_new_scan_voids_the_old_one() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let user = sandbox_user(&api, &p, &m).await;
    let key = Key::p256();
    let dev = register_id(&api, &p, &user, &key, "Phone").await;
    let c = api
        .consent(&p, json!({"recipient": m, "intent": "payment"}))
        .await;
    let id = c["id"].as_str().unwrap();

    // Before any scan there is no challenge.
    let r = decide(&api, id, &dev, "approve", &key.sign(id, "approve", "x")).await;
    assert_eq!(r.error(), (400, "invalid_challenge".into()));

    // A failed attempt consumes the challenge: the valid signature over it is then refused.
    let ch = scan(&api, &c).await;
    let r = decide(&api, id, &dev, "approve", &b64(&[7; 64])).await;
    assert_eq!(r.error(), (400, "bad_signature".into()));
    let good = key.sign(id, "approve", &ch);
    let r = decide(&api, id, &dev, "approve", &good).await;
    assert_eq!(r.error(), (400, "invalid_challenge".into()));

    // A stale challenge after a new scan: refused (and that attempt spends the new one).
    let stale = scan(&api, &c).await;
    let _fresh = scan(&api, &c).await;
    let r = decide(&api, id, &dev, "approve", &key.sign(id, "approve", &stale)).await;
    assert_eq!(r.error(), (400, "bad_signature".into()));
    // A signature for the other decision than the one sent: refused.
    let ch = scan(&api, &c).await;
    let r = decide(&api, id, &dev, "approve", &key.sign(id, "reject", &ch)).await;
    assert_eq!(r.error(), (400, "bad_signature".into()));
    assert_eq!(status(&api, &p, &c).await["status"], "scanned");

    // A DER signature is refused as malformed without spending the challenge.
    let ch = scan(&api, &c).await;
    let Key::Ec(sk) = &key else { unreachable!() };
    let der: p256::ecdsa::Signature =
        sk.sign(format!("mid-consent:v1:{id}:approve:{ch}").as_bytes());
    let r = decide(&api, id, &dev, "approve", &b64(der.to_der().as_bytes())).await;
    assert_eq!(r.error(), (400, "invalid_request".into()));
    assert_eq!(r.json()["error"]["param"], "signature");
    let good = key.sign(id, "approve", &ch);
    let r = decide(&api, id, &dev, "approve", &good).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));

    // Replaying the winning request: refused.
    let r = decide(&api, id, &dev, "approve", &good).await;
    assert_eq!(r.error(), (409, "conflict".into()));
}

#[tokio::test]
async fn security_another_users_device_cannot_decide() {
    let api = shared();
    let p = api.partner().await;
    let (m1, m2) = (mobile(), mobile());
    sandbox_user(&api, &p, &m1).await;
    let other = sandbox_user(&api, &p, &m2).await;
    let key = Key::ed25519();
    let dev = register_id(&api, &p, &other, &key, "Not yours").await;
    let c = api
        .consent(&p, json!({"recipient": m1, "intent": "payment"}))
        .await;
    let r = scan_and_decide(&api, &c, &dev, &key, "approve").await;
    assert_eq!(r.error(), (403, "forbidden".into()));
    let r = scan_and_decide(&api, &c, &dev, &key, "reject").await;
    assert_eq!(r.error(), (403, "forbidden".into()));
    assert_eq!(status(&api, &p, &c).await["status"], "scanned");
}

#[tokio::test]
async fn security_a_partners_device_key_never_decides_another_partners_consent() {
    let api = shared();
    let a = api.partner().await;
    let b = api.partner().await;
    let m = mobile();
    let user = sandbox_user(&api, &a, &m).await;
    assert_eq!(
        sandbox_user(&api, &b, &m).await,
        user,
        "one user per mobile"
    );
    let key = Key::p256();
    let dev = register_id(&api, &a, &user, &key, "A's app").await;
    let c = api
        .consent(&b, json!({"recipient": m, "intent": "payment"}))
        .await;
    let r = scan_and_decide(&api, &c, &dev, &key, "approve").await;
    assert_eq!(r.error(), (403, "forbidden".into()));
    assert_eq!(status(&api, &b, &c).await["status"], "scanned");
    // It still decides A's own consents.
    let own = api
        .consent(&a, json!({"recipient": m, "intent": "payment"}))
        .await;
    let r = scan_and_decide(&api, &own, &dev, &key, "approve").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
}

#[tokio::test]
async fn security_a_test_mode_device_never_decides_a_live_consent() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let user = sandbox_user(&api, &p, &m).await;
    let key = Key::p256();
    let dev = register_id(&api, &p, &user, &key, "Test phone").await;
    let r = api
        .live(
            &p,
            "POST",
            "/consents/auth",
            Some(&json!({"recipient": m, "intent": "payment"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let live = r.json();
    let r = scan_and_decide(&api, &live, &dev, &key, "approve").await;
    assert_eq!(r.error(), (403, "forbidden".into()));
    let r = api
        .live(
            &p,
            "GET",
            &format!("/consents/{}", live["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.json()["status"], "scanned");
}

#[tokio::test]
async fn security_a_deleted_device_cannot_decide() {
    let api = shared();
    let Setup {
        hooks,
        p,
        user,
        key,
        dev,
        c,
    } = device_setup(&api, "Dereg Bank", Key::ed25519(), "Old phone").await;
    // Signed before the delete, sent after it.
    let ch = scan(&api, &c).await;
    let id = c["id"].as_str().unwrap();
    let sig = key.sign(id, "approve", &ch);

    let r = api
        .test(&p, "DELETE", &format!("/devices/{dev}"), None)
        .await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.bytes));
    assert!(r.bytes.is_empty());

    let r = decide(&api, id, &dev, "approve", &sig).await;
    assert_eq!(r.error(), (404, "not_found".into()));
    let r = scan_and_decide(&api, &c, &dev, &key, "approve").await;
    assert_eq!(r.error(), (404, "not_found".into()));
    assert_eq!(status(&api, &p, &c).await["status"], "scanned");
    let hook = assert_device_gone(&api, &p, &hooks, &user, &dev).await;
    verify(&p, &hook);
    assert_eq!(
        hook.json()["data"]["device"],
        json!({"id": dev, "model": "Old phone"})
    );
}

#[tokio::test]
async fn security_other_clients_cannot_see_or_delete_devices() {
    let api = shared();
    let a = api.partner().await;
    let b = api.partner().await;
    let m = mobile();
    let user = sandbox_user(&api, &a, &m).await;
    let key = Key::p256();
    let dev = register_id(&api, &a, &user, &key, "A's phone").await;
    for (method, path) in [
        ("GET", format!("/devices/{dev}")),
        ("DELETE", format!("/devices/{dev}")),
        ("GET", format!("/users/{user}/devices")),
    ] {
        let r = api.test(&b, method, &path, None).await;
        assert_eq!(r.error(), (404, "not_found".into()), "B {method} {path}");
        let r = api.live(&a, method, &path, None).await;
        assert_eq!(
            r.error(),
            (404, "not_found".into()),
            "A live {method} {path}"
        );
    }
    // B cannot register a device for a user it does not see either.
    let r = api
        .test(
            &b,
            "POST",
            "/devices",
            Some(&json!({"userId": user, "name": "x", "platform": "ios", "publicKey": key.jwk()})),
        )
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    // Even once B sees the person, A's device stays A's.
    sandbox_user(&api, &b, &m).await;
    let r = api.test(&b, "GET", &format!("/devices/{dev}"), None).await;
    assert_eq!(r.error(), (404, "not_found".into()));
    let r = api
        .test(&b, "GET", &format!("/users/{user}/devices"), None)
        .await;
    assert_eq!(r.json()["data"], json!([]));
    let r = api.test(&a, "GET", &format!("/devices/{dev}"), None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn bad_registrations_are_precise_400s() {
    let api = shared();
    let p = api.partner().await;
    let user = sandbox_user(&api, &p, &mobile()).await;
    let jwk = Key::p256().jwk();
    let mut with_d = jwk.clone();
    with_d["d"] = b64(&[1; 32]).into();
    let mut p384 = jwk.clone();
    p384["crv"] = "P-384".into();
    let base = json!({"userId": user, "name": "n", "platform": "ios"});
    let cases = [
        (json!({"publicKey": with_d}), "publicKey.d"),
        (json!({"publicKey": p384}), "publicKey.crv"),
        (
            json!({"publicKey": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}),
            "publicKey.kty",
        ),
        (json!({"publicKey": jwk, "extra": 1}), "extra"),
        (json!({"publicKey": jwk, "name": "x".repeat(101)}), "name"),
    ];
    for (over, param) in cases {
        let mut body = base.clone();
        for (k, v) in over.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = api.test(&p, "POST", "/devices", Some(&body)).await;
        assert_eq!(r.error(), (400, "invalid_request".into()), "{param}");
        assert_eq!(r.json()["error"]["param"], param);
    }
    let r = api
        .test(
            &p,
            "POST",
            "/devices",
            Some(&json!({"userId": "user_0000000000000000", "name": "n", "platform": "ios", "publicKey": jwk})),
        )
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
}

#[tokio::test]
async fn security_concurrent_decisions_exactly_one_wins() {
    let api = shared();
    let Setup {
        hooks,
        p,
        key,
        dev,
        c,
        ..
    } = device_setup(&api, "Race Bank", Key::p256(), "Racer").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let ch = scan(&api, &c).await;
    let approve = key.sign(&id, "approve", &ch);
    let reject = key.sign(&id, "reject", &ch);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let api = api.clone();
            let (id, dev) = (id.clone(), dev.clone());
            let (decision, sig) = if i % 2 == 0 {
                ("approve", approve.clone())
            } else {
                ("reject", reject.clone())
            };
            tokio::spawn(async move { decide(&api, &id, &dev, decision, &sig).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 400, 409].contains(s)),
        "{statuses:?}"
    );
    let final_status = status(&api, &p, &c).await["status"].clone();
    assert!(final_status == "approved" || final_status == "rejected");
    eventually(20, "one terminal webhook", || {
        let n = hooks.of("consent.approved").len() + hooks.of("consent.rejected").len();
        async move { (n >= 1).then_some(()) }
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let terminal: Vec<_> = hooks
        .of("consent.approved")
        .into_iter()
        .chain(hooks.of("consent.rejected"))
        .collect();
    let ids: std::collections::HashSet<String> = terminal
        .iter()
        .map(|h| h.header("webhook-id").unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "exactly one terminal event");
    assert_eq!(terminal[0].json()["data"]["status"], final_status);
}

#[tokio::test]
async fn device_keys_share_the_twenty_authenticator_cap() {
    let api = shared();
    let p = api.partner().await;
    let user = sandbox_user(&api, &p, &mobile()).await;
    for i in 0..20 {
        register(&api, &p, &user, &Key::ed25519(), &format!("Phone {i}")).await;
    }
    let r = api
        .test(
            &p,
            "POST",
            "/devices",
            Some(&json!({"userId": user, "name": "One too many", "platform": "ios", "publicKey": Key::p256().jwk()})),
        )
        .await;
    assert_eq!(r.error(), (409, "conflict".into()));
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("20 passkeys and device keys"));
}

#[tokio::test]
async fn security_decisions_count_toward_the_per_consent_phone_limit() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let user = sandbox_user(&api, &p, &m).await;
    let key = Key::p256();
    let dev = register_id(&api, &p, &user, &key, "Phone").await;
    let c = api
        .consent(&p, json!({"recipient": m, "intent": "payment"}))
        .await;
    let id = c["id"].as_str().unwrap();
    scan(&api, &c).await; // 1 of 30
    for _ in 0..29 {
        let r = decide(&api, id, &dev, "approve", &b64(&[9; 64])).await;
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.bytes));
    }
    let r = decide(&api, id, &dev, "approve", &b64(&[9; 64])).await;
    assert_eq!(r.error(), (429, "rate_limited".into()));
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("30"));
    assert_eq!(status(&api, &p, &c).await["status"], "scanned");
}
