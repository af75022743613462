//! Which profiles decide a ceremony — the profile-selection rule, in one place: a caller either
//! names one profile (scope ignored) or lets the user's groups choose (scope, see the module
//! docs of [`crate::policy`]). [`PolicySet::choose`] checks a named profile exists once, up
//! front; the decisions then take the [`ProfileChoice`].

use time::OffsetDateTime;

use super::decision::{self, Ceremony, Decision, Failure, FailureCode};
use super::facts::{AuthenticationFacts, RegistrationFacts};
use super::PolicySet;
use crate::trust_store::TrustStore;

/// Which profiles decide: those a user's groups put in scope, or one profile by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChoice {
    /// The profiles the user's groups put in scope (named profiles, then the default when it
    /// applies).
    ByGroups(Vec<String>),
    /// One profile, scope ignored (the caller chose it). Build it with [`PolicySet::choose`],
    /// which checks that it exists.
    Named(String),
}

/// A named profile that is not configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no profile named {name:?}; configured: {}", configured.join(", "))]
pub struct UnknownProfile {
    pub name: String,
    /// Every configured profile name ([`PolicySet::profile_names`]).
    pub configured: Vec<String>,
}

impl PolicySet {
    /// Every profile name: the named profiles in configuration order, then the default.
    pub fn profile_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.profiles.iter().map(|p| p.name()).collect();
        names.extend(self.default.as_ref().map(|p| p.name()));
        names
    }

    /// The choice of a caller that names `profile` (empty: none) for a user in `groups`: the
    /// named profile, which must exist, else the groups decide.
    pub fn choose(
        &self,
        profile: &str,
        groups: Vec<String>,
    ) -> Result<ProfileChoice, UnknownProfile> {
        if profile.is_empty() {
            return Ok(ProfileChoice::ByGroups(groups));
        }
        if self.profile(profile).is_none() {
            return Err(UnknownProfile {
                name: profile.to_string(),
                configured: self.profile_names().into_iter().map(str::to_string).collect(),
            });
        }
        Ok(ProfileChoice::Named(profile.to_string()))
    }

    /// Decides a registration with the profiles `choice` selects.
    pub fn decide_registration(
        &self,
        facts: &RegistrationFacts,
        choice: &ProfileChoice,
    ) -> Decision {
        self.decide_with(Ceremony::Registration, choice, |p, notes| {
            decision::check_registration(p, facts, notes)
        })
    }

    /// Decides a sign-in with the profiles `choice` selects.
    pub fn decide_authentication(
        &self,
        facts: &AuthenticationFacts,
        choice: &ProfileChoice,
    ) -> Decision {
        self.decide_with(Ceremony::Authentication, choice, |p, notes| {
            decision::check_authentication(p, facts, notes)
        })
    }

    /// Decides a sign-in on what the relying party stored (`facts`) with today's metadata for
    /// the stored AAGUID attached from `store` at `now`
    /// ([`AuthenticationFacts::with_metadata_from`]).
    pub fn decide_sign_in(
        &self,
        facts: AuthenticationFacts,
        store: &TrustStore,
        choice: &ProfileChoice,
        now: OffsetDateTime,
    ) -> Decision {
        self.decide_authentication(&facts.with_metadata_from(store, now), choice)
    }

    fn decide_with(
        &self,
        ceremony: Ceremony,
        choice: &ProfileChoice,
        check: impl Fn(&super::Profile, &mut decision::Notes) -> Vec<Failure>,
    ) -> Decision {
        match choice {
            ProfileChoice::ByGroups(groups) => {
                decision::decide(self, ceremony, groups, None, check)
            }
            ProfileChoice::Named(name) => match self.profile(name) {
                Some(profile) => decision::decide(self, ceremony, &[], Some(profile), check),
                // A choice made against another set of profiles (`choose` checks the name).
                None => Decision {
                    ceremony,
                    allowed: false,
                    profile: None,
                    outcomes: Vec::new(),
                    failures: vec![Failure {
                        code: FailureCode::NoProfileInScope,
                        message: format!("no passkey profile named {name:?} is configured"),
                    }],
                    notes: Vec::new(),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attestation::Flags;
    use crate::policy::PolicyConfig;

    fn set() -> PolicySet {
        let config: PolicyConfig = toml::from_str(
            r#"
            [[profiles]]
            name = "staff"
            include_groups = ["staff"]
            passkey_types = ["device_bound"]
            [default_profile]
            name = "everyone"
            passkey_types = ["device_bound", "synced"]
            "#,
        )
        .unwrap();
        config.build().unwrap()
    }

    #[test]
    fn a_named_profile_must_exist_and_the_groups_decide_otherwise() {
        let set = set();
        assert_eq!(set.profile_names(), ["staff", "everyone"]);
        assert_eq!(set.choose("", vec!["g".into()]), Ok(ProfileChoice::ByGroups(vec!["g".into()])));
        assert_eq!(set.choose("everyone", vec![]), Ok(ProfileChoice::Named("everyone".into())));
        let err = set.choose("nope", vec![]).unwrap_err();
        assert_eq!(err.to_string(), "no profile named \"nope\"; configured: staff, everyone");
    }

    #[test]
    fn the_choice_decides_which_profiles_judge() {
        let set = set();
        // Synced (BE=1): the staff profile refuses it, the default admits it.
        let synced = AuthenticationFacts::new(None, Flags(0x1D));
        let staff = ProfileChoice::ByGroups(vec!["staff".into()]);
        assert!(!set.decide_authentication(&synced, &staff).allowed);
        let named = ProfileChoice::Named("everyone".into());
        let d = set.decide_authentication(&synced, &named);
        assert!(d.allowed);
        assert_eq!(d.profile.as_deref(), Some("everyone"));
        let elsewhere = ProfileChoice::Named("gone".into());
        let d = set.decide_authentication(&synced, &elsewhere);
        assert!(!d.allowed);
        assert_eq!(d.failure_codes(), [FailureCode::NoProfileInScope]);
    }
}
