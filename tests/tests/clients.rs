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
    assert_eq!(
        api.test(&a, "GET", &format!("/clients/{}", a.id), None)
            .await
            .status,
        401
    );
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
