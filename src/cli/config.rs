//! `mdsd config check FILE`: the config file layered with the `MDSD_*` variables and any flags
//! given, checked exactly as `serve` checks it (every file named is read), without starting
//! anything. Exit 0 when it would start, 2 with every problem listed.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mdsd::daemon::config::RawConfig;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The TOML config file to check.
    #[arg(allow_hyphen_values = true, value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub settings: RawConfig,
}

pub fn check(args: &CheckArgs) -> ExitCode {
    let config = super::serve::load(Some(&args.file), args.settings.clone());
    match config {
        Ok(config) => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "ok: {} would start", args.file.display());
            for (i, source) in config.sources.iter().enumerate() {
                let _ = writeln!(out, "BLOB source [{i}]: {source}");
            }
            for extra in &config.blob_sources {
                let urls: Vec<String> = extra.urls.iter().map(ToString::to_string).collect();
                let _ = writeln!(
                    out,
                    "further BLOB source {}: {} ({} pinned roots)",
                    extra.name,
                    urls.join(", "),
                    extra.roots.len()
                );
            }
            let _ = writeln!(out, "gRPC listen: {}", config.listen);
            for danger in config.dangers() {
                let _ = writeln!(out, "DANGER: {danger} is on");
            }
            ExitCode::SUCCESS
        }
        Err(e) => super::serve::config_error(&e),
    }
}
