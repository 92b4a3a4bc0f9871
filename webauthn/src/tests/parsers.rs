//! Unit tests of the strict decoders (CBOR, DER, authenticator data) on hand-written bytes.

use super::super::authenticator_data;
use super::super::cbor::{self, Value};
use super::super::der;
use super::super::WebauthnError;
use super::support::ceremony::{auth_data, RP_ID};

#[test]
fn cbor_accepts_the_webauthn_subset() {
    assert_eq!(cbor::decode(&[0x18, 0x64]), Ok(Value::Unsigned(100)));
    assert_eq!(
        cbor::decode(&[0x38, 0x63]).map(|v| v.as_i64()),
        Ok(Some(-100))
    );
    assert_eq!(cbor::decode(&[0x42, 1, 2]), Ok(Value::Bytes(vec![1, 2])));
    assert_eq!(cbor::decode(&[0x61, b'a']), Ok(Value::Text("a".into())));
    assert_eq!(cbor::decode(&[0xf5]), Ok(Value::Bool(true)));
    assert_eq!(cbor::decode(&[0xf6]), Ok(Value::Null));
    assert_eq!(
        cbor::decode(&[0xa1, 0x01, 0x80]),
        Ok(Value::Map(vec![(Value::Unsigned(1), Value::Array(vec![]))]))
    );
    // Most negative 64-bit CBOR integer does not fit i64.
    let min = cbor::decode(&[0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).unwrap();
    assert_eq!(min.as_i64(), None);
}

#[test]
fn cbor_rejects_everything_else() {
    let bad: &[&[u8]] = &[
        &[],
        &[0x5f, 0x41, 0x00, 0xff],       // indefinite byte string
        &[0x9f, 0xff],                   // indefinite array
        &[0xbf, 0xff],                   // indefinite map
        &[0xc2, 0x41, 0x00],             // tag
        &[0xf9, 0x3c, 0x00],             // half float
        &[0xf7],                         // undefined
        &[0x1c],                         // reserved additional info
        &[0x62, 0xff, 0xfe],             // invalid UTF-8
        &[0xa2, 0x01, 0x01, 0x01, 0x02], // duplicate key
        &[0x5a, 0xff, 0xff, 0xff, 0xff], // length past the end
        &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // absurd count
        &[0x01, 0x02],                   // trailing item
    ];
    for input in bad {
        assert!(cbor::decode(input).is_err(), "{input:02x?}");
    }
    // Nesting limit.
    let mut deep = vec![0x81; 40];
    deep.push(0x01);
    assert!(cbor::decode(&deep).is_err());
    let mut shallow = vec![0x81; 10];
    shallow.push(0x01);
    assert!(cbor::decode(&shallow).is_ok());
}

#[test]
fn cbor_prefix_reports_length() {
    assert_eq!(
        cbor::decode_prefix(&[0xa0, 0xff, 0xff]),
        Ok((Value::Map(vec![]), 1))
    );
}

#[test]
fn der_reader() {
    // High tag number [702] constructed, containing INTEGER 0.
    let input = [0xbf, 0x85, 0x3e, 0x03, 0x02, 0x01, 0x00];
    let mut r = der::Reader::new(&input);
    let tlv = r.next_tlv().unwrap();
    assert_eq!(tlv.tag.number, 702);
    assert_eq!(tlv.tag.class, der::CONTEXT);
    assert!(r.is_empty());
    for bad in [
        &[0x30, 0x80, 0x00, 0x00][..],               // indefinite length
        &[0x30, 0x05, 0x00],                         // truncated
        &[0x30, 0x85, 1, 0, 0, 0, 0],                // 5 length bytes
        &[0x1f, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00], // tag number too large
        &[0x04, 0x82, 0xff],                         // truncated long length
    ] {
        assert!(der::Reader::new(bad).next_tlv().is_err(), "{bad:02x?}");
    }
    assert_eq!(
        der::oid("1.2.840.10045.2.1"),
        vec![0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]
    );
    assert_eq!(
        der::oid("1.3.6.1.4.1.45724.1.1.4"),
        vec![0x2b, 6, 1, 4, 1, 0x82, 0xe5, 0x1c, 1, 1, 4]
    );
    assert_eq!(der::unsigned_integer(&[0x00, 0x80]), Ok(&[0x80][..]));
    assert!(der::unsigned_integer(&[0x80]).is_err());
    assert!(der::bit_string_bytes(&[0x01, 0xfe]).is_err());
}

#[test]
fn authenticator_data_layout() {
    let ad = auth_data(RP_ID, 0x05, 0x0102_0304, &[]);
    let parsed = authenticator_data::parse(&ad).unwrap();
    assert_eq!(parsed.sign_count, 0x0102_0304);
    assert_eq!(parsed.flags, 0x05);
    assert!(parsed.attested.is_none() && parsed.extensions.is_none());
    assert_eq!(
        authenticator_data::parse(&ad[..36]).unwrap_err(),
        WebauthnError::MalformedResponse
    );
    // AT with a credential id length running past the end.
    let mut ad = auth_data(RP_ID, 0x41, 0, &[0; 16]);
    ad.extend([0xff, 0xff, 1, 2, 3]);
    assert_eq!(
        authenticator_data::parse(&ad).unwrap_err(),
        WebauthnError::MalformedResponse
    );
    // AT with a credential id but no key.
    let mut ad = auth_data(RP_ID, 0x41, 0, &[0; 16]);
    ad.extend([0x00, 0x01, 0xaa]);
    assert_eq!(
        authenticator_data::parse(&ad).unwrap_err(),
        WebauthnError::InvalidPublicKey
    );
}

#[test]
fn certificate_times() {
    use super::super::time;
    let utc = der::Tag {
        class: der::UNIVERSAL,
        constructed: false,
        number: 23,
    };
    let gen = der::Tag {
        class: der::UNIVERSAL,
        constructed: false,
        number: 24,
    };
    assert_eq!(time::parse(utc, b"700101000000Z"), Some(0));
    assert_eq!(time::parse(utc, b"250101000000Z"), Some(1_735_689_600));
    assert_eq!(time::parse(gen, b"20450101000000Z"), Some(2_366_841_600));
    assert_eq!(time::parse(utc, b"491231235959Z"), Some(2_524_607_999));
    assert_eq!(time::parse(gen, b"20240229120000Z"), Some(1_709_208_000));
    for bad in [
        &b"2501010000Z"[..],
        b"250101000000",
        b"251301000000Z",
        b"25010100000aZ",
        b"250101000000+0100",
    ] {
        assert_eq!(time::parse(utc, bad), None);
    }
}
