//! Minimal DER writer for building test certificates and extensions.
// To be replaced by an independent DER library (issue 7 item 7); until then its
// length arithmetic uses `as`.
#![allow(clippy::as_conversions)]

pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xff {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend(content);
    out
}

pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

pub fn set(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x31, &parts.concat())
}

pub fn int(n: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = n.to_be_bytes().to_vec();
    while bytes.len() > 1 && bytes[0] == 0 && bytes[1] & 0x80 == 0 {
        bytes.remove(0);
    }
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    tlv(0x02, &bytes)
}

/// INTEGER from big-endian unsigned bytes.
pub fn uint_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}

pub fn enumerated(n: u8) -> Vec<u8> {
    tlv(0x0a, &[n])
}

pub fn octets(bytes: &[u8]) -> Vec<u8> {
    tlv(0x04, bytes)
}

pub fn bits(bytes: &[u8]) -> Vec<u8> {
    let mut content = vec![0];
    content.extend(bytes);
    tlv(0x03, &content)
}

pub fn boolean(v: bool) -> Vec<u8> {
    tlv(0x01, &[if v { 0xff } else { 0 }])
}

pub fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

pub fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0c, s.as_bytes())
}

pub fn printable(s: &str) -> Vec<u8> {
    tlv(0x13, s.as_bytes())
}

pub fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut content = Vec::new();
    let mut push = |mut v: u64| {
        let mut groups = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            groups.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        groups.reverse();
        content.extend(groups);
    };
    push(arcs[0] * 40 + arcs[1]);
    for a in &arcs[2..] {
        push(*a);
    }
    tlv(0x06, &content)
}

/// Context-specific explicit (constructed) tag; supports high tag numbers.
pub fn explicit(number: u32, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if number < 31 {
        out.push(0xa0 | number as u8);
    } else {
        out.push(0xbf);
        let mut groups = vec![(number & 0x7f) as u8];
        let mut v = number >> 7;
        while v > 0 {
            groups.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        groups.reverse();
        out.extend(groups);
    }
    let tail = tlv(0, content);
    out.extend(&tail[1..]);
    out
}
