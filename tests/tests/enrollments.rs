//! Enrollments against the real worker: OTP by sandbox SMS, attempts and
//! lock, users, isolation between clients, and the per-mobile send limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mid_tests::{mobile, shared, Api, Partner, Resp};
use serde_json::{json, Value};

fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn verify(api: &Api, p: &Partner, id: &str, code: &str) -> Resp {
    api.test(
        p,
        "POST",
        &format!("/enrollments/{id}/verify"),
        Some(&json!({ "code": code })),
    )
    .await
}

fn is_base36_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == 16
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

/// Both places the attempts left are given (docs/enrollments.md).
fn attempts_left(r: &Resp) -> u64 {
    let v = r.json();
    let inner = v["error"]["attemptsRemaining"].as_u64().unwrap();
    assert_eq!(v["attemptsRemaining"].as_u64(), Some(inner), "{v}");
    inner
}

#[tokio::test]
async fn full_enrollment_with_the_code_from_the_sandbox_inbox() {
    let api = shared();
    let p = api.new_partner(json!({"name": "Bank of Lagos"})).await;
    let m = mobile();
    // National form with spaces: stored and answered as E.164.
    let national = format!("0{} {}", &m[4..7], &m[7..]);
    let r = api
        .test(
            &p,
            "POST",
            "/enrollments",
            Some(&json!({ "mobile": national })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let e = r.json();
    let id = e["id"].as_str().unwrap().to_owned();
    assert!(is_base36_id(&id, "enr_"), "{id}");
    assert_eq!(e["status"], "pending");
    assert_eq!(e["mobile"], m.as_str());
    assert_eq!(e["attemptsRemaining"], 5);
    assert!(e["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert!(r.header("x-ratelimit-limit").is_some());

    let (sms, code) = api.sandbox_sms(&p, &m).await;
    assert!(sms.contains("Bank of Lagos"), "{sms}");
    assert!(sms.contains(&format!("is {code}")), "{sms}");
    assert!(
        sms.ends_with(&format!("\n@localhost #{code}")),
        "WebOTP line: {sms}"
    );

    let r = verify(&api, &p, &id, &code).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let v = r.json();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["status"], "verified");
    let user_id = v["userId"].as_str().unwrap().to_owned();
    assert!(is_base36_id(&user_id, "user_"), "{user_id}");
    let token = v["registrationToken"].as_str().unwrap().to_owned();
    assert!(token.starts_with("rt_") && token.len() >= 24, "{token}");

    let r = api
        .test(&p, "GET", &format!("/enrollments/{id}"), None)
        .await;
    assert_eq!(r.status, 200);
    let g = r.json();
    assert_eq!(g["status"], "verified");
    assert_eq!(g["userId"], user_id.as_str());
    assert_eq!(g["mobile"], m.as_str());
    let text = String::from_utf8_lossy(&r.bytes).to_string();
    assert!(
        !text.contains(&token) && !text.contains("registrationToken") && !text.contains("code"),
        "no code or token: {text}"
    );

    let r = api
        .test(&p, "GET", &format!("/users/{user_id}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let u = r.json();
    assert_eq!(u["id"], user_id.as_str());
    assert_eq!(u["mobile"], m.as_str());
    assert_eq!(u["verified"], true);
    assert!(u["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(u["entitlements"], json!({"premium": false}));
    let uuid = u["appAccountToken"].as_str().unwrap();
    let parts: Vec<&str> = uuid.split('-').collect();
    assert_eq!(
        parts.iter().map(|s| s.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12],
        "{uuid}"
    );
    assert!(
        parts[2].starts_with('4') && "89ab".contains(&parts[3][..1]),
        "v4: {uuid}"
    );
}

#[tokio::test]
async fn each_wrong_code_counts_down_and_the_right_one_still_works() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let id = api.enroll(&p, &m).await["id"].as_str().unwrap().to_owned();
    let (_, code) = api.sandbox_sms(&p, &m).await;
    for left in (1..=4).rev() {
        let r = verify(&api, &p, &id, &wrong(&code)).await;
        assert_eq!(r.error(), (400, "invalid_code".into()));
        assert_eq!(attempts_left(&r), left);
    }
    let g = api
        .test(&p, "GET", &format!("/enrollments/{id}"), None)
        .await
        .json();
    assert_eq!(
        (g["status"].clone(), g["attemptsRemaining"].clone()),
        (json!("pending"), json!(1))
    );
    let r = verify(&api, &p, &id, &code).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
}

#[tokio::test]
async fn five_failures_lock_and_then_the_right_code_fails() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let id = api.enroll(&p, &m).await["id"].as_str().unwrap().to_owned();
    let (_, code) = api.sandbox_sms(&p, &m).await;
    let r = verify(&api, &p, &id, "12ab").await;
    assert_eq!(r.error(), (400, "invalid_code".into()), "malformed counts");
    assert_eq!(attempts_left(&r), 4);
    for left in (1..=3).rev() {
        let r = verify(&api, &p, &id, &wrong(&code)).await;
        assert_eq!(r.error(), (400, "invalid_code".into()));
        assert_eq!(attempts_left(&r), left);
    }
    let r = verify(&api, &p, &id, &wrong(&code)).await;
    assert_eq!(r.error(), (429, "too_many_attempts".into()));
    assert_eq!(attempts_left(&r), 0);
    let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    let r = verify(&api, &p, &id, &code).await;
    assert_eq!(
        r.error(),
        (429, "too_many_attempts".into()),
        "locked for good"
    );
    let g = api
        .test(&p, "GET", &format!("/enrollments/{id}"), None)
        .await
        .json();
    assert_eq!(g["status"], "locked");
    assert_eq!(g["attemptsRemaining"], 0);
    assert!(g.get("userId").is_none());
}

#[tokio::test]
async fn thirty_concurrent_wrong_guesses_count_at_most_five() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let id = api.enroll(&p, &m).await["id"].as_str().unwrap().to_owned();
    let (_, code) = api.sandbox_sms(&p, &m).await;
    let guesses = (0..30).map(|i| {
        let (api, p, id) = (api.clone(), p.clone(), id.clone());
        let n: u32 = code.parse().unwrap();
        let guess = format!("{:06}", (n + 1 + i) % 1_000_000);
        tokio::spawn(async move { verify(&api, &p, &id, &guess).await })
    });
    let mut invalid = Vec::new();
    let mut locked = 0;
    for g in guesses {
        let r = g.await.unwrap();
        match r.error() {
            (400, c) if c == "invalid_code" => invalid.push(attempts_left(&r)),
            (429, c) if c == "too_many_attempts" => locked += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    invalid.sort_unstable();
    assert_eq!(invalid, [1, 2, 3, 4], "each count handed out once");
    assert_eq!(locked, 26);
    let r = verify(&api, &p, &id, &code).await;
    assert_eq!(r.error(), (429, "too_many_attempts".into()));
    let g = api
        .test(&p, "GET", &format!("/enrollments/{id}"), None)
        .await
        .json();
    assert_eq!(
        (g["status"].clone(), g["attemptsRemaining"].clone()),
        (json!("locked"), json!(0))
    );
}

#[tokio::test]
async fn a_used_code_cannot_be_used_again() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let id = api.enroll(&p, &m).await["id"].as_str().unwrap().to_owned();
    let (_, code) = api.sandbox_sms(&p, &m).await;
    assert_eq!(verify(&api, &p, &id, &code).await.status, 200);
    let again = verify(&api, &p, &id, &code).await;
    assert_eq!(again.error(), (409, "conflict".into()));
    assert!(!String::from_utf8_lossy(&again.bytes).contains("rt_"));
    let g = api
        .test(&p, "GET", &format!("/enrollments/{id}"), None)
        .await
        .json();
    assert_eq!(g["status"], "verified");
}

#[tokio::test]
async fn one_mobile_through_two_clients_is_one_user() {
    let api = shared();
    let (a, b) = (api.partner().await, api.partner().await);
    let m = mobile();
    let mut users = Vec::new();
    for p in [&a, &b] {
        let id = api.enroll(p, &m).await["id"].as_str().unwrap().to_owned();
        let (_, code) = api.sandbox_sms(p, &m).await;
        let r = verify(&api, p, &id, &code).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
        users.push(r.json()["userId"].as_str().unwrap().to_owned());
    }
    assert_eq!(users[0], users[1]);
    let views: Vec<Value> = futures_util::future::join_all([&a, &b].map(|p| {
        let api = api.clone();
        let path = format!("/users/{}", users[0]);
        async move { api.test(p, "GET", &path, None).await.json() }
    }))
    .await;
    assert_eq!(views[0], views[1], "the same user, whoever asks");
    assert_eq!(views[0]["mobile"], m.as_str());
}

#[tokio::test]
async fn another_client_sees_nothing_of_an_enrollment_or_its_user() {
    let api = shared();
    let (a, b) = (api.partner().await, api.partner().await);
    let m = mobile();
    let id = api.enroll(&a, &m).await["id"].as_str().unwrap().to_owned();
    let (_, code) = api.sandbox_sms(&a, &m).await;

    let not_found = (404, "not_found".to_owned());
    let path = format!("/enrollments/{id}");
    assert_eq!(api.test(&b, "GET", &path, None).await.error(), not_found);
    // B's guesses neither reach nor spend A's attempts.
    let r = verify(&api, &b, &id, &wrong(&code)).await;
    assert_eq!(r.error(), not_found);
    // A's own live key is another mode: no test data.
    assert_eq!(api.live(&a, "GET", &path, None).await.error(), not_found);
    let g = api.test(&a, "GET", &path, None).await.json();
    assert_eq!(g["attemptsRemaining"], 5);

    let user_id = verify(&api, &a, &id, &code).await.json()["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    let upath = format!("/users/{user_id}");
    assert_eq!(api.test(&a, "GET", &upath, None).await.status, 200);
    assert_eq!(api.test(&b, "GET", &upath, None).await.error(), not_found);
    assert_eq!(api.live(&a, "GET", &upath, None).await.error(), not_found);
    // Unknown and malformed ids look the same.
    for path in [
        "/enrollments/enr_0000000000000000",
        "/enrollments/nope",
        "/users/user_0000000000000000",
        "/users/nope",
    ] {
        assert_eq!(
            api.test(&a, "GET", path, None).await.error(),
            not_found,
            "{path}"
        );
    }
}

#[tokio::test]
async fn three_sends_per_mobile_then_429_with_retry_after() {
    let api = shared();
    let (a, b) = (api.partner().await, api.partner().await);
    let m = mobile();
    for _ in 0..3 {
        api.enroll(&a, &m).await;
    }
    let body = json!({ "mobile": m });
    let r = api.test(&a, "POST", "/enrollments", Some(&body)).await;
    assert_eq!(r.error(), (429, "rate_limited".into()));
    let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    // The budget is the mobile's, whichever partner asks.
    let r = api.test(&b, "POST", "/enrollments", Some(&body)).await;
    assert_eq!(r.error(), (429, "rate_limited".into()));
    // Another number is unaffected.
    api.enroll(&a, &mobile()).await;
}

#[tokio::test]
async fn known_and_unknown_numbers_get_identical_answers() {
    let api = shared();
    let p = api.partner().await;
    let known = mobile();
    let id = api.enroll(&p, &known).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, code) = api.sandbox_sms(&p, &known).await;
    assert_eq!(verify(&api, &p, &id, &code).await.status, 200);

    let shape = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let unknown = mobile();
    let k = api.enroll(&p, &known).await;
    let u = api.enroll(&p, &unknown).await;
    assert_eq!(shape(&k), shape(&u));
    assert_eq!(
        (k["status"].clone(), u["status"].clone()),
        (json!("pending"), json!("pending"))
    );
    let kr = verify(&api, &p, k["id"].as_str().unwrap(), "000000").await;
    let ur = verify(&api, &p, u["id"].as_str().unwrap(), "000000").await;
    if kr.status == 400 && ur.status == 400 {
        assert_eq!(kr.bytes, ur.bytes, "same wrong-code answer");
    }
}

#[tokio::test]
async fn bad_input_is_refused() {
    let api = shared();
    let p = api.partner().await;
    for mobile in ["12345", "+234 0123", "not a phone", "+2347012"] {
        let r = api
            .test(
                &p,
                "POST",
                "/enrollments",
                Some(&json!({ "mobile": mobile })),
            )
            .await;
        assert_eq!(r.error(), (400, "invalid_phone".into()), "{mobile}");
        assert_eq!(r.json()["error"]["param"], "mobile");
    }
    let r = api
        .test(
            &p,
            "POST",
            "/enrollments",
            Some(&json!({ "mobile": mobile(), "userId": "user_x" })),
        )
        .await;
    assert_eq!(r.error(), (400, "invalid_request".into()));
    let id = api.enroll(&p, &mobile()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api
        .test(
            &p,
            "POST",
            &format!("/enrollments/{id}/verify"),
            Some(&json!({ "code": 123456 })),
        )
        .await;
    assert_eq!(r.error(), (400, "invalid_request".into()));
    let r = api
        .send(
            "POST",
            "/enrollments",
            None,
            Some(&json!({ "mobile": mobile() })),
            &[],
        )
        .await;
    assert_eq!(r.error(), (401, "unauthorized".into()));
}

#[tokio::test]
async fn a_live_key_cannot_read_sandbox_messages() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let path = format!("/sandbox/messages?to={}", m.replace('+', "%2B"));
    assert_eq!(
        api.live(&p, "GET", &path, None).await.error(),
        (404, "not_found".into())
    );
    // A live enrollment (SMS_PROVIDER=sandbox here) is refused, never kept
    // where a test key reads (tests/tests/sms_providers.rs has the rest).
    let r = api
        .live(&p, "POST", "/enrollments", Some(&json!({ "mobile": m })))
        .await;
    assert_eq!(r.error(), (502, "sms_failed".into()));
    let inbox = api.test(&p, "GET", &path, None).await.json();
    assert_eq!(inbox["data"], json!([]));
}

#[tokio::test]
async fn security_wrong_codes_per_mobile_are_capped_across_enrollments() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(api.enroll(&p, &m).await["id"].as_str().unwrap().to_owned());
    }
    let to = m.replace('+', "%2B");
    let inbox = api
        .test(&p, "GET", &format!("/sandbox/messages?to={to}"), None)
        .await
        .json();
    let sent: Vec<String> = inbox["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| mid_tests::code_in(s["body"].as_str().unwrap()))
        .collect();
    assert_eq!(sent.len(), 3);
    let bad = (0..4u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !sent.contains(c))
        .unwrap();
    // 15 wrong guesses at once over the three enrollments: the number's
    // whole budget, 5 on each.
    let mut guesses = Vec::new();
    for id in &ids {
        for _ in 0..5 {
            let (api, p, id, bad) = (api.clone(), p.clone(), id.clone(), bad.clone());
            guesses.push(async move { verify(&api, &p, &id, &bad).await });
        }
    }
    let answers = futures_util::future::join_all(guesses).await;
    let mut errors: Vec<(u16, String)> = answers.iter().map(Resp::error).collect();
    errors.sort();
    // Each enrollment answered 4 wrong codes with a 400 and locked on its 5th.
    let mut expected = vec![(400, "invalid_code".to_owned()); 12];
    expected.extend(vec![(429, "too_many_attempts".to_owned()); 3]);
    assert_eq!(errors, expected);
    for id in &ids {
        let g = api
            .test(&p, "GET", &format!("/enrollments/{id}"), None)
            .await
            .json();
        assert_eq!(g["status"], "locked", "{g}");
    }
    // The number has used its 15 wrong codes for 24 h: a new enrollment is
    // refused for about a day (not the 10 minutes of the send limit) and no
    // SMS goes out.
    let r = api
        .test(&p, "POST", "/enrollments", Some(&json!({ "mobile": m })))
        .await;
    assert_eq!(r.error(), (429, "rate_limited".into()));
    let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(
        retry > 23 * 3600 && retry <= 24 * 3600,
        "Retry-After {retry}"
    );
    let inbox = api
        .test(&p, "GET", &format!("/sandbox/messages?to={to}"), None)
        .await
        .json();
    assert_eq!(inbox["data"].as_array().unwrap().len(), 3, "{inbox}");
    // Another partner cannot reset it: the budget belongs to the number.
    let other = api.partner().await;
    let r = api
        .test(
            &other,
            "POST",
            "/enrollments",
            Some(&json!({ "mobile": m })),
        )
        .await;
    assert_eq!(r.error(), (429, "rate_limited".into()));
    // Another number is unaffected.
    api.enroll(&p, &mobile()).await;
}

#[tokio::test]
async fn security_concurrent_correct_codes_get_one_answer_and_a_working_token() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let id = api.enroll(&p, &m).await["id"].as_str().unwrap().to_owned();
    let (_, code) = api.sandbox_sms(&p, &m).await;
    // Whoever arrives while the first is still creating the user and token
    // resumes the same work: every 200 carries the same user and token.
    let tries = (0..6).map(|_| {
        let (api, p, id, code) = (api.clone(), p.clone(), id.clone(), code.clone());
        async move { verify(&api, &p, &id, &code).await }
    });
    let answers = futures_util::future::join_all(tries).await;
    let ok: Vec<Value> = answers
        .iter()
        .filter(|r| r.status == 200)
        .map(Resp::json)
        .collect();
    assert!(!ok.is_empty());
    for r in answers.iter().filter(|r| r.status != 200) {
        assert_eq!(r.error(), (409, "conflict".into()), "single use once done");
    }
    for v in &ok {
        assert_eq!(v["userId"], ok[0]["userId"]);
        assert_eq!(v["registrationToken"], ok[0]["registrationToken"]);
        assert_eq!(
            v["registrationTokenExpiresAt"],
            ok[0]["registrationTokenExpiresAt"]
        );
    }
    let g = api
        .test(&p, "GET", &format!("/enrollments/{id}"), None)
        .await
        .json();
    assert_eq!(g["status"], "verified");
    assert_eq!(g["userId"], ok[0]["userId"]);
    // The token handed out is the one stored: it starts a passkey registration once.
    let token = ok[0]["registrationToken"].as_str().unwrap();
    let begin = |api: Api| async move {
        api.send(
            "POST",
            "/fido/register/begin",
            None,
            Some(&json!({ "registrationToken": token })),
            &[],
        )
        .await
    };
    let r = begin(api.clone()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.json()["options"]["user"]["name"], m.as_str());
}
