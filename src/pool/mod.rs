//! The pool: contractual schedules ([`amortization`]), their projection under a scenario
//! ([`projection`]) and the rows it produces ([`rows`]).

pub mod actuals;
pub mod amortization;
pub mod fee_schedule;
pub mod floating_loan;
pub mod projection;
pub mod rows;

pub use rows::{FlowAmounts, PoolFlowRow, PoolFlows};
