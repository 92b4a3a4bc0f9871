//! Minimal canonical CBOR encoder for building test vectors.

/// A CBOR item to encode.
#[derive(Debug, Clone)]
pub enum C {
    U(u64),
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
    if n >= 0 {
        C::U(n as u64)
    } else {
        C::N(n)
    }
}

fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if arg <= 0xff {
        out.extend([m | 24, arg as u8]);
    } else if arg <= 0xffff {
        out.push(m | 25);
        out.extend((arg as u16).to_be_bytes());
    } else if arg <= 0xffff_ffff {
        out.push(m | 26);
        out.extend((arg as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend(arg.to_be_bytes());
    }
}

impl C {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            C::U(n) => head(out, 0, *n),
            C::N(n) => head(out, 1, (-1 - *n) as u64),
            C::B(bytes) => {
                head(out, 2, bytes.len() as u64);
                out.extend(bytes);
            }
            C::T(s) => {
                head(out, 3, s.len() as u64);
                out.extend(s.as_bytes());
            }
            C::A(items) => {
                head(out, 4, items.len() as u64);
                for item in items {
                    item.write(out);
                }
            }
            C::M(entries) => {
                head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    k.write(out);
                    v.write(out);
                }
            }
        }
    }
}
