//! Analytics on projected cash flows: yields, WAL, durations and spreads; stress suites; the
//! break-even default rate search.

pub mod bond_math;
pub mod breakeven;
pub mod measures;
pub mod portfolio;
pub mod rating;
pub mod reconcile;
pub mod stress;
