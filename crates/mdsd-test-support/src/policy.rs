//! Passkey-profile configurations shared by the daemon's tests and benches.

/// The README's Entra-like set-up as a `[policy]` TOML section (`data/two_profiles.toml`):
/// admins need an attested device-bound passkey at registration; staff may use device-bound or
/// synced passkeys. Parse it with `mdsd::daemon::config::RawConfig::from_toml_str`.
pub const TWO_PROFILES_TOML: &str = include_str!("../data/two_profiles.toml");
