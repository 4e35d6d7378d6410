//! Subcommands that are planned but not built yet. Each says so and exits with status 2, so a
//! script cannot mistake it for a pass.

/// A planned subcommand: its name and the issue that builds it.
#[derive(Clone, Copy, Debug)]
pub struct Planned {
    /// The subcommand.
    pub command: &'static str,
    /// What builds it.
    pub issue: &'static str,
}

/// Every planned subcommand.
pub const PLANNED: &[Planned] = &[Planned {
    command: "verify",
    issue: "issue 6 (conformance)",
}];

/// The benchmark subjects `jetspec bench` has; the others are planned.
pub const BENCH_SUBJECTS_BUILT: &[&str] = &["backup"];

/// The message for `jetspec bench SUBJECT` when SUBJECT is not built.
pub fn bench_message(subject: &str) -> String {
    format!(
        "jetspec bench {subject} is not built: the subjects built are {}; others come with later issues.",
        BENCH_SUBJECTS_BUILT.join(", ")
    )
}

/// The message for `command`.
pub fn message(command: &str) -> String {
    let issue = PLANNED
        .iter()
        .find(|p| p.command == command)
        .map_or("a later issue", |p| p.issue);
    format!("jetspec {command} is not implemented yet; it comes with {issue}.")
}
