//! Native cost of MID's WebAuthn verification (registration "none" and
//! authentication, per algorithm) on the fixtures that `bench/fixtures.mjs`
//! makes with the peers' software authenticator, so SimpleWebAuthn verifies
//! the very same responses in the same run (`npm run bench`, see bench/README.md).
//!
//!   MID_BENCH_FIXTURES=bench/out/fixtures.json ITERS=3000 WARMUP=1000 \
//!     cargo bench -p mid-webauthn --bench webauthn
//!
//! Prints one JSON line per measurement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use mid_webauthn::{
    base64url_decode, AttestationPolicy, AuthenticationExpectations, AuthenticationResponseJSON,
    RegistrationExpectations, RegistrationResponseJSON, StoredCredential,
};
use serde_json::{json, Value};

/// §7.1, its signatures discharged by the pure-Rust verifier.
fn verify_registration(
    r: &RegistrationResponseJSON,
    e: &RegistrationExpectations<'_>,
) -> Result<mid_webauthn::VerifiedRegistration, mid_webauthn::WebauthnError> {
    mid_webauthn::verify_registration(r, e)?.verify_now()
}

/// §7.2, its signature discharged by the pure-Rust verifier.
fn verify_authentication(
    r: &AuthenticationResponseJSON,
    e: &AuthenticationExpectations<'_>,
    s: &StoredCredential<'_>,
) -> Result<mid_webauthn::VerifiedAuthentication, mid_webauthn::WebauthnError> {
    mid_webauthn::verify_authentication(r, e, s)?.verify_now()
}

const ALGS: &[i64] = &[-8, -7, -257];

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn measure(name: &str, iters: usize, warmup: usize, mut f: impl FnMut() -> bool) {
    for _ in 0..warmup {
        assert!(f(), "{name}: verification failed");
    }
    let mut lat = Vec::with_capacity(iters);
    let t0 = Instant::now();
    for _ in 0..iters {
        let s = Instant::now();
        let ok = f();
        lat.push(s.elapsed().as_secs_f64() * 1e6);
        assert!(ok, "{name}: verification failed");
    }
    let total_us = t0.elapsed().as_secs_f64() * 1e6;
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((p * lat.len() as f64) as usize).min(lat.len() - 1)];
    println!(
        "{}",
        json!({
            "name": name, "iters": iters, "warmup": warmup,
            "mean_us": total_us / iters as f64, "ops_per_s": iters as f64 / (total_us / 1e6),
            "p50_us": pct(0.5), "p99_us": pct(0.99),
        })
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let path = std::env::var("MID_BENCH_FIXTURES").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/out/fixtures.json").into()
    });
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("no fixtures at {path}: run `npm run bench` (bench/run.sh) to make them");
        std::process::exit(2);
    };
    let fixtures: Value = serde_json::from_str(&text).unwrap();
    let iters = env_num("ITERS", 3000);
    let warmup = env_num("WARMUP", 1000);
    let rp_id = fixtures["rpId"].as_str().unwrap().to_owned();
    let origin = fixtures["origin"].as_str().unwrap().to_owned();
    let origins = [origin.as_str()];
    // Which build this is (bench/run.sh measures the shipped `opt-level = "z"` and opt-level 3).
    let variant = std::env::var("MID_BENCH_VARIANT").unwrap_or_else(|_| "opt-z".into());

    for case in fixtures["cases"].as_array().unwrap() {
        let alg = case["alg"].as_str().unwrap();
        let reg_text = case["registration"].to_string();
        let auth_text = case["authentication"].to_string();
        let reg_challenge = base64url_decode(case["regChallenge"].as_str().unwrap()).unwrap();
        let auth_challenge = base64url_decode(case["authChallenge"].as_str().unwrap()).unwrap();
        let reg_expect = RegistrationExpectations {
            challenge: &reg_challenge,
            origins: &origins,
            rp_id: &rp_id,
            require_user_verification: true,
            allowed_algorithms: ALGS,
            allow_cross_origin: false,
            allowed_top_origins: &[],
            attestation: AttestationPolicy::default(),
        };
        let reg_parsed: RegistrationResponseJSON = serde_json::from_str(&reg_text).unwrap();
        let registered = verify_registration(&reg_parsed, &reg_expect).unwrap();
        let auth_expect = AuthenticationExpectations {
            challenge: &auth_challenge,
            origins: &origins,
            rp_id: &rp_id,
            require_user_verification: true,
            allow_credentials: None,
            expected_user_handle: None,
            allow_cross_origin: false,
            allowed_top_origins: &[],
        };
        // Stored and signed counters are 0, so the same assertion re-verifies (§6.1.1).
        let stored = StoredCredential {
            id: &registered.credential_id,
            cose_public_key: &registered.cose_public_key,
            sign_count: 0,
            backup_eligible: registered.backup_eligible,
            user_handle: None,
        };
        let auth_parsed: AuthenticationResponseJSON = serde_json::from_str(&auth_text).unwrap();
        verify_authentication(&auth_parsed, &auth_expect, &stored).unwrap();

        measure(
            &format!("mid.verify_registration none/{alg} (JSON text in) [{variant}]"),
            iters,
            warmup,
            || {
                let r: RegistrationResponseJSON = serde_json::from_str(&reg_text).unwrap();
                verify_registration(&r, &reg_expect).is_ok()
            },
        );
        measure(
            &format!("mid.verify_authentication {alg} (JSON text in) [{variant}]"),
            iters,
            warmup,
            || {
                let r: AuthenticationResponseJSON = serde_json::from_str(&auth_text).unwrap();
                verify_authentication(&r, &auth_expect, &stored).is_ok()
            },
        );
        measure(
            &format!("mid.verify_authentication {alg} (parsed) [{variant}]"),
            iters,
            warmup,
            || verify_authentication(&auth_parsed, &auth_expect, &stored).is_ok(),
        );
    }
}
