//! Just enough X.509 (RFC 5280) to check attestation certificates.

use super::der::{self, DerError, Reader, CONTEXT};
use super::error::WebauthnError;
use super::keys::{Check, PublicKey, ALG_EDDSA, ALG_ES256, ALG_ES384, ALG_RS256};
use super::time;

/// Attribute type: countryName.
pub const OID_C: &str = "2.5.4.6";
/// Attribute type: organizationName.
pub const OID_O: &str = "2.5.4.10";
/// Attribute type: organizationalUnitName.
pub const OID_OU: &str = "2.5.4.11";
/// Attribute type: commonName.
pub const OID_CN: &str = "2.5.4.3";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_RSA_SHA256: &str = "1.2.840.113549.1.1.11";

/// One certificate extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    /// OID content octets.
    pub oid: &'a [u8],
    /// Critical flag.
    pub critical: bool,
    /// Content of the extnValue OCTET STRING.
    pub value: &'a [u8],
}

/// Name attributes as (type OID content, value content) pairs.
pub type Attributes<'a> = Vec<(&'a [u8], &'a [u8])>;

/// A parsed certificate borrowing from its DER encoding.
#[derive(Debug, Clone)]
pub struct Certificate<'a> {
    /// The signed `tbsCertificate` encoding.
    pub tbs: &'a [u8],
    /// `signatureAlgorithm` OID content.
    pub signature_algorithm: &'a [u8],
    /// `signatureValue` bytes.
    pub signature: &'a [u8],
    /// X.509 version number as encoded (2 means v3).
    pub version: u64,
    /// Raw issuer Name encoding.
    pub issuer: &'a [u8],
    /// Raw subject Name encoding.
    pub subject: &'a [u8],
    /// Subject attributes (type OID content, value content), in order.
    pub subject_attributes: Attributes<'a>,
    /// `subjectPublicKeyInfo` algorithm OID content.
    pub key_algorithm: &'a [u8],
    /// Raw algorithm parameters element, if any.
    pub key_parameters: Option<&'a [u8]>,
    /// `subjectPublicKey` bytes.
    pub key_bytes: &'a [u8],
    /// Extensions (v3).
    pub extensions: Vec<Extension<'a>>,
    /// notBefore and notAfter as Unix seconds, if both parse.
    pub validity: Option<(i64, i64)>,
}

/// Parses a DER certificate. Errors become [`WebauthnError::InvalidAttestation`].
pub fn parse(input: &[u8]) -> Result<Certificate<'_>, WebauthnError> {
    parse_inner(input).map_err(|_| WebauthnError::InvalidAttestation)
}

fn parse_inner(input: &[u8]) -> Result<Certificate<'_>, DerError> {
    let mut outer = Reader::new(input);
    let cert = outer.expect(der::SEQUENCE)?;
    outer.finish()?;
    let mut cert_reader = Reader::new(cert);
    let tbs_tlv = cert_reader.next_tlv()?;
    let mut alg = Reader::new(cert_reader.expect(der::SEQUENCE)?);
    let signature_algorithm = alg.expect(der::OID)?;
    let signature = der::bit_string_bytes(cert_reader.expect(der::BIT_STRING)?)?;
    cert_reader.finish()?;
    if tbs_tlv.tag.number != der::SEQUENCE || !tbs_tlv.tag.constructed {
        return Err(DerError);
    }

    let mut tbs = Reader::new(tbs_tlv.content);
    let version = match tbs.optional_context(0)? {
        Some(v) => der::small_uint(Reader::new(v.content).expect(der::INTEGER)?)?,
        None => 0,
    };
    tbs.expect(der::INTEGER)?; // serialNumber
    tbs.expect(der::SEQUENCE)?; // signature AlgorithmIdentifier
    let issuer_tlv = tbs.next_tlv()?;
    let mut validity_reader = Reader::new(tbs.expect(der::SEQUENCE)?);
    let not_before = validity_reader.next_tlv()?;
    let not_after = validity_reader.next_tlv()?;
    validity_reader.finish()?;
    let validity = time::parse(not_before.tag, not_before.content)
        .zip(time::parse(not_after.tag, not_after.content));
    let subject_tlv = tbs.next_tlv()?;
    let subject_attributes = name_attributes(subject_tlv.content)?;
    let mut spki = Reader::new(tbs.expect(der::SEQUENCE)?);
    let mut spki_alg = Reader::new(spki.expect(der::SEQUENCE)?);
    let key_algorithm = spki_alg.expect(der::OID)?;
    let key_parameters = if spki_alg.is_empty() {
        None
    } else {
        Some(spki_alg.next_tlv()?.raw)
    };
    spki_alg.finish()?;
    let key_bytes = der::bit_string_bytes(spki.expect(der::BIT_STRING)?)?;
    spki.finish()?;
    tbs.optional_context(1)?;
    tbs.optional_context(2)?;
    let extensions = match tbs.optional_context(3)? {
        Some(ext) => parse_extensions(ext.content)?,
        None => Vec::new(),
    };
    tbs.finish()?;
    Ok(Certificate {
        tbs: tbs_tlv.raw,
        signature_algorithm,
        signature,
        version,
        issuer: issuer_tlv.raw,
        subject: subject_tlv.raw,
        subject_attributes,
        key_algorithm,
        key_parameters,
        key_bytes,
        extensions,
        validity,
    })
}

/// Flattens a Name (SEQUENCE OF SET OF AttributeTypeAndValue) into (type, value) pairs.
fn name_attributes(name: &[u8]) -> Result<Attributes<'_>, DerError> {
    let mut out = Vec::new();
    let mut rdns = Reader::new(name);
    while !rdns.is_empty() {
        let mut set = Reader::new(rdns.expect(der::SET)?);
        while !set.is_empty() {
            let mut atv = Reader::new(set.expect(der::SEQUENCE)?);
            let oid = atv.expect(der::OID)?;
            let value = atv.next_tlv()?.content;
            atv.finish()?;
            out.push((oid, value));
        }
    }
    Ok(out)
}

fn parse_extensions(explicit: &[u8]) -> Result<Vec<Extension<'_>>, DerError> {
    let mut wrapper = Reader::new(explicit);
    let mut list = Reader::new(wrapper.expect(der::SEQUENCE)?);
    wrapper.finish()?;
    let mut out: Vec<Extension<'_>> = Vec::new();
    while !list.is_empty() {
        let mut ext = Reader::new(list.expect(der::SEQUENCE)?);
        let oid = ext.expect(der::OID)?;
        let critical = match ext.peek_tag() {
            Some(t) if t.number == der::BOOLEAN && t.class == der::UNIVERSAL => {
                ext.expect(der::BOOLEAN)? == [0xff]
            }
            _ => false,
        };
        let value = ext.expect(der::OCTET_STRING)?;
        ext.finish()?;
        // RFC 5280 §4.2: a certificate must not include more than one instance of an extension.
        if out.iter().any(|e| e.oid == oid) {
            return Err(DerError);
        }
        out.push(Extension {
            oid,
            critical,
            value,
        });
    }
    Ok(out)
}

impl<'a> Certificate<'a> {
    /// The extension with the given dotted OID.
    pub fn extension(&self, dotted: &str) -> Option<&Extension<'a>> {
        let oid = der::oid(dotted);
        self.extensions.iter().find(|e| e.oid == oid.as_slice())
    }

    /// All values of a subject attribute.
    pub fn subject_values(&self, dotted: &str) -> Vec<&'a [u8]> {
        let oid = der::oid(dotted);
        self.subject_attributes
            .iter()
            .filter(|(o, _)| *o == oid.as_slice())
            .map(|(_, v)| *v)
            .collect()
    }

    /// `cA` of Basic Constraints; `None` when the extension is absent.
    pub fn is_ca(&self) -> Result<Option<bool>, WebauthnError> {
        let Some(ext) = self.extension(OID_BASIC_CONSTRAINTS) else {
            return Ok(None);
        };
        let parse = || -> Result<bool, DerError> {
            let mut outer = Reader::new(ext.value);
            let mut seq = Reader::new(outer.expect(der::SEQUENCE)?);
            outer.finish()?;
            match seq.peek_tag() {
                Some(t) if t.number == der::BOOLEAN && t.class == der::UNIVERSAL => {
                    Ok(seq.expect(der::BOOLEAN)? == [0xff])
                }
                _ => Ok(false),
            }
        };
        parse()
            .map(Some)
            .map_err(|_| WebauthnError::InvalidAttestation)
    }

    /// OIDs listed in Extended Key Usage (content octets).
    pub fn extended_key_usages(&self) -> Result<Vec<&'a [u8]>, WebauthnError> {
        let Some(ext) = self.extension(OID_EXT_KEY_USAGE) else {
            return Ok(Vec::new());
        };
        let value = ext.value;
        let parse = || -> Result<Vec<&'a [u8]>, DerError> {
            let mut outer = Reader::new(value);
            let mut seq = Reader::new(outer.expect(der::SEQUENCE)?);
            outer.finish()?;
            let mut out = Vec::new();
            while !seq.is_empty() {
                out.push(seq.expect(der::OID)?);
            }
            Ok(out)
        };
        parse().map_err(|_| WebauthnError::InvalidAttestation)
    }

    /// Attributes of every directoryName in Subject Alternative Name, plus the extension's
    /// critical flag; `None` when the extension is absent.
    pub fn san_directory_attributes(
        &self,
    ) -> Result<Option<(bool, Attributes<'a>)>, WebauthnError> {
        let Some(ext) = self.extension(OID_SUBJECT_ALT_NAME).copied() else {
            return Ok(None);
        };
        let parse = || -> Result<Attributes<'a>, DerError> {
            let mut outer = Reader::new(ext.value);
            let mut names = Reader::new(outer.expect(der::SEQUENCE)?);
            outer.finish()?;
            let mut out = Vec::new();
            while !names.is_empty() {
                let name = names.next_tlv()?;
                // directoryName is [4] EXPLICIT Name.
                if name.tag.class == CONTEXT && name.tag.number == 4 {
                    let mut inner = Reader::new(name.content);
                    out.extend(name_attributes(inner.expect(der::SEQUENCE)?)?);
                    inner.finish()?;
                }
            }
            Ok(out)
        };
        parse()
            .map(|attrs| Some((ext.critical, attrs)))
            .map_err(|_| WebauthnError::InvalidAttestation)
    }

    /// The subject public key (P-256, RSA or Ed25519).
    pub fn public_key(&self) -> Result<PublicKey, WebauthnError> {
        let alg = self.key_algorithm;
        if alg == der::oid(OID_EC_PUBLIC_KEY).as_slice() {
            let mut params = Reader::new(self.key_parameters.unwrap_or_default());
            let curve = params
                .expect(der::OID)
                .map_err(|_| WebauthnError::InvalidAttestation)?;
            if curve == der::oid(OID_P384).as_slice() {
                return PublicKey::p384_from_sec1(self.key_bytes);
            }
            if curve != der::oid(OID_P256).as_slice() {
                return Err(WebauthnError::UnsupportedAlgorithm);
            }
            PublicKey::p256_from_sec1(self.key_bytes)
        } else if alg == der::oid(OID_RSA).as_slice() {
            let parse = || -> Result<(&[u8], &[u8]), DerError> {
                let mut outer = Reader::new(self.key_bytes);
                let mut seq = Reader::new(outer.expect(der::SEQUENCE)?);
                outer.finish()?;
                let n = der::unsigned_integer(seq.expect(der::INTEGER)?)?;
                let e = der::unsigned_integer(seq.expect(der::INTEGER)?)?;
                seq.finish()?;
                Ok((n, e))
            };
            let (n, e) = parse().map_err(|_| WebauthnError::InvalidAttestation)?;
            PublicKey::rsa_from_parts(n, e)
        } else if alg == der::oid(OID_ED25519).as_slice() {
            PublicKey::ed25519_from_bytes(self.key_bytes)
        } else {
            Err(WebauthnError::UnsupportedAlgorithm)
        }
    }

    /// Whether `now` (Unix seconds) lies within the validity period.
    pub fn valid_at(&self, now: i64) -> bool {
        self.validity
            .is_some_and(|(from, until)| from <= now && now <= until)
    }

    /// The check that `issuer` signed this certificate.
    pub fn signed_by(&self, issuer: &Certificate<'_>) -> Result<Check, WebauthnError> {
        let alg = if self.signature_algorithm == der::oid(OID_ECDSA_SHA256).as_slice() {
            ALG_ES256
        } else if self.signature_algorithm == der::oid(OID_ECDSA_SHA384).as_slice() {
            ALG_ES384
        } else if self.signature_algorithm == der::oid(OID_RSA_SHA256).as_slice() {
            ALG_RS256
        } else if self.signature_algorithm == der::oid(OID_ED25519).as_slice() {
            ALG_EDDSA
        } else {
            return Err(WebauthnError::UnsupportedAlgorithm);
        };
        if self.issuer != issuer.subject {
            return Err(WebauthnError::InvalidAttestation);
        }
        issuer.public_key()?.check(alg, self.tbs, self.signature)
    }
}
