//! Hand-built X.509 certificates for attestation tests (every field under test control).

use super::der;
use super::keys::{es256, TestKey};

pub struct CertSpec {
    pub version3: bool,
    pub serial: u64,
    pub issuer: Vec<u8>,
    pub subject: Vec<u8>,
    pub extensions: Vec<Vec<u8>>,
}

/// Name from (OID, value) pairs; countryName uses PrintableString like real CAs.
pub fn name(attrs: &[(&str, &str)]) -> Vec<u8> {
    let rdns: Vec<Vec<u8>> = attrs
        .iter()
        .map(|(oid, value)| {
            let v = if *oid == "2.5.4.6" {
                der::printable(value)
            } else {
                der::utf8(value)
            };
            der::set(&[der::seq(&[der::oid(oid), v])])
        })
        .collect();
    der::seq(&rdns)
}

pub fn extension(oid: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![der::oid(oid)];
    if critical {
        parts.push(der::boolean(true));
    }
    parts.push(der::octets(value));
    der::seq(&parts)
}

pub fn basic_constraints(ca: bool) -> Vec<u8> {
    let value = if ca {
        der::seq(&[der::boolean(true)])
    } else {
        der::seq(&[])
    };
    extension("2.5.29.19", true, &value)
}

pub fn aaguid_extension(aaguid: &[u8; 16]) -> Vec<u8> {
    extension("1.3.6.1.4.1.45724.1.1.4", false, &der::octets(aaguid))
}

/// Signs `spec` for `subject_key` with `issuer_key`.
pub fn build(spec: &CertSpec, subject_key: &TestKey, issuer_key: &TestKey) -> Vec<u8> {
    let mut tbs = Vec::new();
    if spec.version3 {
        tbs.push(der::explicit(0, &der::int(2)));
    }
    tbs.push(der::int(spec.serial));
    tbs.push(issuer_key.cert_sig_alg());
    tbs.push(spec.issuer.clone());
    tbs.push(der::seq(&[
        der::tlv(0x17, b"250101000000Z"),
        der::tlv(0x17, b"450101000000Z"),
    ]));
    tbs.push(spec.subject.clone());
    tbs.push(subject_key.spki());
    if !spec.extensions.is_empty() {
        tbs.push(der::explicit(3, &der::seq(&spec.extensions)));
    }
    let tbs = der::seq(&tbs);
    let sig = issuer_key.sign(&tbs);
    der::seq(&[tbs, issuer_key.cert_sig_alg(), der::bits(&sig)])
}

pub fn root_key() -> TestKey {
    es256(0x70)
}

pub fn root_name() -> Vec<u8> {
    name(&[
        ("2.5.4.6", "ZZ"),
        ("2.5.4.10", "MID Test"),
        ("2.5.4.3", "MID Test Root"),
    ])
}

/// Self-signed CA used as the trust anchor in tests.
pub fn root_cert() -> Vec<u8> {
    build(
        &CertSpec {
            version3: true,
            serial: 1,
            issuer: root_name(),
            subject: root_name(),
            extensions: vec![basic_constraints(true)],
        },
        &root_key(),
        &root_key(),
    )
}

/// Subject that meets §8.2.1.
pub fn packed_subject() -> Vec<u8> {
    name(&[
        ("2.5.4.6", "ZZ"),
        ("2.5.4.10", "MID Test Vendor"),
        ("2.5.4.11", "Authenticator Attestation"),
        ("2.5.4.3", "MID Test Authenticator"),
    ])
}

/// Leaf issued by the test root.
pub fn leaf(subject: Vec<u8>, extensions: Vec<Vec<u8>>, key: &TestKey) -> Vec<u8> {
    build(
        &CertSpec {
            version3: true,
            serial: 2,
            issuer: root_name(),
            subject,
            extensions,
        },
        key,
        &root_key(),
    )
}
