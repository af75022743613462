//! Which settings of a re-read config file need a restart: every top-level key but `[policy]`
//! (the only section reloaded in place), compared with the file as it was at start-up.

/// The settings of a config file's text (its top-level keys without `policy`); `None` when the
/// text is not TOML.
pub fn settings_table(text: &str) -> Option<toml::Table> {
    let mut table: toml::Table = text.parse().ok()?;
    table.remove("policy");
    Some(table)
}

/// The keys whose value differs between `before` and `after` (set, changed or removed),
/// sorted.
pub fn changed_settings(before: &toml::Table, after: &toml::Table) -> Vec<String> {
    let mut keys: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(k.as_str()) != after.get(k.as_str()))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_changed_non_policy_keys_need_a_restart() {
        let before = settings_table(
            "listen = \"127.0.0.1:1\"\nretry_min = \"1m\"\nstale_grace = \"7d\"\n\
             [policy.default_profile]\npasskey_types = [\"synced\"]\n",
        )
        .unwrap();
        let after = settings_table(
            "listen = \"127.0.0.1:2\"\nstale_grace = \"7d\"\ncrl_mirror = \"/srv/crl\"\n\
             [policy.default_profile]\npasskey_types = [\"device_bound\"]\n",
        )
        .unwrap();
        assert_eq!(changed_settings(&before, &after), ["crl_mirror", "listen", "retry_min"]);
        assert!(changed_settings(&before, &before).is_empty());
        assert!(settings_table("not = toml = at all").is_none());
    }
}
