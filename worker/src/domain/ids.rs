//! Identifiers and bearer secrets: prefixes from the contract, bodies from a
//! CSPRNG via rejection sampling (no modulo bias).

use super::crypto::b64;
use super::random::Random;

const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters drawn uniformly from `alphabet` (at most 256 symbols).
pub fn random_string(alphabet: &[u8], len: usize, random: &mut dyn Random) -> String {
    let n = alphabet.len().clamp(1, 256);
    // Largest multiple of n that fits in a byte: bytes at or above it are discarded.
    let limit = 256 - (256 % n);
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        random.fill(&mut buf);
        for &b in &buf {
            if out.len() == len {
                break;
            }
            if usize::from(b) < limit {
                if let Some(&c) = alphabet.get(usize::from(b) % n) {
                    out.push(char::from(c));
                }
            }
        }
    }
    out
}

fn prefixed(prefix: &str, len: usize, random: &mut dyn Random) -> String {
    format!("{prefix}{}", random_string(BASE36, len, random))
}

pub fn client_id(r: &mut dyn Random) -> String {
    prefixed("mid_client_", 16, r)
}
pub fn consent_id(r: &mut dyn Random) -> String {
    prefixed("cons_", 16, r)
}
pub fn enrollment_id(r: &mut dyn Random) -> String {
    prefixed("enr_", 16, r)
}
pub fn user_id(r: &mut dyn Random) -> String {
    prefixed("user_", 16, r)
}
pub fn device_id(r: &mut dyn Random) -> String {
    prefixed("device_", 16, r)
}
pub fn event_id(r: &mut dyn Random) -> String {
    prefixed("evt_", 24, r)
}
pub fn delivery_id(r: &mut dyn Random) -> String {
    prefixed("dlv_", 16, r)
}

/// API key of a mode: `mid_sk_live_` / `mid_sk_test_` + 32 base62 (~190 bits).
pub fn api_key(livemode: bool, r: &mut dyn Random) -> String {
    let mode = if livemode { "live" } else { "test" };
    format!("mid_sk_{mode}_{}", random_string(BASE62, 32, r))
}

/// Page secret of one consent: `cs_` + 40 base62 (~238 bits).
pub fn client_secret(r: &mut dyn Random) -> String {
    format!("cs_{}", random_string(BASE62, 40, r))
}

/// Approval-link token: 32 base62 characters (~190 bits, contract asks ≥ 128).
pub fn approval_token(r: &mut dyn Random) -> String {
    random_string(BASE62, 32, r)
}

/// Webhook signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks form).
pub fn webhook_secret(r: &mut dyn Random) -> String {
    let mut raw = [0u8; 32];
    r.fill(&mut raw);
    format!("whsec_{}", b64(&raw))
}

/// Id of a stored sandbox SMS: `sms_` + 16.
pub fn sms_id(r: &mut dyn Random) -> String {
    prefixed("sms_", 16, r)
}

/// RFC 9562 version-4 UUID, lower case (StoreKit's `appAccountToken` form).
pub fn uuid_v4(r: &mut dyn Random) -> String {
    let mut b = [0u8; 16];
    r.fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = super::crypto::hex(&b);
    let part = |from: usize, to: usize| h.get(from..to).unwrap_or_default();
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

/// Checks the shape `prefix` + `len` base36 characters, e.g. before using an
/// id as a Durable Object name.
pub fn is_id(text: &str, prefix: &str, len: usize) -> bool {
    text.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == len && rest.bytes().all(|b| BASE36.contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random::SeqRandom;

    #[test]
    fn ids_have_the_contract_shapes() {
        let r = &mut SeqRandom(0);
        assert!(is_id(&client_id(r), "mid_client_", 16));
        assert!(is_id(&consent_id(r), "cons_", 16));
        assert!(is_id(&enrollment_id(r), "enr_", 16));
        assert!(is_id(&user_id(r), "user_", 16));
        assert!(is_id(&device_id(r), "device_", 16));
        assert!(is_id(&event_id(r), "evt_", 24));
        let live = api_key(true, r);
        assert!(live.starts_with("mid_sk_live_") && live.len() == 12 + 32);
        assert!(api_key(false, r).starts_with("mid_sk_test_"));
        let whsec = webhook_secret(r);
        let raw = crate::domain::crypto::b64_decode(whsec.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(raw.len(), 32);
        assert!(approval_token(r).len() == 32);
    }

    #[test]
    fn uuid_v4_has_version_and_variant_bits() {
        let r = &mut SeqRandom(0);
        let u = uuid_v4(r);
        assert_eq!(u, "00010203-0405-4607-8809-0a0b0c0d0e0f");
        let u = uuid_v4(&mut SeqRandom(0xff));
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{u}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{u}");
        assert!(is_id(&sms_id(r), "sms_", 16));
    }

    #[test]
    fn is_id_rejects_wrong_shapes() {
        assert!(!is_id("cons_ABCDEFGHIJKLMNOP", "cons_", 16));
        assert!(!is_id("cons_abc", "cons_", 16));
        assert!(!is_id("enr_0123456789abcdef", "cons_", 16));
        assert!(!is_id("cons_0123456789abcdef/", "cons_", 16));
    }

    #[test]
    fn rejection_sampling_skips_biased_bytes() {
        // For 36 symbols, bytes 252..=255 would bias toward '0'..'3' and are skipped.
        struct Fixed(Vec<u8>);
        impl Random for Fixed {
            fn fill(&mut self, buf: &mut [u8]) {
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = self.0[i % self.0.len()];
                }
            }
        }
        let s = random_string(BASE36, 3, &mut Fixed(vec![252, 253, 254, 255, 35, 36, 251]));
        assert_eq!(s, "z0z");
    }

    #[test]
    fn distribution_is_uniform_over_many_draws() {
        let mut counts = [0u32; 36];
        let s = random_string(BASE36, 36 * 1000, &mut SeqRandom(3));
        for b in s.bytes() {
            counts[BASE36.iter().position(|&c| c == b).unwrap()] += 1;
        }
        assert!(counts.iter().all(|&c| c == 1000), "{counts:?}");
    }
}
