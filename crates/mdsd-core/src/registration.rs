//! A registration judged in one call: the attestation verified ([`crate::attestation`]), then the
//! passkey profiles applied to its facts ([`crate::policy`]), at one `now`. What a relying party
//! (or the daemon's VerifyRegistration) asks at registration, as one value.
//!
//! [`begin`] answers at bounded cost when it can and otherwise hands back a [`Deferred`]
//! judgement that owns everything it decoded and checked so far; [`Deferred::finish`] completes
//! it where slow work is allowed (path building, costly signatures), without decoding again.
//! [`judge`] does both at once.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::attestation::{
    AttestationResult, DeferredVerification, RegistrationInput, VerificationStep, Verifier,
};
use crate::policy::{AttestationTrust, Decision, PolicySet, ProfileChoice, RegistrationFacts};
use crate::trust_store::TrustStore;

/// One registration to judge.
#[derive(Debug, Clone, Copy)]
pub struct Registration<'a> {
    pub input: RegistrationInput<'a>,
    /// The metadata to judge trust against.
    pub store: Option<&'a Arc<TrustStore>>,
    /// The passkey profiles and which of them decide ([`PolicySet::choose`]); `None`: no
    /// decision is asked for.
    pub policy: Option<(&'a Arc<PolicySet>, &'a ProfileChoice)>,
    pub now: OffsetDateTime,
}

/// The judgement on one registration.
#[derive(Debug, Clone)]
pub struct RegistrationVerdict {
    /// What the registration is (valid? trusted? which authenticator?).
    pub result: AttestationResult,
    /// How far the attestation was trusted ([`RegistrationFacts::trust`]).
    pub trust: AttestationTrust,
    /// Whether the profiles allow it, when a decision was asked for.
    pub decision: Option<Decision>,
}

/// What [`begin`] tells its caller.
// `Done` is the common case, moved once to the caller: boxing it would cost an allocation per
// request to shrink the rare `Deferred` one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum RegistrationStep {
    /// Judged at bounded cost.
    Done(RegistrationVerdict),
    /// A costly step remains: [`Deferred::finish`] it where slow work is allowed.
    Deferred(Deferred),
}

/// A judgement stopped before its costly step; owns all it needs (it can move to another
/// thread).
#[derive(Debug)]
pub struct Deferred {
    verification: DeferredVerification,
    policy: Option<(Arc<PolicySet>, ProfileChoice)>,
    now: OffsetDateTime,
}

impl Deferred {
    /// Completes the judgement with the verifier it began with.
    pub fn finish(self, verifier: &Verifier) -> RegistrationVerdict {
        let result = verifier.finish_registration(self.verification);
        let policy = self.policy.as_ref().map(|(set, choice)| (&**set, choice));
        decide(result, policy, self.now)
    }
}

/// Judges `registration`, at bounded cost when the verifier can
/// ([`Verifier::begin_registration`]), else up to the costly step.
pub fn begin(verifier: &Verifier, registration: &Registration<'_>) -> RegistrationStep {
    let Registration { input, store, policy, now } = *registration;
    match verifier.begin_registration(&input, store, now) {
        VerificationStep::Done(result) => {
            RegistrationStep::Done(decide(result, policy.map(|(set, c)| (&**set, c)), now))
        }
        VerificationStep::Deferred(verification) => RegistrationStep::Deferred(Deferred {
            verification,
            policy: policy.map(|(set, choice)| (set.clone(), choice.clone())),
            now,
        }),
    }
}

/// Judges `registration` whatever it costs.
pub fn judge(verifier: &Verifier, registration: &Registration<'_>) -> RegistrationVerdict {
    match begin(verifier, registration) {
        RegistrationStep::Done(verdict) => verdict,
        RegistrationStep::Deferred(deferred) => deferred.finish(verifier),
    }
}

/// Policy kept apart from mechanism: the profiles judge the core's facts.
fn decide(
    result: AttestationResult,
    policy: Option<(&PolicySet, &ProfileChoice)>,
    now: OffsetDateTime,
) -> RegistrationVerdict {
    let facts = RegistrationFacts::from_attestation(&result, now);
    let decision = policy.map(|(set, choice)| set.decide_registration(&facts, choice));
    RegistrationVerdict { result, trust: facts.trust, decision }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::policy::{FailureCode, PolicyConfig};

    fn profiles() -> Arc<PolicySet> {
        let config: PolicyConfig = toml::from_str(
            "[[profiles]]\nname = \"attested\"\ninclude_groups = [\"g\"]\n\
             attestation_enforcement = \"registration_only\"\npasskey_types = [\"device_bound\"]\n",
        )
        .unwrap();
        Arc::new(config.build().unwrap())
    }

    /// A malformed attestation is judged at once: untrusted, and refused by a profile that
    /// enforces attestation.
    #[test]
    fn one_call_verifies_and_decides() {
        let set = profiles();
        let choice = set.choose("", vec!["g".into()]).unwrap();
        let registration = Registration {
            input: RegistrationInput {
                attestation_object: &[0xa0],
                client_data_json: b"{}",
                expectations: None,
            },
            store: None,
            policy: Some((&set, &choice)),
            now: datetime!(2026-01-01 00:00 UTC),
        };
        let RegistrationStep::Done(verdict) = begin(&Verifier::default(), &registration) else {
            panic!("a malformed object needs no slow work")
        };
        assert!(!verdict.result.trusted);
        assert_eq!(verdict.trust, AttestationTrust::Untrusted);
        let decision = verdict.decision.unwrap();
        assert!(!decision.allowed);
        assert!(decision.failure_codes().contains(&FailureCode::StatementInvalid));
        let without = Registration { policy: None, ..registration };
        assert!(judge(&Verifier::default(), &without).decision.is_none());
    }
}
