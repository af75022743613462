//! Reloading the passkey profiles (`[policy]`) without a restart: on SIGHUP and when the config
//! file changes (polled: mtime and size every few seconds, then SHA-256 of the bytes). The new
//! [`PolicySet`] replaces the old one whole (an `Arc` swap: a request in flight keeps the set it
//! started with); an invalid file keeps the old set, is logged at ERROR with every error, counted
//! in `mdsd_policy_reload_total{outcome="error"}` and shown in GetMetadataInfo. Only `[policy]`
//! is applied: every other setting needs a restart (the whole file is still parsed, so a typo
//! anywhere refuses the reload rather than being ignored).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use time::OffsetDateTime;

use super::config::{changed_settings, settings_table, RawConfig};
use super::metrics::Metrics;
use crate::policy::PolicySet;

/// How often the config file is looked at.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(2);
/// Largest config file read (as at start-up).
const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

/// A parsed `[policy]`: `Ok(None)` when the bytes are those in force; `Err` with every error.
type ParseResult = Result<Option<PolicySet>, Vec<String>>;

/// What one reload attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// New profiles are in force (generation bumped).
    Reloaded { generation: u64 },
    /// The file's bytes are those of the profiles in force: nothing to do.
    Unchanged,
    /// The new file was refused; the old profiles stay. Every error, one per item.
    Failed(Vec<String>),
    /// The daemon has no config file to reload from.
    NoFile,
}

/// The reload state reported by GetMetadataInfo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyStatus {
    /// Lowercase hex SHA-256 of the file the profiles in force came from.
    pub sha256: Option<String>,
    /// 1 at start-up, +1 per successful reload.
    pub generation: u64,
    pub loaded_at: Option<OffsetDateTime>,
    /// Every error of the last attempt, joined by newlines; `None` after a success.
    pub last_error: Option<String>,
    pub last_reload_at: Option<OffsetDateTime>,
    /// SHA-256 of the last file bytes looked at (successful or not), to not retry a refused file
    /// on every poll.
    last_seen: Option<[u8; 32]>,
}

/// The profiles in force, swapped whole on reload.
#[derive(Debug)]
pub struct PolicyHolder {
    current: ArcSwapOption<PolicySet>,
    status: Mutex<PolicyStatus>,
    config_file: Option<PathBuf>,
    metrics: Arc<Metrics>,
    /// The file's settings other than `[policy]` as last seen: a change to them needs a
    /// restart, and is logged as such when a reload sees it.
    settings: Mutex<Option<toml::Table>>,
}

impl PolicyHolder {
    /// `initial`: the profiles checked at start-up from `config_file` (if any).
    pub fn new(
        initial: Option<Arc<PolicySet>>,
        config_file: Option<PathBuf>,
        metrics: Arc<Metrics>,
    ) -> PolicyHolder {
        // The digest of the file as it is now: close enough to the bytes read at start-up (a
        // change in between is caught by the next SIGHUP or poll only if the bytes differ again;
        // see docs/policy.md).
        let bytes = config_file.as_deref().and_then(|p| read_file(p).ok());
        let digest = bytes.as_deref().map(sha256);
        let settings =
            bytes.as_deref().and_then(|b| std::str::from_utf8(b).ok()).and_then(settings_table);
        let status = PolicyStatus {
            sha256: if initial.is_some() { digest.map(hex::encode) } else { None },
            generation: u64::from(initial.is_some()),
            loaded_at: initial.as_ref().map(|_| OffsetDateTime::now_utc()),
            last_error: None,
            last_reload_at: None,
            last_seen: digest,
        };
        PolicyHolder {
            current: ArcSwapOption::new(initial),
            status: Mutex::new(status),
            config_file,
            metrics,
            settings: Mutex::new(settings),
        }
    }

    /// Logs each setting outside `[policy]` that changed since last seen: it is not applied
    /// until a restart.
    fn log_restart_needed(&self, path: &Path, text: &str) {
        let Some(now) = settings_table(text) else { return };
        let Ok(mut seen) = self.settings.lock() else { return };
        if let Some(before) = seen.as_ref() {
            for key in changed_settings(before, &now) {
                tracing::warn!(%key, file = %path.display(),
                    "setting changed in the config file; it takes effect only after a restart \
                     (only [policy] is reloaded in place)");
            }
        }
        *seen = Some(now);
    }

    /// The profiles in force (`None`: no `[policy]`).
    pub fn current(&self) -> Option<Arc<PolicySet>> {
        self.current.load_full()
    }

    pub fn status(&self) -> PolicyStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// Re-reads the config file now (SIGHUP). Blocking file I/O: call from a blocking context
    /// or accept a short stall (the file is at most 1 MiB).
    pub fn reload(&self) -> ReloadOutcome {
        let Some(path) = self.config_file.clone() else {
            return ReloadOutcome::NoFile;
        };
        let outcome = match read_file(&path) {
            Err(e) => (None, Err(vec![format!("config file {}: {e}", path.display())])),
            Ok(bytes) => {
                let digest = sha256(&bytes);
                (Some(digest), self.parse(&path, &bytes, digest))
            }
        };
        self.apply(outcome)
    }

    /// Reloads only when the file's bytes differ from the last ones looked at (file watch).
    fn reload_if_changed(&self) -> Option<ReloadOutcome> {
        let path = self.config_file.clone()?;
        let bytes = match read_file(&path) {
            Ok(b) => b,
            // A file being replaced may be briefly missing: the next poll sees it.
            Err(e) => {
                tracing::debug!(file = %path.display(), error = %e, "config file not readable");
                return None;
            }
        };
        let digest = sha256(&bytes);
        if self.status.lock().ok()?.last_seen == Some(digest) {
            return None;
        }
        let result = self.parse(&path, &bytes, digest);
        Some(self.apply((Some(digest), result)))
    }

    fn parse(&self, path: &Path, bytes: &[u8], digest: [u8; 32]) -> ParseResult {
        if self.status().sha256.as_deref() == Some(hex::encode(digest).as_str()) {
            return Ok(None);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| vec![format!("config file {}: not UTF-8", path.display())])?;
        self.log_restart_needed(path, text);
        let raw = RawConfig::from_toml_str(text)
            .map_err(|e| vec![format!("config file {}: {e}", path.display())])?;
        let Some(policy) = raw.policy else {
            return Err(vec![format!(
                "config file {}: no [policy] section (removing the profiles needs a restart)",
                path.display()
            )]);
        };
        policy.build().map(Some).map_err(|e| e.0.iter().map(|e| format!("policy: {e}")).collect())
    }

    /// Installs (or refuses) a parse result, records status, metric and log.
    fn apply(&self, (digest, result): (Option<[u8; 32]>, ParseResult)) -> ReloadOutcome {
        let now = OffsetDateTime::now_utc();
        let Ok(mut status) = self.status.lock() else {
            return ReloadOutcome::Failed(vec!["policy status lock poisoned".into()]);
        };
        status.last_reload_at = Some(now);
        if digest.is_some() {
            status.last_seen = digest;
        }
        let outcome = match result {
            Ok(None) => {
                status.last_error = None;
                ReloadOutcome::Unchanged
            }
            Ok(Some(set)) => {
                let names: Vec<String> = set.profiles().iter().map(|p| p.name().into()).collect();
                self.current.store(Some(Arc::new(set)));
                status.generation = status.generation.saturating_add(1);
                status.sha256 = digest.map(hex::encode);
                status.loaded_at = Some(now);
                status.last_error = None;
                let profiles = names.join(", ");
                tracing::info!(generation = status.generation, %profiles,
                    sha256 = status.sha256.as_deref().unwrap_or(""), "passkey profiles reloaded");
                ReloadOutcome::Reloaded { generation: status.generation }
            }
            Err(errors) => {
                for error in &errors {
                    tracing::error!(%error, "policy reload refused; the old profiles stay in force");
                }
                status.last_error = Some(errors.join("\n"));
                ReloadOutcome::Failed(errors)
            }
        };
        self.metrics.policy_reload(match &outcome {
            ReloadOutcome::Reloaded { .. } => "success",
            ReloadOutcome::Unchanged | ReloadOutcome::NoFile => "unchanged",
            ReloadOutcome::Failed(_) => "error",
        });
        outcome
    }
}

/// Polls the config file every `interval` (mtime and size first, then the bytes' digest) and
/// reloads when it changed, until `stop` completes.
pub async fn watch_file(
    holder: Arc<PolicyHolder>,
    interval: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let Some(path) = holder.config_file().map(Path::to_path_buf) else { return };
    let stamp = |p: &Path| -> Option<(SystemTime, u64)> {
        let m = std::fs::metadata(p).ok()?;
        Some((m.modified().ok()?, m.len()))
    };
    let mut last = stamp(&path);
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = &mut stop => return,
        }
        let now = stamp(&path);
        if now == last {
            continue;
        }
        last = now;
        let h = holder.clone();
        let _ = tokio::task::spawn_blocking(move || h.reload_if_changed()).await;
    }
}

fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    super::config::read_capped(path, MAX_CONFIG_FILE_BYTES)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    super::state::blob_digest(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[[policy.profiles]]\nname = \"a\"\ninclude_groups = [\"g\"]\n\
                        passkey_types = [\"synced\"]\n";
    const OTHER: &str = "[[policy.profiles]]\nname = \"b\"\ninclude_groups = [\"g\"]\n\
                         passkey_types = [\"synced\"]\n";

    fn holder(name: &str, text: &str) -> (PolicyHolder, PathBuf) {
        let path = std::env::temp_dir().join(format!("mdsd-reload-{name}-{}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let initial = RawConfig::from_toml_str(text).unwrap().policy.unwrap().build().unwrap();
        let h = PolicyHolder::new(
            Some(Arc::new(initial)),
            Some(path.clone()),
            Arc::new(Metrics::new()),
        );
        (h, path)
    }

    fn names(h: &PolicyHolder) -> Vec<String> {
        h.current().unwrap().profiles().iter().map(|p| p.name().to_string()).collect()
    }

    #[test]
    fn valid_change_swaps_invalid_keeps_old_and_reports() {
        let (h, path) = holder("swap", GOOD);
        assert_eq!(h.status().generation, 1);
        assert_eq!(h.reload(), ReloadOutcome::Unchanged);
        std::fs::write(&path, OTHER).unwrap();
        assert_eq!(h.reload(), ReloadOutcome::Reloaded { generation: 2 });
        assert_eq!(names(&h), ["b"]);
        // Two errors at once (unknown passkey type and an empty name): both reported.
        std::fs::write(
            &path,
            "[[policy.profiles]]\nname = \"\"\ninclude_groups = [\"g\"]\npasskey_types = []\n",
        )
        .unwrap();
        let ReloadOutcome::Failed(errors) = h.reload() else { panic!() };
        assert!(!errors.is_empty());
        assert_eq!(names(&h), ["b"], "old profiles kept");
        let status = h.status();
        assert_eq!(status.generation, 2);
        assert_eq!(status.last_error.as_deref(), Some(errors.join("\n").as_str()));
        // A TOML typo elsewhere refuses the reload too.
        std::fs::write(&path, format!("{OTHER}\nlistn = \"x\"\n")).unwrap();
        assert!(matches!(h.reload(), ReloadOutcome::Failed(_)));
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\n").unwrap();
        let ReloadOutcome::Failed(e) = h.reload() else { panic!() };
        assert!(e[0].contains("no [policy]"), "{e:?}");
        std::fs::write(&path, GOOD).unwrap();
        assert_eq!(h.reload(), ReloadOutcome::Reloaded { generation: 3 });
        assert_eq!(h.status().last_error, None);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn reload_if_changed_skips_bytes_already_seen() {
        let (h, path) = holder("seen", GOOD);
        assert_eq!(h.reload_if_changed(), None);
        std::fs::write(&path, "nonsense = [").unwrap();
        assert!(matches!(h.reload_if_changed(), Some(ReloadOutcome::Failed(_))));
        // The refused bytes are not retried on every poll.
        assert_eq!(h.reload_if_changed(), None);
        std::fs::write(&path, OTHER).unwrap();
        assert_eq!(h.reload_if_changed(), Some(ReloadOutcome::Reloaded { generation: 2 }));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn no_file_is_reported() {
        let h = PolicyHolder::new(None, None, Arc::new(Metrics::new()));
        assert_eq!(h.reload(), ReloadOutcome::NoFile);
        assert!(h.current().is_none());
    }
}
