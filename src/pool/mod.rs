//! The pool: contractual schedules ([`amortization`]) and their projection under a scenario
//! ([`projection`]).

pub mod amortization;
pub mod projection;
