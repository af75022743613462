//! The command blocks of README.md and docs/*.md run as written, so the docs cannot drift.
//!
//! The convention (for everyone writing docs):
//!
//! - ` ```sh ` — run by this test with `bash -e -o pipefail`, from the repository root, offline.
//!   Such a block must work on a fresh clone with no network: no placeholders, no `…`.
//! - ` ```sh background ` — a daemon: started in the background, the following blocks of the
//!   same file run once `mdsd health` answers SERVING, and it is stopped at the end of the file.
//! - ` ```output ` — right after a ` ```sh ` block: every line shown must appear in that block's
//!   standard output, in this order (lines not shown, such as times, may come between).
//! - ` ```console ` — commands a reader runs that this test cannot (network, other tools,
//!   installs, long-running servers): not run. ` ```text ` — synopses and sample output: not
//!   run. `bash`, `shell` and `shell-session` blocks are refused: pick one of the above.
//!
//! Where the docs say `cargo run --release --` or `target/release/mdsd`, the test runs the
//! binary under test (built by this `cargo test`), and `mdsd` is on its PATH. The daemon's
//! addresses and state directory come from `MDSD_LISTEN`, `MDSD_ADMIN_LISTEN` and
//! `MDSD_STATE_DIR` (which override a config file), set to free ports and a temporary directory
//! so that the test never collides with a daemon already running.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mdsd_test_support::free_port;

const MDSD: &str = env!("CARGO_BIN_EXE_mdsd");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    info: String,
    body: String,
    line: usize,
}

/// The fenced blocks of a Markdown text, with their info string and first line number.
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (n, line) in text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(info)) => {
                open =
                    Some(Block { info: info.trim().to_string(), body: String::new(), line: n + 1 })
            }
            (Some(_), Some(rest)) if rest.trim().is_empty() => out.extend(open.take()),
            (Some(block), _) => {
                block.body.push_str(line);
                block.body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "unclosed code block");
    out
}

struct Env {
    listen: String,
    admin: String,
    state: PathBuf,
    path: String,
}

impl Env {
    fn new() -> Env {
        let bin_dir = Path::new(MDSD).parent().unwrap();
        Env {
            listen: format!("127.0.0.1:{}", free_port()),
            admin: format!("127.0.0.1:{}", free_port()),
            state: std::env::temp_dir().join(format!("mdsd-docs-{}", free_port())),
            path: format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default()),
        }
    }

    fn command(&self, script: &str) -> Command {
        let script =
            script.replace("cargo run --release --", MDSD).replace("target/release/mdsd", MDSD);
        let mut cmd = Command::new("bash");
        cmd.args(["-e", "-o", "pipefail", "-c", &script])
            .current_dir(ROOT)
            .env("PATH", &self.path)
            .env("MDSD_LISTEN", &self.listen)
            .env("MDSD_ADMIN_LISTEN", &self.admin)
            .env("MDSD_STATE_DIR", &self.state)
            .env_remove("MDSD_LOG_FORMAT")
            .env_remove("MDSD_CONFIG");
        cmd
    }

    fn wait_serving(&self, daemon: &mut Child, at: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = daemon.try_wait().unwrap() {
                panic!("{at}: the daemon exited ({status}) before SERVING");
            }
            let out = Command::new(MDSD)
                .args(["health", "--target", &self.listen, "--timeout", "2s"])
                .output()
                .unwrap();
            if out.status.success() {
                return;
            }
            assert!(Instant::now() < deadline, "{at}: the daemon never reached SERVING");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Every line of `expected`, in order, among the lines of `actual`.
fn missing_line(expected: &str, actual: &str) -> Option<String> {
    let mut actual = actual.lines().map(str::trim_end);
    expected
        .lines()
        .map(str::trim_end)
        .find(|want| !actual.any(|got| got == *want))
        .map(str::to_string)
}

/// Runs the blocks of one Markdown file; returns how many `sh` blocks ran.
fn run_file(rel: &str) -> usize {
    let text = std::fs::read_to_string(Path::new(ROOT).join(rel)).unwrap();
    let blocks = blocks(&text);
    let env = Env::new();
    let mut daemons: Vec<Child> = Vec::new();
    let mut last_stdout: Option<(String, String)> = None;
    let mut ran = 0;
    for block in &blocks {
        let at = format!("{rel}:{}", block.line);
        match block.info.as_str() {
            "bash" | "shell" | "shell-session" | "zsh" => {
                panic!("{at}: ```{} block: use sh (run), console or text", block.info)
            }
            "sh" => {
                assert!(!block.body.contains('…'), "{at}: an elided value (…) cannot run");
                let out = env.command(&block.body).output().unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
                assert!(
                    out.status.success(),
                    "{at}: exit {:?}\n--- block\n{}--- stdout\n{stdout}--- stderr\n{}",
                    out.status.code(),
                    block.body,
                    String::from_utf8_lossy(&out.stderr)
                );
                last_stdout = Some((at, stdout));
                ran += 1;
            }
            "sh background" => {
                let mut daemon = env
                    .command(&format!("exec {}", block.body.trim()))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                env.wait_serving(&mut daemon, &at);
                daemons.push(daemon);
                last_stdout = None;
                ran += 1;
            }
            "output" => {
                let (sh_at, stdout) =
                    last_stdout.take().unwrap_or_else(|| panic!("{at}: output without a sh block"));
                if let Some(line) = missing_line(&block.body, &stdout) {
                    panic!("{at}: the output of {sh_at} lacks (in order) {line:?}:\n{stdout}");
                }
            }
            _ => last_stdout = None,
        }
    }
    for mut daemon in daemons {
        let _ = Command::new("kill").arg(daemon.id().to_string()).status();
        let _ = daemon.wait();
    }
    let _ = std::fs::remove_dir_all(&env.state);
    ran
}

#[test]
fn readme_commands_run_as_written() {
    let ran = run_file("README.md");
    // The offline first run: the daemon, health, info, a registration, lookup/list, blob verify,
    // attestation verify.
    assert!(ran >= 7, "only {ran} sh blocks ran in README.md");
}

#[test]
fn docs_commands_run_as_written() {
    let mut files: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let ran: usize = files.iter().map(|f| run_file(f)).sum();
    assert!(ran >= 1, "no sh block ran in docs/");
}

#[test]
fn the_block_reader_and_the_output_match_work() {
    let text = "x\n```sh\necho a\n```\n\n```output\na\n```\n```sh background\nd\n```\n";
    let b = blocks(text);
    assert_eq!(b.len(), 3);
    assert_eq!((b[0].info.as_str(), b[0].body.as_str(), b[0].line), ("sh", "echo a\n", 2));
    assert_eq!(b[2].info, "sh background");
    assert_eq!(missing_line("a\nc", "a\nb\nc\n"), None);
    assert_eq!(missing_line("c\na", "a\nb\nc\n"), Some("a".to_string()));
    assert_eq!(missing_line("d", "a\n"), Some("d".to_string()));
}
