//! Strict request-body parsing: JSON objects only, unknown members rejected
//! (no mass assignment), every failure naming the offending `param`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a request body or parameter was refused (all map to HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputError {
    /// The body is not valid JSON.
    InvalidJson,
    /// The body is JSON but not an object.
    NotAnObject,
    /// A member the endpoint does not accept.
    UnknownField(String),
    /// A required member is absent or null.
    MissingField(String),
    /// A member has the wrong JSON type.
    WrongType {
        param: String,
        expected: Cow<'static, str>,
    },
    /// A member has the right type but an unacceptable value.
    InvalidValue { param: String, reason: String },
    /// A phone number that is not E.164 (or a normalisable local form).
    InvalidPhone(String),
}

impl InputError {
    /// The error code of the API contract.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidPhone(_) => "invalid_phone",
            _ => "invalid_request",
        }
    }

    pub fn param(&self) -> Option<&str> {
        match self {
            Self::InvalidJson | Self::NotAnObject => None,
            Self::UnknownField(p) | Self::MissingField(p) | Self::InvalidPhone(p) => Some(p),
            Self::WrongType { param, .. } | Self::InvalidValue { param, .. } => Some(param),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::InvalidJson => "The request body is not valid JSON.".into(),
            Self::NotAnObject => "The request body must be a JSON object.".into(),
            Self::UnknownField(p) => format!("Unknown field `{p}`."),
            Self::MissingField(p) => format!("Missing required field `{p}`."),
            Self::WrongType { param, expected } => format!("`{param}` must be {expected}."),
            Self::InvalidValue { param, reason } => format!("`{param}` {reason}."),
            Self::InvalidPhone(p) => {
                format!("`{p}` must be a phone number in E.164 form, e.g. +2348031234567.")
            }
        }
    }

    pub fn invalid(param: &str, reason: impl Into<String>) -> Self {
        Self::InvalidValue {
            param: param.into(),
            reason: reason.into(),
        }
    }
}

/// A parsed JSON object whose members were checked against an allow-list.
#[derive(Debug)]
pub struct JsonObject {
    map: Map<String, Value>,
}

impl JsonObject {
    /// Parses `body`. An empty (or whitespace-only) body is not a JSON object:
    /// a caller that means "no members" sends `{}`.
    pub fn parse(body: &[u8], allowed: &[&str]) -> Result<Self, InputError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(InputError::NotAnObject);
        }
        let value: Value = serde_json::from_slice(body).map_err(|_| InputError::InvalidJson)?;
        let Value::Object(map) = value else {
            return Err(InputError::NotAnObject);
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(InputError::UnknownField(unknown.clone()));
        }
        Ok(Self { map })
    }

    /// Whether the member is present (even as null).
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The raw value, `None` when absent or null.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn str(&self, key: &str) -> Result<Option<&str>, InputError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong(key, "a string")),
        }
    }

    pub fn required_str(&self, key: &str) -> Result<&str, InputError> {
        self.str(key)?
            .ok_or_else(|| InputError::MissingField(key.into()))
    }

    pub fn i64(&self, key: &str) -> Result<Option<i64>, InputError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| wrong(key, "an integer")),
            Some(_) => Err(wrong(key, "an integer")),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<&Map<String, Value>>, InputError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(wrong(key, "a JSON object")),
        }
    }

    /// A list of strings of at most `max` items.
    pub fn strings(&self, key: &str, max: usize) -> Result<Option<Vec<String>>, InputError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(wrong(key, "an array of strings"));
        };
        if items.len() > max {
            return Err(InputError::invalid(
                key,
                format!("has more than {max} items"),
            ));
        }
        items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| wrong(key, "an array of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

fn wrong(key: &str, expected: &'static str) -> InputError {
    InputError::WrongType {
        param: key.into(),
        expected: expected.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_members_and_non_objects() {
        let err = JsonObject::parse(br#"{"name":"x","plan":"pro"}"#, &["name"]).unwrap_err();
        assert_eq!(err, InputError::UnknownField("plan".into()));
        assert_eq!(err.param(), Some("plan"));
        assert_eq!(
            JsonObject::parse(b"[1]", &[]).unwrap_err(),
            InputError::NotAnObject
        );
        assert_eq!(
            JsonObject::parse(b"{", &[]).unwrap_err(),
            InputError::InvalidJson
        );
        // An empty body is not `{}` (issue 8 item 18).
        for empty in [&b""[..], b"  ", b"\n\t"] {
            assert_eq!(
                JsonObject::parse(empty, &[]).unwrap_err(),
                InputError::NotAnObject
            );
        }
        assert!(JsonObject::parse(b" {} ", &[]).is_ok());
    }

    #[test]
    fn typed_accessors_name_the_param() {
        let o = JsonObject::parse(
            br#"{"a":1,"b":"s","c":null,"d":[1]}"#,
            &["a", "b", "c", "d"],
        )
        .unwrap();
        assert_eq!(o.str("b").unwrap(), Some("s"));
        assert_eq!(o.str("c").unwrap(), None);
        assert!(o.has("c"));
        assert_eq!(o.i64("a").unwrap(), Some(1));
        assert_eq!(o.str("a").unwrap_err().param(), Some("a"));
        assert_eq!(
            o.required_str("c").unwrap_err(),
            InputError::MissingField("c".into())
        );
        assert_eq!(o.strings("d", 5).unwrap_err().param(), Some("d"));
        assert!(o.i64("b").is_err());
        let big = JsonObject::parse(br#"{"n":1.5}"#, &["n"]).unwrap();
        assert!(big.i64("n").is_err());
    }
}
