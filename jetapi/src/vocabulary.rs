//! The call vocabulary as Markdown: the reference table of `traces/README.md`, generated from
//! [`crate::calls::CALL_SPECS`] so that the page and the parser cannot disagree (a test compares
//! them; `jetspec trace calls` prints it).

use crate::calls::{CALL_SPECS, CallSpec, HandleKind, ParamKind, ParamSpec, PathUse, Role};
use crate::grbits::GRBITS;

/// Where the generated table starts and ends in `traces/README.md`.
pub const BEGIN_MARKER: &str = "<!-- BEGIN GENERATED VOCABULARY (jetspec trace calls) -->";
/// See [`BEGIN_MARKER`].
pub const END_MARKER: &str = "<!-- END GENERATED VOCABULARY -->";

fn kind_text(kind: ParamKind) -> String {
    match kind {
        ParamKind::Handle(handle, _) => format!("{} handle", handle_noun(handle)),
        ParamKind::Text => "string".into(),
        ParamKind::Path(PathUse::Read) => "path".into(),
        ParamKind::Path(PathUse::Write) => "path, written".into(),
        ParamKind::Int => "number".into(),
        ParamKind::Bool => "true or false".into(),
        ParamKind::Grbit(family) => {
            let names: Vec<_> = GRBITS
                .iter()
                .filter(|g| g.family == family)
                .map(|g| g.name.trim_start_matches("JET_bit"))
                .collect();
            format!("grbit: {}", names.join(" "))
        }
        ParamKind::RawGrbit => "grbit, numbers only".into(),
        ParamKind::Param => "JET_param name or id".into(),
        ParamKind::ParamValue => "number or string".into(),
        ParamKind::RestoreMap => "restore map, written".into(),
        ParamKind::LogInfo => "JET_LOGINFO".into(),
        ParamKind::RstInfo => "JET_RSTINFO, written".into(),
        ParamKind::SysParamList => "list of {param, value}".into(),
        ParamKind::Records => "list of {key, value}".into(),
        ParamKind::Call => "nested step {call, args}".into(),
        ParamKind::Word(words) => words.join(" / "),
    }
}

fn handle_noun(kind: HandleKind) -> &'static str {
    match kind {
        HandleKind::Instance => "instance",
        HandleKind::Session => "session",
        HandleKind::Database => "dbid",
        HandleKind::File => "file",
        HandleKind::Table => "tableid",
    }
}

fn describe(param: &ParamSpec) -> String {
    let required = if param.required { ", required" } else { "" };
    format!("`{}` ({}{required})", param.name, kind_text(param.kind))
}

fn row(spec: &CallSpec) -> String {
    let is =
        |role: Role| move |p: &&ParamSpec| matches!(p.kind, ParamKind::Handle(_, r) if r == role);
    let inputs: Vec<_> = spec
        .params
        .iter()
        .filter(|p| !matches!(p.kind, ParamKind::Handle(_, Role::Binds | Role::InOut)))
        .map(describe)
        .collect();
    let binds: Vec<_> = spec
        .params
        .iter()
        .filter(is(Role::Binds))
        .map(describe)
        .collect();
    let inout: Vec<_> = spec
        .params
        .iter()
        .filter(is(Role::InOut))
        .map(describe)
        .collect();
    let returns: Vec<_> = spec
        .returns
        .iter()
        .map(|r| format!("`{}`", r.key()))
        .collect();
    let cell = |items: Vec<String>| {
        if items.is_empty() {
            "-".to_string()
        } else {
            items.join(", ")
        }
    };
    format!(
        "| {} | {} | {} | {} | {} | {} |",
        spec.name,
        cell(inputs),
        cell(binds),
        cell(inout),
        cell(returns),
        spec.about
    )
}

/// The generated vocabulary, markers included.
pub fn vocabulary_markdown() -> String {
    let mut out = String::new();
    out.push_str(BEGIN_MARKER);
    out.push_str("\n\n");
    for (title, harness) in [("ESE functions", false), ("Harness actions", true)] {
        out.push_str(&format!("### {title}\n\n"));
        out.push_str("| call | inputs | binds on success | in and out | `returns` may hold | what it does |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for spec in CALL_SPECS.iter().filter(|s| s.is_harness() == harness) {
            out.push_str(&row(spec));
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(END_MARKER);
    out.push('\n');
    out
}
