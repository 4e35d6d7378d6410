//! The engine as a process sees it (ESE's DLL): the run mode, the process-wide parameters, the
//! instance table, and the instance lifecycle calls with the check order of
//! `ese-behaviour.md` §1 — first failing check wins. Table and database calls are in
//! `data.rs`. Locks: the process table, then an instance's `api` (short, never held across
//! I/O), then its `core` (held across I/O). A call never waits on the process table while
//! holding a core, so a long JetTerm2 blocks no other instance.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jetapi::JetErr;
use jetapi::args::ParamValue;
use jetapi::trace::Profile;

use crate::allocation::Allocation;
use crate::core::{Core, Stats};
use crate::handles::{InstanceHandle, SessionHandle};
use crate::lifecycle::{Lifecycle, RunMode};
use crate::mutant::{Mutant, Planted};
use crate::params::{GlobalParams, InstanceParams, is_dynamic, is_global};
use crate::paths::NAME_MOST;
use crate::pause::PauseGates;
use crate::storage::Storage;

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
    pub(crate) fn set_mode(&mut self, to: RunMode) {
        if self.mode != to {
            assert!(
                RunMode::can_transition(self.mode, to),
                "run mode {:?} -> {to:?}",
                self.mode
            );
            self.mode = to;
        }
    }

    /// §1.2 step 1, then `ErrFindPinst`: ESENT's handle validation turns a handle that is
    /// neither 0 nor nil and names no live instance into `JET_errInvalidInstance`; the
    /// `documented` profile leaves it to `ErrFindPinst` (`JET_errInvalidParameter`, the
    /// `invalid-instance-handle` divergence). JetInit does not validate (§1.3).
    pub fn find_checked(
        &self,
        handle: InstanceHandle,
        profile: Profile,
    ) -> Result<Arc<Instance>, JetErr> {
        let unknown = !handle.is_null_or_nil() && !self.instances.contains_key(&handle);
        if unknown && profile == Profile::Esent {
            return Err(JetErr::InvalidInstance);
        }
        self.find(handle)
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

    pub(crate) fn free(&mut self, inst: &Instance) {
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
    pub(crate) pauses: PauseGates,
    /// Database paths attached by some instance: a leaf lock, taken with no other held
    /// except a core.
    pub(crate) attached: Mutex<BTreeMap<std::path::PathBuf, InstanceHandle>>,
    /// Whose behaviour the engine follows where ESE's implementation and its documentation
    /// disagree (`esent` by default; see `docs/divergences` via `jetspec divergences`).
    pub(crate) profile: Profile,
    /// Allocation failures a test harness armed (`allocation.rs`).
    pub(crate) allocations: crate::allocation::AllocationFaults,
    /// The last log generation, which a test harness may lower (`generations.rs`).
    pub(crate) generation_max: crate::generations::GenerationLimit,
    /// The deliberate mistake this engine makes, if any (`mutant.rs`; inert unless built with
    /// the `mutants` feature).
    pub(crate) mutant: Planted,
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
        Lifecycle::Restoring => Err(JetErr::RestoreInProgress),
        Lifecycle::Running => Ok(()),
        Lifecycle::Created | Lifecycle::Initializing | Lifecycle::Freed => {
            Err(JetErr::NotInitialized)
        }
    }
}

impl Engine {
    /// An engine with no instance, in run mode NoSet, on `storage`, following the `esent`
    /// profile.
    pub fn new(storage: Arc<dyn Storage>) -> Engine {
        Engine::with_profile(storage, Profile::Esent)
    }

    /// An engine following `profile` where the implementation and the pages disagree: the
    /// `documented` profile returns what the documentation says for every divergence of
    /// `jetspec divergences` that touches a call the engine builds.
    pub fn with_profile(storage: Arc<dyn Storage>, profile: Profile) -> Engine {
        Engine::with_mutant(storage, profile, None)
    }

    /// [`Engine::with_profile`] making the deliberate mistake `mutant` (the mutation check,
    /// `docs/mutants.md`). Without the `mutants` feature ([`crate::mutant::BUILT`] false) the
    /// mutant does nothing and this is [`Engine::with_profile`].
    pub fn with_mutant(
        storage: Arc<dyn Storage>,
        profile: Profile,
        mutant: Option<Mutant>,
    ) -> Engine {
        let mutant = Planted::new(mutant);
        Engine {
            storage,
            process: Mutex::new(Process {
                mode: RunMode::NoSet,
                global: GlobalParams::default(),
                defaults: InstanceParams {
                    mutant,
                    ..InstanceParams::default()
                },
                instances: BTreeMap::new(),
                sessions: BTreeMap::new(),
            }),
            next_handle: AtomicU64::new(0x1000),
            pauses: PauseGates::default(),
            attached: Mutex::new(BTreeMap::new()),
            profile,
            allocations: Default::default(),
            generation_max: Default::default(),
            mutant,
        }
    }

    /// The behaviour profile the engine follows.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// True when the engine follows the documentation pages (the `documented` profile).
    pub(crate) fn documented(&self) -> bool {
        self.profile == Profile::Documented
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
        p.defaults = InstanceParams {
            mutant: self.mutant,
            ..InstanceParams::default()
        };
        lock(&self.attached).clear();
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
    pub(crate) fn new_instance(
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
            // `multi-instance-parameter-conflict`: the page lists only AlreadySet.
            RunMode::MultiInst if self.documented() => Err(JetErr::SystemParamsAlreadySet),
            // jetapi.cxx JetEnableMultiInstanceEx: each given parameter must have been written
            // if it may not change after global init, and must equal the current value; then
            // every such parameter written before must be given again.
            RunMode::MultiInst => {
                for (id, value) in given {
                    let current = if is_global(*id) {
                        if GlobalParams::fixed_after_global_init(*id)
                            && !p.global.written.contains(id)
                        {
                            return Err(JetErr::SystemParameterConflict);
                        }
                        p.global.get(*id)
                    } else {
                        p.defaults.get(*id)
                    };
                    if current.as_ref() != Ok(value) {
                        return Err(JetErr::SystemParameterConflict);
                    }
                }
                let dropped = p.global.written.iter().any(|id| {
                    GlobalParams::fixed_after_global_init(*id)
                        && !given.iter().any(|(given, _)| given == id)
                });
                if dropped {
                    return Err(JetErr::SystemParameterConflict);
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
        session: SessionHandle,
        param: u32,
        value: &ParamValue,
    ) -> Result<(), JetErr> {
        let mut p = lock(&self.process);
        // JetSetSystemParameterEx (jetapi.cxx): in multi-instance mode a session other than
        // 0 and JET_sesidNil is validated first (ErrJetValidateSession) and names the
        // instance, whatever the instance argument says.
        let mut instance = instance;
        if p.mode == RunMode::MultiInst && session.0 != 0 && session.0 != u64::MAX {
            instance = *p.sessions.get(&session).ok_or(JetErr::InvalidSesid)?;
        }
        if is_global(param) {
            if p.instances
                .values()
                .any(|i| lock(&i.api).state != Lifecycle::Created)
            {
                return Err(JetErr::AlreadyInitialized);
            }
            return p.global.set(param, value);
        }
        // JetSetSystemParameterEx: NoSet mode addresses no instance, one-instance mode the
        // single one, whatever the handle; multi-instance mode validates a handle other than
        // 0 / JET_instanceNil (ErrJetValidateInstance) before the parameter id is looked at.
        // The `documented` profile keeps the page's InvalidInstance row in every mode, checked
        // as ESENT checks it, before the parameter id.
        let named = !instance.is_null_or_nil();
        if named
            && !p.instances.contains_key(&instance)
            && (self.documented() || p.mode == RunMode::MultiInst)
        {
            return Err(JetErr::InvalidInstance);
        }
        let inst = match p.mode {
            RunMode::OneInst if !p.instances.is_empty() => p.find(instance)?,
            RunMode::MultiInst if named => p.find(instance)?,
            RunMode::NoSet | RunMode::OneInst | RunMode::MultiInst => {
                return p.defaults.set(param, value);
            }
        };
        drop(p);
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

    /// The instances a harness sees, without calling the API (no allocation, no error,
    /// nothing changed): each one's name and where it is in its lifecycle.
    pub fn instances_seen(&self) -> Vec<(Option<String>, Lifecycle)> {
        let instances: Vec<Arc<Instance>> =
            lock(&self.process).instances.values().cloned().collect();
        instances
            .iter()
            .map(|i| (i.name.clone(), lock(&i.api).state))
            .collect()
    }

    /// JetGetInstanceInfo: the initialized instances, oldest first.
    pub fn get_instance_info(&self) -> Result<Vec<InstanceInfo>, JetErr> {
        let instances: Vec<Arc<Instance>> =
            lock(&self.process).instances.values().cloned().collect();
        if !instances.is_empty() {
            // ErrIsamGetInstanceInfo allocates the list when an instance exists.
            self.allocations.allocate(Allocation::Memory)?;
        }
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
                core.params.checkpoint_depth_max = params.checkpoint_depth_max;
            }
            Ok(())
        }
        // `FEnterWithoutInit`: a held term or restore refuses before the parameter is looked
        // at (§1.2 step 4c).
        Lifecycle::Terminating => Err(JetErr::TermInProgress),
        Lifecycle::Restoring => Err(JetErr::RestoreInProgress),
        // ErrAPIEnterWithoutInit: the lock JetInit holds ("initializing").
        Lifecycle::Initializing => Err(JetErr::InitInProgress),
        Lifecycle::Running | Lifecycle::Freed => {
            // CJetParam::ValidateSet (jetapi.cxx): a number equal to the current value is
            // accepted before fMayNotWriteAfterInstanceInit refuses a change.
            let current = api.params.get(param)?;
            if matches!(value, ParamValue::Number(_)) && current == *value {
                return Ok(());
            }
            Err(JetErr::AlreadyInitialized)
        }
    }
}
