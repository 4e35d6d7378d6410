//! What makes a well-formed trace runnable: handles bound before use and used as one kind,
//! nothing created, written or deleted outside the sandbox, grbit names of the call's family,
//! required harness arguments, parameter values of the parameter's type, Start/Finish pairs.
//! Every problem is reported, each with its step, before anything runs.

use std::collections::BTreeMap;
use std::fmt;

use super::{Expect, Trace};
use crate::args::{ArgValue, HandleRef, ParamRef, ParamValue, check_param_value};
use crate::calls::{Call, CallSpec, HandleKind, LONG_CALLS, ParamKind, PathUse, Role};
use crate::params::{ParamType, sys_param_by_id};

/// A problem with one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepProblem {
    /// 0-based step index.
    pub step: usize,
    /// The call of that step.
    pub call: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for StepProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {} ({}): {}", self.step + 1, self.call, self.reason)
    }
}

/// True when `path` is absolute or climbs out of the directory it is relative to.
pub fn escapes_sandbox(path: &str) -> bool {
    let bytes = path.as_bytes();
    let absolute = path.starts_with('/')
        || path.starts_with('\\')
        || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic());
    if absolute {
        return true;
    }
    let mut depth: i64 = 0;
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

#[derive(Clone, Copy)]
struct Binding {
    kind: HandleKind,
    step: usize,
}

#[derive(Default)]
struct Checker {
    bound: BTreeMap<String, Binding>,
    /// Names a failing step would have bound: (step, call), for the "never bound" message.
    unbound_attempts: BTreeMap<String, (usize, &'static str)>,
    started: BTreeMap<String, usize>,
    problems: Vec<StepProblem>,
}

/// Checks a parsed trace; an empty list means it can run.
pub fn check_trace(trace: &Trace) -> Vec<StepProblem> {
    let mut checker = Checker::default();
    for (index, step) in trace.steps.iter().enumerate() {
        let mut reasons = Vec::new();
        checker.check_step(index, &step.call, &step.expect, &mut reasons);
        if step.returns.is_some() && !step.expect.may_succeed() {
            reasons.push(
                "returns is compared only on success, but this step expects a failure".into(),
            );
        }
        let call = step.call.name();
        checker
            .problems
            .extend(reasons.into_iter().map(|reason| StepProblem {
                step: index,
                call,
                reason,
            }));
    }
    // The model judges a trace up to one step at most: a second mark could never be reached.
    let marked = trace
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.beyond_model.is_some());
    for (index, step) in marked.skip(1) {
        checker.problems.push(StepProblem {
            step: index,
            call: step.call.name(),
            reason: "a second step marked beyond_model: the model's reading ends at the first"
                .into(),
        });
    }
    for (id, step) in std::mem::take(&mut checker.started) {
        checker.problems.push(StepProblem {
            step,
            call: "Start",
            reason: format!("started call {id:?} is never finished (add a Finish step)"),
        });
    }
    checker.problems.sort_by_key(|p| p.step);
    checker.problems
}

impl Checker {
    fn check_step(
        &mut self,
        index: usize,
        call: &Call,
        expect: &Expect,
        reasons: &mut Vec<String>,
    ) {
        let spec = call.spec();
        let may_succeed = expect.may_succeed();
        check_arguments(spec, call, may_succeed, reasons);
        self.check_handles(index, spec, call, may_succeed, reasons);
        match call {
            Call::Start {
                call: Some(inner),
                id,
                ..
            } => {
                if !LONG_CALLS.contains(&inner.name()) {
                    reasons.push(format!(
                        "{} cannot be started; Start runs {}",
                        inner.name(),
                        LONG_CALLS.join(", ")
                    ));
                }
                let mut inner_reasons = Vec::new();
                check_arguments(inner.spec(), inner, true, &mut inner_reasons);
                self.check_handles(index, inner.spec(), inner, false, &mut inner_reasons);
                reasons.extend(
                    inner_reasons
                        .into_iter()
                        .map(|r| format!("started {}: {r}", inner.name())),
                );
                if let Some(id) = id {
                    if let Some(first) = self.started.insert(id.clone(), index) {
                        reasons.push(format!(
                            "id {id:?} is already running (started at step {})",
                            first + 1
                        ));
                    }
                }
            }
            Call::Finish { id: Some(id) } if self.started.remove(id).is_none() => {
                reasons.push(format!("no started call has id {id:?}"));
            }
            // A power loss takes every held call with the process: none is left to finish.
            Call::Crash {} => self.started.clear(),
            _ => {}
        }
        let checks_a_code = matches!(
            call,
            Call::Finish { .. }
                | Call::CopyBackupFile { .. }
                | Call::InsertRecords { .. }
                | Call::VerifyRecords { .. }
        );
        if spec.is_harness() && !checks_a_code && matches!(expect, Expect::Codes(_)) {
            reasons.push(format!(
                "{} checks no result code; its expect is \"ok\"",
                spec.name
            ));
        }
        if matches!(call, Call::Start { .. }) && matches!(expect, Expect::Codes(_)) {
            reasons.push("the started call's result is checked by its Finish step".into());
        }
    }

    fn check_handles(
        &mut self,
        index: usize,
        spec: &CallSpec,
        call: &Call,
        may_succeed: bool,
        reasons: &mut Vec<String>,
    ) {
        for (name, value) in call.args() {
            let Some(ParamKind::Handle(kind, role)) = spec.param(name).map(|p| p.kind) else {
                continue;
            };
            let Some(HandleRef::Name(handle)) = value.as_handle() else {
                continue;
            };
            let existing = self.bound.get(handle).copied();
            if let Some(b) = existing.filter(|b| b.kind != kind) {
                reasons.push(format!(
                    "{handle} is a {} (bound at step {}) and cannot be passed as {name}, a {}",
                    b.kind.noun(),
                    b.step + 1,
                    kind.noun()
                ));
                continue;
            }
            match role {
                Role::Input if existing.is_none() => {
                    let why = match self.unbound_attempts.get(handle) {
                        Some((step, call)) => {
                            format!(" ({call} at step {} expects to fail)", step + 1)
                        }
                        None => String::new(),
                    };
                    reasons.push(format!("handle {handle} was never bound{why}"));
                }
                Role::Input => {}
                Role::Binds | Role::InOut if may_succeed => {
                    self.bound
                        .insert(handle.clone(), Binding { kind, step: index });
                }
                Role::Binds | Role::InOut => {
                    self.unbound_attempts
                        .insert(handle.clone(), (index, spec.name));
                }
            }
        }
    }
}

fn check_arguments(spec: &CallSpec, call: &Call, may_succeed: bool, reasons: &mut Vec<String>) {
    for param in spec.params.iter().filter(|p| p.required) {
        if call.arg(param.name).is_none() {
            reasons.push(format!("{} needs argument {}", spec.name, param.name));
        }
    }
    let writes_happen = may_succeed || spec.is_harness();
    for (name, value) in call.args() {
        let param = spec
            .param(name)
            .expect("from_args admits only known arguments");
        check_value(spec, name, param.kind, value, reasons);
        let guarded = match param.kind {
            ParamKind::Path(PathUse::Write) | ParamKind::RestoreMap | ParamKind::RstInfo => {
                writes_happen
            }
            ParamKind::Path(PathUse::Read) => spec.is_harness(),
            _ => false,
        };
        if guarded {
            for path in value.paths().into_iter().filter(|p| escapes_sandbox(p)) {
                reasons.push(format!(
                    "{name} {path:?} leaves the sandbox; paths are relative to it"
                ));
            }
        }
    }
    match call {
        Call::SetSystemParameter {
            param: Some(param),
            value: Some(value),
            ..
        } => {
            if let Err(e) = check_param_value(param, value) {
                reasons.push(e);
            }
            if may_succeed && is_path_param(param) {
                check_param_path(value, reasons);
            }
        }
        Call::EnableMultiInstance {
            set_sys_param: Some(list),
            ..
        } => {
            for setting in &list.0 {
                let param = ParamRef::Name(setting.param.clone());
                if let Err(e) = check_param_value(&param, &setting.value) {
                    reasons.push(e);
                }
                if may_succeed && is_path_param(&param) {
                    check_param_path(&setting.value, reasons);
                }
            }
        }
        Call::InsertRecords { count, records, .. } | Call::VerifyRecords { count, records, .. } => {
            match (count, records) {
                (Some(_), Some(_)) => reasons.push("give count or records, not both".into()),
                (None, None) => reasons.push(format!("{} needs count or records", spec.name)),
                (Some(n), None) if *n < 0 => reasons.push(format!("count {n} is negative")),
                _ => {}
            }
        }
        Call::CorruptFile { offset, bytes, .. } => {
            if offset.is_some_and(|o| o < 0) {
                reasons.push("offset is negative".into());
            }
            if bytes.is_some_and(|b| b <= 0) {
                reasons.push("bytes must be at least 1".into());
            }
        }
        Call::InjectFault {
            after: Some(after), ..
        } if *after < 0 => {
            reasons.push("after is negative".into());
        }
        _ => {}
    }
}

fn check_value(
    spec: &CallSpec,
    name: &str,
    kind: ParamKind,
    value: &dyn ArgValue,
    reasons: &mut Vec<String>,
) {
    if let Some(grbit) = value.as_grbit() {
        let checked = match kind {
            ParamKind::Grbit(family) => grbit.check(family, spec.name),
            _ if matches!(grbit, crate::grbits::Grbit::Names(_)) => Err(format!(
                "{} documents no grbit names; give {name} as a number",
                spec.name
            )),
            _ => Ok(()),
        };
        if let Err(e) = checked {
            reasons.push(e);
        }
    }
    if let ParamKind::Word(words) = kind {
        let word = value.to_json();
        if !words.iter().any(|w| word.as_str() == Some(w)) {
            reasons.push(format!("{name} {word} is not one of {}", words.join(", ")));
        }
    }
}

fn is_path_param(param: &ParamRef) -> bool {
    param
        .id()
        .and_then(sys_param_by_id)
        .is_some_and(|p| p.kind == ParamType::Path)
}

fn check_param_path(value: &ParamValue, reasons: &mut Vec<String>) {
    for path in value.paths().into_iter().filter(|p| escapes_sandbox(p)) {
        reasons.push(format!(
            "path {path:?} leaves the sandbox; paths are relative to it"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_out_or_are_absolute_escape() {
        assert!(escapes_sandbox("../outside"));
        assert!(escapes_sandbox("a/../../b"));
        assert!(escapes_sandbox("/etc/passwd"));
        assert!(escapes_sandbox("C:\\db.edb"));
        assert!(escapes_sandbox("\\\\server\\share"));
        assert!(!escapes_sandbox("db/a.edb"));
        assert!(!escapes_sandbox("a/../b"));
        assert!(!escapes_sandbox("logs/"));
        assert!(!escapes_sandbox(""));
    }
}
