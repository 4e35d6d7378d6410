//! The one function that maps a [`jetapi::Call`] to the engine's API, [`dispatch`], and the
//! only code that calls the engine for traces (matklad, "How to Test"): the replay runner, and
//! later the lockstep judge, go through it. It resolves `@handles` to raw values, passes
//! arguments left out as NULL or zero, and reports the code, the handles to bind and the
//! outputs a step's `returns` may compare. The harness actions that make engine calls
//! (InsertRecords, VerifyRecords, Crash, FailAllocation, LimitLogGenerations), the engine
//! halves of FailLogWrites and MakeUnavailable, and the pause points of Start/Finish are here
//! too.

use std::collections::BTreeMap;
use std::time::Duration;

use engine::allocation::Allocation;
use engine::restore::LOGINFO_CB_SIZE;
use engine::{
    BackupFileHandle, DatabaseId, Engine, InstanceHandle, JetErr, SessionHandle, TableId,
};
use engine::{ExternalRestore, RestoreLogInfo};
use jetapi::Call;
use jetapi::args::{HandleRef, ParamValue, RestoreMapEntry};
use jetapi::grbits::Grbit;
use jetapi::params::sys_param_by_name;

use backup::Target;
use records::{insert_records, verify_records};

pub use backup::copy_backup_file;

mod backup;
mod records;

/// Symbolic handles bound so far: `@name` -> raw value.
pub type Handles = BTreeMap<String, u64>;

/// What a dispatched call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispatched {
    /// The code returned (for a harness action, the first engine code that was not success).
    pub code: JetErr,
    /// Handles to bind (or rebind) when the call succeeded.
    pub binds: Vec<(String, u64)>,
    /// Outputs, for comparison with a step's `returns`.
    pub outputs: Outputs,
    /// For VerifyRecords: why the table differs, when it does.
    pub mismatch: Option<String>,
}

/// One instance JetGetInstanceInfo reported: raw handle, name, attached databases.
pub type InstanceRow = (u64, Option<String>, Vec<String>);

/// Outputs a call reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    /// JetGetSystemParameter's value.
    pub value: Option<ParamValue>,
    /// JetEnableMultiInstance's `pcsetsucceed`.
    pub set_succeed: Option<u64>,
    /// JetGetInstanceInfo: (raw handle, name, databases).
    pub instances: Option<Vec<InstanceRow>>,
    /// A file list (JetGetAttachInfo, JetGetLogInfo, JetGetTruncateLogInfoInstance).
    pub files: Option<Vec<String>>,
    /// `pcbActual` of a list.
    pub cb_actual: Option<u64>,
    /// The size JetOpenFile reported.
    pub size_bytes: Option<u64>,
    /// The bytes JetReadFile returned.
    pub bytes: Option<u64>,
    /// `JET_LOGINFO.ulGenLow`.
    pub gen_low: Option<u64>,
    /// `JET_LOGINFO.ulGenHigh`.
    pub gen_high: Option<u64>,
    /// `JET_LOGINFO.szBaseName`.
    pub base_name: Option<String>,
}

/// Why a call could not be dispatched (never an engine result).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    /// A symbolic handle was used before a successful call bound it.
    #[error("handle {0} was never bound (the call that should bind it failed or never ran)")]
    Unbound(String),
    /// The call is a harness action the runner performs itself.
    #[error("{0} is a harness action performed by the runner, not an engine call")]
    Harness(&'static str),
}

fn raw(handle: &Option<HandleRef>, handles: &Handles) -> Result<u64, DispatchError> {
    match handle {
        None => Ok(0),
        Some(HandleRef::Raw(v)) => Ok(*v as u64),
        Some(HandleRef::Name(n)) => handles
            .get(n)
            .copied()
            .ok_or_else(|| DispatchError::Unbound(n.clone())),
    }
}

fn bits(grbit: &Option<Grbit>) -> u32 {
    grbit.as_ref().map_or(0, Grbit::value)
}

fn name_of(handle: &Option<HandleRef>) -> Option<String> {
    match handle {
        Some(HandleRef::Name(n)) => Some(n.clone()),
        Some(HandleRef::Raw(_)) | None => None,
    }
}

fn code(r: Result<(), JetErr>) -> JetErr {
    r.err().unwrap_or(JetErr::Success)
}

fn done(code: JetErr) -> Dispatched {
    Dispatched {
        code,
        binds: Vec::new(),
        outputs: Outputs::default(),
        mismatch: None,
    }
}

/// A call that binds `out` (a handle output) when it succeeds.
fn bind<T>(
    out: &Option<HandleRef>,
    r: Result<T, JetErr>,
    value: impl FnOnce(T) -> u64,
) -> Dispatched {
    match r {
        Ok(v) => {
            let raw = value(v);
            let binds = name_of(out).map(|n| vec![(n, raw)]).unwrap_or_default();
            Dispatched {
                binds,
                ..done(JetErr::Success)
            }
        }
        Err(e) => done(e),
    }
}

/// JetInit*: the instance in and out (unbound name: pointer to nil; left out: NULL pointer).
fn init(
    engine: &Engine,
    instance: &Option<HandleRef>,
    handles: &Handles,
    call: impl FnOnce(&Engine, Option<&mut InstanceHandle>) -> Result<(), JetErr>,
) -> Dispatched {
    let mut value = match instance {
        None => None,
        Some(HandleRef::Raw(v)) => Some(InstanceHandle(*v as u64)),
        Some(HandleRef::Name(n)) => Some(
            handles
                .get(n)
                .map_or(InstanceHandle::NIL, |v| InstanceHandle(*v)),
        ),
    };
    let r = call(engine, value.as_mut());
    bind(instance, r, |()| value.map_or(0, |h| h.0))
}

/// JetOpenFile(Instance): binds the file handle and reports the size.
fn opened(out: &Option<HandleRef>, r: Result<(BackupFileHandle, u64), JetErr>) -> Dispatched {
    let size = r.as_ref().ok().map(|(_, size)| *size);
    let mut d = bind(out, r, |(h, _)| h.0);
    d.outputs.size_bytes = size;
    d
}

fn restore_pairs(entries: &[RestoreMapEntry]) -> Vec<(String, String)> {
    entries
        .iter()
        .filter_map(|e| Some((e.database_name.clone()?, e.new_database_name.clone()?)))
        .collect()
}

/// Runs `call` on `engine`.
pub fn dispatch(
    engine: &Engine,
    call: &Call,
    handles: &Handles,
) -> Result<Dispatched, DispatchError> {
    let inst = |h: &Option<HandleRef>| raw(h, handles).map(InstanceHandle);
    let ses = |h: &Option<HandleRef>| raw(h, handles).map(SessionHandle);
    let dbid = |h: &Option<HandleRef>| raw(h, handles).map(DatabaseId);
    let file_handle = |h: &Option<HandleRef>| raw(h, handles).map(BackupFileHandle);
    let path = |p: &Option<jetapi::args::PathArg>| p.as_ref().map(|p| p.0.clone());
    Ok(match call {
        Call::CreateInstance {
            instance,
            instance_name,
        } => {
            let mut h = InstanceHandle::NULL;
            let out = instance.as_ref().map(|_| &mut h);
            let r = engine.create_instance(out, instance_name.as_deref());
            bind(instance, r, |()| h.0)
        }
        Call::CreateInstance2 {
            instance,
            instance_name,
            display_name,
            grbit,
        } => {
            let mut h = InstanceHandle::NULL;
            let out = instance.as_ref().map(|_| &mut h);
            let r = engine.create_instance2(
                out,
                instance_name.as_deref(),
                display_name.as_deref(),
                bits(grbit),
            );
            bind(instance, r, |()| h.0)
        }
        Call::EnableMultiInstance {
            set_sys_param,
            set_sys_param_count,
        } => {
            let list: Option<Vec<(u32, ParamValue)>> = set_sys_param.as_ref().map(|l| {
                l.0.iter()
                    .map(|s| {
                        (
                            sys_param_by_name(&s.param).map_or(u32::MAX, |p| p.id),
                            s.value.clone(),
                        )
                    })
                    .collect()
            });
            let count = set_sys_param_count
                .map_or(list.as_ref().map_or(0, Vec::len), |c| c.max(0) as usize);
            let r = engine.enable_multi_instance(list.as_deref(), count);
            let mut d = done(r.as_ref().err().copied().unwrap_or(JetErr::Success));
            d.outputs.set_succeed = Some(r.map_or(0, |n| n as u64));
            d
        }
        Call::SetSystemParameter {
            instance,
            session,
            param,
            value,
        } => {
            let id = param.as_ref().and_then(|p| p.id()).unwrap_or(u32::MAX);
            let value = value.clone().unwrap_or(ParamValue::Number(0));
            done(code(engine.set_system_parameter(
                inst(instance)?,
                ses(session)?,
                id,
                &value,
            )))
        }
        Call::GetSystemParameter {
            instance,
            session,
            param,
        } => {
            let id = param.as_ref().and_then(|p| p.id()).unwrap_or(u32::MAX);
            match engine.get_system_parameter(inst(instance)?, ses(session)?, id) {
                Ok(v) => Dispatched {
                    outputs: Outputs {
                        value: Some(v),
                        ..Outputs::default()
                    },
                    ..done(JetErr::Success)
                },
                Err(e) => done(e),
            }
        }
        Call::Init { instance } => init(engine, instance, handles, |e, h| e.init(h)),
        Call::Init2 { instance, grbit } => {
            init(engine, instance, handles, |e, h| e.init2(h, bits(grbit)))
        }
        Call::Init3 {
            instance,
            rst_info,
            grbit,
        } => {
            let map = rst_info
                .as_ref()
                .map(|r| restore_pairs(&r.restore_map))
                .unwrap_or_default();
            init(engine, instance, handles, |e, h| {
                e.init3(h, &map, bits(grbit))
            })
        }
        Call::Term { instance } => done(code(engine.term(inst(instance)?))),
        Call::Term2 { instance, grbit } => done(code(engine.term2(inst(instance)?, bits(grbit)))),
        Call::StopService {} => done(code(engine.stop_service())),
        Call::StopServiceInstance { instance } => {
            done(code(engine.stop_service_instance(inst(instance)?)))
        }
        Call::StopServiceInstance2 { instance, grbit } => done(code(
            engine.stop_service_instance2(inst(instance)?, bits(grbit)),
        )),
        // The engine returns the list by value; the C API's NULL output pointers are refused
        // here, after the engine's work (its one allocation), as the exported ANSI form
        // refuses them after the wide call (`CAutoINSTANCE_INFOW::ErrGet`).
        Call::GetInstanceInfo { null_outputs } => match engine.get_instance_info() {
            Ok(_) if *null_outputs == Some(true) => done(JetErr::InvalidParameter),
            Ok(list) => {
                let instances = list
                    .into_iter()
                    .map(|i| (i.instance.0, i.instance_name, i.databases))
                    .collect();
                Dispatched {
                    outputs: Outputs {
                        instances: Some(instances),
                        ..Outputs::default()
                    },
                    ..done(JetErr::Success)
                }
            }
            Err(e) => done(e),
        },
        Call::BeginSession {
            instance,
            session,
            user_name,
            password,
        } => {
            let r =
                engine.begin_session(inst(instance)?, user_name.as_deref(), password.as_deref());
            bind(session, r, |s| s.0)
        }
        Call::EndSession { session, grbit } => {
            done(code(engine.end_session(ses(session)?, bits(grbit))))
        }
        Call::CreateDatabase {
            session,
            filename,
            dbid: out,
            grbit,
            ..
        }
        | Call::CreateDatabase2 {
            session,
            filename,
            dbid: out,
            grbit,
            ..
        } => {
            let r = engine.create_database(ses(session)?, path(filename).as_deref(), bits(grbit));
            bind(out, r, |d| d.0)
        }
        Call::AttachDatabase {
            session,
            filename,
            grbit,
        }
        | Call::AttachDatabase2 {
            session,
            filename,
            grbit,
            ..
        } => {
            let r = engine.attach_database(ses(session)?, path(filename).as_deref(), bits(grbit));
            done(r.unwrap_or_else(|e| e))
        }
        Call::DetachDatabase { session, filename } => done(code(engine.detach_database(
            ses(session)?,
            path(filename).as_deref(),
            0,
        ))),
        Call::DetachDatabase2 {
            session,
            filename,
            grbit,
        } => done(code(engine.detach_database(
            ses(session)?,
            path(filename).as_deref(),
            bits(grbit),
        ))),
        Call::OpenDatabase {
            session,
            filename,
            dbid: out,
            grbit,
            ..
        } => {
            let r = engine.open_database(ses(session)?, path(filename).as_deref(), bits(grbit));
            bind(out, r, |d| d.0)
        }
        Call::CloseDatabase {
            session,
            dbid: d,
            grbit,
        } => done(code(engine.close_database(
            ses(session)?,
            dbid(d)?,
            bits(grbit),
        ))),
        Call::BeginTransaction { session } => done(code(engine.begin_transaction(ses(session)?))),
        Call::CommitTransaction { session, grbit } => {
            done(code(engine.commit_transaction(ses(session)?, bits(grbit))))
        }
        Call::Rollback { session, grbit } => {
            done(code(engine.rollback(ses(session)?, bits(grbit))))
        }
        Call::CreateTable {
            session,
            dbid: d,
            table_name,
            tableid,
            ..
        } => {
            let r = engine.create_table(ses(session)?, dbid(d)?, table_name.as_deref());
            bind(tableid, r, |t| t.0)
        }
        Call::OpenTable {
            session,
            dbid: d,
            table_name,
            grbit,
            tableid,
        } => {
            let r = engine.open_table(ses(session)?, dbid(d)?, table_name.as_deref(), bits(grbit));
            bind(tableid, r, |t| t.0)
        }
        Call::CloseTable { session, tableid } => done(code(
            engine.close_table(ses(session)?, TableId(raw(tableid, handles)?)),
        )),
        Call::InsertRecords {
            session,
            dbid: d,
            table,
            count,
            records,
        } => {
            let rows = records.as_ref().map(|r| r.0.clone());
            done(insert_records(
                engine,
                ses(session)?,
                dbid(d)?,
                table.as_deref().unwrap_or(""),
                *count,
                rows,
            ))
        }
        Call::VerifyRecords {
            session,
            dbid: d,
            table,
            count,
            records,
        } => {
            let rows = records.as_ref().map(|r| r.0.clone());
            verify_records(
                engine,
                ses(session)?,
                dbid(d)?,
                table.as_deref().unwrap_or(""),
                *count,
                rows,
            )
        }
        Call::Crash {} => {
            engine.crash();
            done(JetErr::Success)
        }
        Call::BeginExternalBackup { grbit } => {
            done(code(engine.begin_external_backup(bits(grbit))))
        }
        Call::BeginExternalBackupInstance { instance, grbit } => done(code(
            engine.begin_external_backup_instance(inst(instance)?, bits(grbit)),
        )),
        Call::GetAttachInfo { cb_max } => backup::get_attach_info(engine, Target::Legacy, *cb_max),
        Call::GetAttachInfoInstance { instance, cb_max } => {
            backup::get_attach_info(engine, Target::Instance(inst(instance)?), *cb_max)
        }
        Call::OpenFile { filename, file } => {
            let r = backup::open_file(engine, Target::Legacy, path(filename).as_deref());
            opened(file, r)
        }
        Call::OpenFileInstance {
            instance,
            filename,
            file,
        } => {
            let t = Target::Instance(inst(instance)?);
            opened(
                file,
                backup::open_file(engine, t, path(filename).as_deref()),
            )
        }
        Call::ReadFile {
            file,
            cb,
            buffer_unaligned,
        } => backup::read_file(
            engine,
            Target::Legacy,
            file_handle(file)?,
            *cb,
            buffer_unaligned.unwrap_or(false),
        ),
        Call::ReadFileInstance {
            instance,
            file,
            cb,
            buffer_unaligned,
        } => backup::read_file(
            engine,
            Target::Instance(inst(instance)?),
            file_handle(file)?,
            *cb,
            buffer_unaligned.unwrap_or(false),
        ),
        Call::CloseFile { file } => backup::close_file(engine, Target::Legacy, file_handle(file)?),
        Call::CloseFileInstance { instance, file } => backup::close_file(
            engine,
            Target::Instance(inst(instance)?),
            file_handle(file)?,
        ),
        Call::GetLogInfo { cb_max } => backup::get_log_info(engine, Target::Legacy, *cb_max),
        Call::GetLogInfoInstance { instance, cb_max } => {
            backup::get_log_info(engine, Target::Instance(inst(instance)?), *cb_max)
        }
        Call::GetLogInfoInstance2 { instance, cb_max } => {
            backup::get_log_info2(engine, inst(instance)?, *cb_max)
        }
        Call::GetTruncateLogInfoInstance { instance, cb_max } => {
            backup::get_truncate_log_info(engine, inst(instance)?, *cb_max)
        }
        Call::TruncateLog {} => done(code(engine.truncate_log())),
        Call::TruncateLogInstance { instance } => {
            done(code(engine.truncate_log_instance(inst(instance)?)))
        }
        Call::EndExternalBackup {} => done(code(engine.end_external_backup())),
        Call::EndExternalBackupInstance { instance } => {
            done(code(engine.end_external_backup_instance(inst(instance)?)))
        }
        Call::EndExternalBackupInstance2 { instance, grbit } => done(code(
            engine.end_external_backup_instance2(inst(instance)?, bits(grbit)),
        )),
        Call::StopBackup {} => done(code(engine.stop_backup())),
        Call::StopBackupInstance { instance } => {
            done(code(engine.stop_backup_instance(inst(instance)?)))
        }
        Call::Backup { backup_path, grbit } => done(code(
            engine.backup(path(backup_path).as_deref(), bits(grbit)),
        )),
        Call::BackupInstance {
            instance,
            backup_path,
            grbit,
        } => done(code(engine.backup_instance(
            inst(instance)?,
            path(backup_path).as_deref(),
            bits(grbit),
        ))),
        Call::Restore { backup_path } => done(code(engine.restore(path(backup_path).as_deref()))),
        Call::Restore2 { backup_path, dest } => done(code(
            engine.restore2(path(backup_path).as_deref(), path(dest).as_deref()),
        )),
        Call::RestoreInstance {
            instance,
            backup_path,
            dest,
        } => done(code(engine.restore_instance(
            inst(instance)?,
            path(backup_path).as_deref(),
            path(dest).as_deref(),
        ))),
        Call::ExternalRestore {
            checkpoint_file_path,
            log_path,
            restore_map,
            restore_map_count,
            backup_log_path,
            gen_low,
            gen_high,
        } => {
            let map = restore_map
                .as_ref()
                .map(|m| restore_pairs(&m.0))
                .unwrap_or_default();
            let count = restore_map_count.unwrap_or(map.len() as i64);
            let generation = |g: &Option<i64>| u32::try_from(g.unwrap_or(0)).unwrap_or(u32::MAX);
            let r = engine.external_restore(
                path(checkpoint_file_path).as_deref(),
                path(log_path).as_deref(),
                &map,
                count,
                path(backup_log_path).as_deref(),
                generation(gen_low),
                generation(gen_high),
            );
            done(r.unwrap_or_else(|e| e))
        }
        Call::ExternalRestore2 {
            checkpoint_file_path,
            log_path,
            restore_map,
            restore_map_count,
            backup_log_path,
            log_info,
            target_instance_name,
            target_instance_log_path,
            target_instance_checkpoint_path,
        } => {
            let map = restore_map
                .as_ref()
                .map(|m| restore_pairs(&m.0))
                .unwrap_or_default();
            let count = restore_map_count.unwrap_or(map.len() as i64);
            let generation = |g: i64| u32::try_from(g).unwrap_or(u32::MAX);
            let (checkpoint_file_path, log_path, backup_log_path) = (
                path(checkpoint_file_path),
                path(log_path),
                path(backup_log_path),
            );
            let (target_log, target_chk) = (
                path(target_instance_log_path),
                path(target_instance_checkpoint_path),
            );
            let args = ExternalRestore {
                checkpoint_file_path: checkpoint_file_path.as_deref(),
                log_path: log_path.as_deref(),
                restore_map: &map,
                restore_map_count: count,
                backup_log_path: backup_log_path.as_deref(),
                log_info: log_info.as_ref().map(|i| RestoreLogInfo {
                    cb_size: i.cb_size.unwrap_or(LOGINFO_CB_SIZE),
                    gen_low: generation(i.gen_low),
                    gen_high: generation(i.gen_high),
                    base_name: i.base_name.clone(),
                }),
                target_instance_name: target_instance_name.as_deref(),
                target_instance_log_path: target_log.as_deref(),
                target_instance_checkpoint_path: target_chk.as_deref(),
            };
            done(engine.external_restore2(&args).unwrap_or_else(|e| e))
        }
        Call::RollLog { instance } => done(
            engine
                .roll_log(inst(instance)?)
                .err()
                .unwrap_or(JetErr::Success),
        ),
        Call::LimitLogGenerations { generation } => {
            // Out of range, the limit is clamped to 1..=0xFFFFF, as the engine documents.
            let generation = generation.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32;
            engine.limit_log_generations(generation);
            done(JetErr::Success)
        }
        Call::FlushCheckpoint { instance } => done(
            engine
                .flush_checkpoint(inst(instance)?)
                .err()
                .unwrap_or(JetErr::Success),
        ),
        // The engine allocates nothing on the caller's behalf, so there is never a buffer to
        // free: JetFreeBuffer succeeds, as ESE's does for NULL.
        Call::FreeBuffer { buf: _ } => done(JetErr::Success),
        Call::GetInstanceMiscInfo {
            instance,
            cb_max,
            info_level,
        } => done(code(
            engine
                .get_instance_misc_info(
                    inst(instance)?,
                    usize::try_from(cb_max.unwrap_or(0)).unwrap_or(0),
                    u32::try_from(info_level.unwrap_or(0)).unwrap_or(u32::MAX),
                )
                .map(drop),
        )),
        Call::SetSessionContext { session, context } => done(code(
            engine.set_session_context(ses(session)?, context.unwrap_or(0) as u64),
        )),
        Call::ResetSessionContext { session } => {
            done(code(engine.reset_session_context(ses(session)?)))
        }
        Call::FailAllocation { what } => {
            let kind = match what.as_ref().map(|w| w.0.as_str()) {
                Some("buffers") => Allocation::Buffers,
                _ => Allocation::Memory,
            };
            engine.fail_next_allocation(kind);
            done(JetErr::Success)
        }
        Call::FailLogWrites { .. }
        | Call::MakeUnavailable { .. }
        | Call::MakeReadOnly { .. }
        | Call::HoldFile { .. }
        | Call::CopyBackupFile { .. }
        | Call::CopyFile { .. }
        | Call::DeleteFile { .. }
        | Call::CorruptFile { .. }
        | Call::InjectFault { .. }
        | Call::VerifyInstances { .. }
        | Call::VerifyFile { .. }
        | Call::Start { .. }
        | Call::Finish { .. } => return Err(DispatchError::Harness(call.name())),
    })
}

/// A fresh engine (run mode NoSet, no instance) on `storage`, following `profile`.
pub fn new_engine(
    storage: std::sync::Arc<dyn engine::storage::Storage>,
    profile: engine::Profile,
) -> Engine {
    new_engine_with(storage, profile, None)
}

/// [`new_engine`] making the deliberate mistake `mutant` (the mutation check; the mutant acts
/// only when the engine is built with its `mutants` feature, `engine::mutant::BUILT`).
pub fn new_engine_with(
    storage: std::sync::Arc<dyn engine::storage::Storage>,
    profile: engine::Profile,
    mutant: Option<engine::Mutant>,
) -> Engine {
    Engine::with_mutant(storage, profile, mutant)
}

/// Drops every instance without shutting it down (the end of a replay, or a crash).
pub fn abandon(engine: &Engine) {
    engine.crash();
}

/// FailLogWrites and MakeUnavailable, first half: where the instance's log lives, to aim a
/// write fault at; `None` when the move does not apply (the instance is not running, or its
/// logging is off or has already failed), and then the action changes nothing.
pub fn log_directory(engine: &Engine, instance: u64) -> Option<std::path::PathBuf> {
    engine.log_directory(InstanceHandle(instance))
}

/// FailLogWrites, second half, with a write fault armed on the log directory: the instance
/// writes its log now and records the failure. An error when the write did not fail.
pub fn write_log_now(engine: &Engine, instance: u64) -> Result<(), String> {
    match engine.write_log_now(InstanceHandle(instance)) {
        Err(JetErr::LogWriteFail | JetErr::LogDiskFull) => Ok(()),
        Err(e) => Err(format!("the log write failed with {}", e.name())),
        Ok(_) => Err("the instance's log write did not fail".into()),
    }
}

/// MakeUnavailable, second half, with a write fault armed on the log directory: a rollback
/// runs now, cannot be logged, and leaves the instance unavailable. An error when it could.
pub fn roll_back_now(engine: &Engine, instance: u64) -> Result<(), String> {
    match engine.roll_back_now(InstanceHandle(instance)) {
        Err(JetErr::LogWriteFail | JetErr::LogDiskFull) => Ok(()),
        Err(e) => Err(format!("the rollback failed with {}", e.name())),
        Ok(_) => Err("the instance's rollback did not fail".into()),
    }
}

/// Start: arms the pause point a long call will be held at.
pub fn hold_at(engine: &Engine, point: &str) {
    engine.pause_gates().arm(point);
}

/// Waits up to `timeout` for a call to reach `point`; true when it did.
pub fn wait_held(engine: &Engine, point: &str, timeout: Duration) -> bool {
    engine.pause_gates().wait_reached(point, timeout)
}

/// Finish: lets the held call go on.
pub fn release(engine: &Engine, point: &str) {
    engine.pause_gates().release(point);
}
