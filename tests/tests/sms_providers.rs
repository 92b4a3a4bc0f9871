//! The real HTTP SMS providers: a dedicated worker with `SMS_PROVIDER` set
//! and the provider's base URL pointed at a local receiver, driven with a
//! live key. Asserts the exact request the worker sent, and that a provider
//! failure is a 502 `sms_failed` that leaves the enrollment pending and does
//! not use up the mobile's send budget.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use mid_tests::{code_in, mobile, Api, Partner, Receiver, Resp, Script, Worker};
use serde_json::{json, Value};

async fn enroll_live(api: &Api, p: &Partner, mobile: &str) -> Resp {
    api.live(
        p,
        "POST",
        "/enrollments",
        Some(&json!({ "mobile": mobile })),
    )
    .await
}

/// A provider failure: 502 `sms_failed`, naming the enrollment, which stays pending.
async fn assert_failed_send_leaves_pending(api: &Api, p: &Partner, m: &str) {
    let r = enroll_live(api, p, m).await;
    assert_eq!(r.error(), (502, "sms_failed".into()));
    let id = r.json()["error"]["enrollmentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let g = api
        .live(p, "GET", &format!("/enrollments/{id}"), None)
        .await;
    assert_eq!(g.status, 200);
    assert_eq!(g.json()["status"], "pending");
    assert_eq!(g.json()["attemptsRemaining"], 5);
}

/// After one failed send, three good ones still fit the 3-per-10-minutes
/// budget (the failure was refunded); the fourth good one does not.
async fn assert_budget_not_spent_by_failure(api: &Api, p: &Partner, m: &str) {
    for _ in 0..2 {
        assert_eq!(enroll_live(api, p, m).await.status, 201);
    }
    let r = enroll_live(api, p, m).await;
    assert_eq!(r.error(), (429, "rate_limited".into()));
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn termii_gets_the_exact_request_and_failures_are_502() {
    let termii = Receiver::scripted(
        1,
        Script {
            fail: (500, r#"{"message":"Internal error"}"#.into()),
            ok: (
                200,
                r#"{"message_id":"9122821270554876574","message":"Successfully Sent","balance":9,"user":"MID"}"#.into(),
            ),
        },
    )
    .await;
    let worker = Worker::start(
        "sms-termii",
        &[
            ("SMS_PROVIDER", "termii"),
            ("TERMII_BASE_URL", &termii.base),
            ("TERMII_API_KEY", "TLtest_termii_key_123"),
            ("TERMII_SENDER_ID", "MIDAuth"),
        ],
    )
    .await;
    let api = worker.api();
    let p = api.new_partner(json!({"name": "Kuda Shop"})).await;
    let m = mobile();

    assert_failed_send_leaves_pending(&api, &p, &m).await;

    let r = enroll_live(&api, &p, &m).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let sent = termii.all();
    assert_eq!(sent.len(), 2, "one failed and one good request");
    let req = &sent[1];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/api/sms/send");
    assert_eq!(req.header("content-type"), Some("application/json"));
    let body: Value = req.json();
    let sms = body["sms"].as_str().unwrap().to_owned();
    let code = code_in(&sms);
    assert_eq!(
        body,
        json!({
            "api_key": "TLtest_termii_key_123",
            "to": m.trim_start_matches('+'),
            "from": "MIDAuth",
            "sms": format!("Your Kuda Shop code is {code}. Don't share it.\n\n@localhost #{code}"),
            "type": "plain",
            "channel": "dnd",
        })
    );
    // The code that went out is the code that verifies.
    let v = api
        .live(
            &p,
            "POST",
            &format!("/enrollments/{id}/verify"),
            Some(&json!({ "code": code })),
        )
        .await;
    assert_eq!(v.status, 200, "{}", String::from_utf8_lossy(&v.bytes));
    assert_eq!(v.json()["status"], "verified");

    assert_budget_not_spent_by_failure(&api, &p, &m).await;
    assert_eq!(termii.all().len(), 4);

    // A test key on the same worker never reaches the provider.
    let t = mobile();
    api.enroll(&p, &t).await;
    let (body, _) = api.sandbox_sms(&p, &t).await;
    assert!(body.contains("Kuda Shop"));
    assert_eq!(termii.all().len(), 4, "test traffic stays in the sandbox");
}

#[tokio::test]
async fn twilio_gets_the_exact_request_and_failures_are_502() {
    let twilio = Receiver::scripted(
        1,
        Script {
            fail: (
                500,
                r#"{"code":20500,"message":"Internal Server Error","status":500}"#.into(),
            ),
            ok: (
                201,
                r#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}"#.into(),
            ),
        },
    )
    .await;
    let sid = "AC0123456789abcdef0123456789abcdef";
    let worker = Worker::start(
        "sms-twilio",
        &[
            ("SMS_PROVIDER", "twilio"),
            ("TWILIO_BASE_URL", &twilio.base),
            ("TWILIO_ACCOUNT_SID", sid),
            ("TWILIO_AUTH_TOKEN", "twilio-secret-token"),
            ("TWILIO_FROM", "+15005550006"),
        ],
    )
    .await;
    let api = worker.api();
    let p = api.new_partner(json!({"name": "Paystack Demo"})).await;
    let m = mobile();

    assert_failed_send_leaves_pending(&api, &p, &m).await;

    let r = enroll_live(&api, &p, &m).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let sent = twilio.all();
    assert_eq!(sent.len(), 2);
    let req = &sent[1];
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.path,
        format!("/2010-04-01/Accounts/{sid}/Messages.json")
    );
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{sid}:twilio-secret-token"));
    assert_eq!(
        req.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    let text = String::from_utf8(req.body.clone()).unwrap();
    assert!(text.starts_with("To=%2B234"), "+ is encoded: {text}");
    let form: Vec<(String, String)> = text
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), decode_form(v))
        })
        .collect();
    let code = code_in(&form[2].1);
    assert_eq!(
        form,
        [
            ("To".to_owned(), m.clone()),
            ("From".to_owned(), "+15005550006".to_owned()),
            (
                "Body".to_owned(),
                format!("Your Paystack Demo code is {code}. Don't share it.\n\n@localhost #{code}")
            ),
        ]
    );

    assert_budget_not_spent_by_failure(&api, &p, &m).await;
    assert_eq!(twilio.all().len(), 4);
}

/// `application/x-www-form-urlencoded` value decoding (`+` is a space).
fn decode_form(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn security_a_live_key_with_the_sandbox_provider_refuses_to_send_and_logs_no_code() {
    let worker = Worker::start("sms-sandbox-live", &[("SMS_PROVIDER", "sandbox")]).await;
    let api = worker.api();
    let p = api.new_partner(json!({"name": "Quiet Shop"})).await;
    let m = mobile();
    // Refused, not pretended: 502 `sms_failed`, the enrollment stays pending,
    // and nothing lands where the test key reads.
    assert_failed_send_leaves_pending(&api, &p, &m).await;
    let to = m.replace('+', "%2B");
    let inbox = api
        .test(&p, "GET", &format!("/sandbox/messages?to={to}"), None)
        .await
        .json();
    assert_eq!(inbox["data"], json!([]));
    // Nothing was sent, so nothing is spent: more than 3 tries in 10 minutes
    // still reach the (refusing) provider instead of the send limit.
    for _ in 0..3 {
        assert_eq!(
            enroll_live(&api, &p, &m).await.error(),
            (502, "sms_failed".into())
        );
    }
    // The refusal is logged, the message (and its code) never.
    let log_path = worker.persist.with_extension("log");
    let log = mid_tests::eventually(20, "the refusal in the worker log", || {
        let path = log_path.clone();
        async move {
            let log = std::fs::read_to_string(&path).unwrap_or_default();
            log.contains("sms_sandbox_in_livemode").then_some(log)
        }
    })
    .await;
    assert!(!log.contains("code is"), "a code was logged:\n{log}");
    assert!(
        !log.contains("Quiet Shop"),
        "the message was logged:\n{log}"
    );
    // Test keys keep the sandbox.
    let t = mobile();
    api.enroll(&p, &t).await;
    let (body, _) = api.sandbox_sms(&p, &t).await;
    assert!(body.contains("Quiet Shop"));
}

#[tokio::test]
async fn security_a_send_the_provider_may_have_taken_is_not_refunded() {
    // The provider answers the first send 200 with a body we cannot read: the
    // SMS may well have gone out, so it counts against the 3 sends.
    let termii = Receiver::scripted(
        1,
        Script {
            fail: (200, "<html>gateway</html>".into()),
            ok: (
                200,
                r#"{"message_id":"9122821270554876574","message":"Successfully Sent","balance":9,"user":"MID"}"#.into(),
            ),
        },
    )
    .await;
    let worker = Worker::start(
        "sms-termii-unclear",
        &[
            ("SMS_PROVIDER", "termii"),
            ("TERMII_BASE_URL", &termii.base),
            ("TERMII_API_KEY", "TLtest_termii_key_123"),
            ("TERMII_SENDER_ID", "MIDAuth"),
        ],
    )
    .await;
    let api = worker.api();
    let p = api.new_partner(json!({"name": "Kuda Shop"})).await;
    let m = mobile();
    assert_failed_send_leaves_pending(&api, &p, &m).await;
    for _ in 0..2 {
        assert_eq!(enroll_live(&api, &p, &m).await.status, 201);
    }
    let r = enroll_live(&api, &p, &m).await;
    assert_eq!(r.error(), (429, "rate_limited".into()));
    assert!(r.header("retry-after").is_some());
    assert_eq!(
        termii.all().len(),
        3,
        "the refused one never reached the provider"
    );
}
