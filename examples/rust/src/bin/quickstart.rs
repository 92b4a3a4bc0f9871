//! MID quick start with reqwest (blocking client).
//! Needs MID_URL, MID_CLIENT_ID and MID_KEY (a mid_sk_test_ key) in the environment.
//! Run: cargo run --manifest-path examples/rust/Cargo.toml --bin quickstart

use reqwest::blocking::Client;
use reqwest::Method;
use serde_json::{json, Value};
use std::env;
use std::error::Error;

struct Mid {
    http: Client,
    url: String,
    client_id: String,
    key: String,
}

impl Mid {
    fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Box<dyn Error>> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{}", self.url, path))
            .bearer_auth(&self.key)
            .header("X-Client-ID", &self.client_id);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send()?;
        let status = res.status();
        let json: Value = res.json()?;
        if !status.is_success() {
            // Errors are {"error":{"code","message","param"?}}.
            return Err(format!("{method} {path}: {status} {}", json["error"]).into());
        }
        Ok(json)
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mid = Mid {
        http: Client::new(),
        url: env::var("MID_URL")?,
        client_id: env::var("MID_CLIENT_ID")?,
        key: env::var("MID_KEY")?,
    };

    // 1. Create a consent: ask +234 803 123 4567 to approve a login.
    let consent = mid.call(
        Method::POST,
        "/consents/auth",
        Some(json!({"recipient": "+2348031234567", "intent": "login", "message": "Log in to Example Shop"})),
    )?;
    let id = consent["id"].as_str().ok_or("no id")?;
    println!("created consent {id}");
    // qr.url is the approval link the person opens on their phone; qr.svg/qr.png
    // are QR images of it to show on your page.
    println!(
        "approval link: {}",
        consent["qr"]["url"].as_str().unwrap_or_default()
    );
    println!(
        "QR image: {}{}",
        mid.url,
        consent["qr"]["svg"].as_str().unwrap_or_default()
    );

    // 2. Read it back.
    let read = mid.call(Method::GET, &format!("/consents/{id}"), None)?;
    println!("status: {}", read["status"].as_str().unwrap_or_default());

    // 3. Approve it as the phone would (sandbox, test keys only), then read the outcome.
    mid.call(
        Method::POST,
        &format!("/sandbox/consents/{id}/approve"),
        None,
    )?;
    let done = mid.call(Method::GET, &format!("/consents/{id}"), None)?;
    println!(
        "final status: {}",
        done["status"].as_str().unwrap_or_default()
    );
    Ok(())
}
