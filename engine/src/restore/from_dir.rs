//! JetRestore, JetRestore2 and JetRestoreInstance (`ese-behaviour.md` §6.3): restore what
//! JetBackup(Instance) wrote into a directory. The entry checks come first, in ESE's order: the
//! one-instance mode of the legacy forms (§1.2 step 0), the instance (a temporary one for a 0
//! or nil handle, §1.1), `ErrAPIEnterForInit` (`JET_errAlreadyInitialized`), and the API lock
//! "restoring" held for the whole call (§6.4), at the pause point `api_locked`. Then the
//! restore itself: paths in use, the backup path, the destination, the log set of the directory
//! (or of its atomic `new` / `old` subdirectories), the logs still in the instance's log path,
//! the database copies put back and checked as in §6.1 step 10, and hard recovery through the
//! set's logs and on into the log path (`Restore::replay`, shared with JetExternalRestore).
//!
//! Afterwards an instance the caller gave is allocated and not initialized (JetInit starts it
//! from the restored checkpoint); a temporary one is freed, and with it the run mode returns to
//! NoSet when it was the last instance. Steps: `docs/durability.md`, "Restore of a JetBackup
//! directory".
//!
//! Safer than ESE: every file the restore writes (database copies, logs, checkpoint) is checked
//! to stay inside the engine's root first; a database copy whose original place is not
//! recorded in its trailer and no `dest` given is `JET_errDatabasePatchFileMismatch` instead of
//! a guess.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jetapi::JetErr;

use super::Restore;
use crate::engine::{Engine, Instance, lock};
use crate::errors::{Area, in_area};
use crate::handles::InstanceHandle;
use crate::lifecycle::{Lifecycle, RunMode};
use crate::params::InstanceParams;
use crate::paths::{archived_generation, archived_log, checked_path};
use crate::pause::API_LOCKED;
use crate::startup::path_collision;
use crate::storage::Storage;

/// The name ESE gives the instance a JetRestore* call allocates (`wszRestoreInstanceName`).
pub const RESTORE_INSTANCE_NAME: &str = "Restore";

/// The subdirectories an atomic JetBackup writes (`wszAtomicNew`, `wszAtomicOld`), searched
/// in this order when the backup directory itself holds no log.
pub const ATOMIC_SUBDIRS: [&str; 2] = ["new", "old"];

/// Bytes copied per read when a database copy is put back.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// The instance a JetRestore* call runs in.
struct Restorer {
    inst: Arc<Instance>,
    /// Allocated by the call (a 0 / nil handle, or JetRestore with no instance) and freed at
    /// its end.
    temporary: bool,
    params: InstanceParams,
    page_size: usize,
}

impl Engine {
    /// JetRestore: JetRestore2 without a destination.
    pub fn restore(&self, backup_path: Option<&str>) -> Result<(), JetErr> {
        self.restore2(backup_path, None)
    }

    /// JetRestore2: the one-instance form (§1.2 step 0, `ErrRUNINSTCheckAndSetOneInstMode`),
    /// then JetRestoreInstance on the single instance, or on a new one when there is none.
    pub fn restore2(&self, backup_path: Option<&str>, dest: Option<&str>) -> Result<(), JetErr> {
        let instance = {
            let mut p = lock(&self.process);
            match p.mode {
                RunMode::MultiInst => return Err(JetErr::RunningInMultiInstanceMode),
                RunMode::NoSet => {
                    p.set_mode(RunMode::OneInst);
                    InstanceHandle::NULL
                }
                RunMode::OneInst => p
                    .instances
                    .keys()
                    .next()
                    .copied()
                    .unwrap_or(InstanceHandle::NULL),
            }
        };
        self.restore_instance(instance, backup_path, dest)
    }

    /// JetRestoreInstance (§6.3). `dest` `None` puts each database back where it was.
    pub fn restore_instance(
        &self,
        instance: InstanceHandle,
        backup_path: Option<&str>,
        dest: Option<&str>,
    ) -> Result<(), JetErr> {
        let restorer = self.enter_restore(instance)?;
        self.pauses.pass(API_LOCKED);
        let result = self.restore_directory(&restorer, backup_path, dest);
        let mut p = lock(&self.process);
        let mut api = lock(&restorer.inst.api);
        if restorer.temporary {
            api.move_to(Lifecycle::Freed);
            drop(api);
            p.free(&restorer.inst);
        } else {
            api.move_to(Lifecycle::Created);
        }
        result
    }

    /// The instance (allocated or found), `ErrAPIEnterForInit`, the API lock taken.
    fn enter_restore(&self, instance: InstanceHandle) -> Result<Restorer, JetErr> {
        let mut p = lock(&self.process);
        let temporary = instance.is_null_or_nil();
        let inst = if temporary {
            if p.mode == RunMode::NoSet {
                p.set_mode(RunMode::MultiInst);
            }
            match self.new_instance(&mut p, Some(RESTORE_INSTANCE_NAME), None) {
                Ok(inst) => inst,
                Err(e) => {
                    if p.instances.is_empty() {
                        p.set_mode(RunMode::NoSet);
                    }
                    return Err(e);
                }
            }
        } else {
            p.find_checked(instance, self.profile)?
        };
        let mut api = lock(&inst.api);
        match api.state {
            Lifecycle::Created => {}
            // `m_fJetInitialized` is set while an instance runs, terminates or restores.
            Lifecycle::Initializing
            | Lifecycle::Running
            | Lifecycle::Terminating
            | Lifecycle::Restoring => return Err(JetErr::AlreadyInitialized),
            Lifecycle::Freed => return Err(JetErr::InvalidParameter),
        }
        api.move_to(Lifecycle::Restoring);
        let params = api.params.clone();
        drop(api);
        let page_size = usize::try_from(p.global.page_size).expect("range-checked");
        Ok(Restorer {
            inst,
            temporary,
            params,
            page_size,
        })
    }

    /// `ErrLGRestore` (§6.3) once the API lock is held.
    fn restore_directory(
        &self,
        r: &Restorer,
        backup_path: Option<&str>,
        dest: Option<&str>,
    ) -> Result<(), JetErr> {
        path_collision(&lock(&self.process), &r.inst, &r.params)?; // ErrInit
        let storage = self.storage.as_ref();
        let backup_dir = checked_path(backup_path.unwrap_or_default())?; // too long: InvalidPath
        let dest_dir = match dest {
            None => None,
            Some(raw) => {
                let dir = checked_path(raw)?;
                if !storage.stays_inside(&dir) {
                    return Err(JetErr::InvalidPath);
                }
                if r.params.create_path_if_not_exist {
                    storage
                        .create_dir_all(&dir)
                        .map_err(in_area(Area::Directory))?;
                } else if !storage.exists(&dir).map_err(|_| JetErr::DiskIO)? {
                    return Err(JetErr::InvalidPath);
                }
                Some(dir)
            }
        };
        let log_dir = checked_path(&r.params.log_file_path).map_err(|_| JetErr::FileNotFound)?;
        let system_dir = checked_path(&r.params.system_path)?;
        let (set_dir, gen_low, gen_high) =
            find_log_set(storage, &backup_dir, &r.params.base_name)?.ok_or(JetErr::FileNotFound)?;
        for (dir, missing) in [
            (&log_dir, JetErr::InvalidLogDirectory),
            (&system_dir, JetErr::InvalidSystemPath),
        ] {
            if !storage.stays_inside(dir) {
                return Err(JetErr::InvalidPath);
            }
            if !storage.exists(dir).map_err(|_| JetErr::DiskIO)? {
                if !r.params.create_path_if_not_exist {
                    return Err(missing);
                }
                storage
                    .create_dir_all(dir)
                    .map_err(in_area(Area::Directory))?;
            }
        }
        let job = Restore {
            storage,
            documented: self.documented(),
            mutant: self.mutant,
            page_size: r.page_size,
            base: r.params.base_name.clone(),
            log_dir,
            system_dir,
            backup_dir: set_dir,
        };
        let signature = job.check_backup_logs(gen_low, gen_high)?; // §6.1.8
        // The logs still in the log path must follow on from the set. A gap is generations
        // missing between the set and the log path (the model's reading of §6.3); the pages
        // call it JET_errInvalidLogSequence (the `restore-log-gap` divergence).
        let documented = self.documented();
        let later = job
            .later_logs(&job.log_dir, gen_high, None, signature)
            .map_err(|e| match e {
                JetErr::MissingCurrentLogFiles | JetErr::MissingRestoreLogFiles if documented => {
                    JetErr::InvalidLogSequence
                }
                JetErr::MissingCurrentLogFiles => JetErr::MissingRestoreLogFiles,
                other => other,
            })?;
        let copies = job.database_copies()?;
        let map: Vec<(String, String)> = copies
            .iter()
            .map(|p| {
                let p = p.to_string_lossy().into_owned();
                (p.clone(), p)
            })
            .collect();
        let last = later.keys().next_back().copied().unwrap_or(gen_high);
        let mut dbs = job.open_databases(&map, (gen_low, last), signature)?; // §6.1.10, in place
        for d in dbs.values_mut() {
            let to = match &dest_dir {
                Some(dir) => dir.join(d.file.path.file_name().ok_or(JetErr::InvalidPath)?),
                None if d.original_path.is_empty() => {
                    return Err(JetErr::DatabasePatchFileMismatch);
                }
                None => checked_path(&d.original_path)?,
            };
            if !storage.stays_inside(&to) {
                return Err(JetErr::InvalidPath);
            }
            copy_file(storage, &d.file.path, &to)?;
            d.file.path = to;
        }
        job.replay(gen_low, gen_high, &later, &mut dbs)?; // §6.2 hard recovery
        let (last, last_path) = match later.iter().next_back() {
            Some((g, p)) => (*g, p.clone()),
            None => (gen_high, archived_log(&job.backup_dir, &job.base, gen_high)),
        };
        job.finish(&mut dbs, signature, (last, &last_path), !later.is_empty())
    }
}

/// The directory holding the set's logs (the backup directory, else its `new`, else its `old`
/// subdirectory) and the range of generations in it; `None` when no directory holds a log.
fn find_log_set(
    storage: &dyn Storage,
    backup_dir: &Path,
    base: &str,
) -> Result<Option<(PathBuf, u32, u32)>, JetErr> {
    let candidates = std::iter::once(backup_dir.to_path_buf())
        .chain(ATOMIC_SUBDIRS.iter().map(|sub| backup_dir.join(sub)));
    for dir in candidates {
        if !storage.stays_inside(&dir) {
            return Err(JetErr::InvalidPath);
        }
        let names = match storage.list(&dir) {
            Ok(names) => names,
            Err(crate::storage::IoError::NotFound) => continue,
            Err(e) => return Err(crate::errors::io_to_jet(&e, Area::LogRead)),
        };
        let generations: Vec<u32> = names
            .iter()
            .filter_map(|n| archived_generation(n, base))
            .collect();
        if let (Some(low), Some(high)) = (generations.iter().min(), generations.iter().max()) {
            return Ok(Some((dir, *low, *high)));
        }
    }
    Ok(None)
}

impl Restore<'_> {
    /// Every file of the set's directory that is not one of its logs: a database copy.
    fn database_copies(&self) -> Result<Vec<PathBuf>, JetErr> {
        let names = self
            .storage
            .list(&self.backup_dir)
            .map_err(in_area(Area::Database))?;
        Ok(names
            .into_iter()
            .filter(|n| archived_generation(n, &self.base).is_none())
            .map(|n| self.backup_dir.join(n))
            .collect())
    }
}

/// Copies `from` to `to` (parents created), synced with its directory entry.
fn copy_file(storage: &dyn Storage, from: &Path, to: &Path) -> Result<(), JetErr> {
    let io = in_area(Area::Database);
    if from == to {
        return Ok(());
    }
    let dir = crate::storage::parent_dir(to);
    storage.create_dir_all(dir).map_err(&io)?;
    if storage.exists(to).map_err(&io)? {
        storage.delete(to).map_err(&io)?;
    }
    storage.create(to).map_err(&io)?;
    let len = storage.len(from).map_err(&io)?;
    let mut offset = 0u64;
    while offset < len {
        let chunk = storage
            .read_at(from, offset, COPY_CHUNK_BYTES)
            .map_err(&io)?;
        if chunk.is_empty() {
            break;
        }
        storage.write_at(to, offset, &chunk).map_err(&io)?;
        offset += chunk.len() as u64;
    }
    storage.sync(to).map_err(&io)?;
    storage.sync_dir(dir).map_err(&io)
}
