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
// Every public item, field and variant says what it is (review 32d item 11); `-D warnings` in
// CI's clippy makes a missing one an error.
#![warn(missing_docs)]

/// What this build was made from (build.rs): `commit C of DATE`, with `, modified` when the
/// code differed from that commit, or `unknown commit` outside a git checkout.
pub const BUILD: &str = env!("IPABS_BUILD");

/// `ipabs --version`'s text after the name: the crate's version and [`BUILD`].
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("IPABS_BUILD"), ")");

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
pub mod loan_terms;
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
