//! The engine as a process sees it (ESE's DLL): the run mode, the process-wide parameters, the
//! instance table, and the instance lifecycle calls with the check order of
//! `ese-behaviour.md` §1 — first failing check wins. Table and database calls are in
//! `data.rs`. Locks: the process table, then an instance's `api` (short, never held across
//! I/O), then its `core` (held across I/O). A call never waits on the process table while
//! holding a core, so a long JetTerm2 blocks no other instance.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jetapi::JetErr;
use jetapi::args::ParamValue;

use crate::core::{Core, Stats};
use crate::handles::{InstanceHandle, SessionHandle};
use crate::lifecycle::{Lifecycle, RunMode};
use crate::params::{GlobalParams, InstanceParams, is_dynamic, is_global};
use crate::paths::{NAME_MOST, checked_path};
use crate::pause::{API_LOCKED, PauseGates};
use crate::recovery::{RecoveryOptions, recover};
use crate::storage::Storage;

/// `JET_bitTermAbrupt`.
pub const TERM_ABRUPT: u32 = 0x2;
/// `JET_bitTermStopBackup`.
pub const TERM_STOP_BACKUP: u32 = 0x4;
/// `JET_bitTermDirty`.
pub const TERM_DIRTY: u32 = 0x8;
/// `JET_bitReplayIgnoreMissingDB`.
pub const REPLAY_IGNORE_MISSING_DB: u32 = 0x4;
/// `JET_bitReplayMissingMapEntryDB`, which JetInit2 always adds.
pub const REPLAY_MISSING_MAP_ENTRY_DB: u32 = 0x20;
const STOP_SERVICE_BITS: u32 = 0x2 | 0x4 | 0x8 | 0x8000_0000;
const STOP_AND_EMIT_LOG: u32 = 0x8;
const STOP_RESUME: u32 = 0x8000_0000;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The instance's API state: what the entry checks read.
#[derive(Debug)]
pub(crate) struct Api {
    pub state: Lifecycle,
    pub params: InstanceParams,
    pub stop_service: bool,
    pub stopped_services: u32,
    pub unavailable: Option<JetErr>,
    pub backup_allowed: bool,
}

impl Api {
    pub fn move_to(&mut self, to: Lifecycle) {
        assert!(
            Lifecycle::can_transition(self.state, to),
            "instance {:?} -> {to:?}",
            self.state
        );
        self.state = to;
    }
}

/// One instance.
#[derive(Debug)]
pub(crate) struct Instance {
    pub handle: InstanceHandle,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub api: Mutex<Api>,
    pub core: Mutex<Option<Core>>,
}

#[derive(Debug)]
pub(crate) struct Process {
    pub mode: RunMode,
    pub global: GlobalParams,
    pub defaults: InstanceParams,
    pub instances: BTreeMap<InstanceHandle, Arc<Instance>>,
    pub sessions: BTreeMap<SessionHandle, InstanceHandle>,
}

impl Process {
    fn set_mode(&mut self, to: RunMode) {
        if self.mode != to {
            assert!(
                RunMode::can_transition(self.mode, to),
                "run mode {:?} -> {to:?}",
                self.mode
            );
            self.mode = to;
        }
    }

    /// `ErrFindPinst` (§1.2 step 3).
    pub fn find(&self, handle: InstanceHandle) -> Result<Arc<Instance>, JetErr> {
        match self.mode {
            RunMode::NoSet => Err(JetErr::InvalidParameter),
            RunMode::OneInst => self
                .instances
                .values()
                .next()
                .cloned()
                .ok_or(JetErr::InvalidParameter),
            RunMode::MultiInst => self
                .instances
                .get(&handle)
                .cloned()
                .ok_or(JetErr::InvalidParameter),
        }
    }

    fn free(&mut self, inst: &Instance) {
        self.instances.remove(&inst.handle);
        self.sessions.retain(|_, i| *i != inst.handle);
        if self.instances.is_empty() {
            self.set_mode(RunMode::NoSet);
        }
    }
}

/// One entry of JetGetInstanceInfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceInfo {
    /// `hInstanceId`.
    pub instance: InstanceHandle,
    /// `szInstanceName`.
    pub instance_name: Option<String>,
    /// `szDatabaseFileName` of each attached database.
    pub databases: Vec<String>,
}

/// The engine: every ESE call is a method. See the crate documentation.
#[derive(Debug)]
pub struct Engine {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) process: Mutex<Process>,
    pub(crate) next_handle: AtomicU64,
    pauses: PauseGates,
}

/// The entry check of instance-scoped calls, `INST::ErrAPIEnter` (§1.2 step 4).
pub(crate) fn api_enter(api: &Api, ignore_stop_service: bool) -> Result<(), JetErr> {
    if api.stop_service && !ignore_stop_service {
        return Err(JetErr::ClientRequestToStopJetService);
    }
    if let Some(e) = api.unavailable {
        return Err(e);
    }
    match api.state {
        Lifecycle::Terminating => Err(JetErr::TermInProgress),
        Lifecycle::Running => Ok(()),
        Lifecycle::Created | Lifecycle::Initializing | Lifecycle::Freed => {
            Err(JetErr::NotInitialized)
        }
    }
}

impl Engine {
    /// An engine with no instance, in run mode NoSet, on `storage`.
    pub fn new(storage: Arc<dyn Storage>) -> Engine {
        Engine {
            storage,
            process: Mutex::new(Process {
                mode: RunMode::NoSet,
                global: GlobalParams::default(),
                defaults: InstanceParams::default(),
                instances: BTreeMap::new(),
                sessions: BTreeMap::new(),
            }),
            next_handle: AtomicU64::new(0x1000),
            pauses: PauseGates::default(),
        }
    }

    /// The pause points (for test harnesses).
    pub fn pause_gates(&self) -> &PauseGates {
        &self.pauses
    }

    /// The process run mode.
    pub fn run_mode(&self) -> RunMode {
        lock(&self.process).mode
    }

    pub(crate) fn new_handle(&self) -> u64 {
        self.next_handle.fetch_add(1, Ordering::Relaxed)
    }

    /// Power loss, as far as the engine knows: every instance vanishes without writing
    /// anything, and the process is back in run mode NoSet.
    pub fn crash(&self) {
        let mut p = lock(&self.process);
        p.instances.clear();
        p.sessions.clear();
        p.mode = RunMode::NoSet;
        p.global = GlobalParams::default();
        p.defaults = InstanceParams::default();
    }

    /// Counters of an initialized instance (tests, benchmarks).
    pub fn instance_stats(&self, handle: InstanceHandle) -> Option<Stats> {
        let inst = lock(&self.process).find(handle).ok()?;
        let core = lock(&inst.core);
        core.as_ref().map(|c| {
            let mut stats = c.stats.clone();
            stats.rolls = c.log.as_ref().map_or(0, |l| l.rolls);
            stats
        })
    }

    /// `ErrNewInst`: TooManyInstances, InstanceNameInUse (same name, or both without one).
    fn new_instance(
        &self,
        p: &mut Process,
        name: Option<&str>,
        display: Option<&str>,
    ) -> Result<Arc<Instance>, JetErr> {
        let max = if p.mode == RunMode::OneInst {
            1
        } else {
            p.global.max_instances
        };
        if p.instances.len() as i64 >= max {
            return Err(JetErr::TooManyInstances);
        }
        if name.is_some_and(|n| n.len() > NAME_MOST) {
            return Err(JetErr::InvalidParameter);
        }
        if p.instances.values().any(|i| i.name.as_deref() == name) {
            return Err(JetErr::InstanceNameInUse);
        }
        let handle = InstanceHandle(self.new_handle());
        let inst = Arc::new(Instance {
            handle,
            name: name.map(str::to_string),
            display_name: display.map(str::to_string),
            api: Mutex::new(Api {
                state: Lifecycle::Created,
                params: p.defaults.clone(),
                stop_service: false,
                stopped_services: 0,
                unavailable: None,
                backup_allowed: false,
            }),
            core: Mutex::new(None),
        });
        p.instances.insert(handle, Arc::clone(&inst));
        Ok(inst)
    }

    /// JetCreateInstance.
    pub fn create_instance(
        &self,
        out: Option<&mut InstanceHandle>,
        name: Option<&str>,
    ) -> Result<(), JetErr> {
        self.create_instance2(out, name, None, 0)
    }

    /// JetCreateInstance2 (§1.3).
    pub fn create_instance2(
        &self,
        out: Option<&mut InstanceHandle>,
        name: Option<&str>,
        display_name: Option<&str>,
        _grbit: u32,
    ) -> Result<(), JetErr> {
        let Some(out) = out else {
            return Err(JetErr::InvalidParameter);
        };
        let mut p = lock(&self.process);
        if p.mode == RunMode::OneInst {
            return Err(JetErr::RunningInOneInstanceMode);
        }
        p.set_mode(RunMode::MultiInst);
        match self.new_instance(&mut p, name, display_name) {
            Ok(inst) => {
                *out = inst.handle;
                Ok(())
            }
            Err(e) => {
                if p.instances.is_empty() {
                    p.set_mode(RunMode::NoSet);
                }
                Err(e)
            }
        }
    }

    /// JetEnableMultiInstance (§1.3). Returns how many parameters were set.
    pub fn enable_multi_instance(
        &self,
        params: Option<&[(u32, ParamValue)]>,
        count: usize,
    ) -> Result<usize, JetErr> {
        if count != 0 && params.is_none() {
            return Err(JetErr::InvalidParameter);
        }
        let given = params.map_or(&[][..], |p| &p[..count.min(p.len())]);
        let mut p = lock(&self.process);
        match p.mode {
            RunMode::OneInst => Err(JetErr::RunningInOneInstanceMode),
            RunMode::MultiInst => {
                for (id, value) in given {
                    let current = if is_global(*id) {
                        p.global.get(*id)
                    } else {
                        p.defaults.get(*id)
                    };
                    if current.as_ref() != Ok(value) {
                        return Err(JetErr::SystemParameterConflict);
                    }
                }
                Err(JetErr::SystemParamsAlreadySet)
            }
            RunMode::NoSet => {
                for (id, value) in given {
                    let r = if is_global(*id) {
                        p.global.set(*id, value)
                    } else {
                        p.defaults.set(*id, value)
                    };
                    r?;
                }
                p.set_mode(RunMode::MultiInst);
                Ok(given.len())
            }
        }
    }

    /// JetSetSystemParameter. `instance` 0 sets the process default (or a global parameter).
    pub fn set_system_parameter(
        &self,
        instance: InstanceHandle,
        _session: SessionHandle,
        param: u32,
        value: &ParamValue,
    ) -> Result<(), JetErr> {
        let mut p = lock(&self.process);
        if is_global(param) {
            if p.instances
                .values()
                .any(|i| lock(&i.api).state != Lifecycle::Created)
            {
                return Err(JetErr::AlreadyInitialized);
            }
            return p.global.set(param, value);
        }
        if instance == InstanceHandle::NULL {
            if p.mode == RunMode::OneInst {
                if let Some(inst) = p.instances.values().next() {
                    return set_on_instance(inst, param, value);
                }
            }
            return p.defaults.set(param, value);
        }
        let inst = match p.mode {
            RunMode::NoSet => return Err(JetErr::InvalidParameter),
            RunMode::OneInst | RunMode::MultiInst => p.find(instance)?,
        };
        set_on_instance(&inst, param, value)
    }

    /// JetGetSystemParameter.
    pub fn get_system_parameter(
        &self,
        instance: InstanceHandle,
        _session: SessionHandle,
        param: u32,
    ) -> Result<ParamValue, JetErr> {
        let p = lock(&self.process);
        if is_global(param) {
            return p.global.get(param);
        }
        if instance == InstanceHandle::NULL || p.mode == RunMode::NoSet {
            return p.defaults.get(param);
        }
        let inst = p.find(instance)?;
        let api = lock(&inst.api);
        api.params.get(param)
    }

    /// JetInit.
    pub fn init(&self, instance: Option<&mut InstanceHandle>) -> Result<(), JetErr> {
        self.init3(instance, &[], 0)
    }

    /// JetInit2: JetInit with grbits; always adds `JET_bitReplayMissingMapEntryDB`.
    pub fn init2(&self, instance: Option<&mut InstanceHandle>, grbit: u32) -> Result<(), JetErr> {
        self.init3(instance, &[], grbit | REPLAY_MISSING_MAP_ENTRY_DB)
    }

    /// JetInit3: `restore_map` is `(name in the logs, where the database is now)`.
    pub fn init3(
        &self,
        mut instance: Option<&mut InstanceHandle>,
        restore_map: &[(String, String)],
        grbit: u32,
    ) -> Result<(), JetErr> {
        let mut p = lock(&self.process);
        if p.mode == RunMode::MultiInst && instance.is_none() {
            return Err(JetErr::RunningInMultiInstanceMode);
        }
        if p.mode == RunMode::OneInst && !p.instances.is_empty() {
            return Err(JetErr::AlreadyInitialized);
        }
        let given = instance.as_deref().copied().unwrap_or(InstanceHandle::NULL);
        let allocate = p.mode != RunMode::MultiInst || given.is_null_or_nil();
        if p.mode == RunMode::NoSet {
            p.set_mode(RunMode::OneInst);
        }
        let inst = if allocate {
            match self.new_instance(&mut p, None, None) {
                Ok(i) => i,
                Err(e) => {
                    if p.instances.is_empty() {
                        p.set_mode(RunMode::NoSet);
                    }
                    return Err(e);
                }
            }
        } else {
            p.find(given)?
        };
        let params = {
            let mut api = lock(&inst.api);
            match api.state {
                Lifecycle::Running => return Err(JetErr::AlreadyInitialized),
                Lifecycle::Terminating => return Err(JetErr::TermInProgress),
                Lifecycle::Initializing => return Err(JetErr::AlreadyInitialized),
                Lifecycle::Created | Lifecycle::Freed => {}
            }
            api.move_to(Lifecycle::Initializing);
            api.params.clone()
        };
        let page_size = usize::try_from(p.global.page_size).expect("range-checked");
        let collision = path_collision(&p, &inst, &params);
        drop(p);
        let result =
            collision.and_then(|()| self.start_core(&params, page_size, restore_map, grbit));
        let mut p = lock(&self.process);
        match result {
            Ok(core) => {
                *lock(&inst.core) = Some(core);
                let mut api = lock(&inst.api);
                api.move_to(Lifecycle::Running);
                api.backup_allowed = true;
                if let Some(out) = instance.as_mut() {
                    **out = inst.handle;
                }
                Ok(())
            }
            Err(e) => {
                lock(&inst.api).move_to(Lifecycle::Freed);
                p.free(&inst);
                if let Some(out) = instance.as_mut() {
                    **out = InstanceHandle::NULL;
                }
                Err(e)
            }
        }
    }

    fn start_core(
        &self,
        params: &InstanceParams,
        page_size: usize,
        restore_map: &[(String, String)],
        grbit: u32,
    ) -> Result<Core, JetErr> {
        let storage = self.storage.as_ref();
        let system_dir = checked_path(&params.system_path)?;
        let log_dir = checked_path(&params.log_file_path)?;
        for (dir, missing) in [
            (&system_dir, JetErr::InvalidSystemPath),
            (&log_dir, JetErr::InvalidLogDirectory),
        ] {
            if !storage.exists(dir).map_err(|_| JetErr::DiskIO)? {
                if !params.create_path_if_not_exist {
                    return Err(missing);
                }
                storage
                    .create_dir_all(dir)
                    .map_err(crate::errors::in_area(crate::errors::Area::Directory))?;
            }
        }
        let recovered = if params.recovery {
            let options = RecoveryOptions {
                restore_map: restore_map.to_vec(),
                ignore_missing_db: grbit & REPLAY_IGNORE_MISSING_DB != 0,
            };
            recover(
                storage,
                &system_dir,
                &log_dir,
                &params.base_name,
                page_size,
                &options,
            )?
        } else {
            Default::default()
        };
        Core::start(
            Arc::clone(&self.storage),
            params.clone(),
            page_size,
            system_dir,
            log_dir,
            recovered,
        )
    }

    /// JetTerm: exactly JetTerm2 with `JET_bitTermAbrupt`.
    pub fn term(&self, instance: InstanceHandle) -> Result<(), JetErr> {
        self.term2(instance, TERM_ABRUPT)
    }

    /// JetTerm2 (§1.3, §3.3).
    pub fn term2(&self, instance: InstanceHandle, grbit: u32) -> Result<(), JetErr> {
        let inst = {
            let mut p = lock(&self.process);
            let inst = p.find(instance)?;
            let mut api = lock(&inst.api);
            match api.state {
                Lifecycle::Created => {
                    api.move_to(Lifecycle::Freed);
                    drop(api);
                    p.free(&inst);
                    return Ok(());
                }
                Lifecycle::Initializing | Lifecycle::Freed => return Err(JetErr::NotInitialized),
                Lifecycle::Terminating => return Err(JetErr::TermInProgress),
                Lifecycle::Running => {}
            }
            api.backup_allowed = false;
            api.move_to(Lifecycle::Terminating);
            drop(api);
            inst
        };
        self.pauses.pass(API_LOCKED);
        let mut core_slot = lock(&inst.core);
        let core = core_slot.as_mut().expect("a running instance has a core");
        let unavailable = lock(&inst.api).unavailable;
        let result = if grbit & TERM_DIRTY != 0 {
            Err(JetErr::DirtyShutdown)
        } else if let Some(e) = unavailable.or(core.failed) {
            Err(e)
        } else {
            // Issue 5: a running backup without TermStopBackup/TermAbrupt -> BackupInProgress.
            let _stops_backup = grbit & (TERM_STOP_BACKUP | TERM_ABRUPT) != 0;
            if core.sessions.values().any(|s| s.txn.is_some()) {
                lock(&inst.api).move_to(Lifecycle::Running);
                return Err(JetErr::TooManyActiveUsers);
            }
            core.shut_down_clean()
        };
        *core_slot = None;
        drop(core_slot);
        let mut p = lock(&self.process);
        lock(&inst.api).move_to(Lifecycle::Freed);
        p.free(&inst);
        result
    }

    /// JetStopService (legacy): the one-instance mode check, then JetStopServiceInstance.
    pub fn stop_service(&self) -> Result<(), JetErr> {
        let handle = {
            let p = lock(&self.process);
            match p.mode {
                RunMode::NoSet => return Err(JetErr::InvalidParameter),
                RunMode::MultiInst => return Err(JetErr::RunningInMultiInstanceMode),
                RunMode::OneInst => p.find(InstanceHandle::NULL)?.handle,
            }
        };
        self.stop_service_instance(handle)
    }

    /// JetStopServiceInstance: a full stop.
    pub fn stop_service_instance(&self, instance: InstanceHandle) -> Result<(), JetErr> {
        self.stop_service_instance2(instance, 0)
    }

    /// JetStopServiceInstance2 (§1.3, §3.2).
    pub fn stop_service_instance2(
        &self,
        instance: InstanceHandle,
        grbit: u32,
    ) -> Result<(), JetErr> {
        let inst = lock(&self.process).find(instance)?;
        if grbit & !STOP_SERVICE_BITS != 0
            || (grbit & STOP_AND_EMIT_LOG != 0 && grbit != STOP_AND_EMIT_LOG)
        {
            return Err(JetErr::InvalidGrbit);
        }
        let mut api = lock(&inst.api);
        if grbit & STOP_RESUME != 0 {
            if api.stop_service {
                return Err(JetErr::ClientRequestToStopJetService);
            }
            let bits = grbit & !STOP_RESUME;
            api.stopped_services &= if bits == 0 { 0 } else { !bits };
            return Ok(());
        }
        if grbit == 0 {
            api.stop_service = true;
        } else if grbit == STOP_AND_EMIT_LOG {
            drop(api);
            if let Some(core) = lock(&inst.core).as_mut() {
                let _ = core.log_flush();
                core.failed.get_or_insert(JetErr::LogWriteFail);
                core.log_stopped_deliberately = true;
            }
        } else {
            api.stopped_services |= grbit;
        }
        Ok(())
    }

    /// JetGetInstanceInfo: the initialized instances, oldest first.
    pub fn get_instance_info(&self) -> Result<Vec<InstanceInfo>, JetErr> {
        let instances: Vec<Arc<Instance>> =
            lock(&self.process).instances.values().cloned().collect();
        let mut out = Vec::new();
        for inst in instances {
            if lock(&inst.api).state != Lifecycle::Running {
                continue;
            }
            let databases = lock(&inst.core)
                .as_ref()
                .map(|c| c.dbs.values().map(|d| d.name.clone()).collect())
                .unwrap_or_default();
            out.push(InstanceInfo {
                instance: inst.handle,
                instance_name: inst.name.clone(),
                databases,
            });
        }
        Ok(out)
    }

    /// The display name given to JetCreateInstance2.
    pub fn display_name(&self, instance: InstanceHandle) -> Option<String> {
        let p = lock(&self.process);
        p.instances
            .get(&instance)
            .and_then(|i| i.display_name.clone())
    }
}

fn set_on_instance(inst: &Instance, param: u32, value: &ParamValue) -> Result<(), JetErr> {
    let mut api = lock(&inst.api);
    match api.state {
        Lifecycle::Created => api.params.set(param, value),
        Lifecycle::Running if is_dynamic(param) => {
            let mut params = api.params.clone();
            params.set(param, value)?;
            api.params = params.clone();
            drop(api);
            if let Some(core) = lock(&inst.core).as_mut() {
                core.params.circular_log = params.circular_log;
                core.params.checkpoint_depth_max = params.checkpoint_depth_max;
            }
            Ok(())
        }
        Lifecycle::Running
        | Lifecycle::Initializing
        | Lifecycle::Terminating
        | Lifecycle::Freed => {
            api.params.get(param).map(|_| ())?;
            Err(JetErr::AlreadyInitialized)
        }
    }
}

/// Paths already used by another initialized instance (§1.3 ErrInit).
fn path_collision(p: &Process, me: &Instance, params: &InstanceParams) -> Result<(), JetErr> {
    let norm = |s: &str| checked_path(s).unwrap_or_else(|_| PathBuf::from(s));
    for other in p.instances.values() {
        if other.handle == me.handle {
            continue;
        }
        let api = lock(&other.api);
        if matches!(api.state, Lifecycle::Created | Lifecycle::Freed) {
            continue;
        }
        let o = &api.params;
        if norm(&o.temp_path) == norm(&params.temp_path) {
            return Err(JetErr::TempPathInUse);
        }
        if norm(&o.system_path) == norm(&params.system_path) {
            return Err(JetErr::SystemPathInUse);
        }
        if norm(&o.log_file_path) == norm(&params.log_file_path) {
            return Err(JetErr::LogFilePathInUse);
        }
    }
    Ok(())
}
