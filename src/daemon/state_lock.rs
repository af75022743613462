//! One daemon per state directory. Two processes sharing a directory would overwrite each
//! other's snapshot, remove each other's temporary files at start-up and disagree on the
//! rollback floor, so the daemon holds an exclusive advisory lock (`flock(2)`, through
//! [`File::try_lock`]) on `<state_dir>/lock` for as long as it runs. A second mdsd on the same
//! directory refuses to start ([`LockError::Held`]) and names the directory and the holder as
//! the holder recorded it (`pid`, `host`, `since`: in a container every pid is 1, the host name
//! — a pod name under Kubernetes — tells them apart).
//!
//! The kernel drops the lock when the holder exits, however it exits (a crash or SIGKILL
//! included), so a stale lock file never blocks a restart: only a live holder does.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use thiserror::Error;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// File name of the lock inside the state directory.
pub const LOCK_FILE: &str = "lock";
/// At most this much of the holder's record is read back for the error message.
const MAX_HOLDER_BYTES: u64 = 512;

/// Why the state directory could not be locked.
#[derive(Debug, Error)]
pub enum LockError {
    /// Another live process holds the lock.
    #[error(
        "state directory {dir} is in use by another mdsd ({holder}); refusing to start: two \
         daemons must not share a state directory (give each its own, e.g. an emptyDir per pod)"
    )]
    Held { dir: PathBuf, holder: String },
    /// Something other than a regular file at the lock path (a directory, FIFO, device).
    #[error("{path} is not a regular file; remove it so that mdsd can lock the state directory")]
    NotRegular { path: PathBuf },
    #[error("cannot lock {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StateLock {
    _file: File,
    path: PathBuf,
}

impl StateLock {
    /// Takes the lock on `dir/lock` without waiting, then records this process in the file.
    ///
    /// The lock is held on a read-only descriptor: an open writable file would keep the state
    /// directory's filesystem from being remounted read-only (EBUSY) while mdsd runs.
    pub fn acquire(dir: &Path) -> Result<StateLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io_err = |source| LockError::Io { path: path.clone(), source };
        // Never follow a link planted at the lock path; never make a terminal ours.
        let open = |options: &mut OpenOptions| {
            let file = options
                .custom_flags(libc::O_NOFOLLOW | libc::O_NOCTTY | libc::O_CLOEXEC)
                .open(&path)
                .map_err(|e| match e.raw_os_error() {
                    Some(libc::ELOOP) => LockError::NotRegular { path: path.clone() },
                    _ => io_err(e),
                })?;
            if !file.metadata().map_err(io_err)?.is_file() {
                return Err(LockError::NotRegular { path: path.clone() });
            }
            Ok(file)
        };
        // A state directory on a read-only filesystem (mdsd then serves without persisting)
        // can still be locked through an existing lock file.
        match open(OpenOptions::new().write(true).create(true).truncate(false).mode(0o640)) {
            Ok(file) => drop(file),
            Err(LockError::Io { source, .. })
                if source.raw_os_error() == Some(libc::EROFS) && path.is_file() => {}
            Err(e) => return Err(e),
        }
        let mut file = open(OpenOptions::new().read(true))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held { dir: dir.to_path_buf(), holder: holder(&mut file) })
            }
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let since = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
        let record = format!("pid={} host={} since={since}\n", std::process::id(), host_name());
        // The record only helps the error message of a second process: best effort.
        let recorded = open(OpenOptions::new().write(true).truncate(true))
            .and_then(|mut f| f.write_all(record.as_bytes()).map_err(io_err));
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "could not record this process in the state directory lock");
        }
        Ok(StateLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What the holder recorded, for the error message (best effort: the holder may be writing).
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.take(MAX_HOLDER_BYTES).read_to_string(&mut text);
    let text: String = text.trim().chars().filter(|c| !c.is_control()).collect();
    if text.is_empty() {
        "holder not recorded yet".to_string()
    } else {
        text
    }
}

/// The kernel's host name (the pod name under Kubernetes), or `unknown`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().chars().filter(|c| c.is_ascii_graphic()).collect::<String>())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mdsd-lock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn second_holder_is_refused_naming_dir_and_holder_until_released() {
        let dir = tempdir("second");
        let first = StateLock::acquire(&dir).unwrap();
        assert_eq!(first.path(), dir.join(LOCK_FILE));
        // flock locks belong to the open file description: a second open in this same process
        // conflicts exactly as another process would.
        let err = StateLock::acquire(&dir).unwrap_err();
        let LockError::Held { dir: named, holder } = &err else { panic!("{err:?}") };
        assert_eq!(named, &dir);
        assert!(holder.starts_with(&format!("pid={} host=", std::process::id())), "{holder}");
        assert!(err.to_string().contains(&dir.display().to_string()), "{err}");
        drop(first);
        let again = StateLock::acquire(&dir).unwrap();
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Only a read-only descriptor stays open: a writable one makes `mount -o remount,ro` of
    /// the state directory's filesystem fail with EBUSY while mdsd runs.
    #[test]
    fn the_held_descriptor_is_read_only() {
        let dir = tempdir("readonly");
        let lock = StateLock::acquire(&dir).unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&lock._file);
        let flags = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
        let flags = flags.lines().find_map(|l| l.strip_prefix("flags:")).unwrap().trim();
        let mode = i32::from_str_radix(flags, 8).unwrap() & libc::O_ACCMODE;
        assert_eq!(mode, libc::O_RDONLY, "flags {flags}");
        drop(lock);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// On a read-only filesystem (mdsd serves without persisting) an existing lock file still
    /// locks; a second holder is still refused. Needs a tmpfs (CAP_SYS_ADMIN), skipped without.
    #[test]
    fn a_read_only_state_dir_with_a_lock_file_still_locks() {
        use std::process::Command;
        let dir = tempdir("rofs");
        let mount = |args: &[&str]| {
            Command::new("mount")
                .args(args)
                .arg(&dir)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !mount(&["-t", "tmpfs", "-o", "size=64k", "tmpfs"]) {
            println!("SKIPPED: cannot mount a tmpfs here");
            return;
        }
        drop(StateLock::acquire(&dir).unwrap());
        assert!(mount(&["-o", "remount,ro"]));
        let held = StateLock::acquire(&dir);
        let second = StateLock::acquire(&dir);
        let (held_ok, second_refused) =
            (held.is_ok(), matches!(second, Err(LockError::Held { .. })));
        let report = format!("{held:?} / {second:?}");
        drop((held, second));
        let unmounted = Command::new("umount").arg(&dir).status().is_ok_and(|s| s.success());
        assert!(held_ok && second_refused, "{report}");
        assert!(unmounted);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_link_or_directory_at_the_lock_path_is_refused() {
        let dir = tempdir("link");
        std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join(LOCK_FILE)).unwrap();
        assert!(matches!(StateLock::acquire(&dir), Err(LockError::NotRegular { .. })));
        assert!(!dir.join("elsewhere").exists(), "the link was followed");
        std::fs::remove_file(dir.join(LOCK_FILE)).unwrap();
        std::fs::create_dir(dir.join(LOCK_FILE)).unwrap();
        assert!(StateLock::acquire(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
