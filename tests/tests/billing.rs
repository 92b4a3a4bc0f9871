//! Incoming billing webhooks against the real worker (DESIGN §4): a forged
//! event changes nothing, a real one is applied once and never rolled back by
//! an older one; the operator reads what each did at `GET /billing/events`.
//!
//! Stripe signatures are made by the official `stripe` npm package
//! (`generateTestHeaderString`), an implementation independent of MID's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use mid_tests::{repo_root, Api, Partner, Worker};
use serde_json::{json, Value};

const STRIPE_SECRET: &str = "whsec_billing_integration_test_secret";

fn now_s() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// `Stripe-Signature` for `payload`, from stripe-node itself.
fn stripe_header(payload: &str, secret: &str, timestamp: i64) -> String {
    let out = Command::new("node")
        .current_dir(repo_root())
        .env("PAYLOAD", payload)
        .env("SECRET", secret)
        .env("TS", timestamp.to_string())
        .args([
            "-e",
            "const Stripe = require('stripe'); \
             const s = new Stripe('sk_test_unused'); \
             process.stdout.write(s.webhooks.generateTestHeaderString({ \
               payload: process.env.PAYLOAD, secret: process.env.SECRET, \
               timestamp: Number(process.env.TS) }));",
        ])
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "stripe-node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn post_stripe(api: &Api, payload: &str, signature: Option<&str>) -> (u16, Value) {
    let mut req = api
        .http
        .post(format!("{}/webhooks/stripe", api.base))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(payload.to_owned());
    if let Some(s) = signature {
        req = req.header("Stripe-Signature", s);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("Content-Type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.bytes().await.unwrap();
    // Sent outside `Api::send` (raw body, own headers), so checked here.
    mid_tests::openapi::check_response(
        "POST",
        "/webhooks/stripe",
        status,
        content_type.as_deref(),
        &bytes,
    );
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Signs and sends a Stripe event now.
async fn send_stripe(api: &Api, event: &Value) -> (u16, Value) {
    let payload = event.to_string();
    let sig = stripe_header(&payload, STRIPE_SECRET, now_s());
    post_stripe(api, &payload, Some(&sig)).await
}

fn stripe_event(id: &str, ty: &str, created: i64, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": ty, "created": created,
        "livemode": false, "data": {"object": object}})
}

async fn plan_of(api: &Api, p: &Partner) -> String {
    let r = api.admin("GET", &format!("/clients/{}", p.id), None).await;
    assert_eq!(r.status, 200);
    r.json()["plan"].as_str().unwrap().to_owned()
}

async fn events_of(api: &Api, query: &str) -> Vec<Value> {
    let r = api
        .admin("GET", &format!("/billing/events?{query}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let v = r.json();
    assert_eq!(v["object"], "list");
    assert!(v["hasMore"].is_boolean());
    v["data"].as_array().unwrap().clone()
}

async fn stripe_worker(name: &str) -> Worker {
    Worker::start(name, &[("STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)]).await
}

#[tokio::test]
async fn stripe_checkout_sets_the_plan_once_and_the_rate_limit_follows() {
    let w = stripe_worker("billing-stripe-happy").await;
    let api = w.api();
    let p = api.partner().await;
    let r = api
        .test(&p, "GET", &format!("/clients/{}", p.id), None)
        .await;
    assert_eq!(r.header("X-RateLimit-Limit").as_deref(), Some("60"));

    let event = stripe_event(
        "evt_checkout_1",
        "checkout.session.completed",
        now_s(),
        json!({"object": "checkout.session", "metadata": {"clientId": p.id, "plan": "enterprise"}}),
    );
    let (status, body) = send_stripe(&api, &event).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(false)));
    assert_eq!(plan_of(&api, &p).await, "enterprise");
    // The plan's limit applies from the very next request.
    let r = api
        .test(&p, "GET", &format!("/clients/{}", p.id), None)
        .await;
    assert_eq!(r.header("X-RateLimit-Limit").as_deref(), Some("6000"));

    // Stripe redelivers: 2xx, applied once, recorded once.
    let (status, body) = send_stripe(&api, &event).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(true)));
    let events = events_of(&api, &format!("clientId={}", p.id)).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["id"], "evt_checkout_1");
    assert_eq!(events[0]["source"], "stripe");
    assert_eq!(events[0]["outcome"], "applied");
    assert_eq!(events[0]["change"], "plan=enterprise status=active");

    // Cancelling returns the partner to free.
    let deleted = stripe_event(
        "evt_deleted_1",
        "customer.subscription.deleted",
        now_s() + 1,
        json!({"object": "subscription", "status": "canceled", "metadata": {"clientId": p.id}}),
    );
    assert_eq!(send_stripe(&api, &deleted).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "free");
    let events = events_of(&api, &format!("clientId={}", p.id)).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["id"], "evt_deleted_1", "newest first");
}

#[tokio::test]
async fn security_stripe_forgeries_change_nothing() {
    let w = stripe_worker("billing-stripe-forged").await;
    let api = w.api();
    let p = api.partner().await;
    let event = stripe_event(
        "evt_forged_1",
        "checkout.session.completed",
        now_s(),
        json!({"metadata": {"clientId": p.id, "plan": "enterprise"}}),
    );
    let payload = event.to_string();
    let good = stripe_header(&payload, STRIPE_SECRET, now_s());
    let tampered = payload.replace("enterprise", "pro");
    let cases: Vec<(&str, String, Option<String>)> = vec![
        ("tampered body", tampered.clone(), Some(good.clone())),
        (
            "wrong secret",
            payload.clone(),
            Some(stripe_header(&payload, "whsec_not_the_secret", now_s())),
        ),
        (
            "timestamp too old",
            payload.clone(),
            Some(stripe_header(&payload, STRIPE_SECRET, now_s() - 400)),
        ),
        (
            "timestamp in the future",
            payload.clone(),
            Some(stripe_header(&payload, STRIPE_SECRET, now_s() + 400)),
        ),
        ("no header", payload.clone(), None),
        ("v0 only", payload.clone(), Some(good.replace("v1=", "v0="))),
    ];
    for (what, body, sig) in cases {
        let (status, resp) = post_stripe(&api, &body, sig.as_deref()).await;
        assert_eq!(status, 400, "{what}: {resp}");
        assert_eq!(resp["error"]["code"], "invalid_signature", "{what}");
    }
    assert_eq!(plan_of(&api, &p).await, "free");
    assert!(events_of(&api, &format!("clientId={}", p.id))
        .await
        .is_empty());
    // The genuine one still goes through afterwards (nothing was burnt by the forgeries).
    assert_eq!(post_stripe(&api, &payload, Some(&good)).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "enterprise");
}

#[tokio::test]
async fn stripe_out_of_order_unknown_and_ignored_events() {
    let w = stripe_worker("billing-stripe-order").await;
    let api = w.api();
    let p = api.partner().await;
    let t = now_s();
    let active = |id: &str, created: i64| {
        stripe_event(
            id,
            "customer.subscription.updated",
            created,
            json!({"status": "active", "metadata": {"clientId": p.id, "plan": "pro"}}),
        )
    };
    assert_eq!(send_stripe(&api, &active("evt_a", t - 20)).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "pro");
    let deleted = stripe_event(
        "evt_b",
        "customer.subscription.deleted",
        t - 10,
        json!({"status": "canceled", "metadata": {"clientId": p.id}}),
    );
    assert_eq!(send_stripe(&api, &deleted).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "free");
    // An update made before the cancellation arrives late: no roll-back.
    assert_eq!(send_stripe(&api, &active("evt_c", t - 15)).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "free");
    let events = events_of(&api, &format!("clientId={}", p.id)).await;
    let outcome = |id: &str| {
        events
            .iter()
            .find(|e| e["id"] == id)
            .map(|e| e["outcome"].as_str().unwrap().to_owned())
    };
    assert_eq!(outcome("evt_c").as_deref(), Some("stale"));
    assert_eq!(outcome("evt_b").as_deref(), Some("applied"));

    // A failed payment marks the status, keeps the plan.
    let failed = stripe_event(
        "evt_d",
        "invoice.payment_failed",
        t,
        json!({"object": "invoice", "parent": {"subscription_details": {"metadata": {"clientId": p.id}}}}),
    );
    assert_eq!(send_stripe(&api, &failed).await.0, 200);
    assert_eq!(plan_of(&api, &p).await, "free");
    assert_eq!(
        events_of(&api, &format!("clientId={}", p.id)).await[0]["change"],
        "status=past_due"
    );

    // A client MID does not have: 200, recorded, nothing created.
    let ghost = "mid_client_0000000000000000";
    let (status, _) = send_stripe(
        &api,
        &stripe_event(
            "evt_ghost",
            "checkout.session.completed",
            t,
            json!({"metadata": {"clientId": ghost, "plan": "enterprise"}}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let ghost_events = events_of(&api, &format!("clientId={ghost}")).await;
    assert_eq!(ghost_events.len(), 1);
    assert_eq!(ghost_events[0]["outcome"], "unknown_subject");
    assert_eq!(
        api.admin("GET", &format!("/clients/{ghost}"), None)
            .await
            .status,
        404
    );

    // An event type MID does not act on: 200, recorded as ignored.
    let (status, _) = send_stripe(
        &api,
        &stripe_event(
            "evt_other",
            "charge.succeeded",
            t,
            json!({"metadata": {"clientId": p.id}}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let events = events_of(&api, &format!("clientId={}", p.id)).await;
    assert_eq!(events[0]["id"], "evt_other");
    assert_eq!(events[0]["outcome"], "ignored");
    assert_eq!(plan_of(&api, &p).await, "free");

    // Only the operator reads the ledger.
    let r = api
        .test(
            &p,
            "GET",
            &format!("/billing/events?clientId={}", p.id),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    let r = api
        .send("GET", "/billing/events?clientId=x", None, None, &[])
        .await;
    assert_eq!(r.status, 401);
}

// ---------------------------------------------------------------- App Store

mod apple {
    //! Apple-shaped chains made here: a P-384 root and intermediate, a P-256
    //! leaf, Apple's marker OIDs; ES256 compact JWS signed by the leaf.
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    use p256::pkcs8::DecodePrivateKey as _;
    use rcgen::{
        BasicConstraints, Certificate, CertificateParams, CustomExtension, DnType, IsCa, KeyPair,
        PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384,
    };
    use serde_json::{json, Value};

    pub struct Chain {
        root: Certificate,
        intermediate: Certificate,
        leaf: Certificate,
        leaf_key: KeyPair,
    }

    fn params(cn: &str, ca: bool, oid: Option<&[u64]>) -> CertificateParams {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        if let Some(o) = oid {
            p.custom_extensions
                .push(CustomExtension::from_oid_content(o, vec![0x05, 0x00]));
        }
        p
    }

    pub fn chain() -> Chain {
        let root_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let root = params("Integration Root CA", true, None)
            .self_signed(&root_key)
            .unwrap();
        let int_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let intermediate = params(
            "Integration WWDR",
            true,
            Some(&[1, 2, 840, 113_635, 100, 6, 2, 1]),
        )
        .signed_by(&int_key, &root, &root_key)
        .unwrap();
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf = params(
            "Integration App Store Signing",
            false,
            Some(&[1, 2, 840, 113_635, 100, 6, 11, 1]),
        )
        .signed_by(&leaf_key, &intermediate, &int_key)
        .unwrap();
        Chain {
            root,
            intermediate,
            leaf,
            leaf_key,
        }
    }

    impl Chain {
        pub fn root_pem(&self) -> String {
            self.root.pem()
        }

        pub fn x5c(&self) -> Vec<String> {
            [&self.leaf, &self.intermediate, &self.root]
                .iter()
                .map(|c| STANDARD.encode(c.der()))
                .collect()
        }

        pub fn sign_with(&self, header: &Value, payload: &Value) -> String {
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(payload.to_string())
            );
            let key =
                p256::ecdsa::SigningKey::from_pkcs8_der(&self.leaf_key.serialize_der()).unwrap();
            let sig: p256::ecdsa::Signature =
                p256::ecdsa::signature::Signer::sign(&key, input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
        }

        pub fn sign(&self, payload: &Value) -> String {
            self.sign_with(&json!({"alg": "ES256", "x5c": self.x5c()}), payload)
        }
    }
}

const BUNDLE: &str = "com.example.mid.tests";

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// The body Apple posts: a signed notification wrapping a signed transaction.
fn appstore_body(
    c: &apple::Chain,
    kind: &str,
    id: &str,
    signed: i64,
    token: &str,
    expires: i64,
) -> String {
    let tx = json!({"bundleId": BUNDLE, "environment": "Sandbox", "signedDate": signed,
        "appAccountToken": token, "expiresDate": expires, "productId": "mid.premium.monthly"});
    let n = json!({"notificationType": kind, "notificationUUID": id, "signedDate": signed,
        "version": "2.0",
        "data": {"bundleId": BUNDLE, "environment": "Sandbox", "signedTransactionInfo": c.sign(&tx)}});
    json!({"signedPayload": c.sign(&n)}).to_string()
}

async fn post_appstore(api: &Api, body: &str) -> (u16, Value) {
    let resp = api
        .http
        .post(format!("{}/webhooks/appstore", api.base))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn appstore_worker(name: &str, c: &apple::Chain) -> Worker {
    Worker::start(
        name,
        &[
            ("APPSTORE_ROOT_CERTS", &c.root_pem()),
            ("APPSTORE_BUNDLE_ID", BUNDLE),
            ("APPSTORE_ENVIRONMENT", "Sandbox"),
        ],
    )
    .await
}

/// A user through the sandbox directory; returns `(id, appAccountToken)`.
async fn new_user(api: &Api, p: &Partner) -> (String, String) {
    let r = api
        .test(
            p,
            "POST",
            "/sandbox/users",
            Some(&json!({"mobile": mid_tests::mobile()})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let v = r.json();
    (
        v["id"].as_str().unwrap().to_owned(),
        v["appAccountToken"].as_str().unwrap().to_owned(),
    )
}

async fn entitlements_of(api: &Api, p: &Partner, user: &str) -> Value {
    let r = api.test(p, "GET", &format!("/users/{user}"), None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    r.json()["entitlements"].clone()
}

/// 2100-01-01T00:00:00Z.
const FAR: i64 = 4_102_444_800_000;

#[tokio::test]
async fn appstore_subscription_grants_premium_once_and_never_rolls_back() {
    let c = apple::chain();
    let w = appstore_worker("billing-appstore-happy", &c).await;
    let api = w.api();
    let p = api.partner().await;
    let (user, token) = new_user(&api, &p).await;
    assert_eq!(
        entitlements_of(&api, &p, &user).await,
        json!({"premium": false})
    );
    let t = now_ms() - 60_000;

    // The app passed the user's appAccountToken to StoreKit (Apple may echo it upper-case).
    let subscribed = appstore_body(&c, "SUBSCRIBED", "n-sub", t, &token.to_uppercase(), FAR);
    let (status, body) = post_appstore(&api, &subscribed).await;
    assert_eq!(
        (status, body["duplicate"].as_bool()),
        (200, Some(false)),
        "{body}"
    );
    assert_eq!(
        entitlements_of(&api, &p, &user).await,
        json!({"premium": true, "source": "appstore", "expiresAt": "2100-01-01T00:00:00.000Z"})
    );
    // Apple retries: applied once, recorded once.
    let (status, body) = post_appstore(&api, &subscribed).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(true)));
    let events = events_of(&api, &format!("userId={user}")).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["source"], "appstore");
    assert_eq!(events[0]["id"], "n-sub");
    assert_eq!(events[0]["type"], "SUBSCRIBED");
    assert_eq!(events[0]["outcome"], "applied");

    // Expiry ends it; a renewal signed before the expiry, arriving late, does not revive it.
    let expired = appstore_body(&c, "EXPIRED", "n-exp", t + 2_000, &token, FAR);
    assert_eq!(post_appstore(&api, &expired).await.0, 200);
    assert_eq!(
        entitlements_of(&api, &p, &user).await,
        json!({"premium": false, "source": "appstore"})
    );
    let late = appstore_body(&c, "DID_RENEW", "n-late", t + 1_000, &token, FAR);
    assert_eq!(post_appstore(&api, &late).await.0, 200);
    assert_eq!(entitlements_of(&api, &p, &user).await["premium"], false);
    let events = events_of(&api, &format!("userId={user}")).await;
    let late_event = events.iter().find(|e| e["id"] == "n-late").unwrap();
    assert_eq!(late_event["outcome"], "stale");

    // Resubscribe, then a refund ends it.
    let again = appstore_body(&c, "SUBSCRIBED", "n-sub2", t + 3_000, &token, FAR);
    assert_eq!(post_appstore(&api, &again).await.0, 200);
    assert_eq!(entitlements_of(&api, &p, &user).await["premium"], true);
    let refund = appstore_body(&c, "REFUND", "n-refund", t + 4_000, &token, FAR);
    assert_eq!(post_appstore(&api, &refund).await.0, 200);
    assert_eq!(entitlements_of(&api, &p, &user).await["premium"], false);

    // A grant whose expiry has passed reads as not premium.
    let past = appstore_body(&c, "DID_RENEW", "n-past", t + 5_000, &token, t + 5_500);
    assert_eq!(post_appstore(&api, &past).await.0, 200);
    let ent = entitlements_of(&api, &p, &user).await;
    assert_eq!(ent["premium"], false, "{ent}");
    assert!(ent["expiresAt"].is_string());

    // TEST notifications and unknown tokens: 200, nothing changed.
    let test = appstore_body(&c, "TEST", "n-test", t + 6_000, &token, FAR);
    assert_eq!(post_appstore(&api, &test).await.0, 200);
    let stranger = appstore_body(
        &c,
        "SUBSCRIBED",
        "n-stranger",
        t + 7_000,
        "00000000-0000-4000-8000-000000000000",
        FAR,
    );
    assert_eq!(post_appstore(&api, &stranger).await.0, 200);
    assert_eq!(entitlements_of(&api, &p, &user).await["premium"], false);
    assert_eq!(events_of(&api, &format!("userId={user}")).await.len(), 6);
}

#[tokio::test]
async fn security_appstore_forgeries_change_nothing() {
    let c = apple::chain();
    let w = appstore_worker("billing-appstore-forged", &c).await;
    let api = w.api();
    let p = api.partner().await;
    let (user, token) = new_user(&api, &p).await;
    let t = now_ms() - 60_000;
    let genuine = appstore_body(&c, "SUBSCRIBED", "n-forged", t, &token, FAR);

    // Signed by a chain to another root.
    let other = apple::chain();
    let other_root = appstore_body(&other, "SUBSCRIBED", "n-forged", t, &token, FAR);
    // Only leaf and intermediate in x5c.
    let n = json!({"notificationType": "SUBSCRIBED", "notificationUUID": "n-forged", "signedDate": t,
        "data": {"bundleId": BUNDLE, "environment": "Sandbox", "signedTransactionInfo": c.sign(
            &json!({"bundleId": BUNDLE, "environment": "Sandbox", "signedDate": t,
                "appAccountToken": token, "expiresDate": FAR}))}});
    let two = json!({"signedPayload": c.sign_with(
        &json!({"alg": "ES256", "x5c": c.x5c()[..2].to_vec()}), &n)})
    .to_string();
    // A genuine signature over a payload that was then changed.
    let signed: Value = serde_json::from_str(&genuine).unwrap();
    let jws = signed["signedPayload"].as_str().unwrap();
    let parts: Vec<&str> = jws.split('.').collect();
    let mut n2 = n.clone();
    n2["notificationType"] = json!("DID_RENEW");
    n2["notificationUUID"] = json!("n-tampered");
    use base64::Engine as _;
    let tampered_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n2.to_string());
    let tampered =
        json!({"signedPayload": format!("{}.{tampered_payload}.{}", parts[0], parts[2])})
            .to_string();
    // Genuinely signed by our chain, but for another app.
    let mut other_app = n.clone();
    other_app["data"]["bundleId"] = json!("com.example.other");
    other_app["notificationUUID"] = json!("n-other-app");
    let other_bundle = json!({"signedPayload": c.sign(&other_app)}).to_string();

    for (what, body) in [
        ("other root", other_root),
        ("x5c of 2", two),
        ("tampered", tampered),
        ("another bundle id", other_bundle),
        ("not JSON", "{".to_owned()),
        ("no signedPayload", "{}".to_owned()),
    ] {
        let (status, resp) = post_appstore(&api, &body).await;
        assert_eq!(status, 400, "{what}: {resp}");
        assert_eq!(resp["error"]["code"], "invalid_signature", "{what}");
    }
    assert_eq!(
        entitlements_of(&api, &p, &user).await,
        json!({"premium": false})
    );
    assert!(events_of(&api, &format!("userId={user}")).await.is_empty());
    // The genuine one still applies afterwards: nothing was burnt.
    assert_eq!(post_appstore(&api, &genuine).await.0, 200);
    assert_eq!(entitlements_of(&api, &p, &user).await["premium"], true);
}

// -------------------------------------------------------------- Google Play

mod google {
    //! A local stand-in for Google: the JWKS, the OAuth token endpoint (which
    //! checks the service account's RS256 assertion the way Google does:
    //! signature, `iss`, `aud` = its own URL, scope, lifetime), and the Play
    //! Developer API's subscriptionsv2 lookup (which checks the access token).
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    use rand_chacha::rand_core::SeedableRng as _;
    use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
    use rsa::pkcs8::EncodePrivateKey as _;
    use rsa::signature::{SignatureEncoding as _, Signer as _, Verifier as _};
    use rsa::traits::PublicKeyParts as _;
    use rsa::{RsaPrivateKey, RsaPublicKey};
    use serde_json::{json, Value};
    use tokio::io::AsyncWriteExt as _;
    use tokio::net::TcpListener;

    pub const SA_EMAIL: &str = "mid-play@mid-tests.iam.gserviceaccount.com";

    pub fn rsa_key(seed: u64) -> RsaPrivateKey {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed ^ super::now_ms() as u64);
        RsaPrivateKey::new(&mut rng, 2048).unwrap()
    }

    /// A compact RS256 JWT with this header.
    pub fn sign(key: &RsaPrivateKey, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = SigningKey::<rsa::sha2::Sha256>::new(key.clone()).sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    #[derive(Default)]
    pub struct State {
        pub jwks: Vec<(String, RsaPublicKey)>,
        pub subscriptions: HashMap<String, Value>,
        pub jwks_fetches: usize,
        pub grants: usize,
        pub lookups: usize,
        pub issued: Vec<String>,
        pub refused: Vec<String>,
    }

    #[derive(Clone)]
    pub struct Google {
        pub base: String,
        pub state: Arc<Mutex<State>>,
        pub sa_key: RsaPrivateKey,
    }

    impl Google {
        pub fn token_url(&self) -> String {
            format!("{}/token", self.base)
        }

        /// The JSON key of the service account, as the Cloud console downloads it.
        pub fn service_account(&self) -> String {
            let der = self.sa_key.to_pkcs8_der().unwrap();
            let b64 = STANDARD.encode(der.as_bytes());
            let lines: Vec<&str> = b64
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            json!({"type": "service_account", "project_id": "mid-tests",
                "private_key_id": "abc", "client_email": SA_EMAIL,
                "private_key": format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n")),
                "token_uri": self.token_url()})
            .to_string()
        }

        pub async fn start() -> Google {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
            let g = Google {
                base,
                state: Arc::default(),
                sa_key: rsa_key(11),
            };
            let me = g.clone();
            tokio::spawn(async move {
                while let Ok((mut sock, _)) = listener.accept().await {
                    let me = me.clone();
                    tokio::spawn(async move {
                        let Some(req) = mid_tests::receiver::read_request(&mut sock).await else {
                            return;
                        };
                        let (status, body) = me.answer(&req);
                        let reply = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = sock.write_all(reply.as_bytes()).await;
                    });
                }
            });
            g
        }

        fn answer(&self, req: &mid_tests::receiver::Received) -> (u16, String) {
            let mut st = self.state.lock().unwrap();
            match (req.method.as_str(), req.path.as_str()) {
                ("GET", "/jwks") => {
                    st.jwks_fetches += 1;
                    let keys: Vec<Value> = st
                        .jwks
                        .iter()
                        .map(|(kid, k)| {
                            json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
                                "n": URL_SAFE_NO_PAD.encode(k.n().to_bytes_be()),
                                "e": URL_SAFE_NO_PAD.encode(k.e().to_bytes_be())})
                        })
                        .collect();
                    (200, json!({ "keys": keys }).to_string())
                }
                ("POST", "/token") => match self.check_assertion(&req.body) {
                    Ok(()) => {
                        st.grants += 1;
                        let token = format!("ya29.test-{}", st.grants);
                        st.issued.push(token.clone());
                        (
                            200,
                            json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})
                                .to_string(),
                        )
                    }
                    Err(why) => {
                        st.refused.push(why.clone());
                        (
                            400,
                            json!({ "error": "invalid_grant", "error_description": why })
                                .to_string(),
                        )
                    }
                },
                ("GET", path) => {
                    let prefix = format!(
                        "/androidpublisher/v3/applications/{}/purchases/subscriptionsv2/tokens/",
                        super::PACKAGE
                    );
                    let Some(token) = path.strip_prefix(&prefix) else {
                        return (404, "{}".into());
                    };
                    let bearer = req
                        .header("authorization")
                        .and_then(|h| h.strip_prefix("Bearer "))
                        .map(str::to_owned);
                    if !bearer.is_some_and(|b| st.issued.contains(&b)) {
                        st.refused
                            .push("lookup without a valid access token".into());
                        return (401, "{}".into());
                    }
                    st.lookups += 1;
                    match st.subscriptions.get(token) {
                        Some(v) => (200, v.to_string()),
                        None => (404, "{}".into()),
                    }
                }
                _ => (404, "{}".into()),
            }
        }

        /// RFC 7523 as Google's token endpoint applies it.
        fn check_assertion(&self, body: &[u8]) -> Result<(), String> {
            let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
            if form.get("grant_type").map(String::as_str)
                != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
            {
                return Err("grant_type".into());
            }
            let jwt = form.get("assertion").ok_or("no assertion")?;
            let parts: Vec<&str> = jwt.split('.').collect();
            if parts.len() != 3 {
                return Err("assertion shape".into());
            }
            let header: Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(parts[0])
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            if header["alg"] != "RS256" {
                return Err("alg".into());
            }
            let sig = Signature::try_from(
                URL_SAFE_NO_PAD
                    .decode(parts[2])
                    .map_err(|e| e.to_string())?
                    .as_slice(),
            )
            .map_err(|e| e.to_string())?;
            VerifyingKey::<rsa::sha2::Sha256>::new(self.sa_key.to_public_key())
                .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
                .map_err(|_| "assertion signature".to_owned())?;
            let c: Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(parts[1])
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            let now = super::now_ms() / 1000;
            let (iat, exp) = (
                c["iat"].as_i64().unwrap_or(0),
                c["exp"].as_i64().unwrap_or(0),
            );
            if c["iss"] != SA_EMAIL
                || c["aud"] != self.token_url().as_str()
                || c["scope"] != "https://www.googleapis.com/auth/androidpublisher"
                || (iat - now).abs() > 60
                || exp <= now
                || exp - iat > 3600
            {
                return Err(format!("assertion claims {c}"));
            }
            Ok(())
        }
    }
}

const PACKAGE: &str = "com.example.mid.tests";
const PUSH_AUDIENCE: &str = "https://mid.test/webhooks/playstore";
const PUSH_EMAIL: &str = "pubsub-push@mid-tests.iam.gserviceaccount.com";

struct Play {
    worker: Worker,
    google: google::Google,
    push_key: rsa::RsaPrivateKey,
}

async fn play_worker(name: &str) -> Play {
    let google = google::Google::start().await;
    let push_key = google::rsa_key(21);
    google
        .state
        .lock()
        .unwrap()
        .jwks
        .push(("g1".into(), push_key.to_public_key()));
    let jwks = format!("{}/jwks", google.base);
    let token_url = google.token_url();
    let sa = google.service_account();
    let worker = Worker::start(
        name,
        &[
            ("GOOGLE_JWKS_URL", &jwks),
            ("PLAYSTORE_TOKEN_URL", &token_url),
            ("PLAYSTORE_API_BASE", &google.base),
            ("PLAYSTORE_SERVICE_ACCOUNT", &sa),
            ("PLAYSTORE_PUSH_AUDIENCE", PUSH_AUDIENCE),
            ("PLAYSTORE_PUSH_EMAIL", PUSH_EMAIL),
            ("PLAYSTORE_PACKAGE_NAME", PACKAGE),
        ],
    )
    .await;
    Play {
        worker,
        google,
        push_key,
    }
}

fn push_claims() -> Value {
    let now = now_s();
    json!({"iss": "https://accounts.google.com", "aud": PUSH_AUDIENCE, "email": PUSH_EMAIL,
        "email_verified": true, "iat": now, "exp": now + 3600, "sub": "1234567890"})
}

fn push_token(key: &rsa::RsaPrivateKey, kid: &str, claims: &Value) -> String {
    google::sign(
        key,
        &json!({"alg": "RS256", "kid": kid, "typ": "JWT"}),
        claims,
    )
}

/// A Pub/Sub push body carrying a DeveloperNotification.
fn rtdn(message_id: &str, event_ms: i64, inner: Value) -> String {
    use base64::Engine as _;
    let mut n =
        json!({"version": "1.0", "packageName": PACKAGE, "eventTimeMillis": event_ms.to_string()});
    for (k, v) in inner.as_object().unwrap() {
        n[k] = v.clone();
    }
    json!({"message": {"data": base64::engine::general_purpose::STANDARD.encode(n.to_string()),
        "messageId": message_id, "publishTime": "2026-01-01T00:00:00Z"},
        "subscription": "projects/mid-tests/subscriptions/play"})
    .to_string()
}

fn sub_notification(token: &str, kind: i64) -> Value {
    json!({"subscriptionNotification": {"version": "1.0", "notificationType": kind, "purchaseToken": token}})
}

async fn post_play(api: &Api, body: &str, bearer: Option<&str>) -> (u16, Value) {
    let mut req = api
        .http
        .post(format!("{}/webhooks/playstore", api.base))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(b) = bearer {
        req = req.header("Authorization", format!("Bearer {b}"));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn subscription(user: &str, state: &str, expiry: &str) -> Value {
    json!({"kind": "androidpublisher#subscriptionPurchaseV2", "subscriptionState": state,
        "externalAccountIdentifiers": {"obfuscatedExternalAccountId": user},
        "lineItems": [{"productId": "mid.premium", "expiryTime": expiry}]})
}

#[tokio::test]
async fn playstore_subscription_sets_premium_once_in_order() {
    let play = play_worker("billing-play-happy").await;
    let api = play.worker.api();
    let p = api.partner().await;
    let (user, _) = new_user(&api, &p).await;
    let set = |state: &str| {
        play.google.state.lock().unwrap().subscriptions.insert(
            "tok-1".into(),
            subscription(&user, state, "2100-01-01T00:00:00.000Z"),
        );
    };
    set("SUBSCRIPTION_STATE_ACTIVE");
    let bearer = push_token(&play.push_key, "g1", &push_claims());
    let t = now_ms() - 60_000;

    let purchased = rtdn("m-1", t, sub_notification("tok-1", 4));
    let (status, body) = post_play(&api, &purchased, Some(&bearer)).await;
    assert_eq!(
        (status, body["duplicate"].as_bool()),
        (200, Some(false)),
        "{body}"
    );
    assert_eq!(
        entitlements_of(&api, &p, &user).await,
        json!({"premium": true, "source": "playstore", "expiresAt": "2100-01-01T00:00:00.000Z"})
    );
    {
        let st = play.google.state.lock().unwrap();
        assert_eq!((st.grants, st.lookups), (1, 1), "refused: {:?}", st.refused);
        assert!(st.refused.is_empty(), "{:?}", st.refused);
    }
    // Pub/Sub redelivers: applied once, not even looked up again.
    let (status, body) = post_play(&api, &purchased, Some(&bearer)).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(true)));
    assert_eq!(play.google.state.lock().unwrap().lookups, 1);

    // Expired; then an older notification arrives late and changes nothing.
    set("SUBSCRIPTION_STATE_EXPIRED");
    let expired = rtdn("m-2", t + 2_000, sub_notification("tok-1", 13));
    assert_eq!(post_play(&api, &expired, Some(&bearer)).await.0, 200);
    assert_eq!(
        entitlements_of(&api, &p, &user).await,
        json!({"premium": false, "source": "playstore"})
    );
    set("SUBSCRIPTION_STATE_ACTIVE");
    let late = rtdn("m-3", t + 1_000, sub_notification("tok-1", 2));
    assert_eq!(post_play(&api, &late, Some(&bearer)).await.0, 200);
    assert_eq!(entitlements_of(&api, &p, &user).await["premium"], false);
    {
        let st = play.google.state.lock().unwrap();
        assert_eq!(
            st.grants, 1,
            "the access token is reused until shortly before expiry"
        );
        assert_eq!(st.lookups, 3);
    }
    let events = events_of(&api, &format!("userId={user}")).await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0]["source"], "playstore");
    let outcome = |id: &str| events.iter().find(|e| e["id"] == id).unwrap()["outcome"].clone();
    assert_eq!(outcome("m-1"), "applied");
    assert_eq!(outcome("m-2"), "applied");
    assert_eq!(outcome("m-3"), "stale");

    // A test notification from the Play Console: 200, nothing looked up.
    let test = rtdn(
        "m-test",
        t + 3_000,
        json!({"testNotification": {"version": "1.0"}}),
    );
    assert_eq!(post_play(&api, &test, Some(&bearer)).await.0, 200);
    assert_eq!(play.google.state.lock().unwrap().lookups, 3);

    // Google rotates its keys: an unknown kid makes the worker fetch the JWKS again.
    let rotated = google::rsa_key(31);
    play.google
        .state
        .lock()
        .unwrap()
        .jwks
        .push(("g2".into(), rotated.to_public_key()));
    let fetches = play.google.state.lock().unwrap().jwks_fetches;
    let renewed = rtdn("m-4", t + 4_000, sub_notification("tok-1", 2));
    let new_bearer = push_token(&rotated, "g2", &push_claims());
    assert_eq!(post_play(&api, &renewed, Some(&new_bearer)).await.0, 200);
    assert_eq!(entitlements_of(&api, &p, &user).await["premium"], true);
    assert_eq!(play.google.state.lock().unwrap().jwks_fetches, fetches + 1);
}

#[tokio::test]
async fn security_playstore_forgeries_change_nothing() {
    let play = play_worker("billing-play-forged").await;
    let api = play.worker.api();
    let p = api.partner().await;
    let (user, _) = new_user(&api, &p).await;
    play.google.state.lock().unwrap().subscriptions.insert(
        "tok-1".into(),
        subscription(&user, "SUBSCRIPTION_STATE_ACTIVE", "2100-01-01T00:00:00Z"),
    );
    let body = rtdn("m-forged", now_ms() - 1_000, sub_notification("tok-1", 4));
    let good = push_token(&play.push_key, "g1", &push_claims());
    let with = |field: &str, value: Value| {
        let mut c = push_claims();
        c[field] = value;
        push_token(&play.push_key, "g1", &c)
    };
    use base64::Engine as _;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "g1"})),
        b64(&push_claims())
    );
    let hs256 = google::sign(
        &play.push_key,
        &json!({"alg": "HS256", "kid": "g1"}),
        &push_claims(),
    )
    .replacen(
        &b64(&json!({"alg": "RS256", "kid": "g1", "typ": "JWT"})),
        &b64(&json!({"alg": "HS256", "kid": "g1"})),
        1,
    );
    let stranger = google::rsa_key(41);
    let parts: Vec<&str> = good.split('.').collect();
    let mut changed = push_claims();
    changed["email"] = json!("evil@evil.iam.gserviceaccount.com");
    let tampered = format!("{}.{}.{}", parts[0], b64(&changed), parts[2]);
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("alg none", Some(none)),
        ("HS256", Some(hs256)),
        (
            "wrong aud",
            Some(with("aud", json!("https://evil.example/"))),
        ),
        (
            "wrong email",
            Some(with("email", json!("evil@evil.iam.gserviceaccount.com"))),
        ),
        (
            "email not verified",
            Some(with("email_verified", json!(false))),
        ),
        (
            "wrong issuer",
            Some(with("iss", json!("https://evil.example"))),
        ),
        ("expired", Some(with("exp", json!(now_s() - 600)))),
        (
            "issued in the future",
            Some(with("iat", json!(now_s() + 600))),
        ),
        (
            "unknown kid",
            Some(push_token(&stranger, "g9", &push_claims())),
        ),
        (
            "our kid, another key",
            Some(push_token(&stranger, "g1", &push_claims())),
        ),
        ("tampered claims", Some(tampered)),
    ];
    for (what, bearer) in cases {
        let (status, resp) = post_play(&api, &body, bearer.as_deref()).await;
        assert_eq!(status, 401, "{what}: {resp}");
        assert_eq!(resp["error"]["code"], "unauthorized", "{what}");
    }
    // Authenticated, but for another app: refused, nothing looked up.
    let n = json!({"version": "1.0", "packageName": "com.example.other", "eventTimeMillis": "1",
        "subscriptionNotification": {"version": "1.0", "notificationType": 4, "purchaseToken": "tok-1"}});
    let other =
        json!({"message": {"data": base64::engine::general_purpose::STANDARD.encode(n.to_string()),
        "messageId": "m-other"}})
        .to_string();
    assert_eq!(post_play(&api, &other, Some(&good)).await.0, 400);

    assert_eq!(
        entitlements_of(&api, &p, &user).await,
        json!({"premium": false})
    );
    assert!(events_of(&api, &format!("userId={user}")).await.is_empty());
    {
        let st = play.google.state.lock().unwrap();
        assert_eq!((st.grants, st.lookups), (0, 0));
    }
    // The genuine push still applies afterwards.
    assert_eq!(post_play(&api, &body, Some(&good)).await.0, 200);
    assert_eq!(entitlements_of(&api, &p, &user).await["premium"], true);
}
