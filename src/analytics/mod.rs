//! Analytics on projected cash flows: yields, WAL, durations and spreads.

pub mod bond_math;
pub mod breakeven;
