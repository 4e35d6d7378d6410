//! The project carries its own copy of the ESE facts it needs. These tests compare that copy
//! with `../shared/spec/` when the folder is beside the clone (always in CI, where its absence
//! is a failure); a user's clone without it skips them with a message.

use std::path::PathBuf;

use jetapi::errors::JetErr;
use jetapi::grbits::grbit_value;
use jetapi::params::sys_param_by_name;
use serde_json::Value;

fn shared_spec() -> Option<PathBuf> {
    let dir = std::env::var_os("JETSPEC_SHARED_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec"));
    if dir.join("ese-doc-table.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run beside ../shared/spec ({} is missing)",
        dir.display()
    );
    eprintln!(
        "skipping: {} is not here (a clone without the team's spec notes)",
        dir.display()
    );
    None
}

fn doc_table(dir: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(dir.join("ese-doc-table.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_documented_error_value_is_in_the_catalogue_with_the_same_value() {
    let Some(dir) = shared_spec() else { return };
    let table = doc_table(&dir);
    let values = table["error_values"].as_object().unwrap();
    assert!(values.len() >= 75);
    for (name, value) in values {
        let code = JetErr::from_name(name).unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(i64::from(code.value()), value.as_i64().unwrap(), "{name}");
    }
}

/// Every `JET_err*` / `JET_wrn*` word of a text, skipping wildcards such as `JET_errExisting*`.
fn code_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for prefix in ["JET_err", "JET_wrn", "errBackupAbortByCaller"] {
        for (start, _) in text.match_indices(prefix) {
            if start > 0 && text.as_bytes()[start - 1].is_ascii_alphanumeric() {
                continue;
            }
            let word: String = text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let next = text[start + word.len()..].chars().next();
            if next != Some('*') && word != prefix {
                names.push(word);
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Named in the notes only to say that ESE has no such code.
const NOT_ESE_CODES: &[&str] = &["JET_errTooManyOpenFiles"];

#[test]
fn every_code_the_spec_notes_name_is_in_the_catalogue() {
    let Some(dir) = shared_spec() else { return };
    let mut checked = 0;
    for file in ["ese-behaviour.md", "ese-doc-notes.md", "trace-format.md"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        for name in code_names(&text) {
            if NOT_ESE_CODES.contains(&name.as_str()) {
                continue;
            }
            assert!(
                JetErr::from_name(&name).is_some(),
                "{file} names {name}, which the catalogue lacks"
            );
            checked += 1;
        }
    }
    assert!(
        checked > 80,
        "only {checked} names found: is the scan broken?"
    );
}

#[test]
fn every_documented_grbit_has_its_value() {
    let Some(dir) = shared_spec() else { return };
    let table = doc_table(&dir);
    for (name, value) in table["grbit_values"].as_object().unwrap() {
        assert_eq!(grbit_value(name).map(u64::from), value.as_u64(), "{name}");
    }
}

#[test]
fn every_documented_system_parameter_has_its_id() {
    let Some(dir) = shared_spec() else { return };
    let table = doc_table(&dir);
    for (name, info) in table["system_parameters"].as_object().unwrap() {
        let param = sys_param_by_name(name).unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(u64::from(param.id), info["id"].as_u64().unwrap(), "{name}");
    }
}

#[test]
fn doc_table_matches_shared_spec() {
    let Some(dir) = shared_spec() else { return };
    let table = doc_table(&dir);
    let pages = jetapi::doc_table::doc_pages();
    let functions = table["functions"].as_object().unwrap();
    let theirs: Vec<_> = functions.keys().collect();
    let ours: Vec<_> = pages.iter().map(|p| &p.function).collect();
    assert_eq!(ours, theirs, "run python3 scripts/import-doc-table.py");
    for page in pages {
        let shared = &functions[&page.function];
        let rows = shared["return_codes"].as_array().unwrap();
        assert_eq!(page.return_codes.len(), rows.len(), "{}", page.function);
        for (ours, theirs) in page.return_codes.iter().zip(rows) {
            let context = format!(
                "{} {}: run python3 scripts/import-doc-table.py",
                page.function, ours.printed
            );
            assert_eq!(ours.printed, theirs["code"].as_str().unwrap(), "{context}");
            assert_eq!(ours.since.as_deref(), theirs["since"].as_str(), "{context}");
            assert_eq!(
                ours.condition,
                theirs["condition"].as_str().unwrap(),
                "{context}"
            );
            assert_eq!(ours.note.as_deref(), theirs["note"].as_str(), "{context}");
        }
        let mentions = shared["remarks_codes"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let theirs: Vec<_> = mentions
            .iter()
            .map(|m| m["code"].as_str().unwrap())
            .collect();
        let ours: Vec<_> = page
            .remarks_codes
            .iter()
            .map(|m| m.printed.as_str())
            .collect();
        assert_eq!(ours, theirs, "{}", page.function);
        assert_eq!(
            page.params,
            shared["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_contract_example_prints_exactly_as_the_contract_shows_it() {
    let Some(dir) = shared_spec() else { return };
    let contract = std::fs::read_to_string(dir.join("trace-format.md")).unwrap();
    let start = contract.find("```json\n").unwrap() + "```json\n".len();
    let end = start + contract[start..].find("```").unwrap();
    let example = &contract[start..end];
    let trace = jetapi::trace::load_trace(example).unwrap();
    assert_eq!(jetapi::trace::print_trace(&trace), example);
}
