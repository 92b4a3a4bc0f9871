//! §8.4 `android-key` attestation.

use super::super::der::{self, DerError, Reader};
use super::super::error::WebauthnError;
use super::super::keys::Check;
use super::super::x509;
use super::{
    signed_data, stmt_bytes, stmt_int, stmt_x5c, verify_statement_signature, AttestationType,
    StatementInput,
};

/// Android key attestation extension (KeyDescription).
const OID_KEY_DESCRIPTION: &str = "1.3.6.1.4.1.11129.2.1.17";
/// AuthorizationList tag of `purpose`.
const TAG_PURPOSE: u32 = 1;
/// AuthorizationList tag of `allApplications`.
const TAG_ALL_APPLICATIONS: u32 = 600;
/// AuthorizationList tag of `origin`.
const TAG_ORIGIN: u32 = 702;
/// KM_ORIGIN_GENERATED: the key was generated inside the keystore.
const KM_ORIGIN_GENERATED: u64 = 0;
/// KM_PURPOSE_SIGN.
const KM_PURPOSE_SIGN: u64 = 2;

/// The parts of an AuthorizationList the spec checks.
#[derive(Debug, Default)]
struct AuthorizationList {
    purposes: Vec<u64>,
    all_applications: bool,
    origin: Option<u64>,
}

/// §8.4 verification procedure.
pub fn verify(
    input: &StatementInput<'_>,
    checks: &mut Vec<Check>,
) -> Result<AttestationType, WebauthnError> {
    let alg = stmt_int(input.att_stmt, "alg")?;
    let sig = stmt_bytes(input.att_stmt, "sig")?;
    let chain = stmt_x5c(input.att_stmt)?.ok_or(WebauthnError::InvalidAttestation)?;
    let leaf = x509::parse(chain.first().ok_or(WebauthnError::InvalidAttestation)?)?;
    let leaf_key = leaf.public_key()?;
    // sig is over authenticatorData || clientDataHash with the leaf certificate key.
    verify_statement_signature(&leaf_key, alg, &signed_data(input), sig, checks)?;
    // The leaf certificate's key must be the credential public key.
    if leaf_key != input.credential_key.key {
        return Err(WebauthnError::InvalidAttestation);
    }
    let ext = leaf
        .extension(OID_KEY_DESCRIPTION)
        .ok_or(WebauthnError::InvalidAttestation)?;
    let (challenge, software, tee) =
        parse_key_description(ext.value).map_err(|_| WebauthnError::InvalidAttestation)?;
    // attestationChallenge must be the clientDataHash.
    if challenge != input.client_data_hash.as_slice() {
        return Err(WebauthnError::InvalidAttestation);
    }
    // The key must be scoped to the RP: allApplications absent from both lists.
    if software.all_applications || tee.all_applications {
        return Err(WebauthnError::InvalidAttestation);
    }
    check_origin_and_purpose(&software, &tee, input.policy.android_key_allow_software)?;
    Ok(AttestationType::Basic(chain))
}

/// origin must be KM_ORIGIN_GENERATED and purpose must include KM_PURPOSE_SIGN, in
/// teeEnforced (the spec's default) or, if the RP allows it, the union with softwareEnforced.
fn check_origin_and_purpose(
    software: &AuthorizationList,
    tee: &AuthorizationList,
    allow_software: bool,
) -> Result<(), WebauthnError> {
    let origin_ok = tee.origin == Some(KM_ORIGIN_GENERATED)
        || (allow_software && software.origin == Some(KM_ORIGIN_GENERATED));
    let purpose_ok = tee.purposes.contains(&KM_PURPOSE_SIGN)
        || (allow_software && software.purposes.contains(&KM_PURPOSE_SIGN));
    if origin_ok && purpose_ok {
        Ok(())
    } else {
        Err(WebauthnError::InvalidAttestation)
    }
}

/// KeyDescription ::= SEQUENCE { attestationVersion, attestationSecurityLevel,
/// keymasterVersion, keymasterSecurityLevel, attestationChallenge OCTET STRING,
/// uniqueId OCTET STRING, softwareEnforced AuthorizationList, teeEnforced AuthorizationList, ... }
fn parse_key_description(
    value: &[u8],
) -> Result<(&[u8], AuthorizationList, AuthorizationList), DerError> {
    let mut outer = Reader::new(value);
    let mut seq = Reader::new(outer.expect(der::SEQUENCE)?);
    outer.finish()?;
    seq.expect(der::INTEGER)?;
    seq.expect(der::ENUMERATED)?;
    seq.expect(der::INTEGER)?;
    seq.expect(der::ENUMERATED)?;
    let challenge = seq.expect(der::OCTET_STRING)?;
    seq.expect(der::OCTET_STRING)?;
    let software = parse_authorization_list(seq.expect(der::SEQUENCE)?)?;
    let tee = parse_authorization_list(seq.expect(der::SEQUENCE)?)?;
    Ok((challenge, software, tee))
}

/// Each AuthorizationList entry is `[tag] EXPLICIT`; unknown tags are skipped.
fn parse_authorization_list(content: &[u8]) -> Result<AuthorizationList, DerError> {
    let mut list = AuthorizationList::default();
    let mut reader = Reader::new(content);
    while !reader.is_empty() {
        let entry = reader.next_tlv()?;
        if entry.tag.class != der::CONTEXT {
            return Err(DerError);
        }
        match entry.tag.number {
            TAG_PURPOSE => {
                let mut inner = Reader::new(entry.content);
                let mut set = Reader::new(inner.expect(der::SET)?);
                inner.finish()?;
                while !set.is_empty() {
                    list.purposes
                        .push(der::small_uint(set.expect(der::INTEGER)?)?);
                }
            }
            TAG_ALL_APPLICATIONS => list.all_applications = true,
            TAG_ORIGIN => {
                let mut inner = Reader::new(entry.content);
                list.origin = Some(der::small_uint(inner.expect(der::INTEGER)?)?);
                inner.finish()?;
            }
            _ => {}
        }
    }
    Ok(list)
}
