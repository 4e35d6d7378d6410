//! The fault wrapper: passes every operation to an inner backend, except the ones a
//! [`FaultRule`] aims at, which fail with EIO or ENOSPC (redb's fuzz backend, pebble's
//! `errorfs`). It also counts operations, so a sweep can aim at "operation number n".
//!
//! It also plays the other processes of a test harness: [`FaultyStorage::hold`] is a process
//! that opened a file with no sharing and keeps it open (Windows' share mode 0), so every
//! open of it for reading or writing is denied (`IoError::AccessDenied`) while lookups (its
//! length, whether it exists) still answer, as they do on Windows. Linux has no such lock, so
//! the wrapper is where the harness holds a file on every backend alike.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{IoError, IoResult, OpKind, Storage};

/// Which future operation fails, and how. One-shot: it fires once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// The kind of operation; `None` is any kind.
    pub op: Option<OpKind>,
    /// Only operations on this file, or on files under this directory; `None` is any file.
    pub path: Option<std::path::PathBuf>,
    /// How many matching operations to let pass first.
    pub after: u64,
    /// `IoError::Io` (EIO) or `IoError::NoSpace` (ENOSPC).
    pub error: IoError,
}

impl FaultRule {
    fn matches(&self, kind: OpKind, path: &Path) -> bool {
        self.op.is_none_or(|k| k == kind)
            && self.path.as_deref().is_none_or(|p| path.starts_with(p))
    }
}

#[derive(Debug, Default)]
struct Faults {
    rules: Vec<FaultRule>,
    ops: u64,
    fired: u64,
    /// Files another process holds with no sharing.
    held: BTreeSet<PathBuf>,
}

/// Wraps a backend and fails chosen operations.
#[derive(Debug)]
pub struct FaultyStorage {
    inner: Arc<dyn Storage>,
    faults: Mutex<Faults>,
}

impl FaultyStorage {
    /// Wraps `inner` with no fault armed.
    pub fn new(inner: Arc<dyn Storage>) -> FaultyStorage {
        FaultyStorage {
            inner,
            faults: Mutex::new(Faults::default()),
        }
    }

    /// Arms a rule.
    pub fn inject(&self, rule: FaultRule) {
        assert!(
            matches!(rule.error, IoError::Io | IoError::NoSpace),
            "faults are EIO or ENOSPC"
        );
        self.lock().rules.push(rule);
    }

    /// Another process opens `path` with no sharing and keeps it open until
    /// [`FaultyStorage::release_all`]: opening it (to read, write, sync, rename or delete it,
    /// or to create it anew) fails with `IoError::AccessDenied`; lookups still answer.
    pub fn hold(&self, path: &Path) {
        self.lock().held.insert(path.to_path_buf());
    }

    /// The other processes close every file they hold.
    pub fn release_all(&self) {
        self.lock().held.clear();
    }

    /// Disarms `rule` if it is still armed (it has not fired); true when it was.
    pub fn disarm(&self, rule: &FaultRule) -> bool {
        let mut f = self.lock();
        match f.rules.iter().position(|r| r == rule) {
            Some(i) => {
                f.rules.remove(i);
                true
            }
            None => false,
        }
    }

    /// Disarms every rule.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// Operations seen so far (failed ones included).
    pub fn ops(&self) -> u64 {
        self.lock().ops
    }

    /// How many faults fired so far.
    pub fn fired(&self) -> u64 {
        self.lock().fired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check(&self, kind: OpKind, path: &Path) -> IoResult<()> {
        let mut f = self.lock();
        f.ops += 1;
        if kind != OpKind::Open && f.held.contains(path) {
            return Err(IoError::AccessDenied);
        }
        let mut failure = None;
        f.rules.retain_mut(|rule| {
            if failure.is_some() || !rule.matches(kind, path) {
                return true;
            }
            if rule.after > 0 {
                rule.after -= 1;
                return true;
            }
            failure = Some(rule.error.clone());
            false
        });
        match failure {
            Some(e) => {
                f.fired += 1;
                Err(e)
            }
            None => Ok(()),
        }
    }
}

impl Storage for FaultyStorage {
    fn create(&self, path: &Path) -> IoResult<()> {
        self.check(OpKind::Create, path)?;
        self.inner.create(path)
    }
    fn create_dir_all(&self, dir: &Path) -> IoResult<()> {
        self.check(OpKind::Create, dir)?;
        self.inner.create_dir_all(dir)
    }
    fn read_at(&self, path: &Path, offset: u64, len: usize) -> IoResult<Vec<u8>> {
        self.check(OpKind::Read, path)?;
        self.inner.read_at(path, offset, len)
    }
    fn read_into(&self, path: &Path, offset: u64, buf: &mut [u8]) -> IoResult<usize> {
        self.check(OpKind::Read, path)?;
        self.inner.read_into(path, offset, buf)
    }
    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> IoResult<()> {
        self.check(OpKind::Write, path)?;
        self.inner.write_at(path, offset, data)
    }
    fn sync(&self, path: &Path) -> IoResult<()> {
        self.check(OpKind::Sync, path)?;
        self.inner.sync(path)
    }
    fn sync_dir(&self, dir: &Path) -> IoResult<()> {
        self.check(OpKind::SyncDir, dir)?;
        self.inner.sync_dir(dir)
    }
    fn rename(&self, from: &Path, to: &Path) -> IoResult<()> {
        self.check(OpKind::Rename, from)?;
        if self.lock().held.contains(to) {
            return Err(IoError::AccessDenied);
        }
        self.inner.rename(from, to)
    }
    fn delete(&self, path: &Path) -> IoResult<()> {
        self.check(OpKind::Delete, path)?;
        self.inner.delete(path)
    }
    fn len(&self, path: &Path) -> IoResult<u64> {
        self.check(OpKind::Open, path)?;
        self.inner.len(path)
    }
    fn exists(&self, path: &Path) -> IoResult<bool> {
        self.check(OpKind::Open, path)?;
        self.inner.exists(path)
    }
    fn list(&self, dir: &Path) -> IoResult<Vec<String>> {
        self.check(OpKind::Open, dir)?;
        self.inner.list(dir)
    }
    fn read_only(&self, path: &Path) -> IoResult<bool> {
        self.inner.read_only(path)
    }
    fn set_read_only(&self, path: &Path, read_only: bool) -> IoResult<()> {
        self.inner.set_read_only(path, read_only)
    }

    fn stays_inside(&self, path: &Path) -> bool {
        self.inner.stays_inside(path)
    }
}
