//! What is planned but not built yet. Asking for it says so and exits with status 2, so a
//! script cannot mistake it for a pass. Every subcommand is built; `jetspec bench` has subjects
//! still to come, and `jetspec replay --against model|both` says itself that it is not built.

/// The benchmark subjects `jetspec bench` has; the others are planned.
pub const BENCH_SUBJECTS_BUILT: &[&str] = &["backup"];

/// The message for `jetspec bench SUBJECT` when SUBJECT is not built.
pub fn bench_message(subject: &str) -> String {
    format!(
        "jetspec bench {subject} is not built: the subjects built are {}; others come with later issues.",
        BENCH_SUBJECTS_BUILT.join(", ")
    )
}
