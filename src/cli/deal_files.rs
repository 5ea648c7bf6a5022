//! The deal files a `portfolio` command names, found and loaded: files as given, a
//! directory's `*.toml` files in name order, cohort files expanded to their deals, each deal
//! with its scenario file and stress suite (docs/portfolio.md). What runs them is
//! `crate::portfolio` (review 32d item 3: the directory walk and the loaders sat in the same
//! file as the parallel run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::analytics::stress::{StressBase, StressSuite};
use crate::error::{Error, Result};
use crate::portfolio::{Cohort, PortfolioDeal};
use crate::scenario::ScenarioSet;
use crate::validate;

/// What the command line names: the deal files, and the scenario file of a cohort file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The deal files, in order, each once.
    pub deals: Vec<PathBuf>,
    /// The `scenarios` of the cohort file named (or found in a named directory), used when
    /// `--scenarios` is not given.
    pub cohort_scenarios: Option<PathBuf>,
}

/// The deal files named by `args`: a file as given (a cohort file expanded to its deals), a
/// directory's `*.toml` files in name order (a cohort file in it is not a deal, but its
/// `scenarios` is used). The same file named twice is kept once; two different files with the
/// same stem are an error, and so are two cohort files with different `scenarios`.
pub fn deal_paths(args: &[PathBuf]) -> Result<Named> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut cohort_scenarios: Option<PathBuf> = None;
    let mut take = |s: Option<PathBuf>| -> Result<()> {
        if let Some(s) = s {
            match &cohort_scenarios {
                Some(c) if *c != s => {
                    return Err(Error::Usage(format!(
                        "two cohort files name different scenario files ({} and {}); pass \
                         --scenarios",
                        c.display(),
                        s.display()
                    )));
                }
                _ => cohort_scenarios = Some(s),
            }
        }
        Ok(())
    };
    for a in args {
        if a.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(a)
                .map_err(|e| Error::Read {
                    path: a.clone(),
                    source: e,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for f in files {
                match cohort_deals(&f)? {
                    None => out.push(f),
                    Some(c) => take(c.scenarios)?,
                }
            }
        } else {
            match cohort_deals(a)? {
                Some(c) => {
                    out.extend(c.deals);
                    take(c.scenarios)?;
                }
                None => out.push(a.clone()),
            }
        }
    }
    // Each id's file, resolved (one file named twice is one deal) and as named (review 40b F6:
    // the error showed the first resolved and the second as typed).
    let mut seen: BTreeMap<String, (PathBuf, PathBuf)> = BTreeMap::new();
    let mut unique = Vec::new();
    for p in out {
        let id = deal_id(&p);
        let canon = p.canonicalize().unwrap_or_else(|_| p.clone());
        match seen.get(&id) {
            Some((q, _)) if *q == canon => continue,
            Some((_, named)) => {
                return Err(Error::Usage(format!(
                    "two deals have the id `{id}` (the file stem): {} and {}; rename one",
                    named.display(),
                    p.display()
                )));
            }
            None => {
                seen.insert(id, (canon, p.clone()));
                unique.push(p);
            }
        }
    }
    if unique.is_empty() {
        return Err(Error::Usage(
            "no deal files: name deal files, directories of them, or a cohort file".into(),
        ));
    }
    Ok(Named {
        deals: unique,
        cohort_scenarios,
    })
}

/// A deal's id: its file stem.
pub fn deal_id(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "deal".to_string(), |s| s.to_string_lossy().into_owned())
}

/// The deals of a cohort file and its scenario file, or None when `path` is not a cohort file
/// ([`validate::load_cohort`]: every mistake located at its key).
pub fn cohort_deals(path: &Path) -> Result<Option<Cohort>> {
    validate::load_cohort(path)
}

/// Loads every deal with the scenario file (or each deal's own scenario) and the stress suite,
/// built on each deal's own scenario or on every scenario ([`StressBase`]).
pub fn load_deals(
    paths: &[PathBuf],
    scenarios: Option<&Path>,
    stress: Option<(StressSuite, StressBase)>,
) -> Result<Vec<PortfolioDeal>> {
    // Each deal, or its error and whether the shared scenario file (not the deal) holds it.
    let loaded: Vec<std::result::Result<PortfolioDeal, (Error, bool)>> = paths
        .iter()
        .map(|p| {
            let loaded = validate::load_deal(p).map_err(|e| (e, false))?;
            let mut set = match scenarios {
                Some(s) => validate::load_scenario_set(s, &loaded.deal).map_err(|e| (e, true))?,
                None => ScenarioSet::single(loaded.deal.scenario.clone()),
            };
            if let Some((suite, base)) = stress {
                // The suite's notes are the single-deal commands' (a portfolio of many deals
                // would repeat them for each).
                suite
                    .add_to(&loaded.deal, &mut set.scenarios, base)
                    .map_err(|e| (e, false))?;
            }
            Ok(PortfolioDeal {
                id: deal_id(p),
                path: p.clone(),
                loaded,
                set,
            })
        })
        .collect();
    // Every deal's file errors at once (review 25d item 9: only the first bad deal's were
    // shown). An error of the shared scenario file is told once, with the deals it holds for
    // when those are not all of them (review 26b item 3: an obligor that only some deals have
    // was reported without the deals), and once too when what each deal expects differs
    // (review 40b F5: an unknown obligor was told once per deal, each with its own names);
    // any other error as it comes.
    let mut errors: Vec<(crate::error::InputError, Vec<String>)> = Vec::new();
    let mut deals = Vec::with_capacity(loaded.len());
    // The deals that loaded, and so read the scenario file (review 26c item L3: a deal file
    // that failed made an error of the scenario file itself look like some deals' only).
    let every = loaded
        .iter()
        .filter(|d| matches!(d, Ok(_) | Err((_, true))))
        .count();
    for (d, path) in loaded.into_iter().zip(paths) {
        match d {
            Ok(d) => deals.push(d),
            Err((Error::Input(e), of_scenarios)) => {
                for x in e {
                    let same = |y: &crate::error::InputError| match of_scenarios {
                        true => same_place_and_problem(y, &x),
                        false => y.to_string() == x.to_string(),
                    };
                    match errors.iter_mut().find(|y| same(&y.0)) {
                        Some(y) if of_scenarios => {
                            if y.0.expected != x.expected {
                                y.0.expected = format!(
                                    "what each deal allows, which differs between them: `ipabs \
                                     check DEAL --scenarios {}` tells one deal's",
                                    x.file
                                );
                            }
                            y.1.push(deal_id(path))
                        }
                        Some(_) => {}
                        None => {
                            let ids = if of_scenarios {
                                vec![deal_id(path)]
                            } else {
                                Vec::new()
                            };
                            errors.push((x, ids));
                        }
                    }
                }
            }
            Err((e, _)) => return Err(e),
        }
    }
    if errors.is_empty() {
        return Ok(deals);
    }
    Err(Error::Input(
        errors
            .into_iter()
            .map(|(mut x, ids)| {
                if !ids.is_empty() && ids.len() < every {
                    x.problem = format!(
                        "{} (for deal{} {})",
                        x.problem,
                        if ids.len() == 1 { "" } else { "s" },
                        ids.join(", ")
                    );
                }
                x
            })
            .collect(),
    ))
}

/// Whether two errors of one file are the same mistake: the same place and problem, whatever
/// each expects (a deal's own obligor names).
fn same_place_and_problem(a: &crate::error::InputError, b: &crate::error::InputError) -> bool {
    (
        a.file.as_str(),
        a.line,
        a.column,
        a.key_path.as_str(),
        a.problem.as_str(),
    ) == (
        b.file.as_str(),
        b.line,
        b.column,
        b.key_path.as_str(),
        b.problem.as_str(),
    )
}
