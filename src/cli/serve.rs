//! `mdsd serve` (alias `mdsd run`): layers the config file, environment and flags, checks them
//! (every error at once), builds the tokio runtime — only here; the other subcommands stay
//! synchronous — and runs the daemon until SIGTERM/SIGINT.
//!
//! Exit codes: 0 clean shutdown, 1 the daemon failed, 2 the configuration is invalid.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mdsd::daemon::config::{ConfigErrors, RawConfig};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML config file (see config.example.toml); flags and MDSD_* variables override it.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: RawConfig,
}

/// The config file (if any) under the `MDSD_*` variables and flags, checked: every problem of
/// the file and of the settings at once (a setting whose file key is in error is not reported
/// twice).
pub fn load(
    file: Option<&std::path::Path>,
    flags: RawConfig,
) -> Result<mdsd::daemon::config::Config, ConfigErrors> {
    let (file, file_errors) = match file {
        Some(path) => RawConfig::from_toml_file_partial(path),
        None => (RawConfig::default(), Vec::new()),
    };
    match file.overlay(flags).check() {
        Ok(config) if file_errors.is_empty() => Ok(config),
        Ok(_) => Err(ConfigErrors { errors: file_errors }),
        Err(checked) => {
            // A key in error in the file was left at its default: its check errors would only
            // repeat the problem.
            let bad: Vec<String> = file_errors
                .iter()
                .filter_map(|e| e.split_once(": ").and_then(|(_, e)| RawConfig::error_key(e)))
                .map(str::to_string)
                .collect();
            let mut errors = file_errors;
            errors.extend(checked.errors.into_iter().filter(|e| {
                !bad.iter()
                    .any(|key| e.starts_with(&format!("{key}:")) || e.contains(&format!("{key} =")))
            }));
            Err(ConfigErrors { errors })
        }
    }
}

pub fn serve(args: ServeArgs) -> ExitCode {
    let config = match load(args.config.as_deref(), args.settings) {
        Ok(config) => config,
        Err(e) => return config_error(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(mdsd::daemon::server::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "mdsd failed");
            ExitCode::from(1)
        }
    }
}

pub fn config_error(e: &ConfigErrors) -> ExitCode {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "error: {e}");
    ExitCode::from(2)
}
