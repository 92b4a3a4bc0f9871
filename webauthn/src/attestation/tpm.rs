//! §8.3 `tpm` attestation (TPM 2.0 structures from TPM 2.0 Library Part 2).

use sha1::Sha1;
use sha2::{Digest as _, Sha256};

use super::super::der;
use super::super::error::WebauthnError;
use super::super::keys::{Check, PublicKey, ALG_ES256, ALG_RS1, ALG_RS256};
use super::super::x509::{self, Certificate};
use super::{
    check_aaguid_extension, check_not_ca, signed_data, stmt_bytes, stmt_int, stmt_x5c,
    verify_statement_signature, AttestationType, StatementInput,
};

const TPM_GENERATED_VALUE: u32 = 0xff54_4347;
const TPM_ST_ATTEST_CERTIFY: u16 = 0x8017;
const TPM_ALG_RSA: u16 = 0x0001;
const TPM_ALG_SHA1: u16 = 0x0004;
const TPM_ALG_SHA256: u16 = 0x000b;
const TPM_ALG_NULL: u16 = 0x0010;
const TPM_ALG_ECC: u16 = 0x0023;
const TPM_ECC_NIST_P256: u16 = 0x0003;
/// tcg-kp-AIKCertificate.
const OID_TCG_KP_AIK_CERTIFICATE: &str = "2.23.133.8.3";
const OID_TPM_MANUFACTURER: &str = "2.23.133.2.1";
const OID_TPM_MODEL: &str = "2.23.133.2.2";
const OID_TPM_VERSION: &str = "2.23.133.2.3";

/// The key in a TPMT_PUBLIC plus the fields needed to check it.
struct PubArea {
    name_alg: u16,
    key: PublicKey,
}

/// The fields of TPMS_ATTEST that are checked.
struct CertInfo<'a> {
    extra_data: &'a [u8],
    attested_name: &'a [u8],
}

/// §8.3 verification procedure.
pub fn verify(
    input: &StatementInput<'_>,
    checks: &mut Vec<Check>,
) -> Result<AttestationType, WebauthnError> {
    let stmt = input.att_stmt;
    if super::super::cbor::map_get_text(stmt, "ver").and_then(|v| v.as_text()) != Some("2.0") {
        return Err(WebauthnError::InvalidAttestation);
    }
    let alg = stmt_int(stmt, "alg")?;
    let sig = stmt_bytes(stmt, "sig")?;
    let cert_info_raw = stmt_bytes(stmt, "certInfo")?;
    let pub_area_raw = stmt_bytes(stmt, "pubArea")?;
    // ECDAA was removed from the spec; only x5c is supported.
    let chain = stmt_x5c(stmt)?.ok_or(WebauthnError::InvalidAttestation)?;

    // The key in pubArea must be the credential public key.
    let pub_area = parse_pub_area(pub_area_raw)?;
    if pub_area.key != input.credential_key.key {
        return Err(WebauthnError::InvalidAttestation);
    }
    let cert_info = parse_cert_info(cert_info_raw)?;
    // extraData must be the hash of attToBeSigned with the hash algorithm of `alg`.
    if cert_info.extra_data != hash_for_alg(alg, &signed_data(input))?.as_slice() {
        return Err(WebauthnError::InvalidAttestation);
    }
    // attested.name must be nameAlg || H_nameAlg(pubArea).
    let mut name = pub_area.name_alg.to_be_bytes().to_vec();
    name.extend_from_slice(&hash_for_tpm_alg(pub_area.name_alg, pub_area_raw)?);
    if cert_info.attested_name != name.as_slice() {
        return Err(WebauthnError::InvalidAttestation);
    }
    // sig is over certInfo with the AIK certificate's key.
    let aik = x509::parse(chain.first().ok_or(WebauthnError::InvalidAttestation)?)?;
    verify_statement_signature(&aik.public_key()?, alg, cert_info_raw, sig, checks)?;
    check_aik_requirements(&aik)?;
    check_aaguid_extension(&aik, input.aaguid)?;
    Ok(AttestationType::AttCa(chain))
}

/// §8.3.1 TPM attestation statement certificate requirements: version 3, empty subject,
/// SAN directoryName with TPM manufacturer, model and version, EKU tcg-kp-AIKCertificate,
/// Basic Constraints CA false.
fn check_aik_requirements(aik: &Certificate<'_>) -> Result<(), WebauthnError> {
    if aik.version != 2 || !aik.subject_attributes.is_empty() {
        return Err(WebauthnError::InvalidAttestation);
    }
    let (_critical, attrs) = aik
        .san_directory_attributes()?
        .ok_or(WebauthnError::InvalidAttestation)?;
    for oid in [OID_TPM_MANUFACTURER, OID_TPM_MODEL, OID_TPM_VERSION] {
        let encoded = der::oid(oid);
        if !attrs.iter().any(|(o, _)| *o == encoded.as_slice()) {
            return Err(WebauthnError::InvalidAttestation);
        }
    }
    let aik_usage = der::oid(OID_TCG_KP_AIK_CERTIFICATE);
    if !aik.extended_key_usages()?.contains(&aik_usage.as_slice()) {
        return Err(WebauthnError::InvalidAttestation);
    }
    check_not_ca(aik)
}

/// Hash of attToBeSigned for the attestation `alg`.
fn hash_for_alg(alg: i64, data: &[u8]) -> Result<Vec<u8>, WebauthnError> {
    match alg {
        ALG_RS256 | ALG_ES256 => Ok(Sha256::digest(data).to_vec()),
        ALG_RS1 => Ok(Sha1::digest(data).to_vec()),
        _ => Err(WebauthnError::UnsupportedAlgorithm),
    }
}

/// Hash with a TPM_ALG_ID (nameAlg).
fn hash_for_tpm_alg(alg: u16, data: &[u8]) -> Result<Vec<u8>, WebauthnError> {
    match alg {
        TPM_ALG_SHA256 => Ok(Sha256::digest(data).to_vec()),
        TPM_ALG_SHA1 => Ok(Sha1::digest(data).to_vec()),
        _ => Err(WebauthnError::InvalidAttestation),
    }
}

/// Big-endian reader over TPM structures; every read is bounds-checked.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WebauthnError> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or(WebauthnError::InvalidAttestation)?;
        self.rest = tail;
        Ok(head)
    }

    fn u16(&mut self) -> Result<u16, WebauthnError> {
        let b = self.take(2)?;
        b.try_into()
            .map(u16::from_be_bytes)
            .map_err(|_| WebauthnError::InvalidAttestation)
    }

    fn u32(&mut self) -> Result<u32, WebauthnError> {
        let b = self.take(4)?;
        b.try_into()
            .map(u32::from_be_bytes)
            .map_err(|_| WebauthnError::InvalidAttestation)
    }

    /// A TPM2B: 2-byte size then that many bytes.
    fn sized(&mut self) -> Result<&'a [u8], WebauthnError> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }

    /// An algorithm selector whose details (one u16 per `detail_words`) follow unless NULL.
    fn alg_with_details(&mut self, detail_words: usize) -> Result<u16, WebauthnError> {
        let alg = self.u16()?;
        if alg != TPM_ALG_NULL {
            self.take(detail_words.saturating_mul(2))?;
        }
        Ok(alg)
    }

    fn finish(&self) -> Result<(), WebauthnError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(WebauthnError::InvalidAttestation)
        }
    }
}

/// TPMT_PUBLIC: type, nameAlg, objectAttributes, authPolicy, parameters, unique.
fn parse_pub_area(raw: &[u8]) -> Result<PubArea, WebauthnError> {
    let mut c = Cursor { rest: raw };
    let kind = c.u16()?;
    let name_alg = c.u16()?;
    c.u32()?; // objectAttributes
    c.sized()?; // authPolicy
    let key = match kind {
        TPM_ALG_RSA => {
            c.alg_with_details(2)?; // symmetric: keyBits, mode
            c.alg_with_details(1)?; // scheme: hashAlg
            c.u16()?; // keyBits
            let exponent = c.u32()?;
            let n = c.sized()?;
            // An exponent of zero means the default 2^16 + 1.
            let e = if exponent == 0 { 65_537 } else { exponent };
            PublicKey::rsa_from_parts(n, &e.to_be_bytes())
                .map_err(|_| WebauthnError::InvalidAttestation)?
        }
        TPM_ALG_ECC => {
            c.alg_with_details(2)?; // symmetric
            c.alg_with_details(1)?; // scheme
            if c.u16()? != TPM_ECC_NIST_P256 {
                return Err(WebauthnError::InvalidAttestation);
            }
            c.alg_with_details(1)?; // kdf
            let x = c.sized()?;
            let y = c.sized()?;
            if x.len() != 32 || y.len() != 32 {
                return Err(WebauthnError::InvalidAttestation);
            }
            let mut point = vec![0x04];
            point.extend_from_slice(x);
            point.extend_from_slice(y);
            PublicKey::p256_from_sec1(&point).map_err(|_| WebauthnError::InvalidAttestation)?
        }
        _ => return Err(WebauthnError::InvalidAttestation),
    };
    c.finish()?;
    Ok(PubArea { name_alg, key })
}

/// TPMS_ATTEST with magic TPM_GENERATED_VALUE and type TPM_ST_ATTEST_CERTIFY.
fn parse_cert_info(raw: &[u8]) -> Result<CertInfo<'_>, WebauthnError> {
    let mut c = Cursor { rest: raw };
    if c.u32()? != TPM_GENERATED_VALUE || c.u16()? != TPM_ST_ATTEST_CERTIFY {
        return Err(WebauthnError::InvalidAttestation);
    }
    c.sized()?; // qualifiedSigner
    let extra_data = c.sized()?;
    c.take(17)?; // clockInfo: clock u64, resetCount u32, restartCount u32, safe u8
    c.take(8)?; // firmwareVersion
    let attested_name = c.sized()?;
    c.sized()?; // qualifiedName
    c.finish()?;
    Ok(CertInfo {
        extra_data,
        attested_name,
    })
}
