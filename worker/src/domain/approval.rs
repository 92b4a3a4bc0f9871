//! Who may decide a consent (DESIGN §2), for every kind of authenticator.
//!
//! Only the recipient decides, with either
//! (a) a passkey they registered themself on the phone path (the
//!     `registrationToken` of their own verified enrollment): valid for any
//!     partner's consent to their number; or
//! (b) an authenticator that the consent's own partner registered for them (a
//!     partner-path passkey, or a device key): valid for that partner's
//!     consents only — a partner cannot vouch for a person towards anyone but
//!     itself.
//! In both cases test and live never mix.

use serde::{Deserialize, Serialize};

/// How an authenticator came to be trusted, which decides what it may approve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Enrolment {
    /// Registered by a partner for its user (`/fido/register/* {userId}`, `POST /devices`).
    /// The default for records written before this field existed: the narrower grant.
    #[default]
    Partner,
    /// Registered by the person with the `registrationToken` of their own enrollment.
    Phone,
}

/// An authenticator as the rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Authenticator<'a> {
    /// The client that registered it (for a phone passkey: whose enrollment).
    pub client_id: &'a str,
    pub livemode: bool,
    pub enrolment: Enrolment,
    /// The E.164 mobile of the user it belongs to.
    pub mobile: &'a str,
}

/// The consent being decided, as the rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct ConsentParty<'a> {
    pub client_id: &'a str,
    pub livemode: bool,
    /// E.164.
    pub recipient: &'a str,
}

/// Why an authenticator may not decide a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApprovalRefusal {
    /// The authenticator belongs to the other mode (test vs live).
    ModeMismatch,
    /// The authenticator's user is not the consent's recipient.
    NotRecipient,
    /// A partner-registered authenticator of another partner than the consent's.
    OtherPartner,
}

impl ApprovalRefusal {
    /// The human explanation (the hosted page shows it).
    pub fn message(self) -> &'static str {
        match self {
            Self::ModeMismatch => {
                "This passkey or device key belongs to the other mode (test or live) and cannot decide this consent."
            }
            Self::NotRecipient => {
                "This passkey or device key belongs to someone else: only the owner of the number can decide."
            }
            Self::OtherPartner => {
                "This passkey or device key was registered by another service and can only approve that service's requests. Enrol this number with MID to approve anywhere."
            }
        }
    }
}

/// DESIGN §2, checked after the authenticator proved possession.
pub fn may_decide(a: &Authenticator<'_>, c: &ConsentParty<'_>) -> Result<(), ApprovalRefusal> {
    if a.livemode != c.livemode {
        return Err(ApprovalRefusal::ModeMismatch);
    }
    if a.mobile != c.recipient {
        return Err(ApprovalRefusal::NotRecipient);
    }
    match a.enrolment {
        Enrolment::Phone => Ok(()),
        Enrolment::Partner if a.client_id == c.client_id => Ok(()),
        Enrolment::Partner => Err(ApprovalRefusal::OtherPartner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "mid_client_aaaaaaaaaaaaaaaa";
    const B: &str = "mid_client_bbbbbbbbbbbbbbbb";
    const ME: &str = "+2348031234567";
    const OTHER: &str = "+2348039999999";

    fn auth(
        client_id: &'static str,
        livemode: bool,
        enrolment: Enrolment,
    ) -> Authenticator<'static> {
        Authenticator {
            client_id,
            livemode,
            enrolment,
            mobile: ME,
        }
    }

    fn consent(client_id: &'static str, livemode: bool) -> ConsentParty<'static> {
        ConsentParty {
            client_id,
            livemode,
            recipient: ME,
        }
    }

    #[test]
    fn the_whole_rule_as_a_table() {
        use ApprovalRefusal::*;
        use Enrolment::*;
        let cases = [
            // (authenticator, consent, expected)
            (auth(A, false, Phone), consent(A, false), Ok(())),
            (auth(A, false, Phone), consent(B, false), Ok(())),
            (auth(A, true, Phone), consent(B, true), Ok(())),
            (auth(A, false, Partner), consent(A, false), Ok(())),
            (
                auth(A, false, Partner),
                consent(B, false),
                Err(OtherPartner),
            ),
            (auth(A, true, Partner), consent(B, true), Err(OtherPartner)),
            // Modes never mix, whatever else holds.
            (auth(A, false, Phone), consent(A, true), Err(ModeMismatch)),
            (auth(A, true, Phone), consent(A, false), Err(ModeMismatch)),
            (auth(A, false, Partner), consent(A, true), Err(ModeMismatch)),
        ];
        for (a, c, want) in cases {
            assert_eq!(may_decide(&a, &c), want, "{a:?} on {c:?}");
        }
    }

    #[test]
    fn only_the_recipient_decides() {
        for enrolment in [Enrolment::Phone, Enrolment::Partner] {
            let mut a = auth(A, false, enrolment);
            a.mobile = OTHER;
            assert_eq!(
                may_decide(&a, &consent(A, false)),
                Err(ApprovalRefusal::NotRecipient)
            );
        }
    }

    #[test]
    fn records_without_an_enrolment_get_the_narrower_grant() {
        #[derive(Deserialize)]
        struct Old {
            #[serde(default)]
            enrolment: Enrolment,
        }
        let old: Old = serde_json::from_slice(("{}").as_bytes()).unwrap();
        assert_eq!(old.enrolment, Enrolment::Partner);
    }
}
