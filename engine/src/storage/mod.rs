//! The one I/O seam. Every file operation of the engine goes through [`Storage`]; its contract
//! says what each operation guarantees about durability, in the manner of redb's
//! `StorageBackend`. Three implementations: [`OsStorage`] (the only code touching `std::fs`),
//! [`SimStorage`] (keeps written-but-unsynced bytes and directory entries apart from durable
//! ones, and can crash), and [`FaultyStorage`] (fails a chosen operation with EIO or ENOSPC).
//!
//! Paths handed to a backend are relative, already checked by `paths::EnginePath`: no root, no
//! `..`. A backend resolves them against its own root (the OS backend) or keeps them as keys
//! (the simulation).

mod fault;
mod os;
mod sim;

use std::fmt;
use std::path::Path;

pub use fault::{FaultRule, FaultyStorage};
pub use os::OsStorage;
pub use sim::SimStorage;

/// The kind of an operation, used to count operations and to aim faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    /// Looking a file up: `len`, `exists`, `list`.
    Open,
    /// Creating (or truncating) a file, or creating a directory.
    Create,
    /// Reading bytes.
    Read,
    /// Writing bytes.
    Write,
    /// Making a file's contents durable.
    Sync,
    /// Making a directory's entries durable.
    SyncDir,
    /// Renaming a file.
    Rename,
    /// Deleting a file.
    Delete,
}

impl OpKind {
    /// The word the trace contract's `InjectFault` uses (`FAULT_OPS`).
    pub const fn word(self) -> &'static str {
        match self {
            OpKind::Open => "open",
            OpKind::Create => "create",
            OpKind::Read => "read",
            OpKind::Write => "write",
            OpKind::Sync => "sync",
            OpKind::SyncDir => "sync_dir",
            OpKind::Rename => "rename",
            OpKind::Delete => "delete",
        }
    }

    /// The kind named by `word`; `any` is `None` (see [`FaultRule`]).
    pub fn from_word(word: &str) -> Option<OpKind> {
        [
            OpKind::Open,
            OpKind::Create,
            OpKind::Read,
            OpKind::Write,
            OpKind::Sync,
            OpKind::SyncDir,
            OpKind::Rename,
            OpKind::Delete,
        ]
        .into_iter()
        .find(|k| k.word() == word)
    }
}

/// Why an operation failed. Converted to a `JET_err` in exactly one place
/// (`errors::io_to_jet`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IoError {
    /// The file or directory does not exist.
    NotFound,
    /// The file already exists (exclusive create).
    AlreadyExists,
    /// EIO: the device failed.
    Io,
    /// ENOSPC: the device is full.
    NoSpace,
    /// The file cannot be opened: another process holds it with no sharing
    /// ([`FaultyStorage::hold`]), or the OS refused the permission.
    AccessDenied,
    /// The simulated machine has lost power; nothing works until `crash()`.
    PoweredOff,
    /// Anything else the OS reported, with its message.
    Other(String),
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoError::NotFound => f.write_str("no such file or directory"),
            IoError::AlreadyExists => f.write_str("file exists"),
            IoError::Io => f.write_str("I/O error (EIO)"),
            IoError::NoSpace => f.write_str("no space left on device (ENOSPC)"),
            IoError::AccessDenied => f.write_str("access denied (the file is held or protected)"),
            IoError::PoweredOff => f.write_str("the simulated machine is powered off"),
            IoError::Other(m) => f.write_str(m),
        }
    }
}

/// Result of a storage operation.
pub type IoResult<T> = Result<T, IoError>;

/// The I/O seam. All paths are relative (see the module doc). Durability contract:
///
/// - `write_at` changes a file's bytes; they survive a crash only after `sync` of that file.
/// - `create`, `rename` and `delete` change directory entries; they survive a crash only after
///   `sync_dir` of the parent directory.
/// - `create_dir_all` is durable when it returns (the OS backend fsyncs the parent of every
///   directory it created).
/// - Reads see the latest writes, durable or not.
pub trait Storage: Send + Sync + fmt::Debug {
    /// Creates `path` empty, replacing an existing file.
    fn create(&self, path: &Path) -> IoResult<()>;
    /// Creates a directory and its parents.
    fn create_dir_all(&self, dir: &Path) -> IoResult<()>;
    /// Reads up to `len` bytes at `offset` (fewer at the end of the file).
    fn read_at(&self, path: &Path, offset: u64, len: usize) -> IoResult<Vec<u8>>;
    /// Reads up to `buf.len()` bytes at `offset` into `buf`; returns how many were read (fewer
    /// at the end of the file). `read_at` without the allocation and the extra copy, for
    /// streaming reads.
    fn read_into(&self, path: &Path, offset: u64, buf: &mut [u8]) -> IoResult<usize> {
        let data = self.read_at(path, offset, buf.len())?;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }
    /// Writes `data` at `offset`, extending the file as needed.
    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> IoResult<()>;
    /// Makes the file's contents durable (fsync).
    fn sync(&self, path: &Path) -> IoResult<()>;
    /// Makes the directory's entries durable (fsync of the directory).
    fn sync_dir(&self, dir: &Path) -> IoResult<()>;
    /// Renames `from` to `to`, replacing `to`. `from` may be a directory, moved with everything
    /// below it; `to` must then be absent or an empty directory. A directory rename is durable
    /// after `sync_dir` of the parent on the OS backend; the simulated backend treats it as
    /// durable at once, as it does directory creation.
    fn rename(&self, from: &Path, to: &Path) -> IoResult<()>;
    /// Deletes a file.
    fn delete(&self, path: &Path) -> IoResult<()>;
    /// The file's length; `NotFound` when it does not exist.
    fn len(&self, path: &Path) -> IoResult<u64>;
    /// Whether a file or directory exists at `path`.
    fn exists(&self, path: &Path) -> IoResult<bool>;
    /// The names of the files directly in `dir`, sorted.
    fn list(&self, dir: &Path) -> IoResult<Vec<String>>;
    /// Whether the file has the read-only attribute (ESE's `ErrUtilPathReadOnly`): the OS
    /// backend reports its permission bits, the simulation its own flag. Neither backend
    /// refuses writes because of it (the OS would for a user other than root); the engine asks
    /// before it attaches a database for writing. Not an operation the fault wrapper counts.
    fn read_only(&self, path: &Path) -> IoResult<bool>;
    /// Sets or clears the file's read-only attribute (a test harness's `MakeReadOnly`).
    fn set_read_only(&self, path: &Path, read_only: bool) -> IoResult<()>;
    /// Whether a streaming backup should read the next chunk of a database on a worker
    /// thread while its caller writes the last one (`backup/ahead.rs`). False by default: the
    /// simulated and faulty backends keep every read on the caller's thread, in call order.
    fn reads_ahead(&self) -> bool {
        false
    }
    /// False when `path`, or the deepest part of it that exists, resolves outside the
    /// backend's root (a symbolic link that leaves it). Backends without links are always
    /// inside.
    fn stays_inside(&self, _path: &Path) -> bool {
        true
    }
}

/// Reads a whole file.
pub fn read_all(storage: &dyn Storage, path: &Path) -> IoResult<Vec<u8>> {
    let len = storage.len(path)?;
    let len = usize::try_from(len).map_err(|_| IoError::Other("file too large".into()))?;
    storage.read_at(path, 0, len)
}

/// The directory holding `path` ("" for the root).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}
