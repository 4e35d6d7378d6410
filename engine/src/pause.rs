//! Named pause points, so a test harness can hold a long call (JetTerm2, later the restore
//! calls) at a chosen point while other threads make calls: the trace contract's `Start` /
//! `Finish` actions. A point is armed once, reached once by the call that passes it, and
//! released once; an unarmed point costs one lock.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Where a long call can be held: `api_locked`, right after it took the instance's API lock.
pub const API_LOCKED: &str = "api_locked";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    Armed,
    Reached,
    Released,
}

/// The engine's pause points.
#[derive(Debug, Default)]
pub struct PauseGates {
    gates: Mutex<BTreeMap<String, Gate>>,
    changed: Condvar,
}

impl PauseGates {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Gate>> {
        self.gates.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms `point`: the next call to pass it waits there until [`PauseGates::release`].
    pub fn arm(&self, point: &str) {
        self.lock().insert(point.to_string(), Gate::Armed);
    }

    /// Called by the engine at `point`: waits while the point is armed and not released.
    pub fn pass(&self, point: &str) {
        let mut gates = self.lock();
        if gates.get(point) != Some(&Gate::Armed) {
            return;
        }
        gates.insert(point.to_string(), Gate::Reached);
        self.changed.notify_all();
        while gates.get(point) == Some(&Gate::Reached) {
            gates = self
                .changed
                .wait(gates)
                .unwrap_or_else(PoisonError::into_inner);
        }
        gates.remove(point);
    }

    /// Waits until a call reached `point`, or `timeout` passed; true when it was reached.
    pub fn wait_reached(&self, point: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut gates = self.lock();
        loop {
            if gates.get(point) == Some(&Gate::Reached) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            gates = self
                .changed
                .wait_timeout(gates, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Lets the call held at `point` go on; disarms the point if nothing reached it.
    pub fn release(&self, point: &str) {
        let mut gates = self.lock();
        match gates.get(point) {
            Some(Gate::Reached) => {
                gates.insert(point.to_string(), Gate::Released);
            }
            Some(Gate::Armed | Gate::Released) | None => {
                gates.remove(point);
            }
        }
        self.changed.notify_all();
    }
}
