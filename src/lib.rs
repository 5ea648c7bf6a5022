//! ipabs: a cash-flow modeler for Chinese intellectual-property securitizations
//! (知识产权证券化).
//!
//! A deal file (TOML) describes the receivables and the securities; [`validate`] turns it into
//! a [`deal::Deal`]; [`engine::run`] projects the pool ([`pool`]) and runs the waterfall under
//! a [`scenario::Scenario`]; [`output`] writes the results to Parquet.
//!
//! Money is [`rust_decimal::Decimal`] rounded to the fen; see `docs/conventions.md`.

// No unwrap, expect or panic in library code: every failure is an `Error` (see error.rs).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod actuals;
pub mod allocator;
pub mod analytics;
pub mod calendar;
pub mod cli;
pub mod deal;
pub mod engine;
pub mod error;
pub mod floating;
pub mod json_schema;
pub mod label;
pub mod money;
pub mod output;
pub mod pool;
pub mod portfolio;
pub mod pow;
pub mod rating_model;
pub mod scenario;
pub mod schedule;
pub mod schema;
pub mod shard;
pub mod sweep;
pub mod validate;
