//! Which actions the model tries in a state.
//!
//! In [`Mode::Probe`] every call in scope is tried with argument choices that reach each of its
//! documented outcomes: argument variations with the worker's handle, and invalid handles (0,
//! made up, a companion's) and the legacy form in the wrong mode with one argument each, since
//! the entry checks refuse them before any argument is looked at. That is what witnesses and
//! coverage need. [`Mode::Explore`] leaves out the actions that cannot change the state here (a
//! call refused before it does anything), which is all the model checker needs; a test holds
//! the two modes to the same states.
//!
//! Scope: an instance does database work (sessions, databases, the environment's moves) only
//! while it logs and nothing has gone wrong with it; after JetStopService, a log fault, a
//! damaged checkpoint file or with `JET_paramRecovery` off it can still be called, stopped and
//! terminated, which is where those conditions show. Databases are created in order (database
//! 1 after database 0), since the two are interchangeable.
//!
//! Symmetry: instances are interchangeable and share only the run mode, their names and the
//! instance limit. So slot 0, the worker, does everything an instance does alone (sessions,
//! databases, backups, the environment's moves), and the other slots, the companions, do what
//! instances do to each other: they are created, named, initialized and stopped beside a worker
//! that has done nothing yet, and terminated at any time. The worker works while no companion
//! lives. Any behaviour of a companion alone is the worker's under another name, and what two
//! instances do side by side commutes, so no answer is lost.

use crate::action::{
    Action, BackupDirArg, DbPathArg, ExtRestoreArg, FileArg, GlobalParams, HandleArg, InitArg,
    InitForm, InstArg, MiscInfoArg, NameArg, OpenDbArg, ParamArg, ReadArg, RestoreForm, RestoreSrc,
    Target,
};
use crate::config::{MAX_DBS, MAX_INSTANCES};
use crate::state::{
    BackupKind, CheckpointFile, DbFile, FileTarget, Health, Life, Pending, RunMode, Session, State,
};
use crate::step::Spec;
use jetapi::trace::Profile;

/// The slot that does the work.
pub const WORKER: u8 = 0;

/// Grbits tried on JetBeginExternalBackup: none, each documented or header bit, an invalid
/// combination and an unknown bit (last: the one invalid handles get).
pub const BEGIN_GRBITS: &[u32] = &[0x0, 0x1, 0x4, 0x10, 0x20, 0x40, 0x41, 0x100];
/// Grbits tried on JetBackup(Instance): full, incremental, atomic, and a bit it ignores.
pub const BACKUP_TO_DIR_GRBITS: &[u32] = &[0x0, 0x1, 0x4, 0x100];
/// Grbits tried on JetEndExternalBackupInstance2 (last: neither Normal nor Abort).
pub const END_GRBITS: &[u32] = &[0x1, 0x2, 0x3, 0x100, 0x101, 0x201, 0x0];
/// Grbits tried on JetTerm2.
pub const TERM_GRBITS: &[u32] = &[0x0, 0x1, 0x2, 0x4, 0x8];
/// Grbits tried on JetStopServiceInstance2 (last: an unknown bit).
pub const STOP_SERVICE_GRBITS: &[u32] = &[
    0x0,
    0x2,
    0x4,
    0x8,
    0x8000_0000,
    0x8000_0004,
    0x8000_0008,
    0x100,
];
const READ_ARGS: [ReadArg; 5] = [
    ReadArg::Chunk,
    ReadArg::TwoPages,
    ReadArg::Ragged,
    ReadArg::Zero,
    ReadArg::Unaligned,
];

/// A list of at most `N` items on the stack: the few targets, handles or forms one state tries,
/// gathered without a heap allocation per state. More than `N` is a programmer error.
struct Few<T: Copy, const N: usize> {
    items: [Option<T>; N],
    len: usize,
}

impl<T: Copy, const N: usize> Few<T, N> {
    fn new() -> Self {
        Few {
            items: [None; N],
            len: 0,
        }
    }

    fn push(&mut self, item: T) {
        self.items[self.len] = Some(item);
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.items[..self.len].iter().flatten().copied()
    }
}

/// Which actions to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every action, state-changing or not.
    Probe,
    /// Only the actions that may change the state.
    Explore,
}

/// Pushes the actions to try in `s`.
pub fn actions(spec: &Spec, s: &State, mode: Mode, out: &mut Vec<Action>) {
    let probe = mode == Mode::Probe;
    // A hazard's state ends its path: the finding is the shortest path to it.
    if s.hazard.is_some() {
        return;
    }
    if let Some(probe) = s.probe {
        let mut on = vec![Target::Instance(InstArg::Slot(WORKER))];
        if spec.config.legacy && s.mode == RunMode::OneInst {
            on.push(Target::Legacy);
        }
        crate::probes::probe_calls(spec, s, probe, &on, out);
        return;
    }
    let worker = &s.instances[usize::from(WORKER)];
    let worker_live = worker.is_live();
    let worker_quiet = worker_fresh(worker);
    let companion_live = s.instances[1..usize::from(spec.config.instances)]
        .iter()
        .any(|i| i.is_live());
    let legacy_valid = spec.config.legacy && s.mode == RunMode::OneInst && worker_live;

    // The worker's targets: both forms when legacy mode makes both valid (probe), one otherwise.
    let mut work_targets: Few<Target, 2> = Few::new();
    if worker_live {
        work_targets.push(Target::Instance(InstArg::Slot(WORKER)));
    }
    if legacy_valid && (probe || !worker_live) {
        work_targets.push(Target::Legacy);
    }
    // Targets that the entry checks refuse, tried with one argument each.
    let mut refused: Vec<Target> = Vec::new();
    if probe {
        if spec.config.legacy && !legacy_valid {
            refused.push(Target::Legacy);
        }
        if !worker_live {
            refused.push(Target::Instance(InstArg::Slot(WORKER)));
        }
        for i in 1..spec.config.instances {
            refused.push(Target::Instance(InstArg::Slot(i)));
        }
        // In one-instance mode ErrFindPinst ignores a 0 handle and uses the single instance.
        if s.mode != RunMode::OneInst {
            refused.push(Target::Instance(InstArg::Zero));
        }
        refused.push(Target::Instance(InstArg::Garbage));
    }

    lifecycle(spec, s, mode, worker_quiet, out);
    let backup = worker.backup;
    for target in work_targets.iter() {
        if companion_live {
            refused_backup_calls(target, out);
        } else {
            backup_calls(
                spec,
                target,
                probe,
                backup.is_some(),
                backup.is_some_and(|b| b.file.is_some()),
                out,
            );
        }
    }
    for &target in &refused {
        refused_backup_calls(target, out);
    }
    restore_calls(spec, s, probe, companion_live, out);
    if worker_live && !companion_live {
        environment(s, out);
        if probe {
            damage(s, out);
        }
    } else if s.live_count() > 0 {
        out.push(Action::Crash);
    }
    if probe {
        crate::probes::set_up(spec, s, out);
    }
}

/// The actions a trace may take in `s`, for reading a trace back into the model: those of
/// [`Mode::Probe`], and those the search leaves out by symmetry or scope (see the module
/// comment), which the model answers all the same. Another instance created or initialized
/// while the worker is busy, the worker's session where it does no database work, a database
/// opened again, a read through a handle never opened or of one page, one instance name more
/// than there are slots, `JET_instanceNil` (or 0 in one-instance mode) passed where an
/// instance is, JetCommitTransaction, and the harness action CopyBackupFile of any file the
/// trace may open.
pub fn reading_actions(spec: &Spec, s: &State, out: &mut Vec<Action>) {
    let from = out.len();
    actions(spec, s, Mode::Probe, out);
    // CopyBackupFile of every file the trace may open, a damaged or held one too.
    let mut more: Vec<Action> = out[from..]
        .iter()
        .filter_map(|action| match *action {
            Action::OpenFile { target, file } => Some(Action::CopyBackupFile { target, file }),
            _ => None,
        })
        .collect();
    if s.hazard.is_some() || s.probe.is_some() {
        out.append(&mut more);
        return;
    }
    if s.mode != RunMode::OneInst {
        for v2 in [false, true] {
            for null_out in [false, true] {
                more.push(Action::CreateInstance {
                    v2,
                    name: NameArg::Null,
                    null_out,
                });
                for k in 0..=spec.config.instances {
                    more.push(Action::CreateInstance {
                        v2,
                        name: NameArg::Named(k),
                        null_out,
                    });
                }
            }
        }
    }
    for i in 0..spec.config.instances {
        if s.instances[usize::from(i)].is_live() {
            let inst = InstArg::Slot(i);
            for form in [InitForm::Init, InitForm::Init2, InitForm::Init3] {
                more.push(Action::Init {
                    form,
                    inst: InitArg::Handle(inst),
                });
            }
            more.push(Action::BeginSession { inst });
        }
    }
    // JET_instanceNil, which the search does not try, and 0, which it does not try in
    // one-instance mode (where it stands for the single instance).
    for inst in [InstArg::Nil, InstArg::Zero] {
        for grbit in [None, Some(0)] {
            more.push(Action::Term { inst, grbit });
            more.push(Action::StopService {
                target: Target::Instance(inst),
                grbit,
            });
        }
        more.push(Action::BeginSession { inst });
    }
    let worker = &s.instances[usize::from(WORKER)];
    if worker.is_live() {
        more.push(Action::CommitTransaction { slot: WORKER });
        for db in 0..spec.config.dbs {
            more.push(Action::OpenDatabase {
                slot: WORKER,
                db,
                arg: OpenDbArg::Shared,
            });
        }
        let mut targets = vec![Target::Instance(InstArg::Slot(WORKER))];
        if spec.config.legacy && s.mode == RunMode::OneInst {
            targets.push(Target::Legacy);
        }
        for target in targets {
            for buffer in READ_ARGS {
                more.push(Action::ReadFile {
                    target,
                    handle: HandleArg::Other,
                    buffer,
                });
            }
            for handle in [HandleArg::Open, HandleArg::Other] {
                more.push(Action::ReadFile {
                    target,
                    handle,
                    buffer: ReadArg::OnePage,
                });
            }
        }
    }
    for action in more {
        if !out[from..].contains(&action) {
            out.push(action);
        }
    }
}

const EXTERNAL_RESTORE_V1: [ExtRestoreArg; 9] = [
    ExtRestoreArg::Set,
    ExtRestoreArg::NoLogs,
    ExtRestoreArg::TooLong,
    ExtRestoreArg::MapBadCount,
    ExtRestoreArg::MapMissing,
    ExtRestoreArg::MapCorrupt,
    ExtRestoreArg::MapNonBackup,
    ExtRestoreArg::LowTooHigh,
    ExtRestoreArg::HighTooLow,
];
const EXTERNAL_RESTORE_V2_ONLY: [ExtRestoreArg; 4] = [
    ExtRestoreArg::BadLogInfo,
    ExtRestoreArg::HalfTarget,
    ExtRestoreArg::TargetName,
    ExtRestoreArg::TargetPaths,
];

/// The restore calls. A JetBackup directory restores into the worker's storage, so only the
/// worker restores it, or a temporary instance while the worker does not live; other instances
/// are tried with a path that is refused. JetExternalRestore changes at most the run mode and,
/// naming the worker as its target, the log files of the worker's current generation.
fn restore_calls(spec: &Spec, s: &State, probe: bool, companion_live: bool, out: &mut Vec<Action>) {
    if matches!(s.pending, Some(Pending::Restore { .. })) {
        out.push(Action::FinishRestore);
    }
    // Without a backup set a restore changes nothing, and JetExternalRestore changes only a
    // NoSet run mode.
    let saved = s.instances[usize::from(WORKER)].storage.saved.is_some();
    if !probe && s.mode == RunMode::NoSet {
        out.push(Action::ExternalRestore {
            v2: true,
            arg: ExtRestoreArg::TargetName,
        });
    }
    if !probe && !saved {
        return;
    }
    // JetExternalRestore2 given the worker's log path replays on into it (or, with the worker
    // running, has it close its log file): one more log file in the worker's current
    // generation, which a later deletion can take the first of; the model keeps that only for
    // the generation after the set (`Storage::canonicalize`).
    let storage = &s.instances[usize::from(WORKER)].storage;
    if !probe && storage.saved.is_some_and(|v| v.high + 1 == storage.current) {
        out.push(Action::ExternalRestore {
            v2: true,
            arg: ExtRestoreArg::TargetPaths,
        });
    }
    let worker_live = s.instances[usize::from(WORKER)].is_live();
    let mut forms: Few<RestoreForm, 4> = Few::new();
    // In one-instance mode the caller may never have learned the single instance's handle (a
    // JetInit given a value that was not its own), and no value passed to JetRestoreInstance
    // reaches it then: 0 allocates a new instance and any other fails validation. The
    // already-initialized check is offered in multi-instance mode and by JetRestore.
    if s.mode != RunMode::OneInst {
        forms.push(RestoreForm::Instance(InstArg::Slot(WORKER)));
    }
    if spec.config.legacy {
        forms.push(RestoreForm::Restore);
    }
    if !worker_live {
        forms.push(RestoreForm::Instance(InstArg::Zero));
    }
    for form in forms.iter() {
        out.push(Action::Restore {
            form,
            src: RestoreSrc::Set,
        });
        if s.pending.is_none() && !companion_live && form != RestoreForm::Instance(InstArg::Zero) {
            out.push(Action::StartRestore { form });
        }
    }
    if !probe {
        return;
    }
    if spec.config.legacy {
        forms.push(RestoreForm::Restore2);
        out.push(Action::Restore {
            form: RestoreForm::Restore2,
            src: RestoreSrc::Set,
        });
    }
    for form in forms.iter() {
        for src in [RestoreSrc::NoLogs, RestoreSrc::TooLong] {
            out.push(Action::Restore { form, src });
        }
    }
    let mut refused = vec![InstArg::Garbage];
    if worker_live {
        refused.push(InstArg::Zero);
    }
    refused.extend((1..spec.config.instances).map(InstArg::Slot));
    for inst in refused {
        out.push(Action::Restore {
            form: RestoreForm::Instance(inst),
            src: RestoreSrc::TooLong,
        });
    }
    for v2 in [false, true] {
        for arg in EXTERNAL_RESTORE_V1 {
            out.push(Action::ExternalRestore { v2, arg });
        }
    }
    for arg in EXTERNAL_RESTORE_V2_ONLY {
        out.push(Action::ExternalRestore { v2: true, arg });
    }
}

/// True when the worker has done nothing yet (or does not live): companions may move.
fn worker_fresh(worker: &crate::state::Instance) -> bool {
    !worker.is_live()
        || (worker.backup.is_none()
            && worker.session == Session::None
            && worker.health == Health::Ok
            && !worker.stop_service
            && worker.settings == crate::state::Settings::DEFAULT
            && worker.storage.current <= 1
            && worker.storage.checkpoint_file == CheckpointFile::Good
            && worker
                .storage
                .dbs
                .iter()
                .all(|db| db.file == DbFile::Absent))
}

fn backup_calls(
    spec: &Spec,
    target: Target,
    probe: bool,
    running: bool,
    file_open: bool,
    out: &mut Vec<Action>,
) {
    // JetBeginExternalBackup changes the state only when it begins a backup.
    if probe || !running {
        for &grbit in BEGIN_GRBITS {
            out.push(Action::BeginBackup { target, grbit });
        }
    }
    out.push(Action::StopBackup { target });
    // JetBackup changes the state only on success; in explore mode one grbit per effect is
    // enough (the ignored bit and the non-empty directory lead to the same states).
    let to_dir: [(BackupDirArg, &[u32]); 3] = if probe {
        [
            (BackupDirArg::Empty, BACKUP_TO_DIR_GRBITS),
            (BackupDirArg::NotEmpty, &BACKUP_TO_DIR_GRBITS[..3]),
            (BackupDirArg::TooLong, &BACKUP_TO_DIR_GRBITS[..1]),
        ]
    } else if !running {
        [
            (BackupDirArg::Empty, &BACKUP_TO_DIR_GRBITS[..3]),
            (BackupDirArg::NotEmpty, &[]),
            (BackupDirArg::TooLong, &[]),
        ]
    } else {
        [
            (BackupDirArg::Empty, &[]),
            (BackupDirArg::NotEmpty, &[]),
            (BackupDirArg::TooLong, &[]),
        ]
    };
    for (dir, grbits) in to_dir {
        for &grbit in grbits {
            out.push(Action::BackupToDir { target, dir, grbit });
        }
    }
    let inst = match target {
        Target::Instance(inst) => Some(inst),
        Target::Legacy => None,
    };
    if !running && !probe {
        return;
    }
    // JetGetAttachInfo changes nothing but in the documented profile, where its failure
    // cancels the backup.
    if probe || spec.profile == Profile::Documented {
        out.push(Action::GetAttachInfo { target });
    }
    if probe || !file_open {
        for d in 0..spec.config.dbs {
            out.push(Action::OpenFile {
                target,
                file: FileArg::Db(d),
            });
        }
        for g in 1..=spec.config.max_gen {
            out.push(Action::OpenFile {
                target,
                file: FileArg::Log(g),
            });
        }
        out.push(Action::OpenFile {
            target,
            file: FileArg::Other,
        });
    }
    if probe {
        for file in [FileArg::Null, FileArg::Empty, FileArg::TooLong] {
            out.push(Action::OpenFile { target, file });
        }
    }
    if probe || file_open {
        for buffer in READ_ARGS {
            out.push(Action::ReadFile {
                target,
                handle: HandleArg::Open,
                buffer,
            });
        }
        out.push(Action::CloseFile {
            target,
            handle: HandleArg::Open,
        });
    }
    if probe {
        out.push(Action::CloseFile {
            target,
            handle: HandleArg::Other,
        });
    }
    out.push(Action::GetLogInfo { target, v2: false });
    out.push(Action::TruncateLog { target });
    out.push(Action::EndBackup {
        target,
        grbit: None,
    });
    if let Some(inst) = inst {
        if probe {
            out.push(Action::GetLogInfo { target, v2: true });
            out.push(Action::GetTruncateLogInfo { inst });
        }
        for &grbit in END_GRBITS {
            out.push(Action::EndBackup {
                target,
                grbit: Some(grbit),
            });
        }
    }
}

/// One call of each kind with an argument that cannot change anything once the entry checks
/// pass (an unknown grbit, a NULL name, an unaligned buffer, a handle never opened).
fn refused_backup_calls(target: Target, out: &mut Vec<Action>) {
    out.push(Action::BeginBackup {
        target,
        grbit: *BEGIN_GRBITS.last().expect("non-empty"),
    });
    out.push(Action::GetAttachInfo { target });
    out.push(Action::OpenFile {
        target,
        file: FileArg::Null,
    });
    out.push(Action::ReadFile {
        target,
        handle: HandleArg::Open,
        buffer: ReadArg::Unaligned,
    });
    out.push(Action::CloseFile {
        target,
        handle: HandleArg::Other,
    });
    out.push(Action::GetLogInfo { target, v2: false });
    out.push(Action::TruncateLog { target });
    out.push(Action::EndBackup {
        target,
        grbit: None,
    });
    out.push(Action::BackupToDir {
        target,
        dir: BackupDirArg::TooLong,
        grbit: 0,
    });
    out.push(Action::StopBackup { target });
    if let Target::Instance(inst) = target {
        out.push(Action::GetLogInfo { target, v2: true });
        out.push(Action::GetTruncateLogInfo { inst });
        out.push(Action::EndBackup {
            target,
            grbit: Some(*END_GRBITS.last().expect("non-empty")),
        });
    }
}

fn lifecycle(spec: &Spec, s: &State, mode: Mode, worker_quiet: bool, out: &mut Vec<Action>) {
    let probe = mode == Mode::Probe;
    let worker_live = s.instances[usize::from(WORKER)].is_live();
    // Handles that may change something: the worker's, and the live companions' while the
    // worker is quiet (see the module comment). Probes add handles the checks refuse.
    let companion_live = s.instances[1..usize::from(spec.config.instances)]
        .iter()
        .any(|i| i.is_live());
    let mut args: Few<InstArg, { MAX_INSTANCES + 2 }> = Few::new();
    for i in 0..spec.config.instances {
        let live = s.instances[usize::from(i)].is_live();
        if live && (i == WORKER || worker_quiet) || (probe && !live) {
            args.push(InstArg::Slot(i));
        }
    }
    // Companions may always be terminated.
    let terminable = (1..spec.config.instances)
        .filter(|&i| s.instances[usize::from(i)].is_live() && !worker_quiet)
        .map(InstArg::Slot);
    for inst in terminable {
        out.push(Action::Term { inst, grbit: None });
    }
    if probe {
        if s.mode != RunMode::OneInst {
            args.push(InstArg::Zero);
        }
        args.push(InstArg::Garbage);
    }
    let params = [
        GlobalParams::Empty,
        GlobalParams::NonDefault,
        GlobalParams::NullWithCount,
        GlobalParams::BadPath,
        GlobalParams::Again,
    ];
    // Process-wide defaults before the first instance (legacy mode's only way to set them).
    if s.mode == RunMode::NoSet {
        let defaults = s.instances[usize::from(WORKER)].settings;
        for (param, set) in [
            (ParamArg::CircularLogOn, defaults.circular),
            (ParamArg::RecoveryOff, defaults.recovery_off),
        ] {
            if probe || !set {
                out.push(Action::SetParam {
                    inst: InstArg::Zero,
                    param,
                });
            }
        }
    }
    if probe || s.mode == RunMode::NoSet {
        for params in params {
            out.push(Action::EnableMultiInstance { params });
        }
    }
    let creates = s.mode != RunMode::OneInst && worker_quiet;
    if creates || (probe && s.mode == RunMode::OneInst) {
        for v2 in [false, true] {
            if !v2 || probe {
                out.push(Action::CreateInstance {
                    v2,
                    name: NameArg::Null,
                    null_out: false,
                });
                for k in 0..spec.config.instances {
                    out.push(Action::CreateInstance {
                        v2,
                        name: NameArg::Named(k),
                        null_out: false,
                    });
                }
            }
        }
    }
    if probe {
        for v2 in [false, true] {
            out.push(Action::CreateInstance {
                v2,
                name: NameArg::Null,
                null_out: true,
            });
        }
    }
    for form in [InitForm::Init, InitForm::Init2, InitForm::Init3] {
        if form != InitForm::Init && !probe {
            continue;
        }
        // A NULL pinstance starts an instance only while there is none.
        if probe || s.mode == RunMode::NoSet {
            out.push(Action::Init {
                form,
                inst: InitArg::Null,
            });
        }
        if s.mode == RunMode::NoSet {
            out.push(Action::Init {
                form,
                inst: InitArg::Fresh,
            });
        }
        for arg in args.iter() {
            if arg != InstArg::Zero {
                out.push(Action::Init {
                    form,
                    inst: InitArg::Handle(arg),
                });
            }
        }
    }
    for inst in args.iter() {
        let live_slot = matches!(inst, InstArg::Slot(i) if s.instances[usize::from(i)].is_live());
        let worker = inst == InstArg::Slot(WORKER);
        out.push(Action::Term { inst, grbit: None });
        let term_grbits = if live_slot {
            TERM_GRBITS
        } else {
            &TERM_GRBITS[..1]
        };
        for &grbit in term_grbits {
            out.push(Action::Term {
                inst,
                grbit: Some(grbit),
            });
        }
        let target = Target::Instance(inst);
        out.push(Action::StopService {
            target,
            grbit: None,
        });
        let stop_grbits = if live_slot && probe {
            STOP_SERVICE_GRBITS
        } else if live_slot {
            // The unknown bit is refused before anything else.
            &STOP_SERVICE_GRBITS[..7]
        } else {
            &STOP_SERVICE_GRBITS[7..]
        };
        for &grbit in stop_grbits {
            out.push(Action::StopService {
                target,
                grbit: Some(grbit),
            });
        }
        let worker_inst = &s.instances[usize::from(WORKER)];
        let works = worker && !companion_live && worker_works(worker_inst);
        let begin = Action::BeginSession { inst };
        // A probe is any call refused here: it changes nothing.
        let refused = probe && spec.apply(s, &begin).0.is_none();
        if works || refused {
            out.push(Action::BeginSession { inst });
        }
        if worker || (probe && matches!(inst, InstArg::Garbage)) {
            for param in [ParamArg::CircularLogOn, ParamArg::RecoveryOff] {
                out.push(Action::SetParam { inst, param });
            }
        }
        if worker && probe {
            for param in [ParamArg::BadPath, ParamArg::UnknownId] {
                out.push(Action::SetParam { inst, param });
            }
        }
    }
    if spec.config.legacy {
        out.push(Action::StopService {
            target: Target::Legacy,
            grbit: None,
        });
    }
    if probe {
        out.push(Action::GetInstanceInfo { null_out: false });
        out.push(Action::GetInstanceInfo { null_out: true });
        out.push(Action::FreeBuffer);
        for inst in args.iter() {
            for arg in [
                MiscInfoArg::Signature,
                MiscInfoArg::SmallBuffer,
                MiscInfoArg::BadLevel,
            ] {
                out.push(Action::GetInstanceMiscInfo { inst, arg });
            }
        }
        if worker_live {
            out.push(Action::SetParamBadSesid {
                inst: InstArg::Slot(WORKER),
            });
        }
    }
    if worker_live {
        let slot = WORKER;
        let worker = &s.instances[usize::from(WORKER)];
        let session = worker.session;
        let no_backup = worker.backup.is_none();
        let works = !companion_live && worker_works(worker);
        if probe || session != Session::None {
            out.push(Action::EndSession { slot });
            out.push(Action::Rollback { slot });
        }
        if (works && session == Session::Open && no_backup)
            || (probe && (session == Session::None || worker.health.unavailable()))
        {
            out.push(Action::BeginTransaction { slot });
        }
        if session != Session::None || probe {
            for db in 0..spec.config.dbs {
                let file = worker.storage.dbs[usize::from(db)].file;
                let in_order =
                    db == 0 || worker.storage.dbs[usize::from(db) - 1].file != DbFile::Absent;
                let changes = works && session != Session::None;
                // The v2 forms (a maximum size, detach grbits) behave alike here: probes only.
                for v2 in [false, true] {
                    if v2 && !probe {
                        continue;
                    }
                    let path = DbPathArg::File;
                    if (changes && in_order) || (probe && (file != DbFile::Absent || !changes)) {
                        out.push(Action::CreateDatabase { slot, db, v2, path });
                    }
                    out.push(Action::AttachDatabase { slot, db, v2, path });
                    if probe && db == 0 {
                        for path in [DbPathArg::Null, DbPathArg::TooLong] {
                            out.push(Action::CreateDatabase { slot, db, v2, path });
                            out.push(Action::AttachDatabase { slot, db, v2, path });
                        }
                    }
                    out.push(Action::DetachDatabase {
                        slot,
                        db,
                        v2,
                        force: false,
                    });
                    if v2 {
                        out.push(Action::DetachDatabase {
                            slot,
                            db,
                            v2,
                            force: true,
                        });
                    }
                }
                let open = worker.open_dbs & (1 << db) != 0;
                // A second open of the same database is not tried (see `open_database`).
                if !open && (probe || (changes && file == DbFile::Attached)) {
                    out.push(Action::OpenDatabase {
                        slot,
                        db,
                        arg: OpenDbArg::Shared,
                    });
                }
                if probe {
                    let mut args = vec![OpenDbArg::Exclusive];
                    if db == 0 {
                        args.extend([OpenDbArg::NullName, OpenDbArg::TempDb]);
                    }
                    for arg in args {
                        out.push(Action::OpenDatabase { slot, db, arg });
                    }
                }
                if probe || open {
                    out.push(Action::CloseDatabase { slot, db: Some(db) });
                }
            }
            if probe {
                out.push(Action::CloseDatabase { slot, db: None });
            }
        }
    }
}

/// True when the worker does database work (see the module comment).
pub(crate) fn worker_works(worker: &crate::state::Instance) -> bool {
    worker.life == Life::Initialized
        && !worker.stop_service
        && !worker.settings.recovery_off
        && worker.health == Health::Ok
        && worker.storage.checkpoint_file == CheckpointFile::Good
}

fn environment(s: &State, out: &mut Vec<Action>) {
    let slot = WORKER;
    let worker = &s.instances[usize::from(slot)];
    if worker_works(worker) {
        out.push(Action::RollLog { slot });
        out.push(Action::AdvanceCheckpoint { slot });
        if worker.backup.is_none() && worker.session != Session::InTransaction {
            out.push(Action::StartTerm { slot, grbit: 0x1 });
        }
        if worker.backup.is_none() && worker.session == Session::None {
            out.push(Action::LogWriteFails { slot });
            out.push(Action::LogDiskFills { slot });
            out.push(Action::FatalError {
                slot,
                disk_full: false,
            });
            out.push(Action::FatalError {
                slot,
                disk_full: true,
            });
            out.push(Action::DamageCheckpoint {
                slot,
                missing: true,
            });
            out.push(Action::DamageCheckpoint {
                slot,
                missing: false,
            });
        }
        // With a session begun, one fault: its calls then meet the instance unavailable
        // (jetapi.cxx APICALL_SESID::FEnter), where a session never begun is
        // JET_errInvalidSesid.
        if worker.backup.is_none() && worker.session == Session::Open {
            out.push(Action::FatalError {
                slot,
                disk_full: false,
            });
        }
    }
    out.push(Action::Crash);
    if matches!(s.pending, Some(Pending::Term { .. })) {
        out.push(Action::FinishTerm);
    }
}

/// Where a page is damaged (probe mode): a database or the first log a full backup copies,
/// before JetBackup or, during a streaming backup, before the file is opened. Only the
/// worker's files, while it works and nothing else is under way.
fn damage(s: &State, out: &mut Vec<Action>) {
    let worker = &s.instances[usize::from(WORKER)];
    if !worker_works(worker) || s.pending.is_some() {
        return;
    }
    let storage = &worker.storage;
    let attached =
        (0..MAX_DBS as u8).filter(|&d| storage.dbs[usize::from(d)].file == DbFile::Attached);
    match worker.backup {
        None if worker.session == Session::None => {
            for d in attached {
                out.push(Action::Corrupt {
                    target: FileTarget::Db(d),
                });
            }
            if storage.checkpoint >= storage.oldest.max(1) {
                out.push(Action::Corrupt {
                    target: FileTarget::Log(storage.checkpoint),
                });
            }
        }
        Some(b) if !b.stop && b.file.is_none() => match b.ranges {
            None if b.kind == BackupKind::Full => {
                for d in attached {
                    out.push(Action::Corrupt {
                        target: FileTarget::Db(d),
                    });
                }
            }
            Some(r) if r.copy_mic < r.copy_mac => out.push(Action::Corrupt {
                target: FileTarget::Log(r.copy_mic),
            }),
            _ => {}
        },
        _ => {}
    }
}

/// After a damage, only the reads that find it, through `on`: the file opened and read, or
/// JetBackup.
pub(crate) fn damaged_reads(s: &State, target: FileTarget, on: Target, out: &mut Vec<Action>) {
    let worker = &s.instances[usize::from(WORKER)];
    match worker.backup {
        None if worker.is_live() => out.push(Action::BackupToDir {
            target: on,
            dir: BackupDirArg::Empty,
            grbit: 0,
        }),
        Some(b) if !b.stop => match (b.file, target) {
            (None, FileTarget::Db(d)) => out.push(Action::OpenFile {
                target: on,
                file: FileArg::Db(d),
            }),
            (None, FileTarget::Log(g)) => out.push(Action::OpenFile {
                target: on,
                file: FileArg::Log(g),
            }),
            (Some(open), _) if open.target == target && !open.read_to_end => {
                out.push(Action::ReadFile {
                    target: on,
                    handle: HandleArg::Open,
                    buffer: ReadArg::Chunk,
                });
            }
            _ => {}
        },
        _ => {}
    }
}
