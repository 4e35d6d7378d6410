//! Where probe mode sets up a condition of the world ([`Probe`]) and which calls it then tries.
//!
//! A condition is set up only where a call it concerns can come next, in a state where the
//! worker has done no more than that call needs (no backup set, no other database, nothing held
//! in progress): the shortest path to each outcome runs through such states, and leaving the
//! others out keeps probe mode's search from growing by a copy of the state space per
//! condition. Once a condition is set, only the calls it concerns are tried, and after the call
//! it decides nothing more (`Probe::Spent`): the model says what those calls return, not how
//! the instance lives on.

use crate::action::{
    Action, DbPathArg, ExtRestoreArg, FileArg, InitArg, InitForm, InstArg, OpenDbArg, ParamArg,
    RestoreForm, RestoreSrc, Target,
};
use crate::generate::{WORKER, damaged_reads, worker_works};
use crate::state::{DbFile, FileTarget, Life, Phase, Probe, RunMode, Session, State, Storage};
use crate::step::Spec;

/// Pushes the set-ups that apply in `s` (probe mode, no condition set yet).
pub(crate) fn set_up(spec: &Spec, s: &State, out: &mut Vec<Action>) {
    debug_assert!(s.probe.is_none());
    let w = &s.instances[usize::from(WORKER)];
    let companion_live = s.instances[1..].iter().any(|i| i.is_live());
    // Nothing is held in progress, no backup runs and none was written.
    let settled = s.pending.is_none() && w.backup.is_none() && w.storage.saved.is_none();
    let dbs = &w.storage.dbs[..usize::from(spec.config.dbs)];
    let no_dbs = dbs.iter().all(|d| d.file == DbFile::Absent);
    let works = !companion_live && worker_works(w);
    let room = s.live_count() < usize::from(spec.config.instances);

    if *s == State::INITIAL || (works && settled && no_dbs) {
        out.push(Action::FailAllocation { buffers: false });
    }
    if works && settled && no_dbs && w.session != Session::None {
        out.push(Action::SetSessionContext { slot: WORKER });
    }
    if w.life == Life::Created
        && !companion_live
        && s.pending.is_none()
        && w.storage == Storage::EMPTY
        && w.settings == crate::state::Settings::DEFAULT
    {
        out.push(Action::SetParam {
            inst: InstArg::Slot(WORKER),
            param: ParamArg::OneDbPerSession,
        });
        out.push(Action::StartInit);
    }
    if works && settled && w.session == Session::Open {
        out.push(Action::FillAttachments);
        for (d, db) in dbs.iter().enumerate() {
            let d = d as u8;
            let in_order = d == 0 || dbs[usize::from(d) - 1].file != DbFile::Absent;
            match db.file {
                DbFile::Attached if w.open_dbs & (1 << d) == 0 => {
                    out.push(Action::OtherSessionOpens { db: d });
                }
                DbFile::Detached => {
                    out.push(Action::MakeReadOnly { db: d });
                    out.push(Action::HoldFile { db: d });
                }
                _ => {}
            }
            if s.mode == RunMode::MultiInst && room && db.file != DbFile::Attached && in_order {
                out.push(Action::AttachElsewhere { db: d });
            }
        }
    }
    // A file another process holds, opened as a patch file in a backup's log phase.
    if works && s.pending.is_none() {
        if let Some(b) = w.local_backup() {
            if !b.stop && b.phase == Phase::Logs && b.file.is_none() {
                for (d, db) in dbs.iter().enumerate() {
                    if db.file == DbFile::Detached {
                        out.push(Action::HoldFile { db: d as u8 });
                    }
                }
            }
        }
    }
    if s.live_count() == 0 && s.pending.is_none() && w.storage.saved.is_some() {
        out.push(Action::ChangePageSize);
    }
}

/// Pushes the calls `probe` concerns, through the worker's targets `on`.
pub(crate) fn probe_calls(
    spec: &Spec,
    s: &State,
    probe: Probe,
    on: &[Target],
    out: &mut Vec<Action>,
) {
    let w = &s.instances[usize::from(WORKER)];
    let slot = WORKER;
    let dbs = 0..spec.config.dbs;
    let db_file = |d: u8| w.storage.dbs[usize::from(d)].file;
    match probe {
        Probe::Corrupt(target) => {
            for &t in on {
                damaged_reads(s, target, t, out);
            }
        }
        Probe::AllocFails { buffers: false } => {
            if w.life == Life::Initialized {
                for &target in on {
                    out.push(Action::BeginBackup { target, grbit: 0 });
                }
            }
            out.push(Action::GetInstanceInfo { null_out: false });
            for v2 in [false, true] {
                out.push(Action::ExternalRestore {
                    v2,
                    arg: ExtRestoreArg::Set,
                });
            }
            match w.session {
                Session::Open => {
                    if let Some(db) = dbs.clone().find(|&d| db_file(d) == DbFile::Absent) {
                        for v2 in [false, true] {
                            out.push(Action::CreateDatabase {
                                slot,
                                db,
                                v2,
                                path: DbPathArg::File,
                            });
                        }
                    }
                }
                Session::InTransaction | Session::None => {}
            }
        }
        Probe::AllocFails { buffers: true } => {}
        Probe::SessionContext => {
            out.push(Action::EndSession { slot });
            out.push(Action::SetSessionContext { slot });
            out.push(Action::ResetSessionContext { slot });
        }
        Probe::OneDbPerSession => {
            out.push(Action::Init {
                form: InitForm::Init,
                inst: InitArg::Handle(InstArg::Slot(WORKER)),
            });
            out.push(Action::BeginSession {
                inst: InstArg::Slot(WORKER),
            });
            for db in dbs {
                out.push(Action::CreateDatabase {
                    slot,
                    db,
                    v2: false,
                    path: DbPathArg::File,
                });
                out.push(Action::OpenDatabase {
                    slot,
                    db,
                    arg: OpenDbArg::Shared,
                });
                out.push(Action::CloseDatabase { slot, db: Some(db) });
            }
        }
        Probe::LockedByOtherSession(db) => {
            for arg in [OpenDbArg::Shared, OpenDbArg::Exclusive] {
                out.push(Action::OpenDatabase { slot, db, arg });
            }
        }
        Probe::AttachedElsewhere(db) => {
            for v2 in [false, true] {
                let path = DbPathArg::File;
                out.push(Action::CreateDatabase { slot, db, v2, path });
                out.push(Action::AttachDatabase { slot, db, v2, path });
            }
        }
        Probe::SixAttached => {
            for db in dbs {
                for v2 in [false, true] {
                    let path = DbPathArg::File;
                    match db_file(db) {
                        DbFile::Absent => out.push(Action::CreateDatabase { slot, db, v2, path }),
                        DbFile::Detached => out.push(Action::AttachDatabase { slot, db, v2, path }),
                        DbFile::Attached => {}
                    }
                }
            }
        }
        Probe::ReadOnly(db) => {
            for v2 in [false, true] {
                let path = DbPathArg::File;
                out.push(Action::AttachDatabase { slot, db, v2, path });
            }
        }
        Probe::Held(FileTarget::Db(db)) => {
            if w.backup.is_some() {
                for &target in on {
                    out.push(Action::OpenFile {
                        target,
                        file: FileArg::Db(db),
                    });
                }
            } else {
                for v2 in [false, true] {
                    let path = DbPathArg::File;
                    out.push(Action::AttachDatabase { slot, db, v2, path });
                }
            }
        }
        Probe::PageSizeChanged => {
            let mut forms = vec![RestoreForm::Instance(InstArg::Zero)];
            if spec.config.legacy {
                forms.extend([RestoreForm::Restore, RestoreForm::Restore2]);
            }
            for form in forms {
                out.push(Action::Restore {
                    form,
                    src: RestoreSrc::Set,
                });
            }
        }
        Probe::InitHeld => out.push(Action::SetParam {
            inst: InstArg::Slot(WORKER),
            param: ParamArg::CircularLogOn,
        }),
        Probe::Held(FileTarget::Log(_) | FileTarget::Patch) | Probe::Spent => {}
    }
}
