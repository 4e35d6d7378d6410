//! Temporary probe: runs a search and prints the figures.
fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "small".into());
    let config = model::Config::by_name(&name).unwrap_or_else(|| {
        let v: Vec<u8> = name.split(',').map(|x| x.parse().unwrap()).collect();
        model::Config { name: "custom", instances: v[0], dbs: v[1], max_gen: v[2], legacy: v[3] == 1 }
    });
    let spec = model::Spec::new(config);
    let report = model::search::search(&spec, if std::env::var("PROBE").is_ok() { model::generate::Mode::Probe } else { model::generate::Mode::Explore }, |p| eprintln!("{p:?}"));
    println!(
        "{} states, {} edges, depth {}, {:.2}s, {:.0} states/s, {} outcomes, {} rules",
        report.unique_states, report.edges, report.max_depth, report.seconds, report.states_per_sec(),
        report.outcomes.len(), report.rules.len()
    );
    for p in &report.properties {
        println!("{}: {}", p.name, p.counterexample.as_ref().map_or("holds".to_string(), |c| format!("FAILS in {} steps: {c:?}", c.len())));
    }
}
