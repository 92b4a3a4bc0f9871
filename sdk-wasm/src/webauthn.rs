//! WebAuthn L3 JSON ⇄ what `navigator.credentials.create/get` take and give.
//!
//! Options arrive as `PublicKeyCredentialCreationOptionsJSON` /
//! `PublicKeyCredentialRequestOptionsJSON` (binary fields base64url); the
//! browser wants those fields as buffers. Its answer, a
//! `PublicKeyCredential` full of ArrayBuffers, goes back out as
//! `RegistrationResponseJSON` / `AuthenticationResponseJSON`.
//!
//! The walk is written against [`Value`] so that it runs natively in tests
//! and on real JavaScript objects in the browser (`exports.rs`). Fields this
//! module does not know are copied through untouched.

use crate::base64url;

/// What the conversions need from a JSON-like value.
pub trait Value: Sized {
    /// The field `key`; `None` when it is absent, `undefined` or `null`.
    fn get(&self, key: &str) -> Option<Self>;
    /// The value as a string, if it is one.
    fn text(&self) -> Option<String>;
    /// The items, if the value is an array.
    fn items(&self) -> Option<Vec<Self>>;
    /// The bytes, if the value is an ArrayBuffer or a view of one.
    fn bytes(&self) -> Option<Vec<u8>>;
    /// Calls method `name` without arguments if the value has it; `None`
    /// when it is missing, throws, or answers `undefined`/`null`.
    fn call(&self, name: &str) -> Option<Self>;
    /// A new object with the same own fields.
    fn shallow_copy(&self) -> Self;
    /// Sets field `key`.
    fn put(&self, key: &str, value: Self);
    fn new_object() -> Self;
    fn from_text(text: &str) -> Self;
    fn from_bytes(bytes: &[u8]) -> Self;
    fn from_items(items: Vec<Self>) -> Self;
}

/// Why options or a credential could not be converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvertError {
    /// `challenge` is missing or not a string.
    MissingChallenge,
    /// `challenge` is not base64url.
    BadChallenge,
    /// Creation options without a `user` object.
    MissingUser,
    /// `user.id` is missing or not a string.
    MissingUserId,
    /// `user.id` is not base64url.
    BadUserId,
    /// `excludeCredentials`/`allowCredentials` is not an array.
    BadCredentialList,
    /// A credential descriptor's `id` is missing or not base64url.
    BadCredentialId,
    /// The browser's answer is not a public-key credential with a response.
    NotACredential,
    /// The browser's answer lacks a binary field the JSON must carry.
    MissingResponseField,
}

impl ConvertError {
    pub fn message(self) -> &'static str {
        match self {
            ConvertError::MissingChallenge => "options.challenge is missing",
            ConvertError::BadChallenge => "options.challenge is not base64url",
            ConvertError::MissingUser => "options.user is missing",
            ConvertError::MissingUserId => "options.user.id is missing",
            ConvertError::BadUserId => "options.user.id is not base64url",
            ConvertError::BadCredentialList => "a credential list is not an array",
            ConvertError::BadCredentialId => "a credential descriptor id is not base64url",
            ConvertError::NotACredential => "the browser answered no public-key credential",
            ConvertError::MissingResponseField => "the credential lacks a response field",
        }
    }
}

fn decode_field<V: Value>(
    from: &V,
    key: &str,
    missing: ConvertError,
    bad: ConvertError,
) -> Result<V, ConvertError> {
    let text = from.get(key).and_then(|v| v.text()).ok_or(missing)?;
    let bytes = base64url::decode(&text).ok_or(bad)?;
    Ok(V::from_bytes(&bytes))
}

/// Copies `options[key]` (a descriptor list) with every `id` decoded.
fn descriptors<V: Value>(options: &V, out: &V, key: &str) -> Result<(), ConvertError> {
    let Some(list) = options.get(key) else {
        return Ok(());
    };
    let items = list.items().ok_or(ConvertError::BadCredentialList)?;
    let mut converted = Vec::with_capacity(items.len());
    for item in items {
        let copy = item.shallow_copy();
        let id = decode_field(
            &item,
            "id",
            ConvertError::BadCredentialId,
            ConvertError::BadCredentialId,
        )?;
        copy.put("id", id);
        converted.push(copy);
    }
    out.put(key, V::from_items(converted));
    Ok(())
}

/// `PublicKeyCredentialCreationOptionsJSON` → `PublicKeyCredentialCreationOptions`.
pub fn creation_options<V: Value>(json: &V) -> Result<V, ConvertError> {
    let out = json.shallow_copy();
    let challenge = decode_field(
        json,
        "challenge",
        ConvertError::MissingChallenge,
        ConvertError::BadChallenge,
    )?;
    out.put("challenge", challenge);
    let user = json.get("user").ok_or(ConvertError::MissingUser)?;
    let user_out = user.shallow_copy();
    let id = decode_field(
        &user,
        "id",
        ConvertError::MissingUserId,
        ConvertError::BadUserId,
    )?;
    user_out.put("id", id);
    out.put("user", user_out);
    descriptors(json, &out, "excludeCredentials")?;
    Ok(out)
}

/// `PublicKeyCredentialRequestOptionsJSON` → `PublicKeyCredentialRequestOptions`.
pub fn request_options<V: Value>(json: &V) -> Result<V, ConvertError> {
    let out = json.shallow_copy();
    let challenge = decode_field(
        json,
        "challenge",
        ConvertError::MissingChallenge,
        ConvertError::BadChallenge,
    )?;
    out.put("challenge", challenge);
    descriptors(json, &out, "allowCredentials")?;
    Ok(out)
}

/// The RP ID the options name, for the SecurityError mapping.
pub fn rp_id<V: Value>(json: &V) -> Option<String> {
    json.get("rpId")
        .or_else(|| json.get("rp").and_then(|rp| rp.get("id")))
        .and_then(|v| v.text())
}

fn put_b64<V: Value>(out: &V, key: &str, bytes: Option<Vec<u8>>) -> Result<(), ConvertError> {
    let bytes = bytes.ok_or(ConvertError::MissingResponseField)?;
    out.put(key, V::from_text(&base64url::encode(&bytes)));
    Ok(())
}

/// The fields both responses share: (credential JSON, the browser's
/// response, the response JSON to fill).
fn common<V: Value>(cred: &V) -> Result<(V, V, V), ConvertError> {
    let id = cred
        .get("id")
        .and_then(|v| v.text())
        .ok_or(ConvertError::NotACredential)?;
    let response = cred.get("response").ok_or(ConvertError::NotACredential)?;
    let out = V::new_object();
    out.put("id", V::from_text(&id));
    put_b64(&out, "rawId", cred.get("rawId").and_then(|v| v.bytes()))?;
    out.put("type", V::from_text("public-key"));
    if let Some(attachment) = cred.get("authenticatorAttachment").and_then(|v| v.text()) {
        out.put("authenticatorAttachment", V::from_text(&attachment));
    }
    let extensions = cred
        .call("getClientExtensionResults")
        .unwrap_or_else(V::new_object);
    out.put("clientExtensionResults", extensions);
    let response_out = V::new_object();
    put_b64(
        &response_out,
        "clientDataJSON",
        response.get("clientDataJSON").and_then(|v| v.bytes()),
    )?;
    Ok((out, response, response_out))
}

/// A registration `PublicKeyCredential` → `RegistrationResponseJSON`.
pub fn registration_json<V: Value>(cred: &V) -> Result<V, ConvertError> {
    let (out, response, r) = common(cred)?;
    put_b64(
        &r,
        "attestationObject",
        response.get("attestationObject").and_then(|v| v.bytes()),
    )?;
    // L3 getters; older browsers lack them, and servers then read the
    // attestation object instead.
    if let Some(data) = response
        .call("getAuthenticatorData")
        .and_then(|v| v.bytes())
    {
        put_b64(&r, "authenticatorData", Some(data))?;
    }
    let transports = response
        .call("getTransports")
        .filter(|t| t.items().is_some())
        .unwrap_or_else(|| V::from_items(Vec::new()));
    r.put("transports", transports);
    if let Some(alg) = response.call("getPublicKeyAlgorithm") {
        r.put("publicKeyAlgorithm", alg);
    }
    if let Some(key) = response.call("getPublicKey").and_then(|v| v.bytes()) {
        put_b64(&r, "publicKey", Some(key))?;
    }
    out.put("response", r);
    Ok(out)
}

/// An authentication `PublicKeyCredential` → `AuthenticationResponseJSON`.
pub fn authentication_json<V: Value>(cred: &V) -> Result<V, ConvertError> {
    let (out, response, r) = common(cred)?;
    put_b64(
        &r,
        "authenticatorData",
        response.get("authenticatorData").and_then(|v| v.bytes()),
    )?;
    put_b64(
        &r,
        "signature",
        response.get("signature").and_then(|v| v.bytes()),
    )?;
    if let Some(handle) = response.get("userHandle").and_then(|v| v.bytes()) {
        put_b64(&r, "userHandle", Some(handle))?;
    }
    out.put("response", r);
    Ok(out)
}

#[cfg(test)]
mod tests;
