//! Minimal strict CBOR (RFC 8949) decoder for the subset WebAuthn uses.
//!
//! Accepted: unsigned/negative integers, byte and text strings, arrays, maps, `true`,
//! `false`, `null`. Rejected: indefinite lengths, tags, floats, other simple values,
//! duplicate map keys, invalid UTF-8 and anything nested deeper than [`MAX_DEPTH`].
//! It never panics: all reads are bounds-checked.

/// Deepest nesting accepted; WebAuthn structures need at most 4.
const MAX_DEPTH: usize = 16;
/// Largest array or map accepted; keeps duplicate-key checks cheap.
const MAX_ITEMS: u64 = 1024;

/// A decoded CBOR data item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Major type 0.
    Unsigned(u64),
    /// Major type 1: the value is `-1 - n`.
    Negative(u64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Value>),
    /// Major type 5, in encoded order.
    Map(Vec<(Value, Value)>),
    /// Simple values 20/21.
    Bool(bool),
    /// Simple value 22.
    Null,
}

/// The input is not CBOR this decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CborError;

impl Value {
    /// The integer value, if this is an integer that fits in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Unsigned(n) => i64::try_from(*n).ok(),
            Value::Negative(n) => i64::try_from(*n).ok().and_then(|n| (-1i64).checked_sub(n)),
            _ => None,
        }
    }

    /// The bytes, if this is a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The text, if this is a text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The entries, if this is a map.
    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// Looks up an integer key in a map's entries.
pub fn map_get_int(map: &[(Value, Value)], key: i64) -> Option<&Value> {
    map.iter()
        .find(|(k, _)| k.as_i64() == Some(key))
        .map(|(_, v)| v)
}

/// Looks up a text key in a map's entries.
pub fn map_get_text<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// Decodes exactly one item that must span the whole input.
pub fn decode(input: &[u8]) -> Result<Value, CborError> {
    let (value, used) = decode_prefix(input)?;
    if used != input.len() {
        return Err(CborError);
    }
    Ok(value)
}

/// Decodes one item from the start of the input, returning it and its encoded length.
pub fn decode_prefix(input: &[u8]) -> Result<(Value, usize), CborError> {
    let mut reader = Reader { input, pos: 0 };
    let value = reader.item(0)?;
    Ok((value, reader.pos))
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self.input.get(self.pos).ok_or(CborError)?;
        self.pos = self.pos.checked_add(1).ok_or(CborError)?;
        Ok(b)
    }

    fn take(&mut self, len: u64) -> Result<&[u8], CborError> {
        let len = usize::try_from(len).map_err(|_| CborError)?;
        let end = self.pos.checked_add(len).ok_or(CborError)?;
        let slice = self.input.get(self.pos..end).ok_or(CborError)?;
        self.pos = end;
        Ok(slice)
    }

    /// Reads the argument of an initial byte; `info` 28..=31 are reserved or indefinite.
    fn argument(&mut self, info: u8) -> Result<u64, CborError> {
        let width: u64 = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return Err(CborError),
        };
        let bytes = self.take(width)?;
        Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn item(&mut self, depth: usize) -> Result<Value, CborError> {
        if depth > MAX_DEPTH {
            return Err(CborError);
        }
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        match major {
            0 => Ok(Value::Unsigned(self.argument(info)?)),
            1 => Ok(Value::Negative(self.argument(info)?)),
            2 => {
                let len = self.argument(info)?;
                Ok(Value::Bytes(self.take(len)?.to_vec()))
            }
            3 => {
                let len = self.argument(info)?;
                let text = std::str::from_utf8(self.take(len)?).map_err(|_| CborError)?;
                Ok(Value::Text(text.to_owned()))
            }
            4 => {
                let len = self.container_len(info)?;
                let mut items = Vec::new();
                for _ in 0..len {
                    items.push(self.item(depth.saturating_add(1))?);
                }
                Ok(Value::Array(items))
            }
            5 => {
                let len = self.container_len(info)?;
                let mut entries: Vec<(Value, Value)> = Vec::new();
                for _ in 0..len {
                    let key = self.item(depth.saturating_add(1))?;
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(CborError);
                    }
                    let value = self.item(depth.saturating_add(1))?;
                    entries.push((key, value));
                }
                Ok(Value::Map(entries))
            }
            7 => match info {
                20 => Ok(Value::Bool(false)),
                21 => Ok(Value::Bool(true)),
                22 => Ok(Value::Null),
                _ => Err(CborError),
            },
            // Major type 6 (tags) is not used by WebAuthn.
            _ => Err(CborError),
        }
    }

    /// Container lengths are capped and may not exceed the remaining input (each item
    /// takes at least one byte), so a tiny input cannot request a huge allocation.
    fn container_len(&mut self, info: u8) -> Result<u64, CborError> {
        let len = self.argument(info)?;
        let remaining = self.input.len().saturating_sub(self.pos);
        if len > MAX_ITEMS || len > u64::try_from(remaining).map_err(|_| CborError)? {
            return Err(CborError);
        }
        Ok(len)
    }
}
