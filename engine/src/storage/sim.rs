//! The simulated backend: an in-memory file system that keeps what was written apart from what
//! was made durable, like turmoil's file system or pebble's `vfs.NewCrashableMem`.
//!
//! A file's bytes live in an inode with two copies: `data` (what reads see) and `durable` (what
//! survives a crash, updated by `sync`). Directory entries likewise: `names` (what lookups see)
//! and `durable_names` (updated for one directory by `sync_dir`). [`SimStorage::crash`] drops
//! everything not durable. Every `sync` and `sync_dir` is a *durability point*; the machine can
//! be set to lose power right after the nth one, after which every operation fails until
//! `crash()` brings it back. Directories are durable once created (the documented assumption).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::{IoError, IoResult, Storage, parent_dir};

#[derive(Debug, Default, Clone)]
struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
    /// Writes since the last sync, in order: what a torn crash may keep part of.
    pending: Vec<(usize, Vec<u8>)>,
    /// The read-only attribute: metadata, durable when set (like a directory).
    read_only: bool,
}

#[derive(Debug, Default)]
struct SimState {
    inodes: BTreeMap<u64, Inode>,
    names: BTreeMap<PathBuf, u64>,
    durable_names: BTreeMap<PathBuf, u64>,
    dirs: BTreeSet<PathBuf>,
    next_inode: u64,
    durability_points: u64,
    power_off_after: Option<u64>,
    writes: u64,
    power_off_after_write: Option<u64>,
    powered_off: bool,
}

/// An in-memory file system that can crash. Cheap to create; share it with `Arc`.
#[derive(Debug, Default)]
pub struct SimStorage {
    state: Mutex<SimState>,
}

impl SimStorage {
    /// An empty file system (the root directory exists).
    pub fn new() -> SimStorage {
        let sim = SimStorage::default();
        sim.lock().dirs.insert(PathBuf::new());
        sim
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Power loss: every write and directory change not made durable is lost, and the machine
    /// comes back on.
    pub fn crash(&self) {
        self.crash_keeping(|_, _| 0);
    }

    /// Power loss on a disk that reorders and tears writes: of the writes not made durable,
    /// each independently lands whole, lands as a prefix, or is lost, as chosen by a generator
    /// seeded with `seed`. Directory changes not made durable are lost.
    pub fn crash_torn(&self, seed: u64) {
        let mut x = seed | 1;
        self.crash_keeping(move |_, len| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 3 {
                0 => 0,
                1 => len,
                _ => (x >> 8) as usize % (len + 1),
            }
        });
    }

    /// `keep(write number, length)` says how many leading bytes of each pending write land.
    fn crash_keeping(&self, mut keep: impl FnMut(usize, usize) -> usize) {
        let mut s = self.lock();
        s.names = s.durable_names.clone();
        let live: BTreeSet<u64> = s.names.values().copied().collect();
        s.inodes.retain(|id, _| live.contains(id));
        for inode in s.inodes.values_mut() {
            let mut data = inode.durable.clone();
            for (i, (offset, bytes)) in inode.pending.iter().enumerate() {
                let n = keep(i, bytes.len()).min(bytes.len());
                if n > 0 {
                    if data.len() < offset + n {
                        data.resize(offset + n, 0);
                    }
                    data[*offset..offset + n].copy_from_slice(&bytes[..n]);
                }
            }
            inode.data = data.clone();
            inode.durable = data;
            inode.pending.clear();
        }
        s.powered_off = false;
        s.power_off_after = None;
        s.power_off_after_write = None;
    }

    /// Loses power right after write number `n` (1-based, counted from now) reached the
    /// device's cache: that write is pending, every later operation fails.
    pub fn power_off_after_writes(&self, n: u64) {
        let mut s = self.lock();
        s.power_off_after_write = Some(s.writes + n);
    }

    /// How many `write_at` calls have completed so far.
    pub fn writes(&self) -> u64 {
        self.lock().writes
    }

    /// Loses power right after durability point number `n` (1-based, counted from now): that
    /// sync completes, every later operation fails with [`IoError::PoweredOff`].
    pub fn power_off_after_durability_points(&self, n: u64) {
        let mut s = self.lock();
        s.power_off_after = Some(s.durability_points + n);
    }

    /// How many durability points (`sync`, `sync_dir`) have completed so far.
    pub fn durability_points(&self) -> u64 {
        self.lock().durability_points
    }

    /// True once the machine lost power (and before `crash()`).
    pub fn is_powered_off(&self) -> bool {
        self.lock().powered_off
    }

    /// Bytes that would survive a crash now (for tests).
    pub fn durable_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let s = self.lock();
        let id = s.durable_names.get(path)?;
        s.inodes.get(id).map(|i| i.durable.clone())
    }
}

impl SimState {
    fn check_power(&self) -> IoResult<()> {
        if self.powered_off {
            Err(IoError::PoweredOff)
        } else {
            Ok(())
        }
    }

    fn durability_point(&mut self) {
        self.durability_points += 1;
        if self.power_off_after == Some(self.durability_points) {
            self.powered_off = true;
        }
    }

    fn inode(&mut self, path: &Path) -> IoResult<&mut Inode> {
        let id = *self.names.get(path).ok_or(IoError::NotFound)?;
        Ok(self
            .inodes
            .get_mut(&id)
            .expect("every name points at a live inode"))
    }

    /// Moves directory `from` and everything below it to `to` (absent or an empty
    /// directory), in both the visible and the durable entries (see `Storage::rename`).
    fn rename_dir(&mut self, from: &Path, to: &Path) -> IoResult<()> {
        if to.starts_with(from) || self.names.contains_key(to) {
            return Err(IoError::Other(format!(
                "cannot move {} to {}",
                from.display(),
                to.display()
            )));
        }
        let below = |p: &Path| p.starts_with(to) && p != to;
        if self.names.keys().any(|p| below(p)) || self.dirs.iter().any(|p| below(p)) {
            return Err(IoError::Other(format!("{} is not empty", to.display())));
        }
        let moved = |p: &Path| to.join(p.strip_prefix(from).expect("below from"));
        for names in [&mut self.names, &mut self.durable_names] {
            let keys: Vec<PathBuf> = names
                .keys()
                .filter(|p| p.starts_with(from))
                .cloned()
                .collect();
            for k in keys {
                let id = names.remove(&k).expect("listed above");
                names.insert(moved(&k), id);
            }
        }
        let dirs: Vec<PathBuf> = self
            .dirs
            .iter()
            .filter(|p| p.starts_with(from))
            .cloned()
            .collect();
        for d in dirs {
            self.dirs.remove(&d);
            self.dirs.insert(moved(&d));
        }
        Ok(())
    }

    fn check_parent(&self, path: &Path) -> IoResult<()> {
        if self.dirs.contains(parent_dir(path)) {
            Ok(())
        } else {
            Err(IoError::NotFound)
        }
    }
}

impl Storage for SimStorage {
    fn create(&self, path: &Path) -> IoResult<()> {
        let mut s = self.lock();
        s.check_power()?;
        s.check_parent(path)?;
        let id = s.next_inode;
        s.next_inode += 1;
        s.inodes.insert(id, Inode::default());
        s.names.insert(path.to_path_buf(), id);
        Ok(())
    }

    fn create_dir_all(&self, dir: &Path) -> IoResult<()> {
        let mut s = self.lock();
        s.check_power()?;
        for ancestor in dir.ancestors() {
            s.dirs.insert(ancestor.to_path_buf());
        }
        Ok(())
    }

    fn read_at(&self, path: &Path, offset: u64, len: usize) -> IoResult<Vec<u8>> {
        let mut s = self.lock();
        s.check_power()?;
        let data = &s.inode(path)?.data;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let end = start.saturating_add(len).min(data.len());
        Ok(data[start..end].to_vec())
    }

    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> IoResult<()> {
        let mut s = self.lock();
        s.check_power()?;
        let inode = s.inode(path)?;
        let start = usize::try_from(offset).map_err(|_| IoError::NoSpace)?;
        let end = start + data.len();
        if inode.data.len() < end {
            inode.data.resize(end, 0);
        }
        inode.data[start..end].copy_from_slice(data);
        inode.pending.push((start, data.to_vec()));
        s.writes += 1;
        if s.power_off_after_write == Some(s.writes) {
            s.powered_off = true;
        }
        Ok(())
    }

    fn sync(&self, path: &Path) -> IoResult<()> {
        let mut s = self.lock();
        s.check_power()?;
        let inode = s.inode(path)?;
        inode.durable = inode.data.clone();
        inode.pending.clear();
        s.durability_point();
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> IoResult<()> {
        let mut s = self.lock();
        s.check_power()?;
        if !s.dirs.contains(dir) {
            return Err(IoError::NotFound);
        }
        let in_dir = |p: &Path| parent_dir(p) == dir;
        let current: Vec<(PathBuf, u64)> = s
            .names
            .iter()
            .filter(|(p, _)| in_dir(p))
            .map(|(p, id)| (p.clone(), *id))
            .collect();
        s.durable_names.retain(|p, _| !in_dir(p));
        s.durable_names.extend(current);
        s.durability_point();
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> IoResult<()> {
        let mut s = self.lock();
        s.check_power()?;
        s.check_parent(to)?;
        if s.dirs.contains(from) && !from.as_os_str().is_empty() {
            return s.rename_dir(from, to);
        }
        let id = s.names.remove(from).ok_or(IoError::NotFound)?;
        s.names.insert(to.to_path_buf(), id);
        Ok(())
    }

    fn delete(&self, path: &Path) -> IoResult<()> {
        let mut s = self.lock();
        s.check_power()?;
        s.names.remove(path).ok_or(IoError::NotFound)?;
        Ok(())
    }

    fn len(&self, path: &Path) -> IoResult<u64> {
        let mut s = self.lock();
        s.check_power()?;
        Ok(s.inode(path)?.data.len() as u64)
    }

    fn exists(&self, path: &Path) -> IoResult<bool> {
        let s = self.lock();
        s.check_power()?;
        Ok(s.names.contains_key(path) || s.dirs.contains(path))
    }

    fn read_only(&self, path: &Path) -> IoResult<bool> {
        let mut s = self.lock();
        s.check_power()?;
        Ok(s.inode(path)?.read_only)
    }

    fn set_read_only(&self, path: &Path, read_only: bool) -> IoResult<()> {
        let mut s = self.lock();
        s.check_power()?;
        s.inode(path)?.read_only = read_only;
        Ok(())
    }

    fn list(&self, dir: &Path) -> IoResult<Vec<String>> {
        let s = self.lock();
        s.check_power()?;
        if !s.dirs.contains(dir) {
            return Err(IoError::NotFound);
        }
        Ok(s.names
            .keys()
            .filter(|p| parent_dir(p) == dir)
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect())
    }
}
