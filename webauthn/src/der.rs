//! Minimal DER (X.690) reader: enough to walk X.509 certificates and attestation extensions.
//!
//! It only slices the input; it never recurses by itself (callers walk known structures),
//! never allocates from lengths, and never panics.

/// The input is not DER this reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerError;

/// Tag class: universal.
pub const UNIVERSAL: u8 = 0;
/// Tag class: context-specific.
pub const CONTEXT: u8 = 2;

/// Universal tag numbers used here.
pub const BOOLEAN: u32 = 1;
/// INTEGER.
pub const INTEGER: u32 = 2;
/// BIT STRING.
pub const BIT_STRING: u32 = 3;
/// OCTET STRING.
pub const OCTET_STRING: u32 = 4;
/// OBJECT IDENTIFIER.
pub const OID: u32 = 6;
/// ENUMERATED.
pub const ENUMERATED: u32 = 10;
/// SEQUENCE.
pub const SEQUENCE: u32 = 16;
/// SET.
pub const SET: u32 = 17;

/// A decoded tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// 0 universal, 1 application, 2 context-specific, 3 private.
    pub class: u8,
    /// Constructed (vs primitive) encoding.
    pub constructed: bool,
    /// Tag number (high-tag-number form supported, as Android key attestation needs it).
    pub number: u32,
}

/// One TLV element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Its tag.
    pub tag: Tag,
    /// Its content octets.
    pub content: &'a [u8],
    /// The whole encoding, header included.
    pub raw: &'a [u8],
}

/// Sequential reader over concatenated TLVs.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads the TLVs in `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Fails unless everything has been read (DER forbids trailing data).
    pub fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError)
        }
    }

    /// Reads the next element.
    pub fn next_tlv(&mut self) -> Result<Tlv<'a>, DerError> {
        let input = self.rest;
        let first = *input.first().ok_or(DerError)?;
        let mut pos: usize = 1;
        let mut number = u32::from(first & 0x1f);
        if number == 0x1f {
            number = 0;
            loop {
                let b = *input.get(pos).ok_or(DerError)?;
                pos = pos.checked_add(1).ok_or(DerError)?;
                // Four continuation bytes cover every tag in use; more would overflow.
                if pos > 5 {
                    return Err(DerError);
                }
                number = (number << 7) | u32::from(b & 0x7f);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let len_byte = *input.get(pos).ok_or(DerError)?;
        pos = pos.checked_add(1).ok_or(DerError)?;
        let len = if len_byte < 0x80 {
            usize::from(len_byte)
        } else {
            let count = usize::from(len_byte & 0x7f);
            // 0x80 is BER's indefinite length; over 4 length bytes is absurd here.
            if count == 0 || count > 4 {
                return Err(DerError);
            }
            let end = pos.checked_add(count).ok_or(DerError)?;
            let bytes = input.get(pos..end).ok_or(DerError)?;
            pos = end;
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        let end = pos.checked_add(len).ok_or(DerError)?;
        let content = input.get(pos..end).ok_or(DerError)?;
        let raw = input.get(..end).ok_or(DerError)?;
        self.rest = input.get(end..).ok_or(DerError)?;
        Ok(Tlv {
            tag: Tag {
                class: first >> 6,
                constructed: first & 0x20 != 0,
                number,
            },
            content,
            raw,
        })
    }

    /// Reads the next element and requires a universal tag.
    pub fn expect(&mut self, number: u32) -> Result<&'a [u8], DerError> {
        let tlv = self.next_tlv()?;
        let constructed = matches!(number, SEQUENCE | SET);
        if tlv.tag.class != UNIVERSAL
            || tlv.tag.number != number
            || tlv.tag.constructed != constructed
        {
            return Err(DerError);
        }
        Ok(tlv.content)
    }

    /// Peeks at the next element's tag without consuming it.
    pub fn peek_tag(&self) -> Option<Tag> {
        let mut copy = *self;
        copy.next_tlv().ok().map(|t| t.tag)
    }

    /// Reads a context-specific element `[number]` if it is next.
    pub fn optional_context(&mut self, number: u32) -> Result<Option<Tlv<'a>>, DerError> {
        match self.peek_tag() {
            Some(tag) if tag.class == CONTEXT && tag.number == number => self.next_tlv().map(Some),
            _ => Ok(None),
        }
    }
}

/// Reads a BIT STRING's content as whole bytes (unused-bits count must be 0).
pub fn bit_string_bytes(content: &[u8]) -> Result<&[u8], DerError> {
    match content.split_first() {
        Some((0, bytes)) => Ok(bytes),
        _ => Err(DerError),
    }
}

/// Strips the sign byte DER adds to non-negative INTEGERs with the top bit set.
pub fn unsigned_integer(content: &[u8]) -> Result<&[u8], DerError> {
    match content {
        [] => Err(DerError),
        [first, ..] if first & 0x80 != 0 => Err(DerError),
        [0, rest @ ..] if !rest.is_empty() => Ok(rest),
        _ => Ok(content),
    }
}

/// Small non-negative INTEGER or ENUMERATED content as `u64`.
pub fn small_uint(content: &[u8]) -> Result<u64, DerError> {
    let bytes = unsigned_integer(content)?;
    if bytes.len() > 8 {
        return Err(DerError);
    }
    Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Encodes a dotted OID string into DER content octets (used to compare OIDs).
pub fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').filter_map(|a| a.parse().ok()).collect();
    let mut out = Vec::new();
    let (first, second) = match (arcs.first(), arcs.get(1)) {
        (Some(a), Some(b)) => (*a, *b),
        _ => return out,
    };
    push_base128(&mut out, first.saturating_mul(40).saturating_add(second));
    for arc in arcs.iter().skip(2) {
        push_base128(&mut out, *arc);
    }
    out
}

fn push_base128(out: &mut Vec<u8>, value: u64) {
    let mut groups = Vec::new();
    let mut v = value;
    loop {
        groups.push(u8::try_from(v & 0x7f).unwrap_or_default());
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    let last = groups.len().saturating_sub(1);
    for (i, g) in groups.iter().rev().enumerate() {
        out.push(if i < last { g | 0x80 } else { *g });
    }
}
