//! Basic chain building to configured roots (§7.1 step 23). Reported, enforced only by policy.

use super::super::x509;

/// True when each certificate is signed by the next, intermediates are CAs, and the last one
/// is a root or is signed by a root. With `now`, every certificate (root included) must be
/// within its validity period.
pub fn chain_is_trusted(chain: &[Vec<u8>], roots: &[Vec<u8>], now: Option<i64>) -> bool {
    if roots.is_empty() {
        return false;
    }
    let Ok(certs) = chain
        .iter()
        .map(|c| x509::parse(c))
        .collect::<Result<Vec<_>, _>>()
    else {
        return false;
    };
    if let Some(now) = now {
        if !certs.iter().all(|c| c.valid_at(now)) {
            return false;
        }
    }
    for pair in certs.windows(2) {
        let (Some(child), Some(parent)) = (pair.first(), pair.get(1)) else {
            return false;
        };
        if child.verify_signed_by(parent).is_err() || parent.is_ca() != Ok(Some(true)) {
            return false;
        }
    }
    let (Some(last), Some(last_der)) = (certs.last(), chain.last()) else {
        return false;
    };
    roots.iter().any(|root_der| {
        let Ok(root) = x509::parse(root_der) else {
            return false;
        };
        if now.is_some_and(|now| !root.valid_at(now)) {
            return false;
        }
        root_der == last_der || last.verify_signed_by(&root).is_ok()
    })
}
