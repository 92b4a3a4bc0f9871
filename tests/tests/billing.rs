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
    (status, resp.json().await.unwrap_or(Value::Null))
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
