//! Apple's signed data (App Store Server Notifications V2 and the
//! transactions and renewals inside them): a compact JWS, ES256, whose `x5c`
//! header carries exactly three certificates — leaf, Apple intermediate,
//! Apple root — checked the way Apple's App Store Server Library does.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

use crate::domain::webauthn::{base64url_decode, pki, Trust, Unverified};

/// Apple's marker on the certificate that signs App Store data.
pub const OID_LEAF: &str = "1.2.840.113635.100.6.11.1";
/// Apple's marker on the Worldwide Developer Relations intermediate.
pub const OID_INTERMEDIATE: &str = "1.2.840.113635.100.6.2.1";
/// Longest JWS accepted (a notification with both nested JWS is a few KiB).
const JWS_MAX: usize = 48 * 1024;

/// Why a JWS was refused (all 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsError {
    /// Not three base64url parts with JSON header and payload.
    Malformed,
    /// `alg` is not `ES256` (`none`, `HS256`, ... are refused).
    Algorithm,
    /// `x5c` is missing or does not hold exactly three certificates.
    ChainLength,
    /// The chain does not lead to a configured root, or a link's signature,
    /// CA flag or validity (at the signing date) fails.
    UntrustedChain,
    /// The leaf lacks Apple's App Store signing OID.
    LeafOid,
    /// The intermediate lacks Apple's WWDR OID.
    IntermediateOid,
    /// The payload has no `signedDate` to check the chain at.
    NoSignedDate,
    /// The signature does not verify with the leaf's key.
    Signature,
}

impl JwsError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "The signed payload is not a well-formed JWS.",
            Self::Algorithm => "The JWS algorithm must be ES256.",
            Self::ChainLength => "The JWS x5c must hold exactly three certificates.",
            Self::UntrustedChain => "The JWS certificate chain is not trusted.",
            Self::LeafOid => "The signing certificate is not an App Store one.",
            Self::IntermediateOid => "The intermediate certificate is not Apple's.",
            Self::NoSignedDate => "The signed payload has no signedDate.",
            Self::Signature => "The JWS signature does not verify.",
        }
    }
}

/// Checks `jws` against `roots` (DER) and returns its payload with the
/// signatures it is valid only with (chain links, the JWS signature): the
/// payload may be read to parse it, never trusted before those hold. The chain
/// is checked at the payload's own `signedDate` (Apple's rule: data signed
/// while the certificates were valid stays verifiable).
pub fn verify(jws: &str, roots: &[Vec<u8>]) -> Result<(Value, Unverified<(), JwsError>), JwsError> {
    if jws.len() > JWS_MAX {
        return Err(JwsError::Malformed);
    }
    let mut parts = jws.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let header: Value = base64url_decode(h64)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwsError::Malformed)?;
    let payload: Value = base64url_decode(p64)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(Value::is_object)
        .ok_or(JwsError::Malformed)?;
    let signature = base64url_decode(s64).ok_or(JwsError::Malformed)?;
    if header.get("alg").and_then(Value::as_str) != Some("ES256") {
        return Err(JwsError::Algorithm);
    }
    let chain: Vec<Vec<u8>> = header
        .get("x5c")
        .and_then(Value::as_array)
        .filter(|a| a.len() == 3)
        .ok_or(JwsError::ChainLength)?
        .iter()
        .map(|c| c.as_str().and_then(|s| STANDARD.decode(s).ok()))
        .collect::<Option<_>>()
        .ok_or(JwsError::Malformed)?;
    let signed_s = payload
        .get("signedDate")
        .and_then(Value::as_i64)
        .ok_or(JwsError::NoSignedDate)?
        .div_euclid(1000);
    let (Some(leaf), Some(intermediate), Some(root)) = (chain.first(), chain.get(1), chain.get(2))
    else {
        return Err(JwsError::ChainLength);
    };
    // The third certificate must be one of ours byte for byte, not merely
    // signed by one: a root is pinned, never discovered.
    let trust = pki::chain_trust(&chain, roots, Some(signed_s));
    if !roots.iter().any(|r| r == root) || trust == Trust::never() {
        return Err(JwsError::UntrustedChain);
    }
    if !pki::has_extension(leaf, OID_LEAF) {
        return Err(JwsError::LeafOid);
    }
    if !pki::has_extension(intermediate, OID_INTERMEDIATE) {
        return Err(JwsError::IntermediateOid);
    }
    let signing_input = format!("{h64}.{p64}");
    let signature = pki::jws_es256_check(leaf, signing_input.as_bytes(), &signature)
        .map_err(|_| JwsError::Signature)?;
    let pending = Unverified::new(())
        .require_trust(trust, JwsError::UntrustedChain)
        .require(signature, JwsError::Signature);
    Ok((payload, pending))
}

/// The DER certificates of a PEM bundle (`APPSTORE_ROOT_CERTS`); anything
/// outside `CERTIFICATE` blocks is skipped.
pub fn pem_certificates(pem: &str) -> Vec<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let Some(end) = after.find(END) else { break };
        let b64: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if let Ok(der) = STANDARD.decode(b64) {
            out.push(der);
        }
        rest = &after[end + END.len()..];
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::webauthn::base64url_encode;

    /// The production check, its signatures discharged by the pure-Rust verifier.
    fn verify(jws: &str, roots: &[Vec<u8>]) -> Result<Value, JwsError> {
        let (payload, pending) = super::verify(jws, roots)?;
        pending.verify_now().map(|()| payload)
    }
    use rcgen::{
        BasicConstraints, Certificate, CertificateParams, CustomExtension, DnType, IsCa, KeyPair,
        PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384,
    };

    /// 2025-01-01 in unix ms: inside every test certificate's validity unless noted.
    pub const SIGNED: i64 = 1_735_689_600_000;

    fn oid(dotted: &str) -> Vec<u64> {
        dotted.split('.').map(|p| p.parse().unwrap()).collect()
    }

    fn params(cn: &str, ca: bool, years: (i32, i32), ext: Option<&str>) -> CertificateParams {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        p.not_before = rcgen::date_time_ymd(years.0, 1, 1);
        p.not_after = rcgen::date_time_ymd(years.1, 1, 1);
        if let Some(o) = ext {
            // Apple's markers carry an ASN.1 NULL.
            p.custom_extensions
                .push(CustomExtension::from_oid_content(&oid(o), vec![0x05, 0x00]));
        }
        p
    }

    /// A root (P-384), an intermediate (P-384) and a leaf (P-256) shaped like
    /// Apple's App Store chain.
    pub struct Chain {
        pub root: Certificate,
        pub intermediate: Certificate,
        pub leaf: Certificate,
        pub leaf_key: KeyPair,
    }

    pub struct Shape {
        pub leaf_oid: bool,
        pub intermediate_oid: bool,
        pub leaf_years: (i32, i32),
    }

    pub const APPLE_SHAPE: Shape = Shape {
        leaf_oid: true,
        intermediate_oid: true,
        leaf_years: (2020, 2035),
    };

    pub fn chain(shape: &Shape) -> Chain {
        let root_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let root = params("Test Root CA - G3", true, (2014, 2039), None)
            .self_signed(&root_key)
            .unwrap();
        let int_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let intermediate = params(
            "Test WWDR G6",
            true,
            (2019, 2037),
            shape.intermediate_oid.then_some(OID_INTERMEDIATE),
        )
        .signed_by(&int_key, &root, &root_key)
        .unwrap();
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf = params(
            "Test App Store Signing",
            false,
            shape.leaf_years,
            shape.leaf_oid.then_some(OID_LEAF),
        )
        .signed_by(&leaf_key, &intermediate, &int_key)
        .unwrap();
        Chain {
            root,
            intermediate,
            leaf,
            leaf_key,
        }
    }

    impl Chain {
        pub fn roots(&self) -> Vec<Vec<u8>> {
            vec![self.root.der().to_vec()]
        }

        pub fn x5c(&self) -> Vec<String> {
            [&self.leaf, &self.intermediate, &self.root]
                .iter()
                .map(|c| STANDARD.encode(c.der()))
                .collect()
        }

        /// A compact JWS of `payload` with this header.
        pub fn sign_with(&self, header: &Value, payload: &Value) -> String {
            let input = format!(
                "{}.{}",
                base64url_encode(header.to_string().as_bytes()),
                base64url_encode(payload.to_string().as_bytes())
            );
            let key =
                p256::ecdsa::SigningKey::from_pkcs8_der(&self.leaf_key.serialize_der()).unwrap();
            let sig: p256::ecdsa::Signature =
                p256::ecdsa::signature::Signer::sign(&key, input.as_bytes());
            format!("{input}.{}", base64url_encode(&sig.to_bytes()))
        }

        pub fn sign(&self, payload: &Value) -> String {
            self.sign_with(
                &serde_json::json!({"alg": "ES256", "x5c": self.x5c()}),
                payload,
            )
        }
    }

    use p256::pkcs8::DecodePrivateKey as _;

    fn payload() -> Value {
        serde_json::json!({"notificationType": "TEST", "signedDate": SIGNED})
    }

    #[test]
    fn a_valid_apple_shaped_jws_verifies() {
        let c = chain(&APPLE_SHAPE);
        let got = verify(&c.sign(&payload()), &c.roots()).unwrap();
        assert_eq!(got["notificationType"], "TEST");
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let c = chain(&APPLE_SHAPE);
        let jws = c.sign(&payload());
        let parts: Vec<&str> = jws.split('.').collect();
        let mut other = payload();
        other["notificationType"] = "REFUND".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            base64url_encode(other.to_string().as_bytes()),
            parts[2]
        );
        assert_eq!(verify(&forged, &c.roots()), Err(JwsError::Signature));
    }

    #[test]
    fn x5c_must_hold_exactly_three() {
        let c = chain(&APPLE_SHAPE);
        let x5c = c.x5c();
        for list in [&x5c[..2], &x5c[..1], &[][..]] {
            let h = serde_json::json!({"alg": "ES256", "x5c": list});
            assert_eq!(
                verify(&c.sign_with(&h, &payload()), &c.roots()),
                Err(JwsError::ChainLength)
            );
        }
        let h = serde_json::json!({"alg": "ES256"});
        assert_eq!(
            verify(&c.sign_with(&h, &payload()), &c.roots()),
            Err(JwsError::ChainLength)
        );
    }

    #[test]
    fn a_chain_to_another_root_is_refused() {
        let ours = chain(&APPLE_SHAPE);
        let theirs = chain(&APPLE_SHAPE);
        assert_eq!(
            verify(&theirs.sign(&payload()), &ours.roots()),
            Err(JwsError::UntrustedChain)
        );
        // Nor by naming our root third while their intermediate signed the leaf.
        let mut x5c = theirs.x5c();
        x5c[2] = ours.x5c()[2].clone();
        let h = serde_json::json!({"alg": "ES256", "x5c": x5c});
        assert_eq!(
            verify(&theirs.sign_with(&h, &payload()), &ours.roots()),
            Err(JwsError::UntrustedChain)
        );
        assert_eq!(
            verify(&ours.sign(&payload()), &[]),
            Err(JwsError::UntrustedChain)
        );
    }

    #[test]
    fn apple_oids_are_required() {
        let c = chain(&Shape {
            leaf_oid: false,
            ..APPLE_SHAPE
        });
        assert_eq!(
            verify(&c.sign(&payload()), &c.roots()),
            Err(JwsError::LeafOid)
        );
        let c = chain(&Shape {
            intermediate_oid: false,
            ..APPLE_SHAPE
        });
        assert_eq!(
            verify(&c.sign(&payload()), &c.roots()),
            Err(JwsError::IntermediateOid)
        );
    }

    #[test]
    fn the_chain_is_checked_at_the_signed_date() {
        let c = chain(&Shape {
            leaf_years: (2021, 2022),
            ..APPLE_SHAPE
        });
        // 2025: the leaf had expired when this was signed.
        assert_eq!(
            verify(&c.sign(&payload()), &c.roots()),
            Err(JwsError::UntrustedChain)
        );
        // Signed in 2021 while it was valid: still verifiable.
        let mut p = payload();
        p["signedDate"] = 1_625_097_600_000_i64.into();
        assert!(verify(&c.sign(&p), &c.roots()).is_ok());
        let mut p = payload();
        p.as_object_mut().unwrap().remove("signedDate");
        assert_eq!(verify(&c.sign(&p), &c.roots()), Err(JwsError::NoSignedDate));
    }

    #[test]
    fn only_es256_is_accepted() {
        let c = chain(&APPLE_SHAPE);
        for alg in ["none", "HS256", "ES384", "RS256", ""] {
            let h = serde_json::json!({"alg": alg, "x5c": c.x5c()});
            assert_eq!(
                verify(&c.sign_with(&h, &payload()), &c.roots()),
                Err(JwsError::Algorithm),
                "{alg}"
            );
        }
        // alg none with an empty signature part.
        let h = base64url_encode(br#"{"alg":"none"}"#);
        let p = base64url_encode(payload().to_string().as_bytes());
        assert_eq!(
            verify(&format!("{h}.{p}."), &c.roots()),
            Err(JwsError::Algorithm)
        );
    }

    #[test]
    fn garbage_never_panics() {
        let roots = chain(&APPLE_SHAPE).roots();
        for jws in ["", ".", "..", "a.b.c", "a.b.c.d", "e30.e30.", "!!.??.**"] {
            assert!(verify(jws, &roots).is_err(), "{jws}");
        }
    }

    #[test]
    fn the_shipped_apple_root_is_apple_root_ca_g3() {
        let roots = pem_certificates(include_str!("../../../certs/AppleRootCA-G3.pem"));
        assert_eq!(roots.len(), 1);
        // SHA-256 fingerprint Apple publishes for Apple Root CA - G3.
        assert_eq!(
            crate::domain::crypto::sha256_hex(&roots[0]),
            "63343abfb89a6a03ebb57e9b3f5fa7be7c4f5c756f3017b3a8c488c3653e9179"
        );
        // Self-signed with P-384/SHA-384: the parser and verifier handle Apple's curve.
        assert!(Unverified::new(())
            .require_trust(pki::chain_trust(&roots, &roots, Some(1_735_689_600)), ())
            .verify_now()
            .is_ok());
    }
}
