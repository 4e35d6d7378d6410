//! Integration tests of the contract crate.
