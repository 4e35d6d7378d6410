//! `cargo bench -p model`: the shortest-path search beside stateright's own BFS checker over the
//! same model, in the same run, and the default configuration on its own.

use std::time::Instant;

use model::generate::Mode;
use model::search::search;
use model::{Config, Spec};
use stateright::{Checker, Model};

fn main() {
    let small = Spec::new(Config::SMALL);
    let ours = search(&small, Mode::Explore, |_| {});
    let started = Instant::now();
    let theirs = small.checker().spawn_bfs().join();
    let theirs_seconds = started.elapsed().as_secs_f64();
    let theirs_rate = theirs.unique_state_count() as f64 / theirs_seconds;
    println!(
        "small: jetspec search {} states in {:.2} s ({:.0} states/s); stateright BFS {} states in {:.2} s ({:.0} states/s); ratio {:.2}",
        ours.unique_states,
        ours.seconds,
        ours.states_per_sec(),
        theirs.unique_state_count(),
        theirs_seconds,
        theirs_rate,
        ours.states_per_sec() / theirs_rate
    );
    let default = search(&Spec::new(Config::DEFAULT), Mode::Explore, |_| {});
    println!(
        "default: jetspec search {} states, {} edges in {:.2} s ({:.0} states/s, one thread)",
        default.unique_states,
        default.edges,
        default.seconds,
        default.states_per_sec()
    );
    let probe = search(&Spec::new(Config::DEFAULT), Mode::Probe, |_| {});
    println!(
        "default, probe mode (witnesses): {} states, {} edges in {:.2} s ({:.0} states/s)",
        probe.unique_states,
        probe.edges,
        probe.seconds,
        probe.states_per_sec()
    );
}
