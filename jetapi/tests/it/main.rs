//! Integration tests of the contract crate: its data against the team's spec notes, and trace
//! format v1 (round trips, error messages, the vocabulary page).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

mod spec_sync;
mod trace_errors;
mod trace_roundtrip;
mod vocabulary_page;
