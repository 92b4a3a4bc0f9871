//! Builders for valid registration and authentication responses that tests then break.

use sha2::{Digest as _, Sha256};

use super::super::super::*;
use super::cbor::{b, i, t, C};
use super::keys::TestKey;

pub const RP_ID: &str = "mid.example";
pub const ORIGIN: &str = "https://mid.example";
pub const ORIGINS: &[&str] = &[ORIGIN];
pub const CHALLENGE: &[u8] = b"fixed-test-challenge-0123456789ab";
pub const USER: &[u8] = b"user-handle-1";
pub const ALGS: &[i64] = &[-8, -7, -257];

pub const UP: u8 = 0x01;
pub const UV: u8 = 0x04;
pub const BE: u8 = 0x08;
pub const BS: u8 = 0x10;
pub const AT: u8 = 0x40;
pub const ED: u8 = 0x80;

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// clientDataJSON as a browser serializes it; `extra` is appended inside the object.
pub fn client_data(type_: &str, challenge: &[u8], origin: &str, extra: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"{type_}","challenge":"{}","origin":"{origin}"{extra}}}"#,
        base64url_encode(challenge)
    )
    .into_bytes()
}

/// Authenticator data: rpIdHash, flags, counter, then attested data and extensions verbatim.
pub fn auth_data(rp_id: &str, flags: u8, count: u32, tail: &[u8]) -> Vec<u8> {
    let mut out = sha256(rp_id.as_bytes()).to_vec();
    out.push(flags);
    out.extend(count.to_be_bytes());
    out.extend(tail);
    out
}

pub fn attested_data(aaguid: &[u8; 16], cred_id: &[u8], cose: &[u8]) -> Vec<u8> {
    let mut out = aaguid.to_vec();
    out.extend(u16::try_from(cred_id.len()).unwrap().to_be_bytes());
    out.extend(cred_id);
    out.extend(cose);
    out
}

pub fn attestation_object(fmt: &str, stmt: C, auth_data: &[u8]) -> Vec<u8> {
    C::M(vec![
        (t("fmt"), t(fmt)),
        (t("attStmt"), stmt),
        (t("authData"), b(auth_data)),
    ])
    .encode()
}

pub fn registration_response(
    cred_id: &[u8],
    client_data_json: Vec<u8>,
    attestation_object: Vec<u8>,
) -> RegistrationResponseJSON {
    RegistrationResponseJSON {
        id: base64url_encode(cred_id),
        raw_id: cred_id.to_vec(),
        response: AuthenticatorAttestationResponseJSON {
            client_data_json,
            attestation_object,
            transports: Some(vec!["internal".into()]),
            authenticator_data: None,
            public_key: None,
            public_key_algorithm: None,
        },
        authenticator_attachment: Some("platform".into()),
        client_extension_results: serde_json::json!({}),
        type_: "public-key".into(),
    }
}

pub fn reg_expect() -> RegistrationExpectations<'static> {
    RegistrationExpectations {
        challenge: CHALLENGE,
        origins: ORIGINS,
        rp_id: RP_ID,
        require_user_verification: true,
        allowed_algorithms: ALGS,
        allow_cross_origin: false,
        allowed_top_origins: &[],
        attestation: AttestationPolicy::default(),
    }
}

/// A registration in the making; defaults are valid, tests change one field.
#[derive(Clone)]
pub struct Reg {
    pub key: TestKey,
    pub cred_id: Vec<u8>,
    pub flags: u8,
    pub count: u32,
    pub aaguid: [u8; 16],
    pub rp_id: String,
    pub client_data: Vec<u8>,
    pub cose: Vec<u8>,
}

impl Reg {
    pub fn new(key: TestKey) -> Self {
        Reg {
            cose: key.cose(),
            key,
            cred_id: vec![0x11; 32],
            flags: UP | UV | AT,
            count: 0,
            aaguid: [0; 16],
            rp_id: RP_ID.into(),
            client_data: client_data("webauthn.create", CHALLENGE, ORIGIN, ""),
        }
    }

    pub fn auth_data(&self) -> Vec<u8> {
        auth_data(
            &self.rp_id,
            self.flags,
            self.count,
            &attested_data(&self.aaguid, &self.cred_id, &self.cose),
        )
    }

    pub fn client_data_hash(&self) -> [u8; 32] {
        sha256(&self.client_data)
    }

    /// authData || clientDataHash
    pub fn to_be_signed(&self, auth_data: &[u8]) -> Vec<u8> {
        [auth_data, &self.client_data_hash()[..]].concat()
    }

    pub fn with(&self, fmt: &str, stmt: C, auth_data: &[u8]) -> RegistrationResponseJSON {
        registration_response(
            &self.cred_id,
            self.client_data.clone(),
            attestation_object(fmt, stmt, auth_data),
        )
    }

    pub fn none(&self) -> RegistrationResponseJSON {
        self.with("none", C::M(vec![]), &self.auth_data())
    }

    pub fn packed_self(&self) -> RegistrationResponseJSON {
        let ad = self.auth_data();
        let sig = self.key.sign(&self.to_be_signed(&ad));
        let stmt = C::M(vec![(t("alg"), i(self.key.alg())), (t("sig"), b(&sig))]);
        self.with("packed", stmt, &ad)
    }
}

/// An authentication in the making; defaults are valid.
#[derive(Clone)]
pub struct Auth {
    pub key: TestKey,
    pub cred_id: Vec<u8>,
    pub flags: u8,
    pub count: u32,
    pub rp_id: String,
    pub client_data: Vec<u8>,
    pub user_handle: Option<Vec<u8>>,
}

impl Auth {
    pub fn new(key: TestKey) -> Self {
        Auth {
            key,
            cred_id: vec![0x11; 32],
            flags: UP | UV,
            count: 5,
            rp_id: RP_ID.into(),
            client_data: client_data("webauthn.get", CHALLENGE, ORIGIN, ""),
            user_handle: Some(USER.to_vec()),
        }
    }

    pub fn auth_data(&self) -> Vec<u8> {
        auth_data(&self.rp_id, self.flags, self.count, &[])
    }

    pub fn sign(&self, auth_data: &[u8]) -> Vec<u8> {
        self.key
            .sign(&[auth_data, &sha256(&self.client_data)[..]].concat())
    }

    pub fn with(&self, auth_data: Vec<u8>, signature: Vec<u8>) -> AuthenticationResponseJSON {
        AuthenticationResponseJSON {
            id: base64url_encode(&self.cred_id),
            raw_id: self.cred_id.clone(),
            response: AuthenticatorAssertionResponseJSON {
                client_data_json: self.client_data.clone(),
                authenticator_data: auth_data,
                signature,
                user_handle: self.user_handle.clone(),
            },
            authenticator_attachment: None,
            client_extension_results: serde_json::json!({}),
            type_: "public-key".into(),
        }
    }

    pub fn response(&self) -> AuthenticationResponseJSON {
        let ad = self.auth_data();
        let sig = self.sign(&ad);
        self.with(ad, sig)
    }
}

pub fn auth_expect() -> AuthenticationExpectations<'static> {
    AuthenticationExpectations {
        challenge: CHALLENGE,
        origins: ORIGINS,
        rp_id: RP_ID,
        require_user_verification: true,
        allow_credentials: None,
        expected_user_handle: Some(USER),
        allow_cross_origin: false,
        allowed_top_origins: &[],
    }
}

pub fn stored<'a>(cred_id: &'a [u8], cose: &'a [u8], sign_count: u32) -> StoredCredential<'a> {
    StoredCredential {
        id: cred_id,
        cose_public_key: cose,
        sign_count,
        backup_eligible: false,
        user_handle: Some(USER),
    }
}
