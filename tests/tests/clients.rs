//! Clients and credentials against the real worker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mid_tests::shared;
use serde_json::json;

#[tokio::test]
async fn create_client_shows_secrets_once_and_never_again() {
    let api = shared();
    let p = api
        .new_partner(json!({"name": "Bank of Lagos", "webhookUrl": "https://bank.example/hooks"}))
        .await;
    let c = &p.created;
    assert!(
        p.id.starts_with("mid_client_") && p.id.len() == 27,
        "{}",
        p.id
    );
    assert!(p.live_key.starts_with("mid_sk_live_") && p.live_key.len() >= 44);
    assert!(p.test_key.starts_with("mid_sk_test_") && p.test_key.len() >= 44);
    assert!(p.webhook_secret.starts_with("whsec_"));
    assert_eq!(c["plan"], "free");
    assert_eq!(c["webhookUrl"], "https://bank.example/hooks");
    assert!(c["createdAt"].as_str().unwrap().ends_with('Z'));
    for r in [
        api.admin("GET", &format!("/clients/{}", p.id), None).await,
        api.test(&p, "GET", &format!("/clients/{}", p.id), None)
            .await,
        api.live(&p, "GET", &format!("/clients/{}", p.id), None)
            .await,
    ] {
        assert_eq!(r.status, 200);
        let text = String::from_utf8_lossy(&r.bytes).to_string();
        assert!(
            !text.contains(&p.webhook_secret)
                && !text.contains(&p.test_key)
                && !text.contains("whsec_"),
            "{text}"
        );
        assert_eq!(r.json()["name"], "Bank of Lagos");
    }
}

#[tokio::test]
async fn only_the_operator_creates_clients() {
    let api = shared();
    let p = api.partner().await;
    let body = json!({"name": "x"});
    let no_auth = api.send("POST", "/clients", None, Some(&body), &[]).await;
    let wrong = api
        .send(
            "POST",
            "/clients",
            Some(("not-the-admin", None)),
            Some(&body),
            &[],
        )
        .await;
    let partner = api.test(&p, "POST", "/clients", Some(&body)).await;
    for r in [&no_auth, &wrong, &partner] {
        assert_eq!(r.error(), (401, "unauthorized".into()));
    }
    assert_eq!(no_auth.bytes, wrong.bytes, "same body whatever the reason");
}

#[tokio::test]
async fn partners_edit_settings_but_not_their_plan() {
    let api = shared();
    let p = api.partner().await;
    let path = format!("/clients/{}", p.id);
    let r = api
        .test(
            &p,
            "PUT",
            &path,
            Some(&json!({"name": "Renamed", "webhookUrl": "https://shop.example/h"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["name"], "Renamed");
    assert_eq!(
        api.test(&p, "PUT", &path, Some(&json!({"plan": "pro"})))
            .await
            .error(),
        (403, "forbidden".into())
    );
    assert_eq!(
        api.test(&p, "PUT", &path, Some(&json!({"status": "suspended"})))
            .await
            .error(),
        (403, "forbidden".into())
    );
    let r = api.admin("PUT", &path, Some(&json!({"plan": "pro"}))).await;
    assert_eq!((r.status, r.json()["plan"].clone()), (200, json!("pro")));
    assert_eq!(api.test(&p, "GET", &path, None).await.json()["plan"], "pro");
    let r = api
        .test(&p, "PUT", &path, Some(&json!({"id": "mid_client_other"})))
        .await;
    assert_eq!(r.error(), (400, "invalid_request".into()));
    assert_eq!(r.json()["error"]["param"], "id");
}

#[tokio::test]
async fn another_client_is_not_found_and_suspension_locks_out() {
    let api = shared();
    let a = api.partner().await;
    let b = api.partner().await;
    let r = api
        .test(&b, "GET", &format!("/clients/{}", a.id), None)
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    let r = api
        .test(
            &b,
            "PUT",
            &format!("/clients/{}", a.id),
            Some(&json!({"name": "pwned"})),
        )
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    assert_eq!(
        api.admin("GET", "/clients/mid_client_0000000000000000", None)
            .await
            .status,
        404
    );
    api.admin(
        "PUT",
        &format!("/clients/{}", a.id),
        Some(&json!({"status": "suspended"})),
    )
    .await;
    // DESIGN §2: a suspended client's keys get 403 from the very next request...
    for r in [
        api.test(&a, "GET", &format!("/clients/{}", a.id), None)
            .await,
        api.live(&a, "GET", &format!("/clients/{}", a.id), None)
            .await,
    ] {
        assert_eq!(r.error(), (403, "forbidden".into()));
    }
    // ...while a wrong key stays 401 (suspension is no oracle for keys)...
    let r = api
        .send(
            "GET",
            &format!("/clients/{}", a.id),
            Some((
                "mid_sk_test_0000000000000000000000000000000000",
                Some(&a.id),
            )),
            None,
            &[],
        )
        .await;
    assert_eq!(r.error(), (401, "unauthorized".into()));
    // ...and work again as soon as it is active.
    api.admin(
        "PUT",
        &format!("/clients/{}", a.id),
        Some(&json!({"status": "active"})),
    )
    .await;
    let r = api
        .test(&a, "GET", &format!("/clients/{}", a.id), None)
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn security_an_operator_suspension_survives_a_concurrent_partner_rename() {
    let api = shared();
    for round in 0..10 {
        let p = api.partner().await;
        let path = format!("/clients/{}", p.id);
        let name = format!("Renamed {round}");
        let (rename_body, suspend_body) = (json!({ "name": name }), json!({"status": "suspended"}));
        let rename = api.test(&p, "PUT", &path, Some(&rename_body));
        let suspend = api.admin("PUT", &path, Some(&suspend_body));
        let (renamed, suspended) = tokio::join!(rename, suspend);
        assert_eq!(suspended.status, 200, "round {round}");
        // The rename either ran first (200) or met the suspension (403); never a lost update.
        assert!(
            renamed.status == 200 || renamed.error() == (403, "forbidden".into()),
            "round {round}: {}",
            String::from_utf8_lossy(&renamed.bytes)
        );
        let now = api.admin("GET", &path, None).await.json();
        assert_eq!(now["status"], "suspended", "round {round}: {now}");
        if renamed.status == 200 {
            assert_eq!(
                now["name"],
                name.as_str(),
                "round {round}: the rename is kept too"
            );
        }
        let r = api.test(&p, "GET", &path, None).await;
        assert_eq!(r.error(), (403, "forbidden".into()), "round {round}");
    }
}

#[tokio::test]
async fn security_rotated_keys_overlap_then_stop_and_modes_rotate_only_themselves() {
    let api = shared();
    let p = api.partner().await;
    let other = api.partner().await;
    let path = format!("/clients/{}", p.id);
    let keys = format!("{path}/keys");
    let get = |key: String| {
        let api = api.clone();
        let (path, id) = (path.clone(), p.id.clone());
        async move {
            api.send("GET", &path, Some((&key, Some(&id))), None, &[])
                .await
                .status
        }
    };

    // A test key may not rotate the live key; another client sees nothing.
    let r = api
        .test(&p, "POST", &keys, Some(&json!({"mode": "live"})))
        .await;
    assert_eq!(r.error(), (403, "forbidden".into()));
    let r = api
        .test(&other, "POST", &keys, Some(&json!({"mode": "test"})))
        .await;
    assert_eq!(r.error(), (404, "not_found".into()));
    for bad in [
        json!({}),
        json!({"mode": "prod"}),
        json!({"mode": "test", "expiresIn": 604801}),
    ] {
        let r = api.test(&p, "POST", &keys, Some(&bad)).await;
        assert_eq!(r.error(), (400, "invalid_request".into()), "{bad}");
    }

    // Rotate the test key with a 2 s overlap: both work, then only the new one.
    let r = api
        .test(
            &p,
            "POST",
            &keys,
            Some(&json!({"mode": "test", "expiresIn": 2})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    let v = r.json();
    assert_eq!(v["mode"], "test");
    let new_key = v["key"].as_str().unwrap().to_owned();
    assert!(new_key.starts_with("mid_sk_test_") && new_key != p.test_key);
    assert!(v["previousExpiresAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(get(new_key.clone()).await, 200);
    assert_eq!(get(p.test_key.clone()).await, 200, "overlap");
    tokio::time::sleep(std::time::Duration::from_millis(2_300)).await;
    assert_eq!(get(p.test_key.clone()).await, 401, "expired");
    assert_eq!(get(new_key.clone()).await, 200);

    // The operator rotates the live key with no overlap: the old one stops at once.
    let r = api
        .admin(
            "POST",
            &keys,
            Some(&json!({"mode": "live", "expiresIn": 0})),
        )
        .await;
    assert_eq!(r.status, 201);
    let live = r.json()["key"].as_str().unwrap().to_owned();
    assert_eq!(get(p.live_key.clone()).await, 401);
    assert_eq!(get(live).await, 200);
}

#[tokio::test]
async fn security_operator_token_guesses_are_throttled() {
    // Its own worker: the guesses must not throttle the shared one's operator.
    let worker = mid_tests::Worker::start("operator-throttle", &[]).await;
    let api = worker.api();
    let wrong = |n: usize| {
        let api = api.clone();
        async move {
            api.send(
                "POST",
                "/clients",
                Some((&format!("guess-{n}"), None)),
                Some(&json!({"name": "x"})),
                &[],
            )
            .await
        }
    };
    for n in 0..10 {
        assert_eq!(
            wrong(n).await.error(),
            (401, "unauthorized".into()),
            "guess {n}"
        );
    }
    let r = wrong(10).await;
    assert_eq!(r.error(), (429, "rate_limited".into()));
    assert!(r.header("retry-after").is_some());
    // Even the right token is not checked now, so a lucky guess cannot be told apart.
    let r = api
        .admin("POST", "/clients", Some(&json!({"name": "x"})))
        .await;
    assert_eq!(r.error(), (429, "rate_limited".into()));
}

#[tokio::test]
async fn client_settings_are_validated() {
    let api = shared();
    let cases = [
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (
            json!({"name": "x", "webhookUrl": "ftp://example.com/h"}),
            "webhookUrl",
        ),
        (
            json!({"name": "x", "webhookUrl": "https://user:pw@example.com/h"}),
            "webhookUrl",
        ),
        (
            json!({"name": "x", "allowedOrigins": ["https://shop.example/path"]}),
            "allowedOrigins",
        ),
        (
            json!({"name": "x", "allowedOrigins": "https://shop.example"}),
            "allowedOrigins",
        ),
        (json!({"name": "x", "rpId": "Not A Domain"}), "rpId"),
        (
            json!({"name": "x", "rpId": "shop.example", "allowedOrigins": ["https://other.example"]}),
            "rpId",
        ),
        (json!({"name": "x", "plan": "enterprise"}), "plan"),
    ];
    for (body, param) in cases {
        let r = api.admin("POST", "/clients", Some(&body)).await;
        assert_eq!(r.error(), (400, "invalid_request".into()), "{body}");
        assert_eq!(r.json()["error"]["param"], param, "{body}");
    }
}

#[tokio::test]
async fn security_no_sealing_key_means_no_service() {
    // DESIGN §5: without a usable SEALING_KEY the worker answers 500 and never
    // falls back to another secret (here: too short to be 32 bytes).
    let worker =
        mid_tests::Worker::start_unchecked("no-sealing-key", &[("SEALING_KEY", "dG9vIHNob3J0")])
            .await;
    let api = worker.api();
    // wrangler may answer before the worker is loaded: wait for the worker's own JSON.
    mid_tests::eventually(60, "the worker's answer", || {
        let api = api.clone();
        async move {
            let r = api.send("GET", "/health", None, None, &[]).await;
            serde_json::from_slice::<serde_json::Value>(&r.bytes)
                .ok()
                .map(|_| ())
        }
    })
    .await;
    for r in [
        api.send("GET", "/health", None, None, &[]).await,
        api.admin("POST", "/clients", Some(&json!({"name": "x"})))
            .await,
    ] {
        assert_eq!(r.error(), (500, "internal".into()));
        let text = String::from_utf8_lossy(&r.bytes).to_string();
        assert!(
            !text.contains("SEALING_KEY"),
            "internals are not echoed: {text}"
        );
    }
    let log = worker.persist.with_extension("log");
    mid_tests::eventually(10, "the log to say why", || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        async move { text.contains("SEALING_KEY is missing").then_some(()) }
    })
    .await;
}
