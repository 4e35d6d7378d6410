//! Which actions the model tries in a state. Every call in scope is tried with argument choices
//! that reach each of its documented outcomes; argument variations are tried with handles that
//! reach the call's own checks, and invalid handles (0, made up, stale) with one representative
//! argument, since the entry checks refuse them before any argument is looked at.
//!
//! Symmetry: instances are interchangeable and share only the run mode, their names and the
//! instance limit. So slot 0, the worker, does everything an instance does alone (sessions,
//! databases, backups, the environment's moves), and the other slots, the companions, do what
//! instances do to each other: they are created, named, initialized, stopped and terminated
//! around the worker. Any behaviour of a companion alone is the worker's under another name.

use crate::action::{
    Action, FileArg, GlobalParams, HandleArg, InitArg, InitForm, InstArg, NameArg, ParamArg, ReadArg, Target,
};
use crate::state::{Life, RunMode, State};
use crate::step::Spec;

/// Grbits tried on JetBeginExternalBackup: none, each documented or header bit, an unknown bit
/// and an invalid combination.
pub const BEGIN_GRBITS: &[u32] = &[0x0, 0x1, 0x4, 0x10, 0x20, 0x40, 0x41, 0x100];
/// Grbits tried on JetEndExternalBackupInstance2.
pub const END_GRBITS: &[u32] = &[0x1, 0x2, 0x3, 0x0, 0x100, 0x101, 0x201];
/// Grbits tried on JetTerm2.
pub const TERM_GRBITS: &[u32] = &[0x0, 0x1, 0x2, 0x4, 0x8];
/// Grbits tried on JetStopServiceInstance2.
pub const STOP_SERVICE_GRBITS: &[u32] = &[0x0, 0x2, 0x4, 0x8, 0x8000_0000, 0x8000_0004, 0x8000_0008, 0x100];

/// The slot that does the work.
pub const WORKER: u8 = 0;

fn targets(spec: &Spec, s: &State, valid: &mut Vec<Target>, invalid: &mut Vec<Target>) {
    let worker_live = s.instances[usize::from(WORKER)].is_live();
    if spec.config.legacy {
        if s.mode == RunMode::OneInst && worker_live {
            valid.push(Target::Legacy)
        } else {
            invalid.push(Target::Legacy)
        }
    }
    for (i, inst) in s.instances.iter().enumerate().take(usize::from(spec.config.instances)) {
        if inst.is_live() {
            let target = Target::Instance(InstArg::Slot(i as u8));
            if i == usize::from(WORKER) { valid.push(target) } else { invalid.push(target) }
        }
    }
    invalid.push(Target::Instance(InstArg::Zero));
    invalid.push(Target::Instance(InstArg::Garbage));
}

/// Pushes every action to try in `s`.
pub fn actions(spec: &Spec, s: &State, out: &mut Vec<Action>) {
    let (mut valid, mut invalid) = (Vec::with_capacity(4), Vec::with_capacity(4));
    targets(spec, s, &mut valid, &mut invalid);
    let instance_args: Vec<InstArg> = valid
        .iter()
        .chain(&invalid)
        .filter_map(|t| match t {
            Target::Instance(arg) => Some(*arg),
            Target::Legacy => None,
        })
        .collect();
    let slots = 0..spec.config.instances;
    let live: Vec<u8> = slots.clone().filter(|&i| s.instances[usize::from(i)].is_live()).collect();

    lifecycle(spec, s, &instance_args, &live, out);
    let all_targets = || valid.iter().chain(&invalid).copied();
    for target in all_targets() {
        let full = valid.contains(&target);
        let pick = |choices: &[u32]| if full { choices.to_vec() } else { choices[..1].to_vec() };
        for grbit in pick(BEGIN_GRBITS) {
            out.push(Action::BeginBackup { target, grbit });
        }
        out.push(Action::GetAttachInfo { target });
        if full {
            for d in 0..spec.config.dbs {
                out.push(Action::OpenFile { target, file: FileArg::Db(d) });
            }
            for g in 1..=spec.config.max_gen {
                out.push(Action::OpenFile { target, file: FileArg::Log(g) });
            }
            for file in [FileArg::Other, FileArg::Null, FileArg::Empty, FileArg::TooLong] {
                out.push(Action::OpenFile { target, file });
            }
            for buffer in [ReadArg::Chunk, ReadArg::TwoPages, ReadArg::Ragged, ReadArg::Zero, ReadArg::Unaligned] {
                out.push(Action::ReadFile { target, handle: HandleArg::Open, buffer });
            }
            out.push(Action::CloseFile { target, handle: HandleArg::Open });
            out.push(Action::CloseFile { target, handle: HandleArg::Other });
        } else {
            out.push(Action::OpenFile { target, file: FileArg::Db(0) });
            out.push(Action::ReadFile { target, handle: HandleArg::Open, buffer: ReadArg::Chunk });
            out.push(Action::CloseFile { target, handle: HandleArg::Open });
        }
        out.push(Action::GetLogInfo { target, v2: false });
        out.push(Action::TruncateLog { target });
        out.push(Action::EndBackup { target, grbit: None });
        out.push(Action::StopBackup { target });
        if let Target::Instance(inst) = target {
            out.push(Action::GetLogInfo { target, v2: true });
            out.push(Action::GetTruncateLogInfo { inst });
            for grbit in pick(END_GRBITS) {
                out.push(Action::EndBackup { target, grbit: Some(grbit) });
            }
        }
    }
    environment(spec, s, &live, out);
}

fn lifecycle(spec: &Spec, s: &State, instance_args: &[InstArg], live: &[u8], out: &mut Vec<Action>) {
    for params in [GlobalParams::Empty, GlobalParams::NonDefault, GlobalParams::NullWithCount] {
        out.push(Action::EnableMultiInstance { params });
    }
    for v2 in [false, true] {
        out.push(Action::CreateInstance { v2, name: NameArg::Null, null_out: false });
        for k in 0..spec.config.instances {
            out.push(Action::CreateInstance { v2, name: NameArg::Named(k), null_out: false });
        }
    }
    out.push(Action::CreateInstance { v2: false, name: NameArg::Null, null_out: true });
    for form in [InitForm::Init, InitForm::Init2, InitForm::Init3] {
        out.push(Action::Init { form, inst: InitArg::Null });
        if s.mode == RunMode::NoSet {
            out.push(Action::Init { form, inst: InitArg::Fresh });
        }
        for &arg in instance_args {
            if !matches!(arg, InstArg::Zero) {
                out.push(Action::Init { form, inst: InitArg::Handle(arg) });
            }
        }
    }
    for &inst in instance_args {
        let full = matches!(inst, InstArg::Slot(_));
        let worker = inst == InstArg::Slot(WORKER);
        out.push(Action::Term { inst, grbit: None });
        let term_grbits = if full { TERM_GRBITS } else { &TERM_GRBITS[..1] };
        for &grbit in term_grbits {
            out.push(Action::Term { inst, grbit: Some(grbit) });
        }
        let target = Target::Instance(inst);
        out.push(Action::StopService { target, grbit: None });
        let stop_grbits = if full { STOP_SERVICE_GRBITS } else { &STOP_SERVICE_GRBITS[..1] };
        for &grbit in stop_grbits {
            out.push(Action::StopService { target, grbit: Some(grbit) });
        }
        if worker || !full {
            out.push(Action::BeginSession { inst });
        }
        if worker || matches!(inst, InstArg::Garbage) {
            for param in [ParamArg::CircularLogOn, ParamArg::RecoveryOff] {
                out.push(Action::SetParam { inst, param });
            }
        }
    }
    if spec.config.legacy {
        out.push(Action::StopService { target: Target::Legacy, grbit: None });
    }
    out.push(Action::GetInstanceInfo);
    for &slot in live.iter().filter(|&&slot| slot == WORKER) {
        out.push(Action::EndSession { slot });
        out.push(Action::BeginTransaction { slot });
        out.push(Action::Rollback { slot });
        for db in 0..spec.config.dbs {
            out.push(Action::CreateDatabase { slot, db });
            out.push(Action::AttachDatabase { slot, db });
            out.push(Action::DetachDatabase { slot, db });
        }
    }
}

fn environment(spec: &Spec, s: &State, live: &[u8], out: &mut Vec<Action>) {
    let _ = spec;
    for &slot in live.iter().filter(|&&slot| slot == WORKER) {
        if s.instances[usize::from(slot)].life != Life::Initialized {
            continue;
        }
        out.push(Action::RollLog { slot });
        out.push(Action::AdvanceCheckpoint { slot });
        out.push(Action::LogWriteFails { slot });
        out.push(Action::LogDiskFills { slot });
        out.push(Action::FatalError { slot, disk_full: false });
        out.push(Action::FatalError { slot, disk_full: true });
        out.push(Action::StartTerm { slot, grbit: 0x1 });
    }
    for &slot in live.iter().filter(|&&slot| slot == WORKER) {
        out.push(Action::DamageCheckpoint { slot, missing: true });
        out.push(Action::DamageCheckpoint { slot, missing: false });
    }
    if !live.is_empty() {
        out.push(Action::Crash);
    }
    if s.pending.is_some() {
        out.push(Action::FinishTerm);
    }
}
