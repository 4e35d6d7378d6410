//! How a trace's steps line up with the steps the model prints, part of
//! [`super::replay_on_model`]: the one-to-one [`Renaming`] of names, the model's own settings
//! a trace may leave out ([`Reading`]), the steps below the model it passes over, the checks of
//! what can be seen that the model answers from its state ([`model_check`]), and the
//! alignment of one action's printed steps with the trace's ([`align`]).

use std::collections::BTreeMap;
use std::path::Path;

use jetapi::args::{ArgValue, ParamRef, ParamValue, SysParamList, SysParamSetting};
use jetapi::calls::{ParamKind, Role};
use jetapi::grbits::Grbit;
use jetapi::trace::{Expect, Step, escapes_sandbox};
use jetapi::{Call, JetErr};
use model::to_trace::state_checks;
use model::{Spec, State};
use serde_json::Value;

use crate::replay::describe_state;

/// Harness actions and calls about rows, which the model does not keep: it passes them over.
pub const BELOW_THE_MODEL: [&str; 4] = [
    "InsertRecords",
    "VerifyRecords",
    "JetOpenTable",
    "JetGetSystemParameter",
];

/// The settings the printer gives every instance (or the process), which a hand-written trace
/// may leave out.
const MODEL_SETTINGS: [&str; 6] = [
    "JET_paramMaxInstances",
    "JET_paramSystemPath",
    "JET_paramLogFilePath",
    "JET_paramTempPath",
    "JET_paramCreatePathIfNotExist",
    "JET_paramMaxSessions",
];

/// The system parameters the model's actions set besides [`MODEL_SETTINGS`]: with those, every
/// parameter the model prints.
const ACTION_PARAMS: [&str; 4] = [
    "JET_paramCircularLog",
    "JET_paramRecovery",
    "JET_paramOneDatabasePerSession",
    "JET_paramDatabasePageSize",
];

/// True when the model prints `param`: one of its own settings or one its actions set.
pub(super) fn model_keeps(param: &str) -> bool {
    MODEL_SETTINGS.contains(&param) || ACTION_PARAMS.contains(&param)
}

/// The limits among [`MODEL_SETTINGS`], the calls (`None`: any) whose answers rest on each
/// and those answers: the limits themselves, and a JetInit that succeeds because the paths it
/// was given were created (`JET_paramCreatePathIfNotExist`, counted as left out only where the
/// trace gave paths of its own). JetEnableMultiInstance's answer to a list naming
/// `JET_paramMaxInstances` rests on the value written before, which the reading keeps
/// ([`Reading::max_instances`]), not on the model's.
const MODEL_LIMITS: [(&str, Option<&str>, &[JetErr]); 3] = [
    ("JET_paramMaxSessions", None, &[JetErr::OutOfSessions]),
    ("JET_paramMaxInstances", None, &[JetErr::TooManyInstances]),
    (
        "JET_paramCreatePathIfNotExist",
        Some("JetInit"),
        &[JetErr::Success],
    ),
];

/// Arguments that name something other than a file or directory (a handle, an instance, a
/// table) rather than say a value: these are renamed, everything else must be equal.
const NAME_ARGS: [&str; 11] = [
    "instance",
    "session",
    "dbid",
    "file",
    "tableid",
    "id",
    "instance_name",
    "display_name",
    "target_instance_name",
    "table",
    "table_name",
];

/// Arguments that name a file or directory: renamed as paths, by the places they name.
const PATH_ARGS: [&str; 13] = [
    "filename",
    "backup_path",
    "backup_log_path",
    "checkpoint_file_path",
    "log_path",
    "target_instance_checkpoint_path",
    "target_instance_log_path",
    "dest",
    "database_name",
    "new_database_name",
    "path",
    "from",
    "to",
];

/// What a string argument is to the renaming.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// A value, compared as it is.
    Value,
    /// A name of something other than a file or directory.
    Name,
    /// A file or directory.
    Path,
    /// A directory an instance's path parameter sets.
    Setting,
    /// A file an ESE call is given by name (`filename`).
    Filename,
}

/// A one-to-one renaming between the names the model prints and those the trace uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Renaming {
    pub(super) printed: BTreeMap<String, String>,
    pub(super) traced: BTreeMap<String, String>,
    /// The printed names of the files and databases the model has open in the state being
    /// read from ([`model::to_trace::open_handle_names`]).
    pub(super) open: Vec<String>,
    /// The process is in NoSet mode in the state being read from: a JetInit with a NULL
    /// pinstance then starts legacy mode as one with a pointer to a nil handle does.
    pub(super) no_set: bool,
    /// The trace's own paths that a CopyBackupFile wrote, which stand for nothing of the
    /// model's: the model keeps no copy.
    pub(super) by_hand: Vec<String>,
    /// The printed names bound as paths (the others name handles, instances, tables).
    pub(super) paths: std::collections::BTreeSet<String>,
    /// The printed paths bound as an instance's path parameter (system, log, temporary).
    pub(super) settings: std::collections::BTreeSet<String>,
    /// The trace's step being read: the engine has handed out no handle above
    /// `FIRST_HANDLE + HANDLES_PER_STEP * (step + 1)` by then.
    pub(super) step: usize,
}

impl Renaming {
    /// True when `traced` overlaps a path a CopyBackupFile wrote: is it, lies under it, or holds
    /// it.
    fn written_by_hand(&self, traced: &str) -> bool {
        self.by_hand.iter().any(|copy| overlap(traced, copy))
    }

    /// Takes `to`, where a CopyBackupFile writes, as the trace's own: true unless it overlaps
    /// a path that stands for one of the model's, or it writes into the sandbox itself while
    /// some path is left at the engine's default (there, among the instance's files).
    fn copy_to(&mut self, to: &str) -> bool {
        // The engine's default paths are the sandbox itself, where its files then lie.
        let defaults = self.traced.keys().any(|t| t.starts_with(DEFAULT_PATH));
        let the_models = self.bound_paths().any(|(_, t)| overlap(t, to));
        if the_models || (defaults && among_default_files(to)) {
            return false;
        }
        let to = canonical(to);
        if !self.by_hand.contains(&to) {
            self.by_hand.push(to);
        }
        true
    }

    /// Binds `printed` to `traced` (a path as the place it names, [`canonical`]): true when
    /// neither is bound to something else.
    fn bind(&mut self, printed: &str, traced: &str, naming: Naming) -> bool {
        let path = matches!(naming, Naming::Path | Naming::Setting | Naming::Filename);
        let setting = naming == Naming::Setting;
        let traced = &if path {
            canonical(traced)
        } else {
            traced.to_string()
        };
        if path && (self.written_by_hand(traced) || the_sandbox_itself(traced)) {
            return false;
        }
        // A name stands only for one of its kind: a handle for a handle, a directory for a
        // directory, a database for a database (by extension), a log for a log; a path out of
        // the sandbox, which is refused as such, only for another; and a path only for one of
        // its length class, which the engine's limits tell apart.
        let kind = |name: &str| {
            let extension = Path::new(name).extension().map(|e| e.to_ascii_lowercase());
            (
                name.starts_with('@'),
                name.ends_with('/'),
                extension,
                escapes_sandbox(name),
                length_class(name),
            )
        };
        let bound = kind(printed) == kind(traced)
            && (!path
                || (same_ese_name(printed, traced) && self.placed_alike(printed, traced, naming)))
            && self.pair(printed, traced);
        if bound && path {
            self.paths.insert(printed.to_string());
        }
        if bound && setting {
            self.settings.insert(printed.to_string());
        }
        bound
    }

    /// The (printed, traced) pairs bound as paths.
    fn bound_paths(&self) -> impl Iterator<Item = (&String, &String)> {
        self.printed.iter().filter(|(p, _)| self.paths.contains(*p))
    }

    /// True when binding the path `traced` to `printed` keeps what the engine can tell apart.
    /// - Where two of the trace's paths overlap (one lies under or holds the other), the
    ///   model's two lie the same way: a directory that holds what the model keeps apart from
    ///   it is not empty, as the model's is.
    /// - Where the model's two nest and the trace's lie apart, the nesting is only the
    ///   printer's layout: an instance's setting directories (system, log, temporary paths)
    ///   and the files and setting directories printed under them. Anything else nested on
    ///   disk (a backup directory's files and subdirectories) stays nested.
    /// - A file the engine finds by directory and name (a checkpoint, a log, the temporary
    ///   database: [`ese_named`]) lies directly in the directory standing for the model's
    ///   (the sandbox itself for one left at the engine's default).
    /// - A file an ESE call is given by name (`filename`: created, attached, opened) lies in
    ///   the sandbox itself or in a directory that is, or holds, one the trace's paths name,
    ///   so that it exists where the model's does; and two files the model names alike (a
    ///   database and its backup copy) the trace names alike too.
    ///
    /// An instance's log directory that shares the trace's directory with its system directory
    /// ([`system_and_logs`]) lies to the others as the system directory does.
    fn placed_alike(&self, printed: &str, traced: &str, naming: Naming) -> bool {
        let setting = naming == Naming::Setting;
        let Some(traced_place) = place(traced) else {
            return true;
        };
        // The log directories that share the trace's directory with their system directory,
        // this binding included.
        let shares = |logs: &str, bound_to: &str| {
            logs.ends_with("logs/")
                && self
                    .bound_paths()
                    .any(|(p, t)| t == bound_to && system_and_logs(p, logs))
        };
        let mut merged: Vec<Vec<String>> = self
            .bound_paths()
            .filter(|(p, t)| shares(p, t))
            .filter_map(|(p, _)| place(p))
            .collect();
        if shares(printed, traced) {
            merged.extend(place(printed));
        }
        // A printed path with each merged log directory read as its system directory.
        let effective = |name: &str| -> Option<Vec<String>> {
            let mut parts = place(name)?;
            for logs in &merged {
                if parts.len() >= logs.len() && parts[..logs.len()] == logs[..] {
                    parts.remove(logs.len() - 1);
                }
            }
            Some(parts)
        };
        let Some(printed_place) = effective(printed) else {
            return true;
        };
        let is_setting = |name: &str| {
            if name == printed {
                setting
            } else {
                self.settings.contains(name)
            }
        };
        // Nesting that is only the printer's layout: a setting directory holding another, or a
        // file (one of ESE's must still lie in the directory standing for its own, below).
        let layout_only = |outer: &str, inner: &str| {
            is_setting(outer) && (is_setting(inner) || !inner.ends_with('/'))
        };
        let bound: Vec<(Vec<String>, Vec<String>, &str, &str)> = self
            .bound_paths()
            .filter(|(p, _)| *p != printed)
            .filter_map(|(p, t)| Some((effective(p)?, place(t)?, p.as_str(), t.as_str())))
            .collect();
        let overlaps_alike = bound.iter().all(|(p, t, p_name, _)| {
            let (traced_relation, printed_relation) =
                (relation(&traced_place, t), relation(&printed_place, p));
            match (traced_relation, printed_relation) {
                (tr, pr) if tr == pr => true,
                (APART, UNDER) => layout_only(p_name, printed),
                (APART, HOLDS) => layout_only(printed, p_name),
                _ => false,
            }
        });
        // The deepest directory of the model's holding `file`, and where the trace's is: its
        // place, or the sandbox itself for one left at the engine's default.
        let holder = |file: &[String], extra: Option<(&[String], &[String])>| {
            self.printed
                .iter()
                .filter(|(p, _)| p.ends_with('/') && *p != printed)
                .filter_map(|(p, t)| {
                    let traced_dir = if t.starts_with(DEFAULT_PATH) {
                        Vec::new()
                    } else {
                        place(t)?
                    };
                    Some((effective(p)?, traced_dir))
                })
                .chain(extra.map(|(p, t)| (p.to_vec(), t.to_vec())))
                .filter(|(p, _)| relation(file, p) == UNDER)
                .max_by_key(|(p, _)| p.len())
                .map(|(_, t)| t)
        };
        let parent = |place: &[String]| place[..place.len().saturating_sub(1)].to_vec();
        let files_in_place = if printed.ends_with('/') {
            // The ESE-named files bound so far whose deepest holder this directory becomes.
            let this = (printed_place.as_slice(), traced_place.as_slice());
            bound
                .iter()
                .filter(|(.., name, _)| ese_named(name))
                .all(|(p, t, ..)| match holder(p, Some(this)) {
                    Some(dir) if dir == traced_place => parent(t) == dir,
                    _ => true,
                })
        } else if ese_named(printed) {
            holder(&printed_place, None).is_some_and(|dir| parent(&traced_place) == dir)
        } else {
            let dir = parent(&traced_place);
            let exists = naming != Naming::Filename
                || dir.is_empty()
                || bound
                    .iter()
                    .any(|(_, t, name, _)| name.ends_with('/') && t.starts_with(&dir));
            let named_alike = bound.iter().all(|(_, _, p_name, t_name)| {
                p_name.ends_with('/')
                    || base_name(p_name) != base_name(printed)
                    || base_name(t_name) == base_name(traced)
            });
            exists && named_alike
        };
        overlaps_alike && files_in_place
    }

    /// Binds `printed` to `traced`, whatever their kinds: true when neither is bound to
    /// something else.
    ///
    /// One exception to one-to-one: a directory of the trace's may be both the system path
    /// and the log path of an instance, which the model prints apart (`iN/` and `iN/logs/`).
    /// ESE compares a starting instance's system path only with the others' system paths and
    /// its log path only with their log paths (jetapi.cxx, the path checks of `ErrInit`), and
    /// the checkpoint and the logs have names of their own, so the one directory behaves as
    /// the model's two.
    fn pair(&mut self, printed: &str, traced: &str) -> bool {
        match (self.printed.get(printed), self.traced.get(traced)) {
            (Some(t), Some(p)) => t == traced && (p == printed || system_and_logs(p, printed)),
            (None, None) => {
                self.printed.insert(printed.into(), traced.into());
                self.traced.insert(traced.into(), printed.into());
                true
            }
            (None, Some(p)) if system_and_logs(p, printed) => {
                self.printed.insert(printed.into(), traced.into());
                true
            }
            _ => false,
        }
    }

    /// Forgets what `printed` and `traced` were bound to, unless to each other: a call's
    /// output binds its name anew.
    fn rebind(&mut self, printed: &str, traced: &str) {
        if self.printed.get(printed).is_some_and(|t| t == traced) {
            return;
        }
        if let Some(t) = self.printed.remove(printed) {
            self.traced.remove(&t);
        }
        if let Some(p) = self.traced.remove(traced) {
            self.printed.remove(&p);
        }
    }

    /// True when the trace passes as `key` a file or database handle it was given once, where
    /// the model, which has closed or forgotten that file or database, prints a raw handle that
    /// is no open one: the model answers for a handle that is not open.
    fn stale(&self, key: &str, printed: &Value, traced: &Value) -> bool {
        matches!(key, "file" | "dbid")
            && printed.is_number()
            && traced
                .as_str()
                .and_then(|t| self.traced.get(t))
                .is_some_and(|was| was.starts_with('@') && !self.open.contains(was))
    }

    /// True when `printed` and `traced` are the same up to this renaming, extended as needed.
    /// `naming` says what strings here are.
    fn unify(&mut self, printed: &Value, traced: &Value, naming: Naming) -> bool {
        match (printed, traced) {
            (Value::String(p), Value::String(t)) if naming != Naming::Value => {
                self.bind(p, t, naming)
            }
            // A raw handle other than 0 and -1 (JET_instanceNil) that the engine never hands
            // out (its handles count up from 0x1000) is a value that was never a handle,
            // whichever it is.
            (Value::Number(p), Value::Number(t)) if naming != Naming::Value => {
                let handed_out = FIRST_HANDLE + HANDLES_PER_STEP * (self.step as i64 + 1);
                let never = |n: &serde_json::Number| {
                    n.as_i64().is_none_or(|n| {
                        n != 0 && n != -1 && !(FIRST_HANDLE..handed_out).contains(&n)
                    })
                };
                p == t || (never(p) && never(t))
            }

            (Value::Object(p), Value::Object(t)) => {
                // A path parameter's value is a name; any other value is a value.
                let path_value = p
                    .get("param")
                    .and_then(Value::as_str)
                    .is_some_and(|param| param.ends_with("Path"));
                p.len() == t.len()
                    && p.iter().all(|(key, pv)| {
                        t.get(key).is_some_and(|tv| {
                            let naming = if key == "value" && path_value {
                                Naming::Setting
                            } else if key == "filename" {
                                Naming::Filename
                            } else if PATH_ARGS.contains(&key.as_str()) {
                                Naming::Path
                            } else if NAME_ARGS.contains(&key.as_str()) {
                                Naming::Name
                            } else {
                                Naming::Value
                            };
                            self.unify(pv, tv, naming) || self.stale(key, pv, tv)
                        })
                    })
            }
            (Value::Array(p), Value::Array(t)) => {
                p.len() == t.len() && p.iter().zip(t).all(|(p, t)| self.unify(p, t, naming))
            }
            _ => printed == traced,
        }
    }
}

/// The place a path in the sandbox names, as the engine resolves it (`engine/src/paths.rs`
/// `checked_path`): its components, `.` and empty ones dropped. `None` for a name that is no
/// such path: a handle, a placeholder, a path out of the sandbox, or one that climbs (`..`),
/// which the engine refuses.
fn place(name: &str) -> Option<Vec<String>> {
    if !names_a_path(name) {
        return None;
    }
    // Only `/` separates: the engine's paths are the host's, where `\\` is a name's letter.
    let parts: Vec<String> = name
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .map(str::to_string)
        .collect();
    (!parts.iter().any(|part| part == "..")).then_some(parts)
}

/// True unless `name` is a handle, a placeholder, or a path out of the sandbox.
fn names_a_path(name: &str) -> bool {
    !(name.starts_with('@') || name.starts_with('<') || escapes_sandbox(name))
}

/// The last component of `name`: a file's own name.
fn base_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// `name` spelled as the place it names (`./a//b/` is `a/b/`, `.//` is `./`), so that two
/// spellings of one place are one name; a directory keeps its final `/`. Other names are kept
/// as they are.
fn canonical(name: &str) -> String {
    let dir = if name.ends_with('/') { "/" } else { "" };
    let spelled = match place(name) {
        Some(parts) if !parts.is_empty() => format!("{}{dir}", parts.join("/")),
        Some(_) if !name.is_empty() => format!(".{dir}"),
        _ => name.to_string(),
    };
    // A spelling too long for the engine is not the place it would name.
    if length_class(&spelled) == length_class(name) {
        spelled
    } else {
        name.to_string()
    }
}

/// True when `name` spells the sandbox itself (`.`, `./`, `.//`): where the engine's default
/// paths are, which the model never names.
fn the_sandbox_itself(name: &str) -> bool {
    !name.is_empty() && place(name).is_some_and(|parts| parts.is_empty())
}

/// True when a copy written to `to` could meet the files an instance at the engine's default
/// paths keeps in the sandbox itself: `to` is the sandbox, or its first component is named as
/// ESE names them (`edb.chk`, `edb.log`, `edb00001.log`, `edbtmp.log`, `edbres00001.jrs`,
/// `tmp.edb`), base name `edb` being the only one the model reads.
fn among_default_files(to: &str) -> bool {
    match place(to) {
        Some(parts) => parts.first().is_none_or(|first| {
            let first = first.to_ascii_lowercase();
            first.starts_with("edb") || first.starts_with("tmp")
        }),
        None => true,
    }
}

/// True when the paths `a` and `b` overlap: one is the other or lies under it. A path that
/// climbs (`..`) is taken to overlap anything; handles and placeholders overlap nothing.
fn overlap(a: &str, b: &str) -> bool {
    match (place(a), place(b)) {
        (Some(a), Some(b)) => a.starts_with(&b) || b.starts_with(&a),
        _ => names_a_path(a) && names_a_path(b),
    }
}

/// How one place lies to another ([`relation`]).
const SAME: u8 = 0;
const UNDER: u8 = 1;
const HOLDS: u8 = 2;
const APART: u8 = 3;

/// How the place `a` lies to the place `b`: the same, under it, holding it, or apart.
fn relation(a: &[String], b: &[String]) -> u8 {
    if a == b {
        SAME
    } else if a.starts_with(b) {
        UNDER
    } else if b.starts_with(a) {
        HOLDS
    } else {
        APART
    }
}

/// The engine's limits on a path's length tell these classes apart: under 246 characters (a
/// path parameter's limit), under 260 (`MAX_PATH`), and longer.
fn length_class(name: &str) -> u8 {
    u8::from(name.len() >= 246) + u8::from(name.len() >= 260)
}

/// True unless one of `printed` and `traced` is named as ESE names an instance's own files (its
/// checkpoint `edb.chk`, its logs `edb*.log`, its reserve logs `*.jrs`) and the other is not
/// named the same: the engine finds those files by their names.
fn same_ese_name(printed: &str, traced: &str) -> bool {
    !(ese_named(printed) || ese_named(traced)) || base_name(printed) == base_name(traced)
}

/// True when the file `name` is named as ESE names an instance's own files: its checkpoint
/// `edb.chk`, its logs `edb*.log`, its reserve logs `*.jrs`, its temporary database `tmp.edb`.
fn ese_named(name: &str) -> bool {
    let lower = base_name(name).to_ascii_lowercase();
    lower == "tmp.edb"
        || lower.ends_with(".jrs")
        || (lower.starts_with("edb") && (lower.ends_with(".log") || lower.ends_with(".chk")))
}

/// True when the printed directories `a` and `b` are one instance's system path and log path
/// (`D/` and `D/logs/`, in either order), as the model prints them.
fn system_and_logs(a: &str, b: &str) -> bool {
    let one_dir = |d: &str| d.ends_with('/') && d[..d.len() - 1].split('/').count() == 1;
    let pair =
        |system: &str, logs: &str| one_dir(system) && logs.strip_prefix(system) == Some("logs/");
    pair(a, b) || pair(b, a)
}

/// The engine's first handle (`Engine::new_handle` counts up from it, one process-wide
/// counter).
const FIRST_HANDLE: i64 = 0x1000;

/// More handles than the engine hands out in one step (a call makes at most three: a
/// database's id and signature, a table's id and its creation's).
const HANDLES_PER_STEP: i64 = 8;

/// A call with its name, as one JSON object. A grbit is its value (names ORed, as the engine
/// takes it), and one left out is 0.
fn call_json(call: &Call) -> Value {
    let mut args: serde_json::Map<String, Value> = call
        .args_json()
        .into_iter()
        .map(|(k, v)| (k.into(), v))
        .collect();
    if call.spec().param("grbit").is_some() {
        let bits = args
            .get("grbit")
            .and_then(|g| Grbit::from_json(g).ok())
            .map_or(0, |g| g.value());
        args.insert("grbit".into(), Value::from(bits));
    }
    serde_json::json!({"call": call.name(), "args": Value::Object(args)})
}

/// The engine's page size, which the model's reads are measured in.
const PAGE: u64 = 8192;

/// Makes equal the arguments that mean the same to the model: a JetReadFile size (0 when left
/// out) is one of the classes its answers tell apart (no bytes, not a page multiple, one page,
/// two pages, three pages or more: `model/src/step/backup.rs` read_file), and a database's
/// maximum size and a list's buffer size are no arguments of the model's (a grbit already is
/// its value). Elsewhere a 0 is
/// not a value left out: a list's count of 0 sets nothing, where one left out means the whole
/// list.
fn normalize(call: &mut Value) {
    let name = call["call"].as_str().unwrap_or_default();
    let read = name.starts_with("JetReadFile");
    let lists = ["JetGetAttachInfo", "JetGetLogInfo", "JetGetTruncateLogInfo"]
        .iter()
        .any(|list| name.starts_with(list));
    let Some(args) = call.get_mut("args").and_then(Value::as_object_mut) else {
        return;
    };
    if read {
        // A size left out is 0 bytes.
        let cb = args.entry("cb").or_insert(Value::from(0));
        if let Some(bytes) = cb.as_u64() {
            *cb = Value::from(match bytes {
                0 => "no bytes",
                b if b % PAGE != 0 => "not a page multiple",
                b if b == PAGE => "one page",
                b if b == 2 * PAGE => "two pages",
                _ => "three pages or more",
            });
        }
    }
    // JetCreateDatabase2's and JetAttachDatabase2's maximum size: ESE does not range-check
    // it (db.cxx ErrDBParseDbParams), the engine takes no size, and the model prints none.
    args.remove("database_size_max");
    // The list calls' buffer size: a buffer too small gets a truncated copy, never an error
    // (backup.cxx ErrBKGetAttachInfo, ErrBKGetLogInfo), so the model's answer is the same.
    if lists {
        args.remove("cb_max");
    }
}

/// How the renaming names a path the trace left at the engine's default.
const DEFAULT_PATH: &str = "<left at its default:";

/// What the reading has assumed so far besides the renaming.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Reading {
    pub(super) renaming: Renaming,
    /// The model's limits the trace left out or set otherwise.
    pub(super) limits_not_the_models: Vec<&'static str>,
    /// An instance started while some path was left at the engine's default
    /// ([`Reading::start_at_default_paths`]).
    pub(super) started_at_default_paths: bool,
    /// The value the trace last wrote to `JET_paramMaxInstances`, if it wrote one.
    pub(super) max_instances: Option<i64>,
}

impl Reading {
    /// True when `printed` and `traced` are the same call up to the renaming, which it extends.
    fn same_call(&mut self, printed: &Step, traced: &Step) -> bool {
        if printed.call.name() != traced.call.name() {
            return false;
        }
        if let (Call::EnableMultiInstance { set_sys_param, .. }, Some(v)) =
            (&printed.call, listed_max_instances(traced))
        {
            return self.same_max_instances_list(set_sys_param.as_ref(), v);
        }
        let same = self.same_call_args(printed, traced);
        if same && traced.expect.may_succeed() {
            if let Some(v) = set_max_instances(traced) {
                self.max_instances = Some(v);
            }
        }
        same
    }

    /// True when a JetEnableMultiInstance list that gives only `JET_paramMaxInstances`, with
    /// `v`, answers as the printed list `printed` does. The model's lists: the instance limit
    /// given again with the value written before ("Again"), or another parameter given a
    /// value ("NonDefault"). In NoSet mode either list is written (a first one reads as
    /// "Again"); in another mode a list that gives the value written before finds every
    /// parameter unchanged, one that gives another value conflicts, as the model's other list
    /// does (jetapi.cxx JetEnableMultiInstanceEx). A limit other than the model's is noted.
    fn same_max_instances_list(&mut self, printed: Option<&SysParamList>, v: i64) -> bool {
        let Some([given]) = printed.map(|list| &list.0[..]) else {
            return false;
        };
        let ParamValue::Number(value) = given.value else {
            return false;
        };
        let again = given.param == MAX_INSTANCES;
        let no_set = self.renaming.no_set;
        let reads = match self.max_instances {
            None => no_set && again,
            Some(written) => again == (written == v),
        };
        if !reads {
            return false;
        }
        if no_set {
            self.max_instances = Some(v);
        }
        if again && v != value {
            self.limits_not_the_models.push(MAX_INSTANCES);
        }
        true
    }

    /// [`Reading::same_call`] of the arguments: equal up to the renaming, which it extends.
    fn same_call_args(&mut self, printed: &Step, traced: &Step) -> bool {
        let mut renaming = self.renaming.clone();
        let (mut p, mut t) = (call_json(&printed.call), call_json(&traced.call));
        normalize(&mut p);
        normalize(&mut t);
        // An output names what the call made, anew; a call that fails makes nothing, so its
        // outputs name nothing.
        let outputs = printed
            .call
            .spec()
            .params
            .iter()
            .filter(|param| matches!(param.kind, ParamKind::Handle(_, Role::Binds)));
        for param in outputs {
            let names = (printed.call.arg(param.name), traced.call.arg(param.name));
            if !traced.expect.may_succeed() {
                // Given or left out (a NULL pointer) still matters.
                for call in [&mut p, &mut t] {
                    if let Some(arg) = call.pointer_mut(&format!("/args/{}", param.name)) {
                        *arg = Value::from("<an output of a failing call>");
                    }
                }
            } else if let (Some(p), Some(t)) = names {
                if let (Value::String(p), Value::String(t)) = (p.to_json(), t.to_json()) {
                    renaming.rebind(&p, &t);
                }
            }
        }
        // In NoSet mode the model prints a JetInit that starts legacy mode with a pointer to
        // a nil handle, which lets later steps name the instance; a NULL one does the same.
        let init = printed.call.name().starts_with("JetInit");
        if init && renaming.no_set && t["args"].get("instance").is_none() {
            if let Some(args) = p.get_mut("args").and_then(Value::as_object_mut) {
                args.remove("instance");
            }
        }
        // CopyBackupFile writes a file of the trace's own, any it names.
        let mut copy_to = None;
        if let Call::CopyBackupFile { to: Some(to), .. } = &traced.call {
            if printed.call.name() == "CopyBackupFile" {
                copy_to = Some(to.0.clone());
                for call in [&mut p, &mut t] {
                    if let Some(args) = call.get_mut("args").and_then(Value::as_object_mut) {
                        args.remove("to");
                    }
                }
            }
        }
        let same =
            renaming.unify(&p, &t, Naming::Value) && copy_to.is_none_or(|to| renaming.copy_to(&to));
        if same {
            self.renaming = renaming;
        }
        same
    }

    /// True when `traced` sets what the printed setting `printed` sets (a limit may differ in
    /// value, which is then noted).
    fn same_setting(&mut self, printed: &Step, traced: &Step) -> bool {
        if self.same_call(printed, traced) {
            return true;
        }
        let param = model_setting(printed).unwrap_or_default();
        let Some((limit, ..)) = MODEL_LIMITS.iter().find(|(name, ..)| *name == param) else {
            return false;
        };
        let (mut p, mut t) = (call_json(&printed.call), call_json(&traced.call));
        for args in [&mut p, &mut t] {
            if let Some(args) = args.get_mut("args").and_then(Value::as_object_mut) {
                args.remove("value");
            }
        }
        let mut renaming = self.renaming.clone();
        let same = renaming.unify(&p, &t, Naming::Value);
        if same {
            self.renaming = renaming;
            self.limits_not_the_models.push(limit);
            if traced.expect.may_succeed() {
                self.max_instances = set_max_instances(traced).or(self.max_instances);
            }
        }
        same
    }

    /// Records that the trace left the printed setting `printed` out.
    fn left_out(&mut self, printed: &Step, paths_given: bool) -> bool {
        let param = model_setting(printed).unwrap_or_default();
        if let Some((limit, ..)) = MODEL_LIMITS.iter().find(|(name, ..)| *name == param) {
            if param != "JET_paramCreatePathIfNotExist" || paths_given {
                self.limits_not_the_models.push(limit);
            }
            return true;
        }
        match printed.call.arg("value").map(|v| v.to_json()) {
            // The engine's default path: the printed path stands for it from now on, and for
            // nothing the trace names.
            // A copy already made where the default path's files would lie was no copy the
            // model could read beside them.
            Some(Value::String(path)) if param.ends_with("Path") => {
                let copies = &self.renaming.by_hand;
                !copies.iter().any(|to| among_default_files(to))
                    && self
                        .renaming
                        .pair(&path, &format!("{DEFAULT_PATH} {param}: {path}>"))
            }
            _ => true,
        }
    }

    /// Notes that an instance starts (a JetInit succeeds): false when it is beyond the
    /// reading. Instances whose paths the trace left at the engine's defaults share them where
    /// the model's are apart, so once one of them has started, a second one starting would find
    /// the first's files (or its paths in use) in the engine, not in the model.
    pub(super) fn start_at_default_paths(&mut self) -> bool {
        let mut params = std::collections::BTreeSet::new();
        let mut shared = false;
        for param in self
            .renaming
            .traced
            .keys()
            .filter_map(|t| t.strip_prefix(DEFAULT_PATH)?.split(':').next())
        {
            shared |= !params.insert(param);
        }
        if params.is_empty() {
            return true;
        }
        let beyond = shared && self.started_at_default_paths;
        self.started_at_default_paths = true;
        !beyond
    }

    /// The limit the model's answer `code` to `function` rests on, when the trace did not set
    /// it as the model does.
    pub(super) fn answer_rests_on_unset_limit(
        &self,
        function: Option<&str>,
        code: JetErr,
    ) -> Option<&str> {
        MODEL_LIMITS
            .iter()
            .find(|(limit, calls, codes)| {
                codes.contains(&code)
                    && calls.is_none_or(|c| function.is_some_and(|f| f.starts_with(c)))
                    && self.limits_not_the_models.contains(limit)
            })
            .map(|(limit, ..)| *limit)
    }
}

/// True when `step` names `JET_paramMaxInstances`: sets it (by name or id), or lists it for
/// JetEnableMultiInstance.
pub(super) fn names_max_instances(step: &Step) -> bool {
    match &step.call {
        Call::SetSystemParameter { param: Some(p), .. } => is_max_instances(p),
        Call::EnableMultiInstance {
            set_sys_param: Some(list),
            ..
        } => list.0.iter().any(|s| s.param == MAX_INSTANCES),
        _ => false,
    }
}

const MAX_INSTANCES: &str = "JET_paramMaxInstances";

/// True when `param` is `JET_paramMaxInstances`, by name or id.
fn is_max_instances(param: &ParamRef) -> bool {
    param.id() == ParamRef::Name(MAX_INSTANCES.into()).id()
}

/// The value a JetSetSystemParameter of `JET_paramMaxInstances` (by name or id) writes.
fn set_max_instances(step: &Step) -> Option<i64> {
    match &step.call {
        Call::SetSystemParameter {
            param: Some(p),
            value: Some(ParamValue::Number(v)),
            ..
        } if is_max_instances(p) => Some(*v),
        _ => None,
    }
}

/// The value a JetEnableMultiInstance list gives `JET_paramMaxInstances` when it gives only
/// that parameter.
fn listed_max_instances(step: &Step) -> Option<i64> {
    match &step.call {
        Call::EnableMultiInstance {
            set_sys_param: Some(list),
            set_sys_param_count: None | Some(1),
        } => match &list.0[..] {
            [
                SysParamSetting {
                    param,
                    value: ParamValue::Number(v),
                },
            ] if param == MAX_INSTANCES => Some(*v),
            _ => None,
        },
        _ => None,
    }
}

/// The parameter of a step that sets one of [`MODEL_SETTINGS`].
fn model_setting(step: &Step) -> Option<&'static str> {
    let Call::SetSystemParameter { .. } = step.call else {
        return None;
    };
    let param = step.call.arg("param")?.to_json();
    MODEL_SETTINGS
        .iter()
        .copied()
        .find(|name| param.as_str() == Some(name))
}

/// True for a step below the model that the reading may pass over: any that only reads, and
/// an insert that succeeds (one that fails may have made the instance unavailable, which the
/// model keeps).
pub(super) fn below_the_model(step: &Step) -> bool {
    match step.call.name() {
        "InsertRecords" => code_of(step).is_none_or(|c| c.contains(&JetErr::Success)),
        name => BELOW_THE_MODEL.contains(&name),
    }
}

/// The result a step expects or prints, as one code (`None` for a harness action's "ok").
fn code_of(step: &Step) -> Option<Vec<JetErr>> {
    match &step.expect {
        Expect::Default if step.call.spec().is_harness() => None,
        Expect::Default => Some(vec![JetErr::Success]),
        Expect::Ok => None,
        Expect::Codes(codes) => Some(codes.clone()),
    }
}

/// True when the trace's expectation accepts what the model printed.
pub(super) fn expectation_agrees(printed: &Step, traced: &Step) -> bool {
    match (code_of(printed), code_of(traced)) {
        (None, None) => true,
        (Some(p), Some(t)) => p.len() == 1 && t.contains(&p[0]),
        _ => false,
    }
}

/// What the model says of a check of what can be seen (VerifyInstances, VerifyFile) in `state`:
/// `Ok` when it holds, `Err` with what the model sees when not, `None` when the step is no such
/// check or the model cannot say (a call held, a probe, a file that is none of its databases).
/// A database path the trace has not used yet stands for the model's of the same name.
pub(super) fn model_check(
    spec: &Spec,
    state: &State,
    step: &Step,
    renaming: &mut Renaming,
) -> Option<Result<(), String>> {
    // What the check is about, in the model's names: the instances, or one file.
    let printed_path = match &step.call {
        Call::VerifyInstances { .. } => None,
        Call::VerifyFile {
            path: Some(traced), ..
        } => {
            let traced = canonical(&traced.0);
            Some(match renaming.traced.get(&traced).cloned() {
                Some(printed) => printed,
                None if renaming.bind(&traced, &traced, Naming::Path) => traced,
                None => return None,
            })
        }
        _ => return None,
    };
    let model =
        state_checks(spec, state)
            .into_iter()
            .find(|check| match (&check.call, &printed_path) {
                (Call::VerifyInstances { .. }, None) => true,
                (Call::VerifyFile { path: Some(p), .. }, Some(printed)) => p.0 == *printed,
                _ => false,
            })?;
    let holds = match (&model.call, &step.call) {
        (
            Call::VerifyInstances {
                allocated: a,
                running: r,
                ..
            },
            Call::VerifyInstances {
                allocated, running, ..
            },
        ) => (a, r) == (allocated, running),
        (Call::VerifyFile { exists: e, .. }, Call::VerifyFile { exists, .. }) => e == exists,
        _ => false,
    };
    let expected = matches!(step.expect, Expect::Default | Expect::Ok);
    Some(if holds == expected {
        Ok(())
    } else {
        Err(format!(
            "the model's state: {}",
            describe_state(std::slice::from_ref(&model))
        ))
    })
}

/// How an action's printed steps line up with the trace's.
pub(super) struct Alignment {
    /// The trace position after the last step used.
    pub(super) end: usize,
    /// (printed step, trace step) for every printed step the trace makes as printed.
    pub(super) pairs: Vec<(usize, usize)>,
}

/// Lines `printed` (one action's steps) up with the trace from `from`: every printed step that
/// is not one of the model's settings must come, in order; settings may come anywhere among
/// them or be left out; steps below the model are passed over.
pub(super) fn align(
    printed: &[Step],
    steps: &[Step],
    from: usize,
    reading: &mut Reading,
) -> Option<Alignment> {
    let mut settings: Vec<usize> = (0..printed.len())
        .filter(|&i| model_setting(&printed[i]).is_some())
        .collect();
    let mut pairs = Vec::new();
    let mut t = from;
    let take_setting = |t: usize, settings: &mut Vec<usize>, reading: &mut Reading| {
        reading.renaming.step = t;
        let k = settings
            .iter()
            .position(|&i| reading.same_setting(&printed[i], &steps[t]))?;
        Some(settings.remove(k))
    };
    for (i, p) in printed.iter().enumerate() {
        if model_setting(p).is_some() {
            continue;
        }
        loop {
            let traced = steps.get(t)?;
            reading.renaming.step = t;
            if reading.same_call(p, traced) {
                pairs.push((i, t));
                t += 1;
                break;
            }
            if take_setting(t, &mut settings, reading).is_some() || below_the_model(traced) {
                t += 1;
                continue;
            }
            return None;
        }
    }
    while t < steps.len() && take_setting(t, &mut settings, reading).is_some() {
        t += 1;
    }
    let paths_given = (0..printed.len()).any(|i| {
        !settings.contains(&i) && model_setting(&printed[i]).is_some_and(|p| p.ends_with("Path"))
    });
    for i in settings {
        if !reading.left_out(&printed[i], paths_given) {
            return None;
        }
    }
    Some(Alignment { end: t, pairs })
}
