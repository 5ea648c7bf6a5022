//! Contractual schedules: the instalments an asset owes by its terms, generated when a deal is
//! built (a loan's or lease's amortization, [`amortization`]; a licence fee schedule,
//! [`fee_schedule`]; a floating-rate loan refixed on index paths, [`floating_loan`]) and when
//! a revolving period buys an asset. Part of the model: the validator builds deals with it,
//! and the pool's projection and the engine take its schedules as given.

pub mod amortization;
pub mod fee_schedule;
pub mod floating_loan;
