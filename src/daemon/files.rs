//! Reading the files the daemon keeps (the snapshot, the CRL cache) and the files the operator
//! gives it (roots, CRLs, anchors, TLS material, the token file, a file BLOB source): regular
//! files only, opened without blocking, read up to a size cap.
//!
//! A FIFO, a device, a socket or a directory planted where a file is expected would otherwise
//! block the reader for ever (a FIFO's `open` waits for a writer) or feed it endless bytes. The
//! path is first looked at with `stat` (so a device is never opened), then opened with
//! `O_NONBLOCK | O_NOCTTY` (`O_NOFOLLOW` too for files in the state directory, which mdsd writes
//! itself and which are never symbolic links), and the *opened* handle is checked again with
//! `fstat`: what is read is the file that was checked, with no check-then-open race.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use thiserror::Error;

/// Whether the last component of the path may be a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symlinks {
    /// Operator files: Kubernetes ConfigMaps and Secrets are mounted as symbolic links.
    Follow,
    /// Files in the state directory: mdsd writes them itself (temporary file + rename), so a
    /// link there was planted by someone else.
    Refuse,
}

/// What a path is when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Directory,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Symlink,
    /// Some other type the platform knows.
    Other,
}

impl FileKind {
    /// `None` for a regular file.
    pub fn of(file_type: std::fs::FileType) -> Option<FileKind> {
        let kind = if file_type.is_file() {
            return None;
        } else if file_type.is_dir() {
            FileKind::Directory
        } else if file_type.is_fifo() {
            FileKind::Fifo
        } else if file_type.is_socket() {
            FileKind::Socket
        } else if file_type.is_char_device() {
            FileKind::CharDevice
        } else if file_type.is_block_device() {
            FileKind::BlockDevice
        } else if file_type.is_symlink() {
            FileKind::Symlink
        } else {
            FileKind::Other
        };
        Some(kind)
    }

    /// A short stable name for logs and metrics: `directory`, `fifo`, `socket`, `char_device`,
    /// `block_device`, `symlink`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Directory => "directory",
            FileKind::Fifo => "fifo",
            FileKind::Socket => "socket",
            FileKind::CharDevice => "char_device",
            FileKind::BlockDevice => "block_device",
            FileKind::Symlink => "symlink",
            FileKind::Other => "other",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Symlink => "a symbolic link",
            FileKind::Other => "not a regular file",
        })
    }
}

/// Why a file could not be read. The path is not included: callers name it (and the setting it
/// came from) in their own message.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(io::Error),
    /// Refused without reading (and, unless it changed under us, without opening).
    #[error("is {0}, not a regular file; refused")]
    NotRegular(FileKind),
    #[error("larger than {max} bytes")]
    TooLarge { max: u64 },
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

impl From<ReadError> for io::Error {
    fn from(e: ReadError) -> io::Error {
        match e {
            ReadError::Io(e) => e,
            other @ ReadError::TooLarge { .. } => {
                io::Error::new(io::ErrorKind::InvalidData, other.to_string())
            }
            other @ ReadError::NotRegular(_) => {
                io::Error::new(io::ErrorKind::InvalidInput, other.to_string())
            }
        }
    }
}

/// Opens `path` for reading if it is a regular file, without blocking on it (see the module
/// docs); the returned handle has been checked with `fstat`.
pub fn open_regular(path: &Path, symlinks: Symlinks) -> Result<File, ReadError> {
    // A first look, so that a device or a FIFO is refused without being opened at all.
    let seen = match symlinks {
        Symlinks::Follow => std::fs::metadata(path),
        Symlinks::Refuse => std::fs::symlink_metadata(path),
    }
    .map_err(ReadError::Io)?;
    if let Some(kind) = FileKind::of(seen.file_type()) {
        return Err(ReadError::NotRegular(kind));
    }
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
    if symlinks == Symlinks::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match OpenOptions::new().read(true).custom_flags(flags).open(path) {
        Ok(file) => file,
        // O_NOFOLLOW on a link that replaced the file since the first look.
        Err(e) if symlinks == Symlinks::Refuse && e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(ReadError::NotRegular(FileKind::Symlink));
        }
        Err(e) => return Err(ReadError::Io(e)),
    };
    // The authoritative check, on what was opened.
    let opened = file.metadata().map_err(ReadError::Io)?;
    match FileKind::of(opened.file_type()) {
        None => Ok(file),
        Some(kind) => Err(ReadError::NotRegular(kind)),
    }
}

/// Reads a regular file of at most `max` bytes in one pass into a buffer sized from its
/// metadata (no regrowth copies).
pub fn read_regular(path: &Path, max: u64, symlinks: Symlinks) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path, symlinks)?;
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
    if hint > max {
        return Err(ReadError::TooLarge { max });
    }
    // One more byte than the file, so that reaching its end needs no regrowth.
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).saturating_add(1));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { max });
    }
    Ok(bytes)
}

/// Helpers for the tests of the modules that read files.
#[cfg(test)]
pub(crate) mod test_support {
    use std::path::Path;
    use std::sync::mpsc;
    use std::time::Duration;

    pub(crate) fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
        assert!(status.success(), "mkfifo {}", path.display());
    }

    /// Runs `f` on a thread and fails the test if it does not return within 10 s (a read that
    /// blocks on a FIFO never would).
    pub(crate) fn within_10s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(10)).expect("blocked: did not return within 10 s")
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{mkfifo, within_10s};
    use super::*;
    use std::path::PathBuf;

    fn tempdir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mdsd-files-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn regular_file_is_read_whole_and_capped() {
        let dir = tempdir("regular");
        let path = dir.join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        for symlinks in [Symlinks::Follow, Symlinks::Refuse] {
            assert_eq!(read_regular(&path, 10, symlinks).unwrap(), b"0123456789");
            assert!(matches!(
                read_regular(&path, 9, symlinks),
                Err(ReadError::TooLarge { max: 9 })
            ));
        }
        assert!(read_regular(&dir.join("missing"), 10, Symlinks::Follow)
            .unwrap_err()
            .is_not_found());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A FIFO nobody writes: refused at once, never waited on (the open of a FIFO for reading
    /// blocks until a writer appears).
    #[test]
    fn fifo_is_refused_without_blocking() {
        let dir = tempdir("fifo");
        let path = dir.join("pipe");
        mkfifo(&path);
        for symlinks in [Symlinks::Follow, Symlinks::Refuse] {
            let p = path.clone();
            let result = within_10s(move || read_regular(&p, 1024, symlinks));
            assert!(matches!(result, Err(ReadError::NotRegular(FileKind::Fifo))), "{result:?}");
        }
        let err = within_10s(move || read_regular(&path, 1024, Symlinks::Follow)).unwrap_err();
        assert_eq!(err.to_string(), "is a FIFO (named pipe), not a regular file; refused");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn directory_device_and_socket_are_refused() {
        let dir = tempdir("kinds");
        assert!(matches!(
            read_regular(&dir, 1024, Symlinks::Follow),
            Err(ReadError::NotRegular(FileKind::Directory))
        ));
        // /dev/zero would feed the reader for ever (up to the cap).
        assert!(matches!(
            read_regular(Path::new("/dev/zero"), 1024, Symlinks::Follow),
            Err(ReadError::NotRegular(FileKind::CharDevice))
        ));
        let socket = dir.join("s.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        assert!(matches!(
            read_regular(&socket, 1024, Symlinks::Follow),
            Err(ReadError::NotRegular(FileKind::Socket))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Operator files may be links (Kubernetes mounts); state-directory files may not, and a
    /// link to a FIFO is refused either way.
    #[test]
    fn symlinks_follow_or_refuse() {
        let dir = tempdir("links");
        let target = dir.join("target");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(read_regular(&link, 8, Symlinks::Follow).unwrap(), b"x");
        assert!(matches!(
            read_regular(&link, 8, Symlinks::Refuse),
            Err(ReadError::NotRegular(FileKind::Symlink))
        ));
        let pipe = dir.join("pipe");
        mkfifo(&pipe);
        let to_pipe = dir.join("to-pipe");
        std::os::unix::fs::symlink(&pipe, &to_pipe).unwrap();
        let result = within_10s(move || read_regular(&to_pipe, 8, Symlinks::Follow));
        assert!(matches!(result, Err(ReadError::NotRegular(FileKind::Fifo))), "{result:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
