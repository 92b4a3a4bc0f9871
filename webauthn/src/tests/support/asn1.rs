//! DER values that are not certificates (extension contents, the Android KeyDescription),
//! encoded with RustCrypto's `der` crate so the tests never share the decoder's hand.
//! `der` 0.8 handles the high tag numbers ([600], [702]) the KeyDescription uses.

pub use ::der::asn1::Any;
use ::der::asn1::{ContextSpecific, Null, ObjectIdentifier, OctetStringRef, SetOfVec};
use ::der::asn1::{PrintableStringRef, Utf8StringRef};
use ::der::{Encode, EncodeValue, Tag, TagMode, TagNumber, Tagged};

fn any(value: &(impl EncodeValue + Tagged)) -> Any {
    Any::encode_from(value).unwrap()
}

/// The DER bytes of a value.
pub fn to_der(value: &Any) -> Vec<u8> {
    value.to_der().unwrap()
}

/// SEQUENCE of heterogeneous members (`der` encodes `Vec<T>` as a SEQUENCE OF).
pub fn seq(members: Vec<Any>) -> Any {
    any(&members)
}

/// SET OF, sorted as DER requires.
pub fn set(members: Vec<Any>) -> Any {
    any(&SetOfVec::try_from(members).unwrap())
}

/// `[n] EXPLICIT` context-specific tag.
pub fn explicit(number: u32, inner: Any) -> Any {
    any(&ContextSpecific {
        tag_number: TagNumber(number),
        tag_mode: TagMode::Explicit,
        value: inner,
    })
}

pub fn int(n: u64) -> Any {
    any(&n)
}

/// ENUMERATED: `der` writes the INTEGER content, re-tagged as ENUMERATED (same content rules).
pub fn enumerated(n: u8) -> Any {
    Any::new(Tag::Enumerated, int(n.into()).value()).unwrap()
}

pub fn octets(bytes: &[u8]) -> Any {
    any(&OctetStringRef::new(bytes).unwrap())
}

pub fn null() -> Any {
    any(&Null)
}

pub fn oid(dotted: &str) -> Any {
    any(&ObjectIdentifier::new(dotted).unwrap())
}

/// X.501 Name from (OID, value) pairs, one attribute per RDN; countryName is a
/// PrintableString as real CAs write it.
pub fn name(attrs: &[(&str, &str)]) -> Any {
    seq(attrs
        .iter()
        .map(|(ty, value)| {
            let value = if *ty == "2.5.4.6" {
                any(&PrintableStringRef::new(value).unwrap())
            } else {
                any(&Utf8StringRef::new(value).unwrap())
            };
            set(vec![seq(vec![oid(ty), value])])
        })
        .collect())
}
