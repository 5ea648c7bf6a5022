//! A cohort file (docs/portfolio.md, "Cohort file").

use schemars::JsonSchema;
use serde::Deserialize;

/// A cohort file (docs/portfolio.md, "Cohort file"): `[cohort]` and nothing else.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortFile {
    /// `[cohort]`: the deals of a portfolio.
    pub cohort: CohortSection,
}

/// `[cohort]`: the deal files and the scenario file they run under, relative to the file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortSection {
    /// A name for the cohort (not used in any table).
    pub name: Option<String>,
    /// The deal files.
    pub deals: Vec<String>,
    /// The scenario file every deal runs under (`--scenarios` overrides it).
    pub scenarios: Option<String>,
}
