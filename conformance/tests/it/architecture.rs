//! Architecture invariants that a test can hold: `model` and `engine` never see each other,
//! the contract crate depends on neither, and only `conformance` sees both.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// Workspace crate -> the workspace crates it depends on, directly or not (normal, dev and
/// build dependencies alike).
fn workspace_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let members: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    let direct: BTreeMap<String, BTreeSet<String>> = packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_string())
                .filter(|name| members.contains(name))
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect();
    direct
        .keys()
        .map(|name| {
            let mut seen = BTreeSet::new();
            let mut todo = vec![name.clone()];
            while let Some(next) = todo.pop() {
                for dep in &direct[&next] {
                    if seen.insert(dep.clone()) {
                        todo.push(dep.clone());
                    }
                }
            }
            (name.clone(), seen)
        })
        .collect()
}

#[test]
fn model_and_engine_never_depend_on_each_other() {
    let deps = workspace_dependencies();
    assert!(
        !deps["model"].contains("engine"),
        "model depends on engine: {:?}",
        deps["model"]
    );
    assert!(
        !deps["engine"].contains("model"),
        "engine depends on model: {:?}",
        deps["engine"]
    );
}

#[test]
fn the_contract_crate_depends_on_no_other_workspace_crate() {
    let deps = workspace_dependencies();
    assert!(
        deps["jetapi"].is_empty(),
        "jetapi depends on {:?}",
        deps["jetapi"]
    );
}

#[test]
fn only_conformance_sees_both_model_and_engine() {
    let deps = workspace_dependencies();
    let both: Vec<_> = deps
        .iter()
        .filter(|(_, d)| d.contains("model") && d.contains("engine"))
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(both, ["conformance"]);
}
