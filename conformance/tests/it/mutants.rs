//! The mutation check (issue 6, `docs/mutants.md`): every deliberate engine mistake of
//! [`engine::Mutant`] must be caught by the judge. First the baseline, the engine as built: the
//! traces of `traces/witnesses/`, `traces/engine/` and `traces/examples/` that pass on the
//! simulated disk, and the conform classes covered at `small`. Then, for each mutant, a fresh
//! engine making that mistake: it is caught when a trace that passed fails, or a class that was
//! covered is not. At least 95 % must be caught; the table names what caught each and the
//! survivors. Replays: `jetspec replay` on the trace; classes: `jetspec conform --config small`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use conformance::conform::{ConformOptions, EngineClasses, Shard, engine_classes, explore_model};
use conformance::replay::{Backend, ReplayOptions, replay_file_with};
use conformance::trace_files::collect_trace_files;
use engine::Mutant;
use jetapi::trace::Profile;
use model::Config;

/// The share of mutants the judge must catch, in percent.
const CAUGHT_PERCENT_MIN: usize = 95;

fn corpus() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../traces");
    let dirs: Vec<PathBuf> = ["witnesses", "engine", "examples"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    let files = collect_trace_files(&dirs).unwrap();
    assert!(
        files.len() > 500,
        "the corpus shrank: {} traces",
        files.len()
    );
    files
}

fn replays(file: &Path, mutant: Option<Mutant>) -> bool {
    let options = ReplayOptions {
        profile: None,
        mutant,
    };
    replay_file_with(file, Backend::Sim, &options).is_ok()
}

fn conform_options() -> ConformOptions {
    ConformOptions {
        config: Config::SMALL,
        profile: Profile::Esent,
        backend: Backend::Sim,
        shard: Shard::ALL,
        out: None,
        threads: 1,
    }
}

/// What caught a mutant: the first trace that passed on the clean engine and fails, and the
/// first class covered on the clean engine and not any more; neither is a survivor.
struct Caught {
    trace: Option<String>,
    class: Option<String>,
}

impl Caught {
    fn caught(&self) -> bool {
        self.trace.is_some() || self.class.is_some()
    }
}

fn catch(
    mutant: Mutant,
    passing: &[PathBuf],
    graph: &model::edges::Graph,
    covered: &BTreeSet<model::edges::ClassKey>,
) -> Caught {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let trace = passing.iter().find(|f| !replays(f, Some(mutant))).map(|f| {
        let shown = f.strip_prefix(&root).unwrap_or(f);
        shown.display().to_string()
    });
    let run: EngineClasses = engine_classes(graph, &conform_options(), Some(mutant), |_| {});
    let class = covered
        .iter()
        .find(|k| !run.agreed.contains(k))
        .map(|(action, code, rule)| format!("{action:?} -> {} ({rule})", code.name()));
    Caught { trace, class }
}

#[test]
fn conformance_catches_at_least_95_percent_of_the_engine_mutants_and_names_the_survivors() {
    const {
        assert!(
            engine::mutant::BUILT,
            "the engine was built without its `mutants` feature (conformance's dev-dependency)"
        );
        assert!(
            Mutant::ALL.len() >= 20,
            "the check wants at least 20 mutants"
        );
    }
    let started = Instant::now();
    let files = corpus();
    let passing: Vec<PathBuf> = files.iter().filter(|f| replays(f, None)).cloned().collect();
    let graph = explore_model(&conform_options(), |_| {}).unwrap();
    let covered = engine_classes(&graph, &conform_options(), None, |_| {}).agreed;
    let baseline = started.elapsed().as_secs_f64();

    let results: Mutex<Vec<(Mutant, Caught)>> = Mutex::new(Vec::new());
    let threads = 2;
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (passing, graph, covered, results) = (&passing, &graph, &covered, &results);
            scope.spawn(move || {
                for m in Mutant::ALL.iter().skip(t).step_by(threads) {
                    let caught = catch(*m, passing, graph, covered);
                    results.lock().unwrap().push((*m, caught));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(m, _)| *m);

    let caught = results.iter().filter(|(_, c)| c.caught()).count();
    let by_traces = results.iter().filter(|(_, c)| c.trace.is_some()).count();
    let by_classes = results.iter().filter(|(_, c)| c.class.is_some()).count();
    let survivors: Vec<&str> = results
        .iter()
        .filter(|(_, c)| !c.caught())
        .map(|(m, _)| m.name())
        .collect();
    let mut table = format!(
        "mutation check: caught {caught} of {} mutants ({by_traces} by a trace, {by_classes} by a \
         conform class; {} of {} traces pass and {} of {} classes are covered on the clean \
         engine; baseline {baseline:.1} s, all {:.1} s)\n",
        results.len(),
        passing.len(),
        files.len(),
        covered.len(),
        graph.classes(),
        started.elapsed().as_secs_f64(),
    );
    for (m, c) in &results {
        let verdict = if c.caught() { "caught" } else { "SURVIVED" };
        let trace = c.trace.as_deref().unwrap_or("-");
        let class = c.class.as_deref().unwrap_or("-");
        table.push_str(&format!(
            "  {:<34} {verdict:<8} trace: {trace}\n  {:<43} class: {class}\n",
            m.name(),
            ""
        ));
    }
    table.push_str(&format!("survivors: {survivors:?}\n"));
    println!("{table}");
    assert!(
        caught * 100 >= CAUGHT_PERCENT_MIN * results.len(),
        "the judge caught only {caught} of {} mutants (at least {CAUGHT_PERCENT_MIN} % must be \
         caught):\n{table}",
        results.len()
    );
}
