//! A cohort file (docs/portfolio.md, "Cohort file"): the deal files of a portfolio and the
//! scenario file they run under, paths relative to the cohort file.

use std::path::{Path, PathBuf};

use super::spans::SourceIndex;
use super::{Ctx, read_input, strip_bom};
use crate::error::Error;
use crate::schema;

/// The table that makes a TOML file a cohort file.
pub const COHORT_KEY: &str = "cohort";

/// The deals of a cohort file and its scenario file, as paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    /// The deal files of `deals`, in the file's order, joined to the cohort file's directory.
    pub deals: Vec<PathBuf>,
    /// The scenario file of `scenarios`, joined likewise; used without `--scenarios`.
    pub scenarios: Option<PathBuf>,
}

/// Whether the file at `path` is a cohort file (TOML with a top-level `cohort` table).
fn is_cohort(path: &Path) -> bool {
    read_input(path).is_ok_and(|s| {
        strip_bom(&s)
            .parse::<toml::Table>()
            .is_ok_and(|t| t.contains_key(COHORT_KEY))
    })
}

/// Reads the cohort file at `path`: None when it is not one (it has no top-level `cohort`
/// table, or is not TOML: the deal loader then reports it). Every mistake is located at its
/// key: an unknown key, an empty `deals`, a name that is not a file.
pub fn load_cohort(path: &Path) -> Result<Option<Cohort>, Error> {
    let source = read_input(path)?;
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
    // A listed file that is a cohort itself (cohorts do not nest), and two different deal files
    // with one id (the file stem names a deal's partitions and rows).
    let mut stems: Vec<(String, usize)> = Vec::new();
    for (i, (p, name)) in deals.iter().zip(&c.deals).enumerate() {
        let key = format!("cohort.deals[{i}]");
        if p.is_file() && is_cohort(p) {
            ctx.err(
                &key,
                format!("`{name}` is a cohort file; cohorts do not nest"),
                "a deal file (list the other cohort's deals here instead)",
            );
        }
        let stem = p
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        // The same file twice in a cohort's list is a copy-paste where another deal was meant
        // (review 29a item 6: it ran once, silently); on the command line it runs once.
        let same = |j: usize| p.canonicalize().ok() == deals[j].canonicalize().ok();
        match stems.iter().find(|(s, _)| *s == stem) {
            Some((_, j)) if same(*j) => ctx.err(
                &key,
                format!(
                    "`{name}` is listed already, as deals[{j}] `{}`",
                    c.deals[*j]
                ),
                "each deal file once (another deal may have been meant here)",
            ),
            Some((_, j)) => ctx.err(
                &key,
                format!(
                    "`{name}` has the id `{stem}` (its file stem), as deals[{j}] `{}` has",
                    c.deals[*j]
                ),
                "deal files with different names: the id names a deal's rows and partitions",
            ),
            None => stems.push((stem, i)),
        }
    }
    ctx.finish(Some(Cohort { deals, scenarios }))
        .map(|(c, _)| Some(c))
}
