//! The fault wrapper: passes every operation to an inner backend, except the ones a
//! [`FaultRule`] aims at, which fail with EIO or ENOSPC (redb's fuzz backend, pebble's
//! `errorfs`). It also counts operations, so a sweep can aim at "operation number n".

use std::path::Path;
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

    fn stays_inside(&self, path: &Path) -> bool {
        self.inner.stays_inside(path)
    }
}
