//! CBOR test vectors, encoded by `ciborium` (an independent implementation) so
//! the decoder under test is never checked against an encoder by the same hand.
//! `C` is only a terse way to write the items; the bytes are ciborium's.

use ciborium::value::{Integer, Value};

/// A CBOR item to encode.
#[derive(Debug, Clone)]
pub enum C {
    N(i64),
    B(Vec<u8>),
    T(String),
    A(Vec<C>),
    M(Vec<(C, C)>),
}

pub fn t(s: &str) -> C {
    C::T(s.to_owned())
}

pub fn b(bytes: &[u8]) -> C {
    C::B(bytes.to_vec())
}

pub fn i(n: i64) -> C {
    C::N(n)
}

impl C {
    fn value(&self) -> Value {
        match self {
            C::N(n) => Value::Integer(Integer::from(*n)),
            C::B(bytes) => Value::Bytes(bytes.clone()),
            C::T(s) => Value::Text(s.clone()),
            C::A(items) => Value::Array(items.iter().map(C::value).collect()),
            // Entry order is kept as written: tests need non-canonical maps too.
            C::M(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.value(), v.value()))
                    .collect(),
            ),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(&self.value(), &mut out).unwrap();
        out
    }
}
