//! Who owns and who may see a record: a partner client in one mode. Test and
//! live never mix (DESIGN §2), so every record carries both halves.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Test or live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    /// The mode of a `livemode` flag (the API's and the stored records' form).
    pub fn from_livemode(livemode: bool) -> Self {
        if livemode {
            Self::Live
        } else {
            Self::Test
        }
    }

    pub fn is_live(self) -> bool {
        self == Self::Live
    }

    /// `"live"` or `"test"`, as in API keys and object names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A partner client in one mode. On the wire and at rest it is
/// `{"clientId", "livemode"}`, the shape records always had.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub client_id: String,
    #[serde(rename = "livemode", with = "livemode_flag")]
    pub mode: Mode,
}

impl Tenant {
    pub fn new(client_id: impl Into<String>, livemode: bool) -> Self {
        Self {
            client_id: client_id.into(),
            mode: Mode::from_livemode(livemode),
        }
    }

    pub fn livemode(&self) -> bool {
        self.mode.is_live()
    }

    /// Whether a record stored as (`client_id`, `livemode`) belongs to this tenant.
    pub fn owns(&self, client_id: &str, livemode: bool) -> bool {
        self.client_id == client_id && self.livemode() == livemode
    }
}

mod livemode_flag {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Mode;

    pub fn serialize<S: Serializer>(mode: &Mode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(mode.is_live())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
        bool::deserialize(d).map(Mode::from_livemode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_keep_the_stored_shape_and_compare_both_halves() {
        let t = Tenant::new("mid_client_a", true);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"clientId":"mid_client_a","livemode":true}"#
        );
        let back: Tenant =
            serde_json::from_slice((r#"{"clientId":"mid_client_a","livemode":false}"#).as_bytes())
                .unwrap();
        assert_eq!(back.mode, Mode::Test);
        assert!(t.owns("mid_client_a", true));
        assert!(
            !t.owns("mid_client_a", false),
            "the other mode is another tenant"
        );
        assert!(!t.owns("mid_client_b", true));
        assert_eq!(Mode::Live.to_string(), "live");
        assert_eq!(Mode::from_livemode(false).as_str(), "test");
    }
}
