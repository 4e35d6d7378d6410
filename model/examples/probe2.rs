//! Temporary probe: which components of the state vary most.
use std::collections::{BTreeSet, HashSet, VecDeque};
fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "small".into());
    let cap: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(300_000);
    let spec = model::Spec::new(model::Config::by_name(&name).expect("config"));
    let mut seen = HashSet::new();
    let mut q = VecDeque::new();
    q.push_back(model::State::INITIAL);
    seen.insert(model::State::INITIAL);
    let mut buf = Vec::new();
    while let Some(s) = q.pop_front() {
        if seen.len() > cap { break; }
        buf.clear();
        model::generate::actions(&spec, &s, &mut buf);
        for a in &buf {
            if let (Some(n), _) = spec.apply(&s, a) {
                if seen.insert(n.clone()) { q.push_back(n); }
            }
        }
    }
    let i0 = |s: &model::State| s.instances[0];
    let mut storage = BTreeSet::new(); let mut backup = BTreeSet::new(); let mut flags = BTreeSet::new(); let mut dbs = BTreeSet::new();
    for s in &seen {
        let i = i0(s);
        storage.insert((i.storage.current, i.storage.checkpoint, i.storage.oldest, i.storage.checkpoint_file as u8, i.storage.last_commit));
        dbs.insert(format!("{:?}", i.storage.dbs));
        backup.insert(format!("{:?}", i.backup));
        flags.insert(format!("{:?}{:?}{:?}{:?}{:?}{:?}{:?}", i.life, i.name, i.settings, i.stop_service, i.health, i.backup_allowed, i.session));
    }
    println!("{} states; storage {} dbs {} backup {} flags {}", seen.len(), storage.len(), dbs.len(), backup.len(), flags.len());
}
