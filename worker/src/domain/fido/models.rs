//! Authenticator models by AAGUID, for the device's `model`.

/// Well-known authenticator models by AAGUID (the public passkey AAGUID lists).
const MODELS: &[(&str, &str)] = &[
    ("fbfc3007154e4ecc8c0b6e020557d7bd", "iCloud Keychain"),
    (
        "dd4ec289e01d41c9bb8970fa845d4bf2",
        "iCloud Keychain (Managed)",
    ),
    (
        "ea9b8d664d011d213ce4b6b48cb575d4",
        "Google Password Manager",
    ),
    ("adce000235bcc60a648b0b25f1f05503", "Chrome on Mac"),
    ("08987058cadc4b81b6e130de50dcbe96", "Windows Hello"),
    ("9ddd1817af5a4672a2b93e3dd95000a9", "Windows Hello"),
    ("6028b017b1d44c02b4b3afcdafc96bb2", "Windows Hello"),
    ("bada5566a7aa401fbd96b3f4ae2bc5e9", "1Password"),
    ("d548826e79b4db40a3d811116f7e8349", "Bitwarden"),
    ("53414d53554e47000000000000000000", "Samsung Pass"),
    ("cb69481e8ff7403993ec0a2729a154a8", "YubiKey 5 Series"),
    ("ee882879721c491397753dfcce97072a", "YubiKey 5 Series"),
    (
        "fa2b99dc9e3942578f924a30d23c4118",
        "YubiKey 5 Series with NFC",
    ),
    (
        "2fc0579f811347eab116bb5a8db9202a",
        "YubiKey 5 Series with NFC",
    ),
    ("c5ef55ffad9a4b9fb580adebafe026d0", "YubiKey 5Ci"),
    ("73bb0cd4e50249b89c6fb59445bf720b", "YubiKey 5 FIPS Series"),
    ("149a20218ef6413396b881f8d5b7f1f5", "Security Key by Yubico"),
];

/// The model of an authenticator, if its AAGUID is well known.
pub fn aaguid_model(aaguid_hex: &str) -> Option<&'static str> {
    MODELS
        .iter()
        .find(|(id, _)| *id == aaguid_hex)
        .map(|(_, model)| *model)
}

/// The model reported for a new device: the known AAGUID's, else the name given, else "Passkey".
pub fn device_model(aaguid_hex: &str, name: Option<&str>) -> String {
    aaguid_model(aaguid_hex)
        .or(name)
        .unwrap_or("Passkey")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_come_from_known_aaguids_then_the_name() {
        assert_eq!(
            device_model("fbfc3007154e4ecc8c0b6e020557d7bd", Some("x")),
            "iCloud Keychain"
        );
        assert_eq!(device_model(&"00".repeat(16), Some("My phone")), "My phone");
        assert_eq!(device_model(&"00".repeat(16), None), "Passkey");
    }
}
