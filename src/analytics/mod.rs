//! Analytics on projected cash flows: yields, WAL, durations and spreads; stress suites.

pub mod bond_math;
pub mod measures;
pub mod stress;
