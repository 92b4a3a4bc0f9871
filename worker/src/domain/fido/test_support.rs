//! Shared fixtures for the fido module's tests.

use super::{Ceremony, CeremonyKind, Credential, Rp};
use crate::domain::approval::Enrolment;
use crate::domain::consent::UserRef;
use crate::domain::webauthn::base64url_encode;

pub fn rp() -> Rp {
    Rp {
        id: "localhost".into(),
        name: "MID".into(),
        origins: vec!["http://localhost:8787".into()],
    }
}

pub fn ceremony(kind: CeremonyKind) -> Ceremony {
    Ceremony {
        id: "cer_x".into(),
        kind,
        challenge: base64url_encode(b"0123456789abcdef0123456789abcdef"),
        client_id: "mid_client_a".into(),
        livemode: false,
        rp: rp(),
        user: Some(UserRef {
            id: "user_0123456789abcdef".into(),
            mobile: "+2348031234567".into(),
            verified: true,
        }),
        allow_credentials: None,
        expires_at: 1_000,
        consent: None,
        phone_registration: false,
    }
}

pub fn credential() -> Credential {
    Credential {
        device_id: "device_1".into(),
        user_id: "user_0123456789abcdef".into(),
        client_id: "mid_client_a".into(),
        livemode: false,
        rp_id: "localhost".into(),
        credential_id: base64url_encode(b"cred"),
        public_key: String::new(),
        alg: -7,
        sign_count: 0,
        backup_eligible: false,
        backup_state: false,
        transports: vec!["internal".into()],
        aaguid: "00".repeat(16),
        name: None,
        model: "Passkey".into(),
        attestation_format: "none".into(),
        created_at: 0,
        last_used_at: None,
        enrolment: Enrolment::Partner,
    }
}
