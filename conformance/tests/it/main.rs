//! Integration tests of the `jetspec` command and of the workspace's architecture rules.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

mod architecture;
mod bench;
mod cli;
mod conform;
mod corpus;
mod coverage;
mod engine_witnesses;
mod fuzz;
mod harness_witnesses;
mod listed;
mod model_replay;
mod mutants;
mod replay;
mod witnesses;
