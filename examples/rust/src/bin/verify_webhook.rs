//! Verifies a MID webhook delivery: both the Standard Webhooks header signature
//! and the body's "signature" member.
//! Usage: MID_WEBHOOK_SECRET=whsec_... verify_webhook HEADERS_FILE BODY_FILE
//! (headers as "name: value" lines, the exact body bytes). Prints "valid" or "invalid".

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};
use std::{env, fs, process};

type HmacSha256 = Hmac<Sha256>;

/// In your server: call with the request's headers (lower-case names) and raw body bytes.
pub fn verify(secret: &str, headers: &HashMap<String, String>, raw: &[u8], now: u64) -> bool {
    let Ok(key) = B64.decode(secret.trim_start_matches("whsec_")) else {
        return false;
    };
    let mac = |parts: &[&[u8]]| {
        let mut m = HmacSha256::new_from_slice(&key).expect("HMAC takes any key length");
        parts.iter().for_each(|p| m.update(p));
        m
    };
    let (Some(id), Some(ts), Some(sigs)) = (
        headers.get("webhook-id"),
        headers.get("webhook-timestamp"),
        headers.get("webhook-signature"),
    ) else {
        return false;
    };
    // Replay protection: at most 5 minutes away from now.
    let Ok(t) = ts.parse::<u64>() else {
        return false;
    };
    if now.abs_diff(t) > 300 {
        return false;
    }

    // 1. Standard Webhooks: base64 HMAC of "<id>.<timestamp>.<body>"; any one of
    //    the space-separated "v1,<sig>" entries may match (secret rotation).
    let signed = [id.as_bytes(), b".", ts.as_bytes(), b".", raw];
    let header_ok = sigs.split(' ').any(|entry| match entry.split_once(',') {
        // verify_slice compares in constant time.
        Some(("v1", sig)) => B64
            .decode(sig)
            .is_ok_and(|s| mac(&signed).verify_slice(&s).is_ok()),
        _ => false,
    });
    if !header_ok {
        return false;
    }

    // 2. Body signature: hex HMAC of the body without its trailing
    //    ,"signature":"sha256=<hex>" member (11 + 7 + 64 + 2 bytes).
    const PREFIX: &[u8] = b",\"signature\":\"sha256=";
    let tail_len = PREFIX.len() + 64 + 2;
    if raw.len() < tail_len || !raw.ends_with(b"\"}") {
        return false;
    }
    let (head, tail) = raw.split_at(raw.len() - tail_len);
    if !tail.starts_with(PREFIX) {
        return false;
    }
    let Ok(claimed) = hex::decode(&tail[PREFIX.len()..PREFIX.len() + 64]) else {
        return false;
    };
    mac(&[head, b"}"]).verify_slice(&claimed).is_ok()
}

fn main() {
    let args: Vec<String> = env::args().collect();
    let (Some(headers_file), Some(body_file)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: verify_webhook HEADERS_FILE BODY_FILE");
        process::exit(2);
    };
    let headers: HashMap<String, String> = fs::read_to_string(headers_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = fs::read(body_file).unwrap_or_default();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let ok = verify(
        &env::var("MID_WEBHOOK_SECRET").unwrap_or_default(),
        &headers,
        &body,
        now,
    );
    println!("{}", if ok { "valid" } else { "invalid" });
    process::exit(if ok { 0 } else { 1 });
}
