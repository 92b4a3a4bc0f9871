//! §8.3 tpm attestation. Vectors: pubArea/certInfo built byte by byte per TPM 2.0 Part 2;
//! credential RSA seed 0x5eed (or P-256 seed 1); AIK RSA seed 0x5eed+1 in an
//! AIK certificate written by rcgen and issued by the test root.

use super::super::*;
use super::support::asn1;
use super::support::cbor::{b, i, t, C};
use super::support::ceremony::*;
use super::support::certs::*;
use super::support::keys::{es256, rsa, TestKey};
use super::verify_registration;
use rcgen::DistinguishedName;

fn tpm2b(bytes: &[u8]) -> Vec<u8> {
    let mut out = u16::try_from(bytes.len()).unwrap().to_be_bytes().to_vec();
    out.extend(bytes);
    out
}

fn pub_area(key: &TestKey) -> Vec<u8> {
    let mut out = Vec::new();
    match key {
        TestKey::Rs(_) => {
            let (n, _) = key.rsa_n_e();
            out.extend(0x0001u16.to_be_bytes()); // TPM_ALG_RSA
            out.extend(0x000bu16.to_be_bytes()); // nameAlg SHA-256
            out.extend(0x0006_0472u32.to_be_bytes()); // objectAttributes
            out.extend(tpm2b(&[])); // authPolicy
            out.extend(0x0010u16.to_be_bytes()); // symmetric NULL
            out.extend(0x0010u16.to_be_bytes()); // scheme NULL
            out.extend(2048u16.to_be_bytes());
            out.extend(0u32.to_be_bytes()); // default exponent
            out.extend(tpm2b(&n));
        }
        TestKey::Es256(_) => {
            let p = key.p256_point();
            out.extend(0x0023u16.to_be_bytes()); // TPM_ALG_ECC
            out.extend(0x000bu16.to_be_bytes());
            out.extend(0x0006_0472u32.to_be_bytes());
            out.extend(tpm2b(&[]));
            out.extend(0x0010u16.to_be_bytes()); // symmetric NULL
            out.extend(0x0018u16.to_be_bytes()); // scheme ECDSA
            out.extend(0x000bu16.to_be_bytes()); // with SHA-256
            out.extend(0x0003u16.to_be_bytes()); // NIST P-256
            out.extend(0x0010u16.to_be_bytes()); // kdf NULL
            out.extend(tpm2b(&p[1..33]));
            out.extend(tpm2b(&p[33..]));
        }
        TestKey::Ed(_) => unreachable!(),
    }
    out
}

pub(super) struct Opts {
    magic: u32,
    kind: u16,
    extra_data: Option<Vec<u8>>,
    name: Option<Vec<u8>>,
    pub_area: Option<Vec<u8>>,
    aik_cert: Option<Vec<u8>>,
    signer: TestKey,
    ver: &'static str,
}

pub(super) fn opts() -> Opts {
    Opts {
        magic: 0xff54_4347,
        kind: 0x8017,
        extra_data: None,
        name: None,
        pub_area: None,
        aik_cert: None,
        signer: rsa(1),
        ver: "2.0",
    }
}

fn aik_extensions() -> Vec<Ext> {
    vec![san(), eku("2.23.133.8.3"), basic_constraints(false)]
}

/// subjectAltName with a directoryName (rcgen's SAN types have none, so `der` writes it):
/// TPM manufacturer, model and version.
fn san() -> Ext {
    let dir = asn1::name(&[
        ("2.23.133.2.1", "id:FFFFF1D0"),
        ("2.23.133.2.2", "MID-TPM"),
        ("2.23.133.2.3", "id:0001"),
    ]);
    let general_names = asn1::seq(vec![asn1::explicit(4, dir)]);
    extension("2.5.29.17", true, asn1::to_der(&general_names))
}

fn aik_cert(subject: DistinguishedName, extensions: Vec<Ext>) -> Vec<u8> {
    leaf(subject, extensions, &rsa(1))
}

pub(super) fn response(reg: &Reg, o: Opts) -> RegistrationResponseJSON {
    let ad = reg.auth_data();
    let pa = o.pub_area.unwrap_or_else(|| pub_area(&reg.key));
    let mut name = 0x000bu16.to_be_bytes().to_vec();
    name.extend(sha256(&pa));
    let mut ci = Vec::new();
    ci.extend(o.magic.to_be_bytes());
    ci.extend(o.kind.to_be_bytes());
    ci.extend(tpm2b(&[0x00, 0x0b, 1, 2, 3])); // qualifiedSigner
    ci.extend(tpm2b(
        &o.extra_data
            .unwrap_or_else(|| sha256(&reg.to_be_signed(&ad)).to_vec()),
    ));
    ci.extend([0u8; 17]); // clockInfo
    ci.extend([0u8; 8]); // firmwareVersion
    ci.extend(tpm2b(&o.name.unwrap_or(name)));
    ci.extend(tpm2b(&[0x00, 0x0b, 9, 9])); // qualifiedName
    let sig = o.signer.sign(&ci);
    let aik = o
        .aik_cert
        .unwrap_or_else(|| aik_cert(empty_name(), aik_extensions()));
    let stmt = C::M(vec![
        (t("ver"), t(o.ver)),
        (t("alg"), i(-257)),
        (t("x5c"), C::A(vec![b(&aik), b(&root_cert())])),
        (t("sig"), b(&sig)),
        (t("certInfo"), b(&ci)),
        (t("pubArea"), b(&pa)),
    ]);
    reg.with("tpm", stmt, &ad)
}

fn rejected(reg: &Reg, o: Opts) {
    assert_eq!(
        verify_registration(&response(reg, o), &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn accepts_rsa_and_ecc_credentials() {
    for key in [rsa(0), es256(1)] {
        let reg = Reg::new(key);
        let roots = vec![root_cert()];
        let mut exp = reg_expect();
        exp.attestation.trust_roots = &roots;
        exp.attestation.require_trusted_attestation = true;
        let out = verify_registration(&response(&reg, opts()), &exp).unwrap();
        assert_eq!(out.attestation_format, "tpm");
        assert!(matches!(out.attestation_type, AttestationType::AttCa(_)));
        assert!(out.attestation_trusted);
    }
}

#[test]
fn rejects_bad_cert_info() {
    let reg = Reg::new(rsa(0));
    rejected(
        &reg,
        Opts {
            magic: 0xff54_4348,
            ..opts()
        },
    );
    rejected(
        &reg,
        Opts {
            kind: 0x8018,
            ..opts()
        },
    );
    rejected(
        &reg,
        Opts {
            extra_data: Some(vec![0; 32]),
            ..opts()
        },
    );
    rejected(
        &reg,
        Opts {
            name: Some(vec![0x00, 0x0b, 1, 2]),
            ..opts()
        },
    );
    rejected(
        &reg,
        Opts {
            ver: "1.2",
            ..opts()
        },
    );
}

#[test]
fn rejects_pub_area_key_other_than_credential_key() {
    let reg = Reg::new(rsa(0));
    rejected(
        &reg,
        Opts {
            pub_area: Some(pub_area(&rsa(1))),
            ..opts()
        },
    );
    let mut truncated = pub_area(&rsa(0));
    truncated.pop();
    rejected(
        &reg,
        Opts {
            pub_area: Some(truncated),
            ..opts()
        },
    );
}

#[test]
fn rejects_signature_not_by_aik() {
    let reg = Reg::new(rsa(0));
    rejected(
        &reg,
        Opts {
            signer: rsa(0),
            ..opts()
        },
    );
}

#[test]
fn aik_certificate_requirements() {
    let reg = Reg::new(rsa(0));
    // Non-empty subject.
    let cert = aik_cert(name(&[("2.5.4.3", "AIK")]), aik_extensions());
    rejected(
        &reg,
        Opts {
            aik_cert: Some(cert),
            ..opts()
        },
    );
    // Missing AIK EKU.
    let cert = aik_cert(
        empty_name(),
        vec![san(), eku("1.3.6.1.5.5.7.3.2"), basic_constraints(false)],
    );
    rejected(
        &reg,
        Opts {
            aik_cert: Some(cert),
            ..opts()
        },
    );
    // Missing SAN.
    let cert = aik_cert(
        empty_name(),
        vec![eku("2.23.133.8.3"), basic_constraints(false)],
    );
    rejected(
        &reg,
        Opts {
            aik_cert: Some(cert),
            ..opts()
        },
    );
    // CA certificate.
    let cert = aik_cert(
        empty_name(),
        vec![san(), eku("2.23.133.8.3"), basic_constraints(true)],
    );
    rejected(
        &reg,
        Opts {
            aik_cert: Some(cert),
            ..opts()
        },
    );
    // aaguid extension that disagrees with authData.
    let mut ext = aik_extensions();
    ext.push(aaguid_extension(&[5; 16]));
    rejected(
        &reg,
        Opts {
            aik_cert: Some(aik_cert(empty_name(), ext)),
            ..opts()
        },
    );
    // Version 1.
    let cert = leaf_v1(4, empty_name(), &rsa(1));
    rejected(
        &reg,
        Opts {
            aik_cert: Some(cert),
            ..opts()
        },
    );
}
