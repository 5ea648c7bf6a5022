//! A cohort file (docs/portfolio.md, "Cohort file"): the deal files of a portfolio and the
//! scenario file they run under, paths relative to the cohort file.

use std::path::{Path, PathBuf};

use super::spans::SourceIndex;
use super::{Ctx, read, strip_bom};
use crate::error::Error;
use crate::schema;

/// The table that makes a TOML file a cohort file.
pub const COHORT_KEY: &str = "cohort";

/// The deals of a cohort file and its scenario file, as paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    pub deals: Vec<PathBuf>,
    pub scenarios: Option<PathBuf>,
}

/// Reads the cohort file at `path`: None when it is not one (it has no top-level `cohort`
/// table, or is not TOML: the deal loader then reports it). Every mistake is located at its
/// key: an unknown key, an empty `deals`, a name that is not a file.
pub fn load_cohort(path: &Path) -> Result<Option<Cohort>, Error> {
    let source = read(path)?;
    let text = strip_bom(&source);
    match text.parse::<toml::Table>() {
        Ok(t) if t.contains_key(COHORT_KEY) => {}
        _ => return Ok(None),
    }
    let file = path.display().to_string();
    let (index, raw) = SourceIndex::load::<schema::CohortFile>(&file, text)?;
    let mut ctx = Ctx::new(&index);
    let base = path.parent().unwrap_or(Path::new("."));
    let c = &raw.cohort;
    if c.deals.is_empty() {
        ctx.err(
            "cohort.deals",
            "`deals` is empty",
            "the cohort's deal files, relative to this file: deals = [\"a.toml\", \"b.toml\"]",
        );
    }
    let mut file_at = |key: &str, name: &str| {
        let p = base.join(name);
        if !p.is_file() {
            ctx.err(
                key,
                format!("`{name}` is not a file (looked for {})", p.display()),
                "a file name relative to the cohort file",
            );
        }
        p
    };
    let deals: Vec<PathBuf> = c
        .deals
        .iter()
        .enumerate()
        .map(|(i, d)| file_at(&format!("cohort.deals[{i}]"), d))
        .collect();
    let scenarios = c
        .scenarios
        .as_deref()
        .map(|s| file_at("cohort.scenarios", s));
    ctx.finish(Some(Cohort { deals, scenarios }))
        .map(|(c, _)| Some(c))
}
