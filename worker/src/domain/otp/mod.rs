//! One-time codes for phone enrollment: generation, keyed hashing, the
//! enrollment state machine and the single-use registration token.
//!
//! Everything here is pure: the caller passes the clock (unix millis) and
//! random bytes, and persists the state structs itself.

mod api;
mod code;
mod enrollment;
mod guess_budget;
mod registration_token;

pub use api::{parse_new, parse_verify};
pub use code::{
    code_from_random_bytes, codes_match, generate_code, hash_code, is_well_formed_code,
    CodeGenerationError, CODE_LENGTH,
};
pub use enrollment::{
    CodeHash, Enrollment, EnrollmentStatus, MalformedCode, NewEnrollment, PendingToken, Verified,
    VerifyError, MAX_ATTEMPTS, OTP_TTL_MS,
};
pub use guess_budget::{Exhausted, GuessBudget, MAX_WRONG_CODES, WRONG_CODE_WINDOW_MS};
pub use registration_token::{
    ConsumeError, ConsumedToken, IssuedRegistrationToken, RegistrationTokenRecord, TokenError,
    REGISTRATION_TOKEN_MIN_RANDOM_BYTES, REGISTRATION_TOKEN_PREFIX, REGISTRATION_TOKEN_TTL_MS,
};
