//! Basic chain building to configured roots (§7.1 step 23). Reported, enforced only by policy.

use super::super::obligations::Trust;
use super::super::x509;

/// Holds when each certificate is signed by the next, intermediates are CAs, and the last one
/// is a root or is signed by a root. With `now`, every certificate (root included) must be
/// within its validity period. Everything but the signatures is decided here.
pub fn chain_trust(chain: &[Vec<u8>], roots: &[Vec<u8>], now: Option<i64>) -> Trust {
    if roots.is_empty() {
        return Trust::never();
    }
    let Ok(certs) = chain
        .iter()
        .map(|c| x509::parse(c))
        .collect::<Result<Vec<_>, _>>()
    else {
        return Trust::never();
    };
    if let Some(now) = now {
        if !certs.iter().all(|c| c.valid_at(now)) {
            return Trust::never();
        }
    }
    let mut links = Vec::new();
    for pair in certs.windows(2) {
        let (Some(child), Some(parent)) = (pair.first(), pair.get(1)) else {
            return Trust::never();
        };
        let Ok(link) = child.signed_by(parent) else {
            return Trust::never();
        };
        if parent.is_ca() != Ok(Some(true)) {
            return Trust::never();
        }
        links.push(link);
    }
    let (Some(last), Some(last_der)) = (certs.last(), chain.last()) else {
        return Trust::never();
    };
    let alternatives = roots
        .iter()
        .filter_map(|root_der| {
            let root = x509::parse(root_der).ok()?;
            if now.is_some_and(|now| !root.valid_at(now)) {
                return None;
            }
            let mut all = links.clone();
            if root_der != last_der {
                all.push(last.signed_by(&root).ok()?);
            }
            Some(all)
        })
        .collect();
    Trust(alternatives)
}
