//! The pool: the projection of the deal's contractual schedules (`crate::schedule`) under a
//! scenario ([`projection`]), the rows it produces ([`rows`]) and the actual collections of a
//! deal in life ([`actuals`]).

pub mod actuals;
pub mod projection;
pub mod rows;

pub use rows::{FlowAmounts, PoolFlowRow, PoolFlows};
