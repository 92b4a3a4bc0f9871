//! X.509 certificates for attestation tests, written by `rcgen` (an encoder independent of
//! the crate's decoder) and signed with the seeded test keys, so every vector repeats.

use ::der::asn1::{Any, BitString};
use ::der::{Decode as _, Encode as _, Tagged as _};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, CustomExtension, DistinguishedName, DnType,
    DnValue, ExtendedKeyUsagePurpose, IsCa, KeyPair, RemoteKeyPair, SerialNumber,
    SignatureAlgorithm,
};
use rsa::pkcs1::EncodeRsaPublicKey as _;

use super::asn1;
use super::keys::{es256, TestKey};

/// Lets rcgen sign with a seeded test key.
struct Seeded {
    key: TestKey,
    public: Vec<u8>,
}

impl RemoteKeyPair for Seeded {
    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(self.key.sign(msg))
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match self.key {
            TestKey::Es256(_) => &rcgen::PKCS_ECDSA_P256_SHA256,
            TestKey::Ed(_) => &rcgen::PKCS_ED25519,
            TestKey::Rs(_) => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

fn key_pair(key: &TestKey) -> KeyPair {
    // rcgen's raw public key formats: SEC1 point, Ed25519 bytes, PKCS#1 RSAPublicKey.
    let public = match key {
        TestKey::Es256(_) => key.p256_point(),
        TestKey::Ed(k) => k.verifying_key().as_bytes().to_vec(),
        TestKey::Rs(k) => k.to_public_key().to_pkcs1_der().unwrap().into_vec(),
    };
    KeyPair::from_remote(Box::new(Seeded {
        key: key.clone(),
        public,
    }))
    .unwrap()
}

fn arcs(dotted: &str) -> Vec<u64> {
    dotted.split('.').map(|a| a.parse().unwrap()).collect()
}

/// Name from (OID, value) pairs; countryName uses PrintableString like real CAs.
pub fn name(attrs: &[(&str, &str)]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    for (oid, value) in attrs {
        let (ty, value) = match *oid {
            "2.5.4.6" => (
                DnType::CountryName,
                DnValue::PrintableString((*value).try_into().unwrap()),
            ),
            "2.5.4.10" => (DnType::OrganizationName, (*value).into()),
            "2.5.4.11" => (DnType::OrganizationalUnitName, (*value).into()),
            "2.5.4.3" => (DnType::CommonName, (*value).into()),
            other => (DnType::CustomDnType(arcs(other)), (*value).into()),
        };
        dn.push(ty, value);
    }
    dn
}

/// Empty subject (TPM AIK certificates).
pub fn empty_name() -> DistinguishedName {
    DistinguishedName::new()
}

/// A certificate extension under test control.
pub enum Ext {
    /// basicConstraints (critical), cA true or false.
    BasicConstraints { ca: bool },
    /// extKeyUsage with one purpose.
    Eku(&'static str),
    /// Any other extension: OID, critical, DER value.
    Custom(CustomExtension),
}

pub fn extension(oid: &str, critical: bool, value: Vec<u8>) -> Ext {
    let mut ext = CustomExtension::from_oid_content(&arcs(oid), value);
    ext.set_criticality(critical);
    Ext::Custom(ext)
}

pub fn basic_constraints(ca: bool) -> Ext {
    Ext::BasicConstraints { ca }
}

pub fn eku(oid: &'static str) -> Ext {
    Ext::Eku(oid)
}

/// FIDO id-fido-gen-ce-aaguid: an OCTET STRING holding the AAGUID.
pub fn aaguid_extension(aaguid: &[u8; 16]) -> Ext {
    extension(
        "1.3.6.1.4.1.45724.1.1.4",
        false,
        asn1::to_der(&asn1::octets(aaguid)),
    )
}

fn params(serial: u64, subject: DistinguishedName, extensions: Vec<Ext>) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = rcgen::date_time_ymd(2025, 1, 1);
    p.not_after = rcgen::date_time_ymd(2045, 1, 1);
    p.distinguished_name = subject;
    for ext in extensions {
        match ext {
            Ext::BasicConstraints { ca: true } => {
                p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained)
            }
            Ext::BasicConstraints { ca: false } => p.is_ca = IsCa::ExplicitNoCa,
            Ext::Eku(oid) => p
                .extended_key_usages
                .push(ExtendedKeyUsagePurpose::Other(arcs(oid))),
            Ext::Custom(ext) => p.custom_extensions.push(ext),
        }
    }
    p
}

fn self_signed(key: &TestKey) -> (Certificate, KeyPair) {
    let pair = key_pair(key);
    let cert = params(1, root_name(), vec![basic_constraints(true)])
        .self_signed(&pair)
        .unwrap();
    (cert, pair)
}

pub fn root_key() -> TestKey {
    es256(0x70)
}

pub fn root_name() -> DistinguishedName {
    name(&[
        ("2.5.4.6", "ZZ"),
        ("2.5.4.10", "MID Test"),
        ("2.5.4.3", "MID Test Root"),
    ])
}

/// Self-signed CA used as the trust anchor in tests.
pub fn root_cert() -> Vec<u8> {
    root_cert_with(&root_key())
}

/// A root with the test root's name but another key (it must not vouch for test leaves).
pub fn root_cert_with(key: &TestKey) -> Vec<u8> {
    self_signed(key).0.der().to_vec()
}

/// Subject that meets §8.2.1.
pub fn packed_subject() -> DistinguishedName {
    name(&[
        ("2.5.4.6", "ZZ"),
        ("2.5.4.10", "MID Test Vendor"),
        ("2.5.4.11", "Authenticator Attestation"),
        ("2.5.4.3", "MID Test Authenticator"),
    ])
}

fn issue(serial: u64, subject: DistinguishedName, extensions: Vec<Ext>, key: &TestKey) -> Vec<u8> {
    let (root, root_pair) = self_signed(&root_key());
    params(serial, subject, extensions)
        .signed_by(&key_pair(key), &root, &root_pair)
        .unwrap()
        .der()
        .to_vec()
}

/// Leaf issued by the test root.
pub fn leaf(subject: DistinguishedName, extensions: Vec<Ext>, key: &TestKey) -> Vec<u8> {
    issue(2, subject, extensions, key)
}

/// Version 1 leaf (no version field, no extensions) issued by the test root.
///
/// rcgen always writes version 3, so this is the one hand edit: drop the `[0]` version
/// field from the TBSCertificate (with the `der` crate) and sign the result again.
pub fn leaf_v1(serial: u64, subject: DistinguishedName, key: &TestKey) -> Vec<u8> {
    let v3 = issue(serial, subject, vec![], key);
    let cert = Vec::<Any>::from_der(&v3).unwrap();
    let tbs: Vec<Any> = cert[0]
        .decode_as::<Vec<Any>>()
        .unwrap()
        .into_iter()
        .filter(|field| {
            field.tag()
                != ::der::Tag::ContextSpecific {
                    constructed: true,
                    number: ::der::TagNumber(0),
                }
        })
        .collect();
    let tbs = tbs.to_der().unwrap();
    let sig = BitString::from_bytes(&root_key().sign(&tbs)).unwrap();
    vec![
        Any::from_der(&tbs).unwrap(),
        cert[1].clone(),
        Any::encode_from(&sig).unwrap(),
    ]
    .to_der()
    .unwrap()
}
