//! Signature checks as obligations: a verification that depends on signatures
//! returns an [`Unverified`] value, and the only way to the value is
//! [`Unverified::verify`], which asks a [`SignatureVerifier`] every check it
//! carries. Forgetting a check is not expressible: the parsers add them, and
//! nothing takes them out.
//!
//! The verifier trait is sealed: its implementations are [`crate::RustCrypto`]
//! (feature `rust-crypto`, for native builds and tests) and [`WebCrypto`] over
//! the runtime's `crypto.subtle` (the worker's). How each check maps to Web
//! Crypto (key format, algorithm, hash, signature encoding) is decided here, in
//! pure code, not by the runtime binding.

use std::future::Future;

use super::keys::{Check, CheckKind, PublicKey, SignatureAlgorithm};

pub(crate) mod sealed_impl {
    /// Only this crate implements [`super::SignatureVerifier`].
    pub trait Sealed {}
}

/// Answers [`Check`]s. Sealed: see the module documentation.
pub trait SignatureVerifier: sealed_impl::Sealed {
    /// Whether the check holds. Any failure (unusable key, bad signature,
    /// runtime error) is `false`.
    fn holds(&self, check: &Check) -> impl Future<Output = bool>;
}

/// Alternatives, each a list of checks that must all hold: the shape of "the
/// chain reaches one of the roots". No alternative at all never holds; an
/// empty alternative always does (the chain is a pinned root itself).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust(pub(crate) Vec<Vec<Check>>);

impl Trust {
    /// Never holds (a structural failure found before any signature).
    pub fn never() -> Self {
        Self(Vec::new())
    }

    /// Holds when `check` does.
    pub fn check(check: Check) -> Self {
        Self(vec![vec![check]])
    }

    fn holds(&self, answers: &Answers<'_>) -> bool {
        self.0.iter().any(|all| all.iter().all(|c| answers.get(c)))
    }
}

/// What the verifier said about each distinct check.
struct Answers<'a> {
    checks: Vec<&'a Check>,
    results: Vec<bool>,
}

impl Answers<'_> {
    fn get(&self, check: &Check) -> bool {
        self.checks
            .iter()
            .position(|c| *c == check)
            .and_then(|i| self.results.get(i).copied())
            .unwrap_or(false)
    }
}

/// A value that is only valid if its checks hold.
#[must_use = "the value is only valid once its signatures are verified"]
pub struct Unverified<T, E> {
    required: Vec<(Trust, E)>,
    /// Trusts whose answer the value depends on without failing (attestation `trusted`).
    questions: Vec<Trust>,
    /// Builds the value from the answers to `questions`.
    finish: Finish<T>,
}

/// Builds a value from the answers to its questions.
type Finish<T> = Box<dyn FnOnce(&[bool]) -> T>;

impl<T, E: std::fmt::Debug> std::fmt::Debug for Unverified<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unverified")
            .field("required", &self.required)
            .field("questions", &self.questions)
            .finish_non_exhaustive()
    }
}

impl<T: 'static, E> Unverified<T, E> {
    /// `value`, valid once the checks added with [`Self::require`] hold.
    pub fn new(value: T) -> Self {
        Self {
            required: Vec::new(),
            questions: Vec::new(),
            finish: Box::new(move |_| value),
        }
    }

    /// Adds a check that must hold, failing with `error` if it does not.
    pub fn require(self, check: Check, error: E) -> Self {
        self.require_trust(Trust::check(check), error)
    }

    /// Adds a [`Trust`] that must hold, failing with `error` if it does not.
    pub fn require_trust(mut self, trust: Trust, error: E) -> Self {
        self.required.push((trust, error));
        self
    }

    /// Applies `flag` to the value when `trust` holds (no failure if it does not).
    pub(crate) fn flag_if(mut self, trust: Trust, flag: fn(&mut T)) -> Self {
        let index = self.questions.len();
        self.questions.push(trust);
        let finish = self.finish;
        Self {
            required: self.required,
            questions: self.questions,
            finish: Box::new(move |answers| {
                let mut value = finish(answers);
                if answers.get(index).copied().unwrap_or(false) {
                    flag(&mut value);
                }
                value
            }),
        }
    }

    /// Transforms the errors (the checks stay).
    pub fn map_err<F>(self, f: impl Fn(E) -> F) -> Unverified<T, F> {
        Unverified {
            required: self.required.into_iter().map(|(t, e)| (t, f(e))).collect(),
            questions: self.questions,
            finish: self.finish,
        }
    }

    /// Transforms the value (the checks stay).
    pub fn map<U: 'static>(self, f: impl FnOnce(T) -> U + 'static) -> Unverified<U, E> {
        let finish = self.finish;
        Unverified {
            required: self.required,
            questions: self.questions,
            finish: Box::new(move |answers| f(finish(answers))),
        }
    }

    /// Both values, valid once the checks of both hold (this one's errors first).
    pub fn join<U: 'static>(mut self, other: Unverified<U, E>) -> Unverified<(T, U), E> {
        let split = self.questions.len();
        self.required.extend(other.required);
        self.questions.extend(other.questions);
        let (first, second) = (self.finish, other.finish);
        Unverified {
            required: self.required,
            questions: self.questions,
            finish: Box::new(move |answers| {
                let (a, b) = answers.split_at(split.min(answers.len()));
                (first(a), second(b))
            }),
        }
    }

    /// The distinct checks, in order of first appearance.
    fn checks(&self) -> Vec<&Check> {
        let mut out: Vec<&Check> = Vec::new();
        let all = self
            .required
            .iter()
            .map(|(t, _)| t)
            .chain(self.questions.iter());
        for trust in all {
            for check in trust.0.iter().flatten() {
                if !out.contains(&check) {
                    out.push(check);
                }
            }
        }
        out
    }

    /// Asks `verifier` every check, then returns the value or the error of the
    /// first requirement that does not hold.
    pub async fn verify(self, verifier: &impl SignatureVerifier) -> Result<T, E> {
        let mut results = Vec::new();
        for check in self.checks() {
            results.push(verifier.holds(check).await);
        }
        self.conclude(&results)
    }

    /// [`Self::verify`] with a synchronous verifier.
    #[cfg_attr(not(feature = "rust-crypto"), allow(dead_code))]
    pub(crate) fn settle(self, mut holds: impl FnMut(&Check) -> bool) -> Result<T, E> {
        let results: Vec<bool> = self.checks().into_iter().map(&mut holds).collect();
        self.conclude(&results)
    }

    /// The value or the first failed requirement's error, given the verifier's
    /// answer to each of [`Self::checks`].
    fn conclude(self, results: &[bool]) -> Result<T, E> {
        let answers = Answers {
            checks: self.checks(),
            results: results.to_vec(),
        };
        let failed = self
            .required
            .iter()
            .position(|(trust, _)| !trust.holds(&answers));
        let trusted: Vec<bool> = self.questions.iter().map(|t| t.holds(&answers)).collect();
        drop(answers);
        if let Some(i) = failed {
            let mut required = self.required;
            return Err(required.swap_remove(i).1);
        }
        Ok((self.finish)(&trusted))
    }
}

/// The slice of the Web Crypto API (`crypto.subtle`) [`WebCrypto`] needs; the
/// runtime binding implements it by forwarding, deciding nothing.
pub trait SubtleCrypto {
    /// `importKey(key.format, key.data, key.algorithm, false, ["verify"])`:
    /// whether the runtime accepts the key.
    fn import_key(&self, key: &WebCryptoKey) -> impl Future<Output = bool>;

    /// `importKey` as above, then `verify(key.algorithm, key, signature, data)`;
    /// `false` when either fails.
    fn verify(
        &self,
        key: &WebCryptoKey,
        signature: &[u8],
        data: &[u8],
    ) -> impl Future<Output = bool>;
}

/// A key ready for `importKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebCryptoKey {
    /// `"raw"` (EC point, Ed25519 bytes) or `"jwk"` (RSA).
    pub format: &'static str,
    /// Raw key bytes, or the JWK as JSON text.
    pub data: Vec<u8>,
    /// The algorithm dictionary, used for both `importKey` and `verify`.
    pub algorithm: WebCryptoAlgorithm,
}

/// A Web Crypto algorithm dictionary (unused members are `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebCryptoAlgorithm {
    /// `name`: `ECDSA`, `Ed25519` or `RSASSA-PKCS1-v1_5`.
    pub name: &'static str,
    /// `namedCurve` (ECDSA).
    pub named_curve: Option<&'static str>,
    /// `hash` (ECDSA, RSA).
    pub hash: Option<&'static str>,
}

/// [`SignatureVerifier`] over a runtime's Web Crypto.
#[derive(Debug, Clone)]
pub struct WebCrypto<S>(pub S);

impl<S: SubtleCrypto> sealed_impl::Sealed for WebCrypto<S> {}

impl<S: SubtleCrypto> SignatureVerifier for WebCrypto<S> {
    async fn holds(&self, check: &Check) -> bool {
        match &check.0 {
            CheckKind::KeyValid(key) => {
                let Some(key) = web_crypto_key(key, None) else {
                    return false;
                };
                self.0.import_key(&key).await
            }
            CheckKind::Signature {
                key,
                alg,
                message,
                signature,
            } => {
                let Some(key) = web_crypto_key(key, Some(*alg)) else {
                    return false;
                };
                self.0.verify(&key, signature, message).await
            }
        }
    }
}

/// The Web Crypto form of `key` for `alg` (`None`: import only, any hash);
/// `None` when the algorithm does not fit the key.
pub(crate) fn web_crypto_key(
    key: &PublicKey,
    alg: Option<SignatureAlgorithm>,
) -> Option<WebCryptoKey> {
    use SignatureAlgorithm as A;
    let ecdsa = |curve, hash| WebCryptoAlgorithm {
        name: "ECDSA",
        named_curve: Some(curve),
        hash: Some(hash),
    };
    let (format, data, algorithm) = match (key, alg) {
        (PublicKey::P256(point), None | Some(A::Es256)) => {
            ("raw", point.clone(), ecdsa("P-256", "SHA-256"))
        }
        (PublicKey::P384(point), None | Some(A::Es384)) => {
            ("raw", point.clone(), ecdsa("P-384", "SHA-384"))
        }
        (PublicKey::Ed25519(bytes), None | Some(A::EdDsa)) => (
            "raw",
            bytes.to_vec(),
            WebCryptoAlgorithm {
                name: "Ed25519",
                named_curve: None,
                hash: None,
            },
        ),
        (PublicKey::Rsa { n, e }, None | Some(A::Rs256 | A::Rs1)) => {
            let hash = if alg == Some(A::Rs1) {
                "SHA-1"
            } else {
                "SHA-256"
            };
            let jwk = serde_json::json!({
                "kty": "RSA",
                "n": super::base64url::encode(n),
                "e": super::base64url::encode(e),
            });
            (
                "jwk",
                jwk.to_string().into_bytes(),
                WebCryptoAlgorithm {
                    name: "RSASSA-PKCS1-v1_5",
                    named_curve: None,
                    hash: Some(hash),
                },
            )
        }
        _ => return None,
    };
    Some(WebCryptoKey {
        format,
        data,
        algorithm,
    })
}
