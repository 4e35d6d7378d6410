//! From a path of the model to a trace v1 file: every action becomes the call (or harness
//! action) it stands for, with symbolic handles, paths inside the sandbox and the code the model
//! says it returns. Counterexamples and witnesses are printed this way, so that the engine can
//! replay them.
//!
//! Layout: slot `i` keeps its checkpoint in `i{i}/`, its logs in `i{i}/logs/` and database `d`
//! at `i{i}/db{d}.edb`. Each instance gets these paths (and `JET_paramMaxSessions` 1, the
//! model's one session) as soon as it exists; a legacy start sets them process-wide first.
//! Handles: the n-th instance of slot `i` is `@i{i}` (then `@i{i}_{n}`), its session `@s{i}`,
//! its databases `@d{i}{d}`, the open backup file `@f`.

use jetapi::args::{
    HandleRef, LogInfo, ParamRef, ParamValue, PathArg, RestoreMap, RestoreMapEntry, SysParamList,
    SysParamSetting, Word,
};
use jetapi::grbits::Grbit;
use jetapi::limits::{JET_SIGNATURE_BYTES, USER_DATABASES_MAX};
use jetapi::trace::{Expect, Profile, Step, Trace};
use jetapi::{Call, JetErr};

use crate::action::{
    Action, BackupDirArg, DbPathArg, ExtRestoreArg, FileArg, GlobalParams, HandleArg, InitArg,
    InstArg, MiscInfoArg, NameArg, OpenDbArg, ParamArg, ReadArg, RestoreForm, RestoreSrc, Target,
};
use crate::config::{MAX_DBS, MAX_GEN_LIMIT, MAX_INSTANCES};
use crate::generate::WORKER;
use crate::state::{DbFile, FileTarget, Gen, Life, RunMode, Saved, State};
use crate::step::{BACKUP_ATOMIC, BACKUP_INCREMENTAL, Spec, TargetPrepared, TargetStep};

/// The page size the traces assume: the engine's default `JET_paramDatabasePageSize`, 8 KiB
/// (ESE's own default is 4 KiB; no trace depends on which).
pub const PAGE_SIZE: i64 = 8192;
/// A checkpoint file's length: ESE's checkpoint and its shadow copy, 4 KiB each (the engine's
/// two slots are the same size).
const CHECKPOINT_FILE_BYTES: i64 = 8192;
/// The context value traces pass to JetSetSessionContext.
const SESSION_CONTEXT: i64 = 0x1234;

struct Names {
    /// How many instances slot i has had.
    incarnation: [u32; MAX_INSTANCES],
    /// Whether slot i holds a restore's temporary instance, whose handle the trace never learns.
    temporary: [bool; MAX_INSTANCES],
    /// Whether a JetBeginSession of slot i has bound `@s{i}`.
    session_bound: [bool; MAX_INSTANCES],
    /// The instance names a successful JetCreateInstance or JetInit has bound. An instance the
    /// caller never learned the handle of (a legacy JetInit with a NULL pinstance, or one given
    /// a handle value that was not its own) is passed as 0, which in one-instance mode
    /// ErrFindPinst takes as the single instance.
    bound: std::collections::BTreeSet<String>,
    /// Instance names a successful JetInit rebound to another slot's instance than their own
    /// (a stale handle passed to a legacy start, which JetInit's pinstance then receives): they
    /// no longer name their own slot's instance.
    taken: std::collections::BTreeSet<String>,
    /// Whether an instance lives in slot i before the step being printed.
    live: [bool; MAX_INSTANCES],
    /// How far the engine's log generation in slot i's log path is ahead of the model's
    /// `storage.current`: the engine (as ESE's ErrLGSoftStart) begins a new generation at every
    /// JetInit with logging on, where the model keeps the one it has, and at the end of a
    /// restore into an existing log stream.
    generation_lead: [u32; MAX_INSTANCES],
    /// For slot i and a generation g the model has archived, `generation_lead[i]` when g was
    /// archived: the engine's number of g's last log file is g plus it.
    archived_lead: [[u32; MAX_GEN_LIMIT as usize + 1]; MAX_INSTANCES],
    /// Whether `LimitLogGenerations` has been printed (once a log reaches `max_gen`).
    generations_limited: bool,
    /// The worker's backup set (`storage.saved`) as the engine numbers its logs, and whether
    /// an atomic full JetBackup wrote it (into the directory's `new/`, backup.cxx
    /// ErrBKIPromoteDirectory, which JetExternalRestore, unlike JetRestore, does not look in).
    /// Kept in step with `storage.saved`: `None` exactly when there is no set.
    saved_set: Option<SavedSet>,
    /// The directories JetBackup into an empty directory has been given so far: each call gets
    /// one of its own, as a failed backup leaves the files it copied.
    backup_dirs: std::collections::BTreeSet<String>,
    /// External restores printed so far: each gets a directory of its own, as a restore leaves
    /// its log directory holding a generation the next one would find in the way.
    external_restores: u32,
    /// `JET_paramMaxInstances` as the trace sets it: the configuration's instance slots.
    instances: u8,
    /// Whether the model keeps instance names: with one instance slot `Spec::apply` erases
    /// them (no second instance can clash), so JetCreateInstance passes none, or a
    /// JetExternalRestore2 naming the target would find an instance the model does not.
    keeps_names: bool,
}

/// The raw value the traces pass for a handle that never existed.
const NEVER_A_HANDLE: i64 = 0x7777_0000;

/// A backup set as the engine holds it: see [`Names::saved_set`].
#[derive(Clone)]
struct SavedSet {
    /// The directory JetBackup wrote it to.
    dir: String,
    low: u32,
    high: u32,
    atomic: bool,
}

impl Names {
    /// The directory a JetBackup of `slot` into an empty directory gets: named after the
    /// current generation, and made unique.
    fn backup_dir(&self, state: &State, slot: u8) -> String {
        let current = state.instances[usize::from(slot)].storage.current;
        let first = format!("backups/i{slot}_g{current}/");
        if self.backup_dirs.contains(&first) {
            format!("backups/i{slot}_g{current}_{}/", self.backup_dirs.len())
        } else {
            first
        }
    }

    /// The directory of the worker's backup set, or one that holds none.
    fn saved_dir(&self) -> String {
        self.saved_set
            .as_ref()
            .map_or_else(|| "backups/none/".to_string(), |v| v.dir.clone())
    }

    /// The engine's generation number of the last log file of the model's generation `g` in
    /// `slot` (the engine begins a generation the model does not count at every JetInit over
    /// an existing log: [`Names::generation_lead`]).
    fn engine_gen(&self, state: &State, slot: u8, g: Gen) -> u32 {
        let i = usize::from(slot);
        let lead = if g >= state.instances[i].storage.current {
            self.generation_lead[i]
        } else {
            self.archived_lead[i][usize::from(g)]
        };
        u32::from(g) + lead
    }

    /// The file of the model's archived generation `g` of `slot`, in the engine's numbering.
    fn archived_log(&self, state: &State, slot: u8, g: Gen) -> String {
        format!(
            "i{slot}/logs/edb{:05X}.log",
            self.engine_gen(state, slot, g)
        )
    }

    fn instance(&self, slot: u8) -> String {
        match self.incarnation[usize::from(slot)] {
            0 | 1 => format!("@i{slot}"),
            n => format!("@i{slot}_{n}"),
        }
    }

    fn handle(&self, arg: InstArg) -> HandleRef {
        match arg {
            // The caller never learns a temporary instance's handle; in one-instance mode, where
            // such an instance is the single one, ErrFindPinst ignores the handle passed.
            InstArg::Slot(i) if self.temporary[usize::from(i)] => HandleRef::Raw(0),
            // A name a JetInit took for another instance: the caller no longer holds the old
            // value, only one that is no handle, which validation refuses alike.
            InstArg::Slot(i) | InstArg::Stale(i) if self.taken.contains(&self.instance(i)) => {
                HandleRef::Raw(NEVER_A_HANDLE)
            }
            InstArg::Slot(i) | InstArg::Stale(i)
                if self.incarnation[usize::from(i)] > 0
                    && self.bound.contains(&self.instance(i)) =>
            {
                HandleRef::Name(self.instance(i))
            }
            // A live instance the caller never learned the handle of is the single instance of
            // one-instance mode, which ErrFindPinst finds whatever the handle.
            InstArg::Slot(i)
                if self.incarnation[usize::from(i)] > 0 && self.live[usize::from(i)] =>
            {
                HandleRef::Raw(0)
            }
            // A freed one the caller never learned: the caller cannot pass the pointer it had,
            // only a value that is no handle, which validation refuses alike.
            InstArg::Zero => HandleRef::Raw(0),
            InstArg::Nil => HandleRef::Raw(-1),
            InstArg::Slot(_) | InstArg::Stale(_) | InstArg::Garbage => {
                HandleRef::Raw(NEVER_A_HANDLE)
            }
        }
    }

    fn session(&self, slot: u8) -> Option<HandleRef> {
        Some(if self.session_bound[usize::from(slot)] {
            HandleRef::Name(format!("@s{slot}"))
        } else {
            HandleRef::Raw(NEVER_A_HANDLE + 1)
        })
    }
}

/// The name a session's database id gets: `@d{slot}{db}`.
pub fn dbid_name(slot: u8, db: u8) -> String {
    format!("@d{slot}{db}")
}

/// The name JetOpenFile's backup file handle gets.
pub const FILE_HANDLE: &str = "@f";

/// The names of the handles open in `state` (see [`dbid_name`], [`FILE_HANDLE`]): the backup
/// file while a backup has one open, and each database a session has open. A handle printed
/// once stands for nothing else while it is open.
pub fn open_handle_names(state: &State) -> Vec<String> {
    let mut open = Vec::new();
    if state
        .instances
        .iter()
        .any(|i| i.backup.is_some_and(|b| b.file.is_some()))
    {
        open.push(FILE_HANDLE.to_string());
    }
    for (slot, inst) in (0u8..).zip(&state.instances) {
        for db in 0..MAX_DBS as u8 {
            if inst.open_dbs & (1 << db) != 0 {
                open.push(dbid_name(slot, db));
            }
        }
    }
    open
}

fn name(text: impl Into<String>) -> Option<HandleRef> {
    Some(HandleRef::Name(text.into()))
}

fn path(text: impl Into<String>) -> Option<PathArg> {
    Some(PathArg(text.into()))
}

fn set_param(instance: Option<HandleRef>, param: &str, value: ParamValue) -> Step {
    step(Call::SetSystemParameter {
        instance,
        session: None,
        param: Some(ParamRef::Name(param.into())),
        value: Some(value),
    })
}

/// The file name JetOpenFile (or CopyBackupFile) passes for `file`.
fn backup_file_name(
    state: &State,
    names: &Names,
    target: Target,
    file: FileArg,
) -> Option<PathArg> {
    let slot = target_slot(state, target);
    match file {
        FileArg::Db(d) => db_name(slot, d, DbPathArg::File),
        FileArg::Log(g) => path(names.archived_log(state, slot, g)),
        FileArg::Other => path(format!("i{slot}/other.pat")),
        FileArg::Null => None,
        FileArg::Empty => path(""),
        FileArg::TooLong => path("x".repeat(300)),
    }
}

fn step(call: Call) -> Step {
    Step {
        call,
        expect: Expect::Default,
        returns: None,
        note: None,
        beyond_model: None,
    }
}

/// The settings every instance of slot `slot` gets: its own paths under `dir`, and
/// `sessions` sessions (the model's one, or two when a path opens a second).
fn slot_settings(instance: Option<HandleRef>, dir: &str, sessions: i64) -> Vec<Step> {
    vec![
        set_param(
            instance.clone(),
            "JET_paramSystemPath",
            ParamValue::Text(format!("{dir}/")),
        ),
        set_param(
            instance.clone(),
            "JET_paramLogFilePath",
            ParamValue::Text(format!("{dir}/logs/")),
        ),
        set_param(
            instance.clone(),
            "JET_paramTempPath",
            ParamValue::Text(format!("{dir}/tmp/")),
        ),
        set_param(
            instance.clone(),
            "JET_paramCreatePathIfNotExist",
            ParamValue::Number(1),
        ),
        set_param(
            instance,
            "JET_paramMaxSessions",
            ParamValue::Number(sessions),
        ),
    ]
}

/// The process-wide instance limit of the configuration, which every trace sets first.
fn max_instances(spec: &Spec) -> Step {
    set_param(
        None,
        "JET_paramMaxInstances",
        ParamValue::Number(i64::from(spec.config.instances)),
    )
}

/// The `LimitLogGenerations` the step from `state` to `next` needs printed before it: the
/// engine's number of the model's last generation, `max_gen`, in the log of the first slot the
/// step brings to it; `None` once printed, or when no log reaches `max_gen`.
fn generation_limit(spec: &Spec, state: &State, next: &State, names: &Names) -> Option<i64> {
    if names.generations_limited {
        return None;
    }
    let max_gen = u32::from(spec.config.max_gen);
    let slot = (0..usize::from(spec.config.instances)).find(|&i| {
        u32::from(next.instances[i].storage.current) >= max_gen
            && u32::from(state.instances[i].storage.current) < max_gen
    })?;
    Some(i64::from(max_gen + names.generation_lead[slot]))
}

/// [`Names::generation_lead`] after the step from `state` to `next`: a JetInit with logging on
/// over an existing log, or a restore that replays into one, begins a generation the model
/// does not count, and so does the roll of a running target's log by JetExternalRestore2,
/// whatever the restore then answers.
fn generation_lead(
    spec: &Spec,
    state: &State,
    next: &State,
    action: &Action,
    code: JetErr,
    names: &Names,
) -> [u32; MAX_INSTANCES] {
    let mut lead = names.generation_lead;
    for (i, lead) in lead.iter_mut().enumerate() {
        let (was, now) = (&state.instances[i], &next.instances[i]);
        let had_log = was.storage.current != 0;
        let initialized = was.life != Life::Initialized
            && now.life == Life::Initialized
            && !now.settings.recovery_off;
        // JetExternalRestore2 naming the worker: a running target's log closes its generation
        // first (unless it runs circular logging, which makes it no target); given the paths
        // of a worker that is not running, the restore runs in them and begins a generation
        // there, as a restore does, when it succeeds.
        let running = state.jet_initialized(WORKER);
        let (target_rolled, into_worker) = match action {
            Action::ExternalRestore { v2: true, arg } if i == usize::from(WORKER) => (
                matches!(
                    spec.external_restore_target(state, true, *arg),
                    TargetStep::Prepared(TargetPrepared { rolled: true, .. })
                ),
                *arg == ExtRestoreArg::TargetPaths && !running,
            ),
            _ => (false, false),
        };
        let restored = i == usize::from(WORKER)
            && (into_worker || matches!(action, Action::Restore { .. } | Action::FinishRestore))
            && code.is_success();
        if had_log && (initialized || restored || target_rolled) {
            *lead += 1;
        }
    }
    lead
}

/// The damage of a data page of the worker's database `d`. ESE's backup copies the header
/// pages from memory (backup.cxx ErrBKOpenFile, ErrBKIReadPages) and reads and verifies only
/// the others, and the engine's new database has no page beyond its header (ESE's has its
/// catalog): a table is created first (through the worker's session, or one opened for it),
/// its page 2 written by a flush, then damaged. The flush moves only the engine's checkpoint:
/// after a damage the model takes only the reads that find it.
fn damage_data_page(state: &State, d: u8, names: &Names) -> Vec<Step> {
    let worker = &state.instances[usize::from(WORKER)];
    let session = name(format!("@s{WORKER}"));
    let dbid = name(dbid_name(WORKER, d));
    let mut steps = Vec::new();
    let own_session = worker.session == crate::state::Session::None;
    if own_session {
        steps.push(step(Call::BeginSession {
            instance: Some(names.handle(InstArg::Slot(WORKER))),
            session: session.clone(),
            user_name: None,
            password: None,
        }));
    }
    if own_session || worker.open_dbs & (1 << d) == 0 {
        steps.push(step(Call::OpenDatabase {
            session: session.clone(),
            filename: db_name(WORKER, d, DbPathArg::File),
            connect: None,
            dbid: dbid.clone(),
            grbit: None,
        }));
    }
    steps.push(step(Call::InsertRecords {
        session: session.clone(),
        dbid,
        table: Some("t".into()),
        count: Some(0),
        records: None,
    }));
    if own_session {
        steps.push(step(Call::EndSession {
            session,
            grbit: None,
        }));
    }
    steps.push(step(Call::FlushCheckpoint {
        instance: Some(names.handle(InstArg::Slot(WORKER))),
    }));
    steps.push(step(Call::CorruptFile {
        path: db_name(WORKER, d, DbPathArg::File),
        offset: Some(2 * PAGE_SIZE),
        bytes: Some(PAGE_SIZE),
    }));
    steps
}

/// The trace of `path`, with the outcomes `spec` gives.
pub fn path_to_trace(spec: &Spec, path: &[Action], trace_name: &str, about: &str) -> Trace {
    path_to_indexed_trace(spec, path, trace_name, about).0
}

/// [`path_to_trace`], and for each action of `path` the 1-based number of the last trace step it
/// printed (its call, then the settings a new instance gets), so that a replay's failing step
/// names its action. Settings follow only a call that succeeded.
pub fn path_to_indexed_trace(
    spec: &Spec,
    path: &[Action],
    trace_name: &str,
    about: &str,
) -> (Trace, Vec<usize>) {
    let mut ends = Vec::with_capacity(path.len());
    let mut names = Names {
        incarnation: [0; MAX_INSTANCES],
        temporary: [false; MAX_INSTANCES],
        session_bound: [false; MAX_INSTANCES],
        bound: std::collections::BTreeSet::new(),
        taken: std::collections::BTreeSet::new(),
        live: [false; MAX_INSTANCES],
        generation_lead: [0; MAX_INSTANCES],
        archived_lead: [[0; MAX_GEN_LIMIT as usize + 1]; MAX_INSTANCES],
        generations_limited: false,
        saved_set: None,
        backup_dirs: std::collections::BTreeSet::new(),
        external_restores: 0,
        instances: spec.config.instances,
        keeps_names: spec.config.instances > 1,
    };
    let mut steps = vec![max_instances(spec)];
    // A probe's second session needs room for two.
    let sessions = if path
        .iter()
        .any(|a| matches!(a, Action::OtherSessionOpens { .. }))
    {
        2
    } else {
        1
    };
    let mut state = State::INITIAL;
    for action in path {
        let (next, outcome) = spec.step(&state, action);
        // A move of the environment that changes nothing is no event: nothing to print.
        if action.is_environment() && next == state {
            ends.push(steps.len());
            continue;
        }
        // Incarnations: a slot that comes alive gets a new handle name.
        for slot in 0..spec.config.instances {
            let was = state.instances[usize::from(slot)].life;
            let now = next.instances[usize::from(slot)].life;
            if was == Life::Unused && now != Life::Unused {
                let temporary =
                    matches!(action, Action::Restore { .. } | Action::StartRestore { .. });
                if !temporary {
                    names.incarnation[usize::from(slot)] += 1;
                }
                names.temporary[usize::from(slot)] = temporary;
            }
            if now == Life::Unused {
                names.temporary[usize::from(slot)] = false;
            }
        }
        let legacy_start = matches!(action, Action::Init { .. }) && state.mode == RunMode::NoSet;
        // A restore's temporary instance takes the process-wide paths: the worker's, set before
        // every restore that may allocate one (in one-instance mode none can).
        let temporary_restore = match action {
            Action::Restore { form, .. } | Action::StartRestore { form } => match form {
                RestoreForm::Restore | RestoreForm::Restore2 => state.mode == RunMode::NoSet,
                RestoreForm::Instance(InstArg::Zero | InstArg::Nil) => {
                    state.mode != RunMode::OneInst
                }
                RestoreForm::Instance(_) => false,
            },
            _ => false,
        };
        // The bounded model's last generation is `max_gen`; the engine's is ESE's, far away,
        // unless the trace lowers it before the first action that brings a log to `max_gen`
        // (in the engine's numbering of that log).
        if let Some(limit) = generation_limit(spec, &state, &next, &names) {
            names.generations_limited = true;
            steps.push(step(Call::LimitLogGenerations {
                generation: Some(limit),
            }));
        }
        for (i, archived) in names.archived_lead.iter_mut().enumerate() {
            let (was, now) = (
                state.instances[i].storage.current,
                next.instances[i].storage.current,
            );
            for g in was..now {
                archived[usize::from(g)] = names.generation_lead[i];
            }
        }
        names.generation_lead = generation_lead(spec, &state, &next, action, outcome.code, &names);
        let saved = |s: &State| s.instances[usize::from(WORKER)].storage.saved;
        if saved(&next) != saved(&state) {
            names.saved_set = saved(&next).map(|v| SavedSet {
                dir: names.backup_dir(&state, WORKER),
                low: names.engine_gen(&next, WORKER, v.low),
                high: names.engine_gen(&next, WORKER, v.high),
                atomic: matches!(action, Action::BackupToDir { grbit, .. }
                    if grbit & BACKUP_ATOMIC != 0 && grbit & BACKUP_INCREMENTAL == 0),
            });
        }
        if legacy_start || temporary_restore {
            steps.extend(slot_settings(None, "i0", sessions));
        }
        for (live, instance) in names.live.iter_mut().zip(&state.instances) {
            *live = instance.is_live();
        }
        let mut call_steps = action_steps(&state, action, &names);
        let expect = if outcome.code == JetErr::Success {
            Expect::Default
        } else {
            Expect::Codes(vec![outcome.code])
        };
        if let Some(last) = call_steps.last_mut() {
            if !action.is_environment()
                || matches!(action, Action::FinishTerm | Action::FinishRestore)
            {
                last.expect = expect;
            }
            last.note = Some(outcome.rule.to_string());
        }
        if outcome.code.is_success() {
            names
                .bound
                .extend(call_steps.iter().filter_map(|s| binds_instance(&s.call)));
            // A JetInit rebinds the name it was given to the instance it started.
            let started = matches!(action, Action::Init { .. })
                .then(|| {
                    (0..spec.config.instances).find(|&i| {
                        state.instances[usize::from(i)].life != Life::Initialized
                            && next.instances[usize::from(i)].life == Life::Initialized
                    })
                })
                .flatten();
            if let Some(started) = started {
                let own = names.instance(started);
                names.taken.extend(
                    call_steps
                        .iter()
                        .filter_map(|s| binds_instance(&s.call))
                        .filter(|n| *n != own),
                );
            }
        }
        steps.extend(call_steps);
        if matches!(action, Action::ExternalRestore { .. }) {
            names.external_restores += 1;
        }
        if let Action::BackupToDir {
            target,
            dir: BackupDirArg::Empty,
            ..
        } = *action
        {
            let dir = names.backup_dir(&state, target_slot(&state, target));
            names.backup_dirs.insert(dir);
        }
        // A crash restarts the process: ESE's system parameters are back at their defaults
        // (the engine's `Engine::crash` too), while the model's instance limit stays
        // `config.instances`. Set it again.
        if matches!(action, Action::Crash) {
            steps.push(max_instances(spec));
        }
        if let Action::BeginSession { .. } = action {
            for slot in 0..spec.config.instances {
                let opened = state.instances[usize::from(slot)].session
                    == crate::state::Session::None
                    && next.instances[usize::from(slot)].session != crate::state::Session::None;
                names.session_bound[usize::from(slot)] |= opened;
            }
        }
        if let Action::CreateInstance {
            null_out: false, ..
        } = action
        {
            let created = (0..spec.config.instances).find(|&i| {
                state.instances[usize::from(i)].life == Life::Unused
                    && next.instances[usize::from(i)].life != Life::Unused
            });
            if let Some(slot) = created {
                steps.extend(slot_settings(
                    name(names.instance(slot)),
                    &format!("i{slot}"),
                    sessions,
                ));
            }
        }
        ends.push(steps.len());
        state = next;
    }
    // A trace may not end with a started call still held: finish it.
    if let Some(pending) = state.pending {
        let finish_action = match pending {
            crate::state::Pending::Term { .. } => Action::FinishTerm,
            crate::state::Pending::Restore { .. } => Action::FinishRestore,
        };
        let (_, outcome) = spec.step(&state, &finish_action);
        let mut finish = action_steps(&state, &finish_action, &names);
        if let Some(last) = finish.last_mut() {
            if outcome.code != JetErr::Success {
                last.expect = Expect::Codes(vec![outcome.code]);
            }
            last.note = Some(outcome.rule.to_string());
        }
        steps.extend(finish);
    }
    if state.probe == Some(crate::state::Probe::InitHeld) {
        let mut finish = step(Call::Finish {
            id: Some("init".into()),
        });
        finish.note = Some("§1.3 JetInit: initialized".into());
        steps.push(finish);
    }
    let trace = Trace {
        name: trace_name.to_string(),
        about: about.to_string(),
        steps,
        profile: Some(spec.profile).filter(|p| *p != Profile::Esent),
        source: Some(format!("jetspec model, configuration {}", spec.config.name)),
    };
    (trace, ends)
}

/// The instance name a call binds when it succeeds.
fn binds_instance(call: &Call) -> Option<String> {
    match call {
        Call::CreateInstance { instance, .. }
        | Call::CreateInstance2 { instance, .. }
        | Call::Init { instance }
        | Call::Init2 { instance, .. }
        | Call::Init3 { instance, .. } => match instance {
            Some(HandleRef::Name(n)) => Some(n.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn target_slot(state: &State, target: Target) -> u8 {
    match target {
        Target::Legacy => state.single_instance().unwrap_or(0),
        Target::Instance(InstArg::Slot(i)) => i,
        Target::Instance(_) => 0,
    }
}

fn action_steps(state: &State, action: &Action, names: &Names) -> Vec<Step> {
    let inst = |target: Target| match target {
        Target::Legacy => None,
        Target::Instance(arg) => Some(names.handle(arg)),
    };
    let grbit = |bits: u32| Some(Grbit::Bits(bits));
    let session = |slot: u8| names.session(slot);
    let db_path = |slot: u8, db: u8| db_name(slot, db, DbPathArg::File);
    let call = match *action {
        Action::EnableMultiInstance { params } => Call::EnableMultiInstance {
            set_sys_param: match params {
                GlobalParams::NonDefault => Some(SysParamList(vec![SysParamSetting {
                    param: "JET_paramOSSnapshotTimeout".into(),
                    value: ParamValue::Number(12_345),
                }])),
                GlobalParams::BadPath => Some(SysParamList(vec![SysParamSetting {
                    param: "JET_paramSystemPath".into(),
                    value: ParamValue::Text(format!("{}/", "x".repeat(300))),
                }])),
                GlobalParams::Again => Some(SysParamList(vec![SysParamSetting {
                    param: "JET_paramMaxInstances".into(),
                    value: ParamValue::Number(i64::from(names.instances)),
                }])),
                GlobalParams::Empty | GlobalParams::NullWithCount => None,
            },
            set_sys_param_count: (params == GlobalParams::NullWithCount).then_some(1),
        },
        Action::CreateInstance {
            v2,
            name: n,
            null_out,
        } => {
            let slot = (0..MAX_INSTANCES as u8)
                .find(|&i| !state.instances[usize::from(i)].is_live())
                .unwrap_or(0);
            let instance = if null_out {
                None
            } else {
                name(names.instance(slot))
            };
            let instance_name = match n {
                NameArg::Named(k) if names.keeps_names => Some(format!("n{k}")),
                NameArg::Null | NameArg::Named(_) => None,
            };
            if v2 {
                Call::CreateInstance2 {
                    instance,
                    instance_name,
                    display_name: None,
                    grbit: None,
                }
            } else {
                Call::CreateInstance {
                    instance,
                    instance_name,
                }
            }
        }
        Action::SetParam { inst: arg, param } => {
            let (param, value) = match param {
                ParamArg::CircularLogOn => ("JET_paramCircularLog", ParamValue::Number(1)),
                ParamArg::RecoveryOff => ("JET_paramRecovery", ParamValue::Text("Off".into())),
                ParamArg::BadPath => (
                    "JET_paramLogFilePath",
                    ParamValue::Text(format!("{}/", "x".repeat(300))),
                ),
                ParamArg::OneDbPerSession => {
                    ("JET_paramOneDatabasePerSession", ParamValue::Number(1))
                }
                ParamArg::UnknownId => {
                    return vec![step(Call::SetSystemParameter {
                        instance: Some(names.handle(arg)),
                        session: None,
                        param: Some(ParamRef::Id(9999)),
                        value: Some(ParamValue::Number(1)),
                    })];
                }
            };
            return vec![set_param(Some(names.handle(arg)), param, value)];
        }
        Action::Init { form, inst: arg } => {
            let instance = match arg {
                // In NoSet mode a NULL pinstance and a pointer to a nil handle both start legacy
                // mode; the pointer lets later steps name the instance.
                InitArg::Null if state.mode == RunMode::NoSet => name(names.instance(0)),
                InitArg::Null => None,
                InitArg::Fresh => name(names.instance(0)),
                InitArg::Handle(arg) => Some(names.handle(arg)),
            };
            match form {
                crate::action::InitForm::Init => Call::Init { instance },
                crate::action::InitForm::Init2 => Call::Init2 {
                    instance,
                    grbit: grbit(0),
                },
                crate::action::InitForm::Init3 => Call::Init3 {
                    instance,
                    rst_info: None,
                    grbit: grbit(0),
                },
            }
        }
        Action::Term {
            inst: arg,
            grbit: None,
        } => Call::Term {
            instance: Some(names.handle(arg)),
        },
        Action::Term {
            inst: arg,
            grbit: Some(g),
        } => Call::Term2 {
            instance: Some(names.handle(arg)),
            grbit: grbit(g),
        },
        Action::StopService {
            target: Target::Legacy,
            ..
        } => Call::StopService {},
        Action::StopService {
            target,
            grbit: None,
        } => Call::StopServiceInstance {
            instance: inst(target),
        },
        Action::StopService {
            target,
            grbit: Some(g),
        } => Call::StopServiceInstance2 {
            instance: inst(target),
            grbit: grbit(g),
        },
        Action::StopBackup {
            target: Target::Legacy,
        } => Call::StopBackup {},
        Action::StopBackup { target } => Call::StopBackupInstance {
            instance: inst(target),
        },
        Action::GetInstanceInfo { null_out } => Call::GetInstanceInfo {
            null_outputs: null_out.then_some(true),
        },
        Action::GetInstanceMiscInfo {
            inst: arg,
            arg: info,
        } => Call::GetInstanceMiscInfo {
            instance: Some(names.handle(arg)),
            cb_max: Some(if info == MiscInfoArg::SmallBuffer {
                4
            } else {
                JET_SIGNATURE_BYTES as i64
            }),
            info_level: Some(if info == MiscInfoArg::BadLevel { 3 } else { 0 }),
        },
        Action::FreeBuffer => Call::FreeBuffer { buf: None },
        Action::SetParamBadSesid { inst: arg } => Call::SetSystemParameter {
            instance: Some(names.handle(arg)),
            session: Some(HandleRef::Raw(NEVER_A_HANDLE + 2)),
            param: Some(ParamRef::Name("JET_paramCircularLog".into())),
            value: Some(ParamValue::Number(1)),
        },
        Action::SetSessionContext { slot } => Call::SetSessionContext {
            session: session(slot),
            context: Some(SESSION_CONTEXT),
        },
        Action::ResetSessionContext { slot } => Call::ResetSessionContext {
            session: session(slot),
        },
        Action::BeginSession { inst: arg } => {
            let slot = target_slot(state, Target::Instance(arg));
            Call::BeginSession {
                instance: Some(names.handle(arg)),
                session: name(format!("@s{slot}")),
                user_name: None,
                password: None,
            }
        }
        Action::EndSession { slot } => Call::EndSession {
            session: session(slot),
            grbit: None,
        },
        Action::BeginTransaction { slot } => Call::BeginTransaction {
            session: session(slot),
        },
        Action::Rollback { slot } => Call::Rollback {
            session: session(slot),
            grbit: None,
        },
        Action::CommitTransaction { slot } => Call::CommitTransaction {
            session: session(slot),
            grbit: None,
        },
        Action::CreateDatabase {
            slot,
            db,
            v2: false,
            path: p,
        } => Call::CreateDatabase {
            session: session(slot),
            filename: db_name(slot, db, p),
            connect: None,
            dbid: name(dbid_name(slot, db)),
            grbit: None,
        },
        Action::CreateDatabase {
            slot,
            db,
            v2: true,
            path: p,
        } => Call::CreateDatabase2 {
            session: session(slot),
            filename: db_name(slot, db, p),
            database_size_max: None,
            dbid: name(dbid_name(slot, db)),
            grbit: None,
        },
        Action::AttachDatabase {
            slot,
            db,
            v2: false,
            path: p,
        } => Call::AttachDatabase {
            session: session(slot),
            filename: db_name(slot, db, p),
            grbit: None,
        },
        Action::AttachDatabase {
            slot,
            db,
            v2: true,
            path: p,
        } => Call::AttachDatabase2 {
            session: session(slot),
            filename: db_name(slot, db, p),
            database_size_max: None,
            grbit: None,
        },
        Action::DetachDatabase {
            slot,
            db,
            v2: false,
            ..
        } => Call::DetachDatabase {
            session: session(slot),
            filename: db_path(slot, db),
        },
        Action::DetachDatabase {
            slot,
            db,
            v2: true,
            force,
        } => Call::DetachDatabase2 {
            session: session(slot),
            filename: db_path(slot, db),
            grbit: force.then(|| Grbit::Names(vec!["JET_bitForceDetach".into()])),
        },
        Action::OpenDatabase { slot, db, arg } => Call::OpenDatabase {
            session: session(slot),
            filename: match arg {
                OpenDbArg::Shared | OpenDbArg::Exclusive => db_path(slot, db),
                OpenDbArg::NullName => None,
                OpenDbArg::TempDb => path(format!("i{slot}/tmp/tmp.edb")),
            },
            connect: None,
            dbid: name(dbid_name(slot, db)),
            grbit: (arg == OpenDbArg::Exclusive)
                .then(|| Grbit::Names(vec!["JET_bitDbExclusive".into()])),
        },
        Action::CloseDatabase { slot, db } => Call::CloseDatabase {
            session: session(slot),
            // An id the session does not hold now may never have been bound: a raw one.
            dbid: match db {
                Some(d) if state.instances[usize::from(slot)].open_dbs & (1 << d) != 0 => {
                    name(dbid_name(slot, d))
                }
                _ => Some(HandleRef::Raw(0x7fff)),
            },
            grbit: None,
        },
        Action::BeginBackup {
            target: Target::Legacy,
            grbit: g,
        } => Call::BeginExternalBackup { grbit: grbit(g) },
        Action::BeginBackup { target, grbit: g } => Call::BeginExternalBackupInstance {
            instance: inst(target),
            grbit: grbit(g),
        },
        Action::GetAttachInfo {
            target: Target::Legacy,
        } => Call::GetAttachInfo { cb_max: None },
        Action::GetAttachInfo { target } => Call::GetAttachInfoInstance {
            instance: inst(target),
            cb_max: None,
        },
        Action::OpenFile { target, file } => {
            let filename = backup_file_name(state, names, target, file);
            match target {
                Target::Legacy => Call::OpenFile {
                    filename,
                    file: name(FILE_HANDLE),
                },
                _ => Call::OpenFileInstance {
                    instance: inst(target),
                    filename,
                    file: name(FILE_HANDLE),
                },
            }
        }
        Action::ReadFile {
            target,
            handle,
            buffer,
        } => {
            let file = file_handle(state, target, handle);
            let cb = Some(match buffer {
                ReadArg::Chunk => 8 * PAGE_SIZE,
                ReadArg::TwoPages => 2 * PAGE_SIZE,
                ReadArg::OnePage => PAGE_SIZE,
                ReadArg::Ragged => PAGE_SIZE + 100,
                ReadArg::Zero => 0,
                ReadArg::Unaligned => 8 * PAGE_SIZE,
            });
            let unaligned = (buffer == ReadArg::Unaligned).then_some(true);
            match target {
                Target::Legacy => Call::ReadFile {
                    file,
                    cb,
                    buffer_unaligned: unaligned,
                },
                _ => Call::ReadFileInstance {
                    instance: inst(target),
                    file,
                    cb,
                    buffer_unaligned: unaligned,
                },
            }
        }
        // The copy is the trace's own file, which the model does not keep: the reader reads
        // any `to` as this one.
        Action::CopyBackupFile { target, file } => Call::CopyBackupFile {
            instance: inst(target),
            filename: backup_file_name(state, names, target, file),
            to: path("copies/"),
        },
        Action::CloseFile { target, handle } => {
            let file = file_handle(state, target, handle);
            match target {
                Target::Legacy => Call::CloseFile { file },
                _ => Call::CloseFileInstance {
                    instance: inst(target),
                    file,
                },
            }
        }
        Action::GetLogInfo {
            target: Target::Legacy,
            ..
        } => Call::GetLogInfo { cb_max: None },
        Action::GetLogInfo { target, v2: false } => Call::GetLogInfoInstance {
            instance: inst(target),
            cb_max: None,
        },
        Action::GetLogInfo { target, v2: true } => Call::GetLogInfoInstance2 {
            instance: inst(target),
            cb_max: None,
        },
        Action::GetTruncateLogInfo { inst: arg } => Call::GetTruncateLogInfoInstance {
            instance: Some(names.handle(arg)),
            cb_max: None,
        },
        Action::TruncateLog {
            target: Target::Legacy,
        } => Call::TruncateLog {},
        Action::TruncateLog { target } => Call::TruncateLogInstance {
            instance: inst(target),
        },
        Action::EndBackup {
            target: Target::Legacy,
            ..
        } => Call::EndExternalBackup {},
        Action::EndBackup {
            target,
            grbit: None,
        } => Call::EndExternalBackupInstance {
            instance: inst(target),
        },
        Action::EndBackup {
            target,
            grbit: Some(g),
        } => Call::EndExternalBackupInstance2 {
            instance: inst(target),
            grbit: grbit(g),
        },
        Action::BackupToDir {
            target,
            dir,
            grbit: g,
        } => {
            let slot = target_slot(state, target);
            let backup_path = match dir {
                BackupDirArg::Empty => path(names.backup_dir(state, slot)),
                // An atomic backup leaves `new/` (and `old/`) behind, which a later
                // non-atomic incremental into the same directory refuses (backup.cxx
                // ErrBKIPrepareDirectory); the model does not keep that history, so atomic
                // backups get a directory of their own.
                BackupDirArg::NotEmpty if g & BACKUP_ATOMIC != 0 => {
                    path(format!("i{slot}/atomic/"))
                }
                BackupDirArg::NotEmpty => path(format!("i{slot}/")),
                BackupDirArg::TooLong => path(format!("{}/", "x".repeat(300))),
            };
            match target {
                Target::Legacy => Call::Backup {
                    backup_path,
                    grbit: grbit(g),
                },
                _ => Call::BackupInstance {
                    instance: inst(target),
                    backup_path,
                    grbit: grbit(g),
                },
            }
        }
        Action::RollLog { slot } => Call::RollLog {
            instance: Some(names.handle(InstArg::Slot(slot))),
        },
        Action::AdvanceCheckpoint { slot } => Call::FlushCheckpoint {
            instance: Some(names.handle(InstArg::Slot(slot))),
        },
        Action::Crash => Call::Crash {},
        Action::LogWriteFails { slot } => Call::FailLogWrites {
            instance: Some(names.handle(InstArg::Slot(slot))),
            error: Some(Word("EIO".into())),
        },
        Action::LogDiskFills { slot } => Call::FailLogWrites {
            instance: Some(names.handle(InstArg::Slot(slot))),
            error: Some(Word("ENOSPC".into())),
        },
        Action::FatalError { slot, disk_full } => Call::MakeUnavailable {
            instance: Some(names.handle(InstArg::Slot(slot))),
            error: Some(Word(if disk_full { "ENOSPC" } else { "EIO" }.into())),
        },
        Action::DamageCheckpoint {
            slot,
            missing: true,
        } => Call::DeleteFile {
            path: path(format!("i{slot}/edb.chk")),
        },
        // Both copies: ESE's checkpoint file holds the checkpoint and its shadow, 4 KiB each,
        // and reads the shadow when the first does not check (log.cxx ErrLGReadCheckpoint,
        // fileu.cxx ErrUtilReadShadowedHeader), so damaging the first alone is no damage.
        Action::DamageCheckpoint {
            slot,
            missing: false,
        } => Call::CorruptFile {
            path: path(format!("i{slot}/edb.chk")),
            offset: Some(0),
            bytes: Some(CHECKPOINT_FILE_BYTES),
        },
        // Both header pages of a database, or
        // a log's file header: what a backup's read verifies first.
        Action::Corrupt {
            target: FileTarget::Db(d),
        } => return damage_data_page(state, d, names),
        Action::Corrupt {
            target: FileTarget::Log(g),
        } => Call::CorruptFile {
            path: if g == state.instances[usize::from(WORKER)].storage.current {
                path(format!("i{WORKER}/logs/edb.log"))
            } else {
                path(names.archived_log(state, WORKER, g))
            },
            offset: Some(0),
            bytes: Some(64),
        },
        Action::Corrupt {
            target: FileTarget::Patch,
        } => return Vec::new(),
        Action::FailAllocation { buffers } => Call::FailAllocation {
            what: Some(Word(if buffers { "buffers" } else { "memory" }.into())),
        },
        Action::OtherSessionOpens { db } => {
            return vec![
                step(Call::BeginSession {
                    instance: Some(names.handle(InstArg::Slot(WORKER))),
                    session: name(format!("@s{WORKER}b")),
                    user_name: None,
                    password: None,
                }),
                step(Call::OpenDatabase {
                    session: name(format!("@s{WORKER}b")),
                    filename: db_path(WORKER, db),
                    connect: None,
                    dbid: name(format!("@d{WORKER}{db}b")),
                    grbit: Some(Grbit::Names(vec!["JET_bitDbExclusive".into()])),
                }),
            ];
        }
        Action::AttachElsewhere { db } => return attach_elsewhere_steps(state, db),
        Action::FillAttachments => {
            let attached = state.instances[usize::from(WORKER)]
                .storage
                .dbs
                .iter()
                .filter(|d| d.file == DbFile::Attached)
                .count();
            return (attached..USER_DATABASES_MAX)
                .map(|k| {
                    step(Call::CreateDatabase {
                        session: session(WORKER),
                        filename: path(format!("i{WORKER}/filler{k}.edb")),
                        connect: None,
                        dbid: name(format!("@filler{k}")),
                        grbit: None,
                    })
                })
                .collect();
        }
        Action::MakeReadOnly { db } => Call::MakeReadOnly {
            path: db_path(WORKER, db),
        },
        Action::HoldFile { db } => Call::HoldFile {
            path: db_path(WORKER, db),
        },
        Action::ChangePageSize => {
            return vec![set_param(
                None,
                "JET_paramDatabasePageSize",
                ParamValue::Number(2 * PAGE_SIZE),
            )];
        }
        Action::StartInit => Call::Start {
            call: Some(Box::new(Call::Init {
                instance: name(names.instance(WORKER)),
            })),
            id: Some("init".into()),
            pause_at: None,
        },
        Action::StartTerm { slot, grbit: g } => Call::Start {
            call: Some(Box::new(Call::Term2 {
                instance: Some(names.handle(InstArg::Slot(slot))),
                grbit: grbit(g),
            })),
            id: Some("term".into()),
            pause_at: None,
        },
        Action::FinishTerm => Call::Finish {
            id: Some("term".into()),
        },
        Action::Restore { form, src } => restore_call(names, form, src),
        Action::StartRestore { form } => Call::Start {
            call: Some(Box::new(restore_call(names, form, RestoreSrc::Set))),
            id: Some("restore".into()),
            pause_at: None,
        },
        Action::FinishRestore => Call::Finish {
            id: Some("restore".into()),
        },
        Action::ExternalRestore { v2, arg } => {
            return external_restore_steps(state, names, v2, arg);
        }
    };
    vec![step(call)]
}

/// The file of database `db` of the instance in `slot`, as traces name it.
pub fn database_path(slot: u8, db: u8) -> String {
    format!("i{slot}/db{db}.edb")
}

/// The file name a create or attach passes for database `db` of slot `slot`.
fn db_name(slot: u8, db: u8, arg: DbPathArg) -> Option<PathArg> {
    match arg {
        DbPathArg::File => path(database_path(slot, db)),
        DbPathArg::Null => None,
        DbPathArg::TooLong => path(format!("{}.edb", "x".repeat(300))),
    }
}

/// The harness steps that check on the engine what `state` says can be seen from outside: how
/// many instances are allocated and how many run (leaving out the one that plays another
/// process), and which of the model's database files exist. None while a call is held (the
/// engine is then between two states) or in a probe's state (a probe plays a situation the
/// model's storage does not record: another process's instance and files, damage, a failing
/// allocation).
pub fn state_checks(spec: &Spec, state: &State) -> Vec<Step> {
    if state.pending.is_some() || state.probe.is_some() {
        return Vec::new();
    }
    let count = |life: Life| state.instances.iter().filter(|i| i.life == life).count() as i64;
    let mut steps = vec![step(Call::VerifyInstances {
        allocated: Some(count(Life::Created)),
        running: Some(count(Life::Initialized)),
        except: Some(OTHER_INSTANCE_NAME.into()),
    })];
    for slot in 0..spec.config.instances {
        for db in 0..spec.config.dbs {
            let file = state.instances[usize::from(slot)].storage.dbs[usize::from(db)].file;
            steps.push(step(Call::VerifyFile {
                path: path(database_path(slot, db)),
                exists: Some(file != DbFile::Absent),
            }));
        }
    }
    steps
}

/// The name of the instance that plays another process in [`Action::AttachElsewhere`]: not
/// one of the model's instances.
pub const OTHER_INSTANCE_NAME: &str = "other";

/// Another instance (`@other`, its files under `other/`) creates the worker's database `db`
/// file, or attaches it when it exists.
fn attach_elsewhere_steps(state: &State, db: u8) -> Vec<Step> {
    let other = || name("@other");
    let mut steps = vec![step(Call::CreateInstance {
        instance: other(),
        instance_name: Some(OTHER_INSTANCE_NAME.into()),
    })];
    steps.extend(slot_settings(other(), "other", 1));
    steps.push(step(Call::Init { instance: other() }));
    steps.push(step(Call::BeginSession {
        instance: other(),
        session: name("@s_other"),
        user_name: None,
        password: None,
    }));
    let filename = db_name(WORKER, db, DbPathArg::File);
    let session = name("@s_other");
    steps.push(step(
        if state.instances[usize::from(WORKER)].storage.dbs[usize::from(db)].file == DbFile::Absent
        {
            Call::CreateDatabase {
                session,
                filename,
                connect: None,
                dbid: name("@d_other"),
                grbit: None,
            }
        } else {
            Call::AttachDatabase {
                session,
                filename,
                grbit: None,
            }
        },
    ));
    steps
}

fn restore_call(names: &Names, form: RestoreForm, src: RestoreSrc) -> Call {
    let backup_path = path(match src {
        RestoreSrc::Set => names.saved_dir(),
        RestoreSrc::NoLogs => "backups/empty/".to_string(),
        RestoreSrc::TooLong => format!("{}/", "x".repeat(300)),
    });
    match form {
        RestoreForm::Restore => Call::Restore { backup_path },
        RestoreForm::Restore2 => Call::Restore2 {
            backup_path,
            dest: None,
        },
        RestoreForm::Instance(arg) => Call::RestoreInstance {
            instance: Some(names.handle(arg)),
            backup_path,
            dest: None,
        },
    }
}

/// JetExternalRestore(2) of the worker's backup set: its databases are copied to `restore/`
/// first (or a live copy, a damaged copy, or nothing, as `arg` says), its logs replayed from
/// the backup directory; the private instance works in `restore/`.
fn external_restore_steps(state: &State, names: &Names, v2: bool, arg: ExtRestoreArg) -> Vec<Step> {
    use ExtRestoreArg as A;
    let storage = &state.instances[usize::from(WORKER)].storage;
    let saved = storage.saved.unwrap_or(Saved {
        low: 1,
        high: 1,
        dbs: 0,
    });
    let set = names.saved_set.as_ref();
    let (low, high) = set.map_or((1, 1), |v| (v.low, v.high));
    let dir = match set {
        Some(v) if v.atomic => format!("{}new/", v.dir),
        _ => names.saved_dir(),
    };
    let r = match names.external_restores {
        0 => "restore/".to_string(),
        n => format!("restore{n}/"),
    };
    let mut steps = Vec::new();
    let mut map = Vec::new();
    let entry = |d: u8, to: String| RestoreMapEntry {
        database_name: Some(database_path(WORKER, d)),
        new_database_name: Some(to),
    };
    let copy = |from: String, to: String| {
        step(Call::CopyFile {
            from: path(from),
            to: path(to),
        })
    };
    let set_dbs = (0..MAX_DBS as u8).filter(|d| saved.dbs & (1 << d) != 0);
    match arg {
        A::MapMissing => map.push(entry(0, format!("{r}missing.edb"))),
        A::MapNonBackup => {
            if storage.dbs[0].file != DbFile::Absent {
                steps.push(copy(database_path(WORKER, 0), format!("{r}db0.edb")));
            }
            map.push(entry(0, format!("{r}db0.edb")));
        }
        A::MapCorrupt => {
            if let Some(d) = set_dbs.clone().next() {
                let to = format!("{r}db{d}.edb");
                steps.push(copy(format!("{dir}db{d}.edb"), to.clone()));
                // Both header pages: ESE reads a database header with its shadow
                // (fileu.cxx ErrUtilReadShadowedHeader), so damaging the first alone is
                // no damage.
                steps.push(step(Call::CorruptFile {
                    path: path(to.clone()),
                    offset: Some(0),
                    bytes: Some(2 * PAGE_SIZE),
                }));
                map.push(entry(d, to));
            } else {
                map.push(entry(0, format!("{r}db0.edb")));
            }
        }
        _ => {
            for d in set_dbs {
                let to = format!("{r}db{d}.edb");
                steps.push(copy(format!("{dir}db{d}.edb"), to.clone()));
                map.push(entry(d, to));
            }
        }
    }
    let (gen_low, gen_high) = match arg {
        A::LowTooHigh => (low + 1, high),
        A::HighTooLow => (low, high.saturating_sub(1)),
        _ => (low, high),
    };
    let backup_log_path = path(if arg == A::NoLogs {
        "backups/empty/".to_string()
    } else {
        dir.clone()
    });
    let log_path = path(if arg == A::TooLong {
        format!("{}/", "x".repeat(300))
    } else {
        format!("{r}logs/")
    });
    let restore_map_count = Some(if arg == A::MapBadCount {
        -1
    } else {
        map.len() as i64
    });
    let restore_map = (!map.is_empty()).then_some(RestoreMap(map));
    let checkpoint_file_path = path(r.clone());
    let call = if v2 {
        let (target_log, target_checkpoint) = match arg {
            A::TargetPaths => (
                path(format!("i{WORKER}/logs/")),
                path(format!("i{WORKER}/")),
            ),
            A::HalfTarget => (path(format!("i{WORKER}/logs/")), None),
            _ => (None, None),
        };
        Call::ExternalRestore2 {
            checkpoint_file_path,
            log_path,
            restore_map,
            restore_map_count,
            backup_log_path,
            log_info: Some(LogInfo {
                gen_low: i64::from(gen_low),
                gen_high: i64::from(gen_high),
                base_name: "edb".into(),
                cb_size: (arg == A::BadLogInfo).then_some(0),
            }),
            target_instance_name: (arg == A::TargetName).then(|| "n0".to_string()),
            target_instance_log_path: target_log,
            target_instance_checkpoint_path: target_checkpoint,
        }
    } else {
        Call::ExternalRestore {
            checkpoint_file_path,
            log_path,
            restore_map,
            restore_map_count,
            backup_log_path,
            gen_low: Some(i64::from(gen_low)),
            gen_high: Some(i64::from(gen_high)),
        }
    };
    steps.push(step(call));
    steps
}

fn file_handle(state: &State, target: Target, handle: HandleArg) -> Option<HandleRef> {
    let slot = target_slot(state, target);
    let open = state.instances[usize::from(slot)]
        .backup
        .is_some_and(|b| b.file.is_some());
    match handle {
        HandleArg::Open if open => name(FILE_HANDLE),
        HandleArg::Open => Some(HandleRef::Raw(0)),
        HandleArg::Other => Some(HandleRef::Raw(1)),
    }
}
