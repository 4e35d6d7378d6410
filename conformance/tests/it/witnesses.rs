//! The checked-in witnesses are exactly what the model prints today, byte for byte. The full
//! comparison at the default configuration takes minutes in a debug build, so it runs when
//! `JETSPEC_SLOW` is set; CI runs the same comparison in release as `jetspec witnesses --check`.

use std::path::PathBuf;

use conformance::trace_files::collect_trace_files;
use conformance::witnesses::witness_files;
use jetapi::Profile;
use model::Config;

#[test]
fn the_checked_in_witnesses_are_what_the_model_prints() {
    if std::env::var_os("JETSPEC_SLOW").is_none() {
        eprintln!("skipped without JETSPEC_SLOW=1; CI runs `jetspec witnesses --check` instead");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../traces/witnesses");
    let (expected, _) = witness_files(Config::DEFAULT, Profile::Esent, &dir, 2, |_| {});
    let on_disk = collect_trace_files(std::slice::from_ref(&dir)).unwrap();
    let stale: Vec<_> = on_disk
        .iter()
        .filter(|f| !expected.contains_key(*f))
        .collect();
    assert!(
        stale.is_empty(),
        "stale witnesses (run jetspec witnesses): {stale:?}"
    );
    for (file, text) in &expected {
        let found = std::fs::read_to_string(file).unwrap_or_default();
        assert!(
            found == *text,
            "{} is out of date: run jetspec witnesses",
            file.display()
        );
    }
    // One per (function, code) the model returns; the error table's codes are all there.
    assert!(expected.len() > 300, "only {} witnesses", expected.len());
}

#[test]
fn witnesses_are_the_same_on_every_run_and_any_number_of_threads() {
    let dir = PathBuf::from("w");
    let (first, _) = witness_files(Config::SMALL, Profile::Esent, &dir, 1, |_| {});
    let (second, _) = witness_files(Config::SMALL, Profile::Esent, &dir, 2, |_| {});
    let (third, _) = witness_files(Config::SMALL, Profile::Esent, &dir, 3, |_| {});
    assert_eq!(first, second);
    assert_eq!(first, third);
}
