//! The last log generation, for a test harness (the trace contract's `LimitLogGenerations`):
//! ESE's `lGenerationMax` is process-wide and fixed at 0xFFFFF (five hex digits of a log
//! name), which no test reaches by rolling. Lowering it with [`Engine::limit_log_generations`]
//! makes the end of the log sequence reachable: a roll to a generation above the limit fails
//! with `JET_errLogSequenceEnd`, and the backup checks that refuse to start at the last
//! generation compare with the limit. Every instance of the engine, running or started later,
//! sees the same limit, as every instance of an ESE process does. Not a behaviour of normal
//! use: nothing else lowers it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::engine::Engine;

/// The newest generation a log may have (five hex digits), unless a harness lowered it.
pub const GENERATION_MAX: u32 = 0xF_FFFF;

/// The last log generation, shared by the engine and every log writer it starts. Invariant:
/// between 1 and [`GENERATION_MAX`].
#[derive(Clone, Debug)]
pub struct GenerationLimit(Arc<AtomicU32>);

impl Default for GenerationLimit {
    fn default() -> GenerationLimit {
        GenerationLimit(Arc::new(AtomicU32::new(GENERATION_MAX)))
    }
}

impl GenerationLimit {
    /// The last generation a log may reach.
    pub fn get(&self) -> u32 {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self, generation: u32) {
        let generation = generation.clamp(1, GENERATION_MAX);
        self.0.store(generation, Ordering::Release);
    }
}

impl Engine {
    /// Test hook (`LimitLogGenerations`): from now on the last log generation of every
    /// instance is `generation` (clamped to 1..=[`GENERATION_MAX`]). A log already past it
    /// stays where it is, and cannot roll.
    pub fn limit_log_generations(&self, generation: u32) {
        self.generation_max.set(generation);
    }

    /// The last log generation: [`GENERATION_MAX`] unless a harness lowered it.
    pub fn log_generation_max(&self) -> u32 {
        self.generation_max.get()
    }
}
