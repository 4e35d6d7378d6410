//! The operating system backend: the only code in the engine that touches `std::fs`. Paths are
//! resolved against a root directory, so an engine on this backend never reaches outside it.
//! Open files are cached by path (positional reads and writes, `pread`/`pwrite`), and dropped
//! from the cache when the path is created, renamed or deleted.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{IoError, IoResult, Storage};

/// Files under a root directory.
#[derive(Debug)]
pub struct OsStorage {
    root: PathBuf,
    open: Mutex<BTreeMap<PathBuf, Arc<File>>>,
}

fn map_err(e: std::io::Error) -> IoError {
    match e.kind() {
        ErrorKind::NotFound => IoError::NotFound,
        ErrorKind::AlreadyExists => IoError::AlreadyExists,
        ErrorKind::StorageFull => IoError::NoSpace,
        ErrorKind::PermissionDenied => IoError::AccessDenied,
        _ if e.raw_os_error() == Some(5) => IoError::Io,
        _ if e.raw_os_error() == Some(28) => IoError::NoSpace,
        _ => IoError::Other(e.to_string()),
    }
}

impl OsStorage {
    /// A backend rooted at `root`, which must exist.
    pub fn new(root: impl Into<PathBuf>) -> OsStorage {
        OsStorage {
            root: root.into(),
            open: Mutex::new(BTreeMap::new()),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn full(&self, path: &Path) -> PathBuf {
        debug_assert!(path.is_relative(), "storage paths are relative: {path:?}");
        self.root.join(path)
    }

    fn file(&self, path: &Path) -> IoResult<Arc<File>> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(f) = open.get(path) {
            return Ok(Arc::clone(f));
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.full(path))
            .map_err(map_err)?;
        let f = Arc::new(f);
        open.insert(path.to_path_buf(), Arc::clone(&f));
        Ok(f)
    }

    fn forget(&self, path: &Path) {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(path);
    }
}

impl Storage for OsStorage {
    fn create(&self, path: &Path) -> IoResult<()> {
        self.forget(path);
        File::create(self.full(path)).map_err(map_err)?;
        Ok(())
    }

    fn create_dir_all(&self, dir: &Path) -> IoResult<()> {
        // Create, then fsync the parent of every directory that was new, so the contract's
        // "durable when it returns" holds on the real file system too.
        let missing: Vec<PathBuf> = dir
            .ancestors()
            .filter(|d| !d.as_os_str().is_empty() && !self.full(d).exists())
            .map(Path::to_path_buf)
            .collect();
        fs::create_dir_all(self.full(dir)).map_err(map_err)?;
        for d in missing.iter().rev() {
            let parent = d.parent().unwrap_or(Path::new(""));
            self.sync_dir(parent)?;
        }
        Ok(())
    }

    fn read_at(&self, path: &Path, offset: u64, len: usize) -> IoResult<Vec<u8>> {
        let mut buf = vec![0u8; len];
        let done = self.read_into(path, offset, &mut buf)?;
        buf.truncate(done);
        Ok(buf)
    }

    fn read_into(&self, path: &Path, offset: u64, buf: &mut [u8]) -> IoResult<usize> {
        let f = self.file(path)?;
        let mut done = 0;
        while done < buf.len() {
            let n = f
                .read_at(&mut buf[done..], offset + done as u64)
                .map_err(map_err)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> IoResult<()> {
        self.file(path)?.write_all_at(data, offset).map_err(map_err)
    }

    fn sync(&self, path: &Path) -> IoResult<()> {
        self.file(path)?.sync_data().map_err(map_err)
    }

    fn sync_dir(&self, dir: &Path) -> IoResult<()> {
        File::open(self.full(dir))
            .and_then(|d| d.sync_all())
            .map_err(map_err)
    }

    fn rename(&self, from: &Path, to: &Path) -> IoResult<()> {
        // A directory rename moves every file below it: forget their cached handles too.
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|p, _| !p.starts_with(from) && !p.starts_with(to));
        fs::rename(self.full(from), self.full(to)).map_err(map_err)
    }

    fn delete(&self, path: &Path) -> IoResult<()> {
        self.forget(path);
        fs::remove_file(self.full(path)).map_err(map_err)
    }

    fn len(&self, path: &Path) -> IoResult<u64> {
        let meta = fs::metadata(self.full(path)).map_err(map_err)?;
        if meta.is_dir() {
            return Err(IoError::Other(format!("{} is a directory", path.display())));
        }
        Ok(meta.len())
    }

    fn exists(&self, path: &Path) -> IoResult<bool> {
        match fs::metadata(self.full(path)) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(map_err(e)),
        }
    }

    fn list(&self, dir: &Path) -> IoResult<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(self.full(dir)).map_err(map_err)? {
            let entry = entry.map_err(map_err)?;
            if entry.file_type().map_err(map_err)?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn read_only(&self, path: &Path) -> IoResult<bool> {
        let meta = fs::metadata(self.full(path)).map_err(map_err)?;
        Ok(meta.permissions().readonly())
    }

    fn set_read_only(&self, path: &Path, read_only: bool) -> IoResult<()> {
        let full = self.full(path);
        let mut permissions = fs::metadata(&full).map_err(map_err)?.permissions();
        permissions.set_readonly(read_only);
        fs::set_permissions(&full, permissions).map_err(map_err)
    }

    fn reads_ahead(&self) -> bool {
        true
    }

    fn stays_inside(&self, path: &Path) -> bool {
        let Ok(root) = fs::canonicalize(&self.root) else {
            return false;
        };
        let full = self.full(path);
        let dangling = |p: &Path| {
            fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
                && fs::canonicalize(p).is_err()
        };
        if full.ancestors().any(dangling) {
            return false; // a link to a place that does not exist yet, maybe outside
        }
        match full.ancestors().find_map(|p| fs::canonicalize(p).ok()) {
            Some(real) => real.starts_with(&root),
            None => false,
        }
    }
}
