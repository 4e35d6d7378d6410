//! The replay runner: runs a [`Trace`] against a fresh engine in a fresh sandbox, binding
//! `@handles`, performing the harness actions of `traces/README.md`, and stopping at the first
//! step whose result differs from the trace, which it reports with the file, step, call,
//! expected and actual result. Engine calls go through [`crate::dispatch`]; file actions go
//! through the engine's storage seam, so the same trace runs on real files ([`Backend::Os`])
//! and on the simulated disk ([`Backend::Sim`], where `Crash` is a power loss that drops
//! unsynced writes; on real files it is a process crash).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use engine::paths::checked_path;
use engine::storage::{
    FaultRule, FaultyStorage, IoError, OpKind, OsStorage, SimStorage, Storage, read_all,
};
use engine::{Engine, JetErr};
use jetapi::Call;
use jetapi::args::HandleRef;
use jetapi::trace::{Expect, Profile, Returns, Step, Trace, check_trace, load_trace_file};

use crate::dispatch::{
    DispatchError, Dispatched, Handles, abandon, copy_backup_file, dispatch, hold_at,
    log_directory, new_engine_with, release, roll_back_now, wait_held, write_log_now,
};

/// Where a replay's files live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A fresh directory under the system's temporary directory, removed afterwards.
    Os,
    /// The simulated disk.
    Sim,
}

impl Backend {
    /// The name `--vfs` takes: `os` or `sim`.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Os => "os",
            Backend::Sim => "sim",
        }
    }

    /// The backend `--vfs name` means.
    pub fn from_name(name: &str) -> Option<Backend> {
        [Backend::Os, Backend::Sim]
            .into_iter()
            .find(|b| b.name() == name)
    }
}

/// A disagreement's identity: the call's name, expected and actual.
pub type Identity = (String, String, String);

/// The function a step's call text names (`JetOpenFile(...)` -> `JetOpenFile`).
pub fn call_name(call: &str) -> &str {
    call.split(['(', ' ']).next().unwrap_or("")
}

/// The disagreements recorded as traces under `dir` (such as `traces/regressions/`), replayed
/// on `backend`: the identity of each that still fails, and the traces that now pass. A trace
/// that cannot run records nothing.
pub fn recorded_disagreements(dir: &Path, backend: Backend) -> (BTreeSet<Identity>, Vec<PathBuf>) {
    let files = crate::trace_files::trace_files_under(dir);
    let mut open = BTreeSet::new();
    let mut passing = Vec::new();
    for file in files {
        match replay_file(&file, backend) {
            Ok(()) => passing.push(file),
            Err(d) if d.step == 0 => {}
            Err(d) => {
                open.insert(d.identity());
            }
        }
    }
    (open, passing)
}

/// How to replay, beyond the backend: [`replay_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// The engine's profile; `None` is the trace's own (`esent` when it names none).
    pub profile: Option<Profile>,
    /// A deliberate engine mistake (the mutation check, `docs/mutants.md`); `None` is the
    /// engine as built.
    pub mutant: Option<engine::Mutant>,
}

/// The first step whose result differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The trace file, when read from one.
    pub file: Option<PathBuf>,
    /// The 1-based step.
    pub step: usize,
    /// The call of that step.
    pub call: String,
    /// What the trace expects.
    pub expected: String,
    /// What happened.
    pub actual: String,
}

impl Divergence {
    /// A trace that cannot be read or run: step 0, with every reason.
    pub fn unreadable<E: fmt::Display>(errors: &[E]) -> Divergence {
        Divergence {
            file: None,
            step: 0,
            call: "-".into(),
            expected: "a valid trace".into(),
            actual: errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// What makes two disagreements the same one: the call's name, expected and actual.
    pub fn identity(&self) -> Identity {
        (
            call_name(&self.call).to_string(),
            self.expected.clone(),
            self.actual.clone(),
        )
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self
            .file
            .as_ref()
            .map_or("<trace>".into(), |p| p.display().to_string());
        write!(
            f,
            "{file} step {} ({}): expected {}, got {}",
            self.step, self.call, self.expected, self.actual
        )
    }
}

type Started = (JoinHandle<Result<Dispatched, DispatchError>>, String);

struct Runner {
    engine: Arc<Engine>,
    storage: Arc<FaultyStorage>,
    /// The file system under `storage`: what an observer looks at, past any injected fault.
    inner: Arc<dyn Storage>,
    sim: Option<Arc<SimStorage>>,
    handles: Handles,
    started: BTreeMap<String, Started>,
}

fn fresh_sandbox() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("jetspec-replay-{}-{n}", std::process::id()))
}

/// Reads, checks and replays the trace file at `path` in the profile it names.
pub fn replay_file(path: &Path, backend: Backend) -> Result<(), Divergence> {
    replay_file_as(path, backend, None)
}

/// [`replay_file`] with the engine in `profile` when given, else in the trace's own.
pub fn replay_file_as(
    path: &Path,
    backend: Backend,
    profile: Option<Profile>,
) -> Result<(), Divergence> {
    replay_file_with(
        path,
        backend,
        &ReplayOptions {
            profile,
            mutant: None,
        },
    )
}

/// [`replay_file`] with `options`.
pub fn replay_file_with(
    path: &Path,
    backend: Backend,
    options: &ReplayOptions,
) -> Result<(), Divergence> {
    let trace = load_trace_file(path).map_err(|errors| Divergence {
        file: Some(path.to_path_buf()),
        ..Divergence::unreadable(&errors)
    })?;
    replay_with(&trace, backend, options).map_err(|mut d| {
        d.file = Some(path.to_path_buf());
        d
    })
}

/// Replays `trace` on a fresh engine and sandbox, the engine in the trace's profile (`esent`
/// when it names none).
pub fn replay(trace: &Trace, backend: Backend) -> Result<(), Divergence> {
    replay_as(trace, backend, None)
}

/// [`replay`] with the engine in `profile` when given, else in the trace's own. A trace that
/// cannot run (`check_trace`) is refused before anything runs: step 0, its first problem's call.
pub fn replay_as(
    trace: &Trace,
    backend: Backend,
    profile: Option<Profile>,
) -> Result<(), Divergence> {
    replay_with(
        trace,
        backend,
        &ReplayOptions {
            profile,
            mutant: None,
        },
    )
}

/// [`replay_as`] with `options`: the profile, and the engine's deliberate mistake if any.
pub fn replay_with(
    trace: &Trace,
    backend: Backend,
    options: &ReplayOptions,
) -> Result<(), Divergence> {
    replay_observed(trace, backend, options, &mut |_, _| Ok(()))
}

/// What an observer sees of the engine after a step: its instances and its files, looked at
/// without an API call (so no injected fault or allocation failure is spent on it).
pub struct Observed<'a> {
    engine: &'a Engine,
    files: &'a dyn Storage,
}

impl Observed<'_> {
    /// How many instances are allocated and not initialized, and how many run, leaving out
    /// those named `except` (the other process a harness action plays).
    pub fn instances(&self, except: &str) -> (usize, usize) {
        let seen = self.engine.instances_seen();
        let count = |state: engine::Lifecycle| {
            seen.iter()
                .filter(|(name, s)| *s == state && name.as_deref() != Some(except))
                .count()
        };
        (
            count(engine::Lifecycle::Created),
            count(engine::Lifecycle::Running),
        )
    }

    /// Whether `path` (relative to the sandbox) exists, looked at past injected faults; a file
    /// system error is returned as such, never read as an answer.
    pub fn exists(&self, path: &str) -> Result<bool, String> {
        self.files
            .exists(&sandbox_path(path))
            .map_err(|e| format!("cannot tell whether {path} exists: {e}"))
    }

    /// A check of what can be seen (`VerifyInstances`, `VerifyFile`) as the engine shows it:
    /// the same check with the engine's values, which equals `check` exactly when it holds.
    /// `Ok(None)` for a step that is no complete check.
    pub fn shows(&self, check: &Step) -> Result<Option<Step>, String> {
        let call = match &check.call {
            Call::VerifyInstances {
                allocated: Some(_),
                running: Some(_),
                except,
            } => {
                let (allocated, running) = self.instances(except.as_deref().unwrap_or(""));
                Call::VerifyInstances {
                    allocated: Some(allocated as i64),
                    running: Some(running as i64),
                    except: except.clone(),
                }
            }
            Call::VerifyFile {
                path: Some(path),
                exists: Some(_),
            } => Call::VerifyFile {
                path: Some(path.clone()),
                exists: Some(self.exists(&path.0)?),
            },
            _ => return Ok(None),
        };
        Ok(Some(Step {
            call,
            ..check.clone()
        }))
    }
}

/// Checks of what can be seen as one line: "1 allocated, 0 running; a/x.edb present" (the
/// instances first, then the files, in their order).
pub fn describe_state(checks: &[Step]) -> String {
    let mut parts = Vec::new();
    let mut files = Vec::new();
    for check in checks {
        match &check.call {
            Call::VerifyInstances {
                allocated: Some(a),
                running: Some(r),
                ..
            } => parts.push(format!("{a} allocated, {r} running")),
            Call::VerifyFile {
                path: Some(p),
                exists: Some(e),
            } => files.push(format!("{} {}", p.0, if *e { "present" } else { "absent" })),
            _ => {}
        }
    }
    parts.extend(files);
    parts.join("; ")
}

/// [`replay_with`], calling `observe` after every step that passed while no call is held, with
/// the step's 1-based number: an `Err((expected, actual))` from it is a divergence at that step.
pub fn replay_observed(
    trace: &Trace,
    backend: Backend,
    options: &ReplayOptions,
    observe: &mut dyn FnMut(usize, &Observed<'_>) -> StepResult,
) -> Result<(), Divergence> {
    let problems = check_trace(trace);
    if let Some(first) = problems.first() {
        return Err(Divergence {
            file: None,
            step: 0,
            call: first.call.into(),
            expected: "a valid trace".into(),
            actual: problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    let profile = options.profile.or(trace.profile).unwrap_or(Profile::Esent);
    let (inner, sim, dir): (Arc<dyn Storage>, _, _) = match backend {
        Backend::Os => {
            let dir = fresh_sandbox();
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).map_err(|e| Divergence {
                file: None,
                step: 0,
                call: "-".into(),
                expected: "a sandbox".into(),
                actual: format!("cannot create {}: {e}", dir.display()),
            })?;
            (Arc::new(OsStorage::new(&dir)), None, Some(dir))
        }
        Backend::Sim => {
            let sim = Arc::new(SimStorage::new());
            (sim.clone(), Some(sim), None)
        }
    };
    let storage = Arc::new(FaultyStorage::new(inner.clone()));
    let mut runner = Runner {
        engine: Arc::new(new_engine_with(storage.clone(), profile, options.mutant)),
        storage,
        inner,
        sim,
        handles: Handles::new(),
        started: BTreeMap::new(),
    };
    let result = trace.steps.iter().enumerate().try_for_each(|(i, step)| {
        runner
            .step(step)
            .and_then(|()| {
                if !runner.started.is_empty() {
                    return Ok(()); // a held call: the engine is between two states
                }
                observe(
                    i + 1,
                    &Observed {
                        engine: &runner.engine,
                        files: runner.inner.as_ref(),
                    },
                )
            })
            .map_err(|(expected, actual)| Divergence {
                file: None,
                step: i + 1,
                call: step.call.name().to_string(),
                expected,
                actual,
            })
    });
    for (_, (thread, point)) in std::mem::take(&mut runner.started) {
        release(&runner.engine, &point);
        let _ = thread.join();
    }
    abandon(&runner.engine);
    runner.storage.release_all();
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

/// What a step expects, as a report prints it.
pub(crate) fn expected_text(expect: &Expect) -> String {
    match expect {
        Expect::Default => "JET_errSuccess".into(),
        Expect::Ok => "ok".into(),
        Expect::Codes(codes) => codes
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// A step's result: `Err((expected, actual))` when it differs.
pub type StepResult = Result<(), (String, String)>;

impl Runner {
    fn step(&mut self, step: &Step) -> StepResult {
        let harness = |r: Result<(), String>| match (r, &step.expect) {
            (Ok(()), Expect::Default | Expect::Ok) => Ok(()),
            (r, expect) => Err((
                match expect {
                    Expect::Default => "ok".into(),
                    expect => expected_text(expect),
                },
                r.err().unwrap_or_else(|| "ok".into()),
            )),
        };
        match &step.call {
            Call::CopyFile { from, to } => harness(self.copy(from.as_ref(), to.as_ref())),
            Call::DeleteFile { path } => harness(self.delete(path.as_ref())),
            Call::CorruptFile {
                path,
                offset,
                bytes,
            } => harness(self.corrupt(path.as_ref(), offset.unwrap_or(0), bytes.unwrap_or(0))),
            Call::InjectFault {
                op,
                path,
                error,
                after,
            } => {
                let op = op.as_ref().map_or("any", |w| w.0.as_str());
                let rule = FaultRule {
                    op: OpKind::from_word(op),
                    path: path.as_ref().map(|p| sandbox_path(&p.0)),
                    after: after.unwrap_or(0).max(0) as u64,
                    error: fault_error(error.as_ref()),
                };
                self.storage.inject(rule);
                harness(Ok(()))
            }
            Call::FailLogWrites { instance, error } => {
                harness(self.fail_log_write(instance.as_ref(), error.as_ref(), write_log_now))
            }
            Call::MakeUnavailable { instance, error } => {
                harness(self.fail_log_write(instance.as_ref(), error.as_ref(), roll_back_now))
            }
            Call::MakeReadOnly { path } => harness(self.make_read_only(path.as_ref())),
            Call::VerifyInstances { .. } | Call::VerifyFile { .. } => harness(self.verify(step)),
            Call::HoldFile { path } => match path {
                Some(p) => {
                    self.storage.hold(&sandbox_path(&p.0));
                    harness(Ok(()))
                }
                None => harness(Err("HoldFile needs path".into())),
            },
            Call::Start { call, id, pause_at } => {
                let (Some(call), Some(id)) = (call, id) else {
                    return harness(Err("Start needs call and id".into()));
                };
                let point = pause_at
                    .as_ref()
                    .map_or("api_locked", |w| w.0.as_str())
                    .to_string();
                hold_at(&self.engine, &point);
                let (engine, call, handles) =
                    (self.engine.clone(), (**call).clone(), self.handles.clone());
                let thread = std::thread::spawn(move || dispatch(&engine, &call, &handles));
                let deadline = Instant::now() + Duration::from_secs(10);
                while !wait_held(&self.engine, &point, Duration::from_millis(5)) {
                    if thread.is_finished() {
                        release(&self.engine, &point);
                        break;
                    }
                    if Instant::now() > deadline {
                        return harness(Err(format!("the started call never reached {point}")));
                    }
                }
                self.started.insert(id.clone(), (thread, point));
                harness(Ok(()))
            }
            Call::Finish { id } => {
                let id = id.clone().unwrap_or_default();
                let Some((thread, point)) = self.started.remove(&id) else {
                    return harness(Err(format!("no started call {id}")));
                };
                release(&self.engine, &point);
                let result = thread.join().map_err(|_| {
                    (
                        "a result".to_string(),
                        "the started call panicked".to_string(),
                    )
                })?;
                self.check(step, result)
            }
            Call::CopyBackupFile {
                instance,
                filename,
                to,
            } => {
                let result =
                    self.copy_backup_file(instance.as_ref(), filename.as_ref(), to.as_ref());
                match result {
                    Ok(d) => self.check(step, Ok(d)),
                    Err(message) => harness(Err(message)),
                }
            }
            Call::Crash {} => {
                let result = dispatch(&self.engine, &step.call, &self.handles);
                if let Some(sim) = &self.sim {
                    sim.crash();
                }
                self.started.clear();
                self.check(step, result)
            }
            call => {
                let result = dispatch(&self.engine, call, &self.handles);
                self.check(step, result)
            }
        }
    }

    fn check(&mut self, step: &Step, result: Result<Dispatched, DispatchError>) -> StepResult {
        let d = result.map_err(|e| (expected_text(&step.expect), e.to_string()))?;
        let is_harness = step.call.spec().is_harness();
        let ok = match &step.expect {
            Expect::Ok => d.code == JetErr::Success,
            expect => expect.accepts(d.code),
        };
        if !ok {
            return Err((expected_text(&step.expect), d.code.name().to_string()));
        }
        if let Some(m) = &d.mismatch {
            if is_harness && d.code == JetErr::Success {
                return Err(("the records given".into(), m.clone()));
            }
        }
        if d.code.is_success() {
            for (name, value) in &d.binds {
                self.handles.insert(name.clone(), *value);
            }
        }
        if let Some(returns) = &step.returns {
            self.compare_returns(returns, &d)?;
        }
        Ok(())
    }

    fn compare_returns(&self, want: &Returns, d: &Dispatched) -> StepResult {
        let differ = |key: &str, w: String, a: String| Err((format!("returns.{key} = {w}"), a));
        if let Some(v) = &want.value {
            if d.outputs.value.as_ref() != Some(v) {
                return differ("value", format!("{v:?}"), format!("{:?}", d.outputs.value));
            }
        }
        if let Some(n) = want.set_succeed {
            if d.outputs.set_succeed != Some(n) {
                return differ(
                    "set_succeed",
                    n.to_string(),
                    format!("{:?}", d.outputs.set_succeed),
                );
            }
        }
        let instances = d.outputs.instances.as_deref().unwrap_or(&[]);
        if let Some(n) = want.instance_count {
            if instances.len() as u64 != n {
                return differ("instance_count", n.to_string(), instances.len().to_string());
            }
        }
        if let Some(list) = &want.instances {
            let same = list.len() == instances.len()
                && list.iter().zip(instances).all(|(w, (h, name, dbs))| {
                    let handle_ok = match &w.instance {
                        None => true,
                        Some(HandleRef::Raw(v)) => *v as u64 == *h,
                        Some(HandleRef::Name(n)) => self.handles.get(n) == Some(h),
                    };
                    let name_ok = w
                        .instance_name
                        .as_ref()
                        .is_none_or(|n| Some(n) == name.as_ref());
                    let dbs_ok = w.databases.as_ref().is_none_or(|want| {
                        want.iter().map(|p| sandbox_path(p)).collect::<Vec<_>>()
                            == dbs.iter().map(|p| sandbox_path(p)).collect::<Vec<_>>()
                    });
                    handle_ok && name_ok && dbs_ok
                });
            if !same {
                return differ("instances", format!("{list:?}"), format!("{instances:?}"));
            }
        }
        if let Some(want_files) = &want.files {
            let resolve =
                |list: &[String]| list.iter().map(|p| sandbox_path(p)).collect::<Vec<_>>();
            let have = d.outputs.files.as_deref().unwrap_or(&[]);
            if resolve(want_files) != resolve(have) {
                return differ("files", format!("{want_files:?}"), format!("{have:?}"));
            }
        }
        let numbers = [
            ("cb_actual", want.cb_actual, d.outputs.cb_actual),
            ("size_bytes", want.size_bytes, d.outputs.size_bytes),
            ("bytes", want.bytes, d.outputs.bytes),
            ("gen_low", want.gen_low, d.outputs.gen_low),
            ("gen_high", want.gen_high, d.outputs.gen_high),
        ];
        for (key, w, have) in numbers {
            if let Some(w) = w {
                if have != Some(w) {
                    return differ(key, w.to_string(), format!("{have:?}"));
                }
            }
        }
        if let Some(w) = &want.base_name {
            if d.outputs.base_name.as_ref() != Some(w) {
                return differ("base_name", w.clone(), format!("{:?}", d.outputs.base_name));
            }
        }
        Ok(())
    }

    fn copy(
        &self,
        from: Option<&jetapi::args::PathArg>,
        to: Option<&jetapi::args::PathArg>,
    ) -> Result<(), String> {
        let (Some(from), Some(to)) = (from, to) else {
            return Err("CopyFile needs from and to".into());
        };
        let s = self.storage.as_ref();
        let (src, dst) = (sandbox_path(&from.0), sandbox_path(&to.0));
        let files: Vec<(PathBuf, PathBuf)> = if from.0.ends_with('/') {
            let names = s.list(&src).map_err(|e| format!("{}: {e}", from.0))?;
            names
                .into_iter()
                .map(|n| (src.join(&n), dst.join(&n)))
                .collect()
        } else if to.0.ends_with('/') {
            vec![(src.clone(), dst.join(src.file_name().unwrap_or_default()))]
        } else {
            vec![(src, dst)]
        };
        for (a, b) in files {
            let bytes = read_all(s, &a).map_err(|e| format!("{}: {e}", a.display()))?;
            let dir = b.parent().unwrap_or(Path::new("")).to_path_buf();
            s.create_dir_all(&dir).map_err(|e| e.to_string())?;
            s.create(&b).map_err(|e| e.to_string())?;
            s.write_at(&b, 0, &bytes).map_err(|e| e.to_string())?;
            s.sync(&b).map_err(|e| e.to_string())?;
            s.sync_dir(&dir).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// CopyBackupFile: the engine calls go through `dispatch`; the bytes go to `to` (a file,
    /// or a directory ending in `/` that gets the source's file name) through the storage seam.
    fn copy_backup_file(
        &self,
        instance: Option<&HandleRef>,
        filename: Option<&jetapi::args::PathArg>,
        to: Option<&jetapi::args::PathArg>,
    ) -> Result<Dispatched, String> {
        let (Some(filename), Some(to)) = (filename, to) else {
            return Err("CopyBackupFile needs filename and to".into());
        };
        let instance = match instance {
            None => None,
            Some(HandleRef::Raw(v)) => Some(engine::InstanceHandle(*v as u64)),
            Some(HandleRef::Name(n)) => match self.handles.get(n) {
                Some(v) => Some(engine::InstanceHandle(*v)),
                None => return Err(DispatchError::Unbound(n.clone()).to_string()),
            },
        };
        let s = self.storage.as_ref();
        let mut dst = sandbox_path(&to.0);
        if to.0.ends_with('/') {
            dst = dst.join(sandbox_path(&filename.0).file_name().unwrap_or_default());
        }
        let dir = dst.parent().unwrap_or(Path::new("")).to_path_buf();
        // The copy is made once the file is open, as a client makes it: a file the engine
        // refuses to open leaves nothing behind.
        let create = || -> Result<(), String> {
            s.create_dir_all(&dir).map_err(|e| e.to_string())?;
            s.create(&dst)
                .map_err(|e| format!("{}: {e}", dst.display()))
        };
        let mut created = false;
        let mut write = |offset: u64, bytes: &[u8]| {
            if !created {
                create()?;
                created = true;
            }
            s.write_at(&dst, offset, bytes)
                .map_err(|e| format!("{}: {e}", dst.display()))
        };
        let d = copy_backup_file(&self.engine, instance, &filename.0, &mut write)?;
        if !created {
            if d.code != JetErr::Success {
                return Ok(d);
            }
            // An empty file, copied.
            create()?;
        }
        s.sync(&dst).map_err(|e| e.to_string())?;
        s.sync_dir(&dir).map_err(|e| e.to_string())?;
        Ok(d)
    }

    /// FailLogWrites and MakeUnavailable: a one-shot write fault on the instance's log
    /// directory, then `provoke` (the engine's log write or rollback, through `dispatch`)
    /// makes it fire. Where the move does not apply (the instance is not running, or its
    /// logging is off or has failed) nothing changes, as in the model's environment.
    fn fail_log_write(
        &self,
        instance: Option<&HandleRef>,
        error: Option<&jetapi::args::Word>,
        provoke: fn(&Engine, u64) -> Result<(), String>,
    ) -> Result<(), String> {
        let instance = match instance {
            Some(HandleRef::Raw(v)) => *v as u64,
            Some(HandleRef::Name(n)) => *self
                .handles
                .get(n)
                .ok_or_else(|| DispatchError::Unbound(n.clone()).to_string())?,
            None => return Err("the action needs instance".into()),
        };
        let Some(dir) = log_directory(&self.engine, instance) else {
            return Ok(());
        };
        let rule = FaultRule {
            op: Some(OpKind::Write),
            path: Some(dir),
            after: 0,
            error: fault_error(error),
        };
        let fired = self.storage.fired();
        self.storage.inject(rule.clone());
        let result = provoke(&self.engine, instance);
        if self.storage.fired() == fired {
            self.storage.disarm(&rule);
        }
        result
    }

    /// VerifyInstances, VerifyFile: the check holds as the engine shows it
    /// ([`Observed::shows`]).
    fn verify(&self, check: &Step) -> Result<(), String> {
        let seen = Observed {
            engine: &self.engine,
            files: self.inner.as_ref(),
        };
        match seen.shows(check)? {
            Some(shown) if shown == *check => Ok(()),
            Some(shown) => Err(format!(
                "{}, expected {}",
                describe_state(std::slice::from_ref(&shown)),
                describe_state(std::slice::from_ref(check))
            )),
            None => Err(format!("{} needs every argument", check.call.name())),
        }
    }

    fn make_read_only(&self, path: Option<&jetapi::args::PathArg>) -> Result<(), String> {
        let Some(path) = path else {
            return Err("MakeReadOnly needs path".into());
        };
        self.storage
            .set_read_only(&sandbox_path(&path.0), true)
            .map_err(|e| format!("{}: {e}", path.0))
    }

    fn delete(&self, path: Option<&jetapi::args::PathArg>) -> Result<(), String> {
        let Some(path) = path else {
            return Err("DeleteFile needs path".into());
        };
        let s = self.storage.as_ref();
        let p = sandbox_path(&path.0);
        if path.0.ends_with('/') {
            s.create_dir_all(&p).map_err(|e| e.to_string())?;
            for name in s.list(&p).map_err(|e| e.to_string())? {
                s.delete(&p.join(name)).map_err(|e| e.to_string())?;
            }
            return s.sync_dir(&p).map_err(|e| e.to_string());
        }
        s.delete(&p).map_err(|e| format!("{}: {e}", path.0))?;
        s.sync_dir(p.parent().unwrap_or(Path::new("")))
            .map_err(|e| e.to_string())
    }

    fn corrupt(
        &self,
        path: Option<&jetapi::args::PathArg>,
        offset: i64,
        bytes: i64,
    ) -> Result<(), String> {
        let Some(path) = path else {
            return Err("CorruptFile needs path".into());
        };
        let s = self.storage.as_ref();
        let p = sandbox_path(&path.0);
        let offset = offset.max(0) as u64;
        let mut data = s
            .read_at(&p, offset, bytes.max(0) as usize)
            .map_err(|e| format!("{}: {e}", path.0))?;
        for b in &mut data {
            *b ^= 0xFF;
        }
        s.write_at(&p, offset, &data).map_err(|e| e.to_string())?;
        s.sync(&p).map_err(|e| e.to_string())
    }
}

/// The I/O error an `error` argument names: ENOSPC, or EIO (the default).
fn fault_error(error: Option<&jetapi::args::Word>) -> IoError {
    match error.map(|w| w.0.as_str()) {
        Some("ENOSPC") => IoError::NoSpace,
        _ => IoError::Io,
    }
}

/// A trace path (validated to stay inside the sandbox) as a storage path.
fn sandbox_path(p: &str) -> PathBuf {
    checked_path(p).unwrap_or_else(|_| PathBuf::from(p.trim_start_matches('/')))
}
