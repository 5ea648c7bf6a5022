//! From raw files ([`crate::schema`]) to the validated [`Deal`] and [`Scenario`]s.
//!
//! Syntax and type errors stop at the first one (toml and serde do). Every semantic check
//! after that runs to the end and all of its errors are reported, each with the file, line,
//! column and key path. The format is documented in `docs/deal-format.md`.

mod accounts;
mod actuals;
mod assets;
mod checks;
mod cohort;
mod ctx;
mod dates;
mod deal;
mod fee_schedule;
mod fees;
mod file_kind;
use file_kind::FileKind;
mod floating;
mod liabilities;
mod messages;
mod names;
mod pieces;
mod reserve;
mod respell;
mod revolving;
mod scenario;
mod spans;
mod waterfalls;

pub use cohort::{COHORT_KEY, Cohort, load_cohort};
pub(crate) use ctx::*;
pub use ctx::{MAX_DATE, MAX_MONEY, MAX_TABLE_MONEY, MIN_DATE};
pub(crate) use names::*;

use std::collections::BTreeMap;
use std::path::Path;

use crate::deal::Deal;
use crate::error::{Error, InputError, Warning};
use crate::rating_model::{CreditCurve, Credits, ObligorCredit, PdTable, ProviderCredit};
use crate::scenario::{Scenario, ScenarioSet};
use crate::schema;
use rust_decimal::Decimal;
use spans::SourceIndex;

/// A validated deal and the warnings found while validating it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated deal.
    pub deal: Deal,
    /// The warnings found while validating it, in file order, less those `[deal] allow` silences.
    pub warnings: Vec<Warning>,
    /// `search_drops_defaults` warnings of the deal's own `[scenario]`, told only by the
    /// commands that search break-evens ([`crate::scenario::ScenarioSet::search_warnings`]).
    pub search_warnings: Vec<Warning>,
}

/// Validates a deal file's text. `file` is the name used in messages (as the user typed it).
/// A leading UTF-8 byte-order mark is ignored.
pub fn deal_from_str(file: &str, source: &str) -> Result<Loaded, Error> {
    deal_from_text(file, source, pieces::PIECE_BYTES)
}

/// [`deal_from_str`], the file parsed in pieces of about `piece_bytes` when it is large
/// ([`pieces`]).
fn deal_from_text(file: &str, source: &str, piece_bytes: usize) -> Result<Loaded, Error> {
    let text = strip_bom(source);
    if text.trim().is_empty() {
        return Err(Error::Input(vec![empty_file(file, "deal", "[deal]")]));
    }
    let (index, mut raw) = pieces::load_deal(file, text, piece_bytes)
        .map_err(|e| of_its_kind(e, file, text, FileKind::Deal))?;
    let mut ctx = Ctx::new(&index);
    let deal = deal::build(&mut ctx, &mut raw);
    let search_warnings = in_file_order(std::mem::take(&mut ctx.search_warnings));
    ctx.finish(deal).map(|(deal, warnings)| Loaded {
        search_warnings: search_warnings
            .into_iter()
            .filter(|w| !deal.allow.contains(&w.check))
            .collect(),
        deal,
        warnings,
    })
}

/// The error of a file that did not load, or, when it is another kind of file than `expected`
/// (a scenario file given as the deal), one error saying so ([`file_kind::instead`]).
fn of_its_kind(e: Error, file: &str, text: &str, expected: FileKind) -> Error {
    match e {
        Error::Input(_) => {
            file_kind::instead(file, text, expected).map_or(e, |w| Error::Input(vec![w]))
        }
        other => other,
    }
}

/// Reads and validates a deal file.
pub fn load_deal(path: &Path) -> Result<Loaded, Error> {
    let text = read_input(path)?;
    deal_from_str(&path.display().to_string(), &text)
}

/// Validates an actuals file's text against `deal` (docs/auditing.md).
pub fn actuals_from_str(
    file: &str,
    source: &str,
    deal: &Deal,
) -> Result<crate::actuals::Actuals, Error> {
    let text = strip_bom(source);
    if text.trim().is_empty() {
        return Err(Error::Input(vec![empty_file(
            file,
            "periods",
            "[[periods]]",
        )]));
    }
    let (index, raw) = SourceIndex::load::<schema::ActualsFile>(file, text)
        .map_err(|e| of_its_kind(e, file, text, FileKind::Actuals))?;
    let mut ctx = Ctx::new(&index);
    let actuals = actuals::build(&mut ctx, &raw, deal);
    ctx.silence(&deal.allow);
    ctx.finish(actuals).map(|(mut a, warnings)| {
        a.warnings = warnings;
        a
    })
}

/// Reads and validates an actuals file against `deal`.
pub fn load_actuals(path: &Path, deal: &Deal) -> Result<crate::actuals::Actuals, Error> {
    let text = read_input(path)?;
    actuals_from_str(&path.display().to_string(), &text, deal)
}

/// Validates a scenario file against `deal`: its listed scenarios followed by its grid's
/// points, the rating table and the pricing inputs (docs/scenarios.md).
pub fn scenario_set_from_str(file: &str, source: &str, deal: &Deal) -> Result<ScenarioSet, Error> {
    let text = strip_bom(source);
    let (index, raw) = SourceIndex::load::<schema::ScenarioFile>(file, text)
        .map_err(|e| of_its_kind(e, file, text, FileKind::Scenarios))?;
    let mut ctx = Ctx::new(&index);
    let set = scenario::build_file(&mut ctx, &raw, deal);
    ctx.silence(&deal.allow);
    ctx.finish(set).map(|(mut s, warnings)| {
        s.warnings = warnings;
        s
    })
}

/// Reads and validates a scenario file against `deal`.
pub fn load_scenario_set(path: &Path, deal: &Deal) -> Result<ScenarioSet, Error> {
    let text = read_input(path)?;
    scenario_set_from_str(&path.display().to_string(), &text, deal)
}

/// The scenarios of a scenario file ([`scenario_set_from_str`]`.scenarios`).
pub fn scenarios_from_str(file: &str, source: &str, deal: &Deal) -> Result<Vec<Scenario>, Error> {
    scenario_set_from_str(file, source, deal).map(|s| s.scenarios)
}

/// Reads a scenario file and returns its scenarios ([`load_scenario_set`]`.scenarios`).
pub fn load_scenarios(path: &Path, deal: &Deal) -> Result<Vec<Scenario>, Error> {
    load_scenario_set(path, deal).map(|s| s.scenarios)
}

/// Resolves the default model's credits (docs/rating.md): every obligor's, from its `rating`
/// tag (a label of `table`) or its `pd` tag (a cumulative PD over its exposure term, 0 < pd ≤
/// 1), and its `region` and `industry` tags; and every support provider's with `tags`
/// (§7), its `pd` read over the deal's term. `source` is the text `deal` was loaded from;
/// errors are located in it. A missing or unknown rating is an error naming the obligor or
/// the provider.
pub fn credits_from_str(
    file: &str,
    source: &str,
    deal: &Deal,
    table: &PdTable,
) -> Result<(Credits, Vec<Warning>), Error> {
    let text = strip_bom(source);
    let (index, _raw) = pieces::load_deal(file, text, pieces::PIECE_BYTES)?;
    let mut ctx = Ctx::new(&index);
    let labels = table.labels().collect::<Vec<_>>().join(", ");
    let mut out = Vec::with_capacity(deal.obligors.len());
    // Each obligor group's first obligor: its name, its credit and the tag that gave it.
    let mut groups: BTreeMap<&str, (&str, CreditCurve, String)> = BTreeMap::new();
    for (i, o) in deal.obligors.iter().enumerate() {
        let who = Who {
            path: format!("obligors[{i}].tags"),
            name: format!("obligor `{}`", o.name),
            term: "the obligor's term",
            ceiling: pd_ceiling(table, o.last_due().map(|_| o.term_years(deal.cutoff_date))),
        };
        let curve = credit_curve(&mut ctx, &who, &o.tags, table, &labels);
        // An obligor group is one credit: its obligors' ratings (or pds) must agree.
        if let (Some(curve), Some(g)) = (curve, o.group()) {
            let given = credit_tags_text(&o.tags);
            match groups.get(g) {
                Some((first, c, first_given)) if *c != curve => {
                    let key = if given.starts_with("rating") {
                        "rating"
                    } else {
                        "pd"
                    };
                    // The weaker of the two, where the table orders them (review 33g item L3:
                    // the first obligor's was proposed, though it may be the stronger).
                    let weaker = match (*c, curve) {
                        (CreditCurve::Rating(a), CreditCurve::Rating(b)) => {
                            Some(if b > a { &given } else { first_given })
                        }
                        (CreditCurve::Explicit(a), CreditCurve::Explicit(b)) => {
                            Some(if b > a { &given } else { first_given })
                        }
                        _ => None,
                    };
                    ctx.err(
                        &format!("obligors[{i}].tags.{key}"),
                        format!(
                            "obligor `{}` has {given}, but it is in obligor group `{g}` with \
                             `{first}`, which has {first_given}",
                            o.name
                        ),
                        format!(
                            "one credit on every obligor of the group ({}): an obligor group \
                             is one credit, which defaults as one (docs/rating.md, \"Obligor \
                             groups\"); or drop the `group` tag",
                            match weaker {
                                Some(w) => format!("{w}, the weaker of the two"),
                                None => format!("the weaker of {first_given} and {given}"),
                            }
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    groups.insert(g, (o.name.as_str(), curve, given));
                }
            }
        }
        if let Some(curve) = curve {
            out.push(ObligorCredit {
                curve,
                region: o.tags.get("region").map(|v| v.trim().to_string()),
                industry: o.tags.get("industry").map(|v| v.trim().to_string()),
            });
        }
    }
    // One credit per provider: validation made every support of a provider that has tags
    // carry the same ones (`liabilities::provider_tags`).
    let mut providers: Vec<ProviderCredit> = Vec::new();
    for (i, sup) in deal.supports.iter().enumerate() {
        let provider = sup.provider.trim();
        if let Some(p) = providers.iter_mut().find(|p| p.provider == provider) {
            p.supports.push(i);
            continue;
        }
        if sup.tags.is_empty() {
            continue;
        }
        let who = Who {
            path: format!("supports[{i}].tags"),
            name: format!("provider `{provider}`"),
            term: "the deal's term",
            ceiling: pd_ceiling(table, Some(deal.term_years())),
        };
        if let Some(curve) = credit_curve(&mut ctx, &who, &sup.tags, table, &labels) {
            // Supports of this provider before this one had no tags: they are its too.
            let mut supports: Vec<usize> = (0..i)
                .filter(|&j| deal.supports[j].provider.trim() == provider)
                .collect();
            supports.push(i);
            providers.push(ProviderCredit {
                provider: provider.to_string(),
                credit: ObligorCredit {
                    curve,
                    region: sup.tags.get("region").cloned(),
                    industry: sup.tags.get("industry").cloned(),
                },
                supports,
            });
        }
    }
    ctx.silence(&deal.allow);
    ctx.finish(Some(Credits {
        obligors: out,
        providers,
    }))
}

/// Whose credit tags [`credit_curve`] reads, for its messages.
struct Who {
    /// The key path of the tags (`obligors[3].tags`).
    path: String,
    /// "obligor `SME-03`", "provider `高新投`".
    name: String,
    /// The term a `pd` is read over, in words.
    term: &'static str,
    /// The `pd` above which a percentage typed for a fraction is suspected ([`pd_ceiling`]).
    ceiling: Option<f64>,
}

/// The credit curve of one set of credit tags: a `rating` label of `table` or a `pd`; the
/// errors and the percentage warning located at `who.path`.
fn credit_curve(
    ctx: &mut Ctx,
    who: &Who,
    tags: &BTreeMap<String, String>,
    table: &PdTable,
    labels: &str,
) -> Option<CreditCurve> {
    let tag = |k: &str| tags.get(k).map(|v| v.trim().to_string());
    let (p, name) = (&who.path, &who.name);
    match (tag("rating"), tag("pd")) {
        (Some(_), Some(_)) => {
            ctx.err(
                &format!("{p}.pd"),
                format!("{name} has both a `rating` and a `pd` tag"),
                "one of them",
            );
            None
        }
        (Some(r), None) => match table.index(&r) {
            Some(x) => Some(CreditCurve::Rating(x)),
            None => {
                // A near miss named (review 43c F6: `a+` listed every label and not `A+`):
                // the label in another case or with spaces, else a typo of one.
                let meant = names::meant_label(&r, table.labels());
                let hint = meant.map_or(String::new(), |m| format!("; did you mean `{m}`?"));
                ctx.err(
                    &format!("{p}.rating"),
                    format!("{name} has rating `{r}`, which the PD table does not have{hint}"),
                    format!("one of {labels}"),
                );
                None
            }
        },
        (None, Some(pd)) => match pd.parse::<f64>() {
            Ok(v) if v > 0.0 && v <= 1.0 => {
                // A percentage typed for a fraction (review 31a item 11: "0.8" meant 0.8% ran
                // as 80%): a pd above the table's CCC over the term (review 31d item 4: a
                // flat 20% told PDs of the table's own B+ at 3 years).
                if let Some(ccc) = who.ceiling
                    && v > ccc
                    && let Ok(d) = pd.parse::<Decimal>()
                {
                    ctx.warn(
                        crate::error::Check::RateRange,
                        &format!("{p}.pd"),
                        format!(
                            "{name} has pd `{pd}`, a {}% probability of default over its \
                             term, above the PD table's CCC over it ({}%): is it a percentage \
                             (pd = \"{}\" for {pd}%)? pd is a fraction",
                            percent(d),
                            (Decimal::try_from(ccc * 100.0).unwrap_or_default())
                                .round_dp(2)
                                .normalize(),
                            (d / Decimal::ONE_HUNDRED).normalize()
                        ),
                    );
                }
                Some(CreditCurve::Explicit(v))
            }
            _ => {
                ctx.err(
                    &format!("{p}.pd"),
                    format!("{name} has pd `{pd}`"),
                    format!(
                        "a cumulative default probability over {}, 0 < pd ≤ 1, written as a \
                         string, e.g. pd = \"0.02\"",
                        who.term
                    ),
                );
                None
            }
        },
        (None, None) => {
            ctx.err(
                &format!("{p}.rating"),
                format!("{name} has no rating"),
                format!(
                    "a `rating` tag (one of {labels}) or a `pd` tag, e.g. tags = {{ rating = \"AA\" }}"
                ),
            );
            None
        }
    }
}

/// An obligor's credit tags as a message quotes them: `rating = "AA"`, else `pd = "0.02"`,
/// else `no rating` (the group-credit error here and warning in `assets`).
pub(crate) fn credit_tags_text(tags: &BTreeMap<String, String>) -> String {
    let tag = |k: &str| tags.get(k).map(|v| v.trim());
    match (tag("rating"), tag("pd")) {
        (Some(r), _) => format!("rating = \"{r}\""),
        (None, Some(p)) => format!("pd = \"{p}\""),
        (None, None) => "no rating".to_string(),
    }
}

/// The PD above which a `pd` tag is told as a percentage typed for a fraction: the table's
/// CCC over `term` years (an obligor's from the cutoff to its last instalment, as the rating
/// model reads it; a provider's the deal's); None without a CCC row or a term.
fn pd_ceiling(table: &PdTable, term: Option<f64>) -> Option<f64> {
    let ccc = table.index("CCC")?;
    Some(table.pd(ccc, term?))
}

/// Reads `path` and resolves its default model's credits ([`credits_from_str`]).
pub fn load_credits(
    path: &Path,
    deal: &Deal,
    table: &PdTable,
) -> Result<(Credits, Vec<Warning>), Error> {
    let text = read_input(path)?;
    credits_from_str(&path.display().to_string(), &text, deal, table)
}

/// Largest input file accepted: 64 MiB. A larger file is rejected before it is read, so
/// a wrong path (a disk image, a log) fails at once instead of filling memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads an input file: a regular file of at most [`MAX_INPUT_BYTES`], in UTF-8. A byte
/// that is not UTF-8 is reported at its line and column.
pub fn read_input(path: &Path) -> Result<String, Error> {
    use std::io::Read;
    let fail = |source: std::io::Error| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let plain = |kind: std::io::ErrorKind, msg: String| fail(std::io::Error::new(kind, msg));
    if path.is_dir() {
        return Err(plain(
            std::io::ErrorKind::IsADirectory,
            "it is a directory; expected a file (TOML)".to_string(),
        ));
    }
    let file = std::fs::File::open(path).map_err(fail)?;
    let too_large = |size: u64| {
        plain(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "the file is {size} bytes, larger than the {} MiB limit for input files",
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
        )
    };
    if let Ok(meta) = file.metadata()
        && meta.len() > MAX_INPUT_BYTES
    {
        return Err(too_large(meta.len()));
    }
    // Read at most one byte past the limit: a pipe or device has no size to check first.
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let name = path.display().to_string();
        Error::Input(vec![encoding_error(&name, e.as_bytes(), e.utf8_error())])
    })
}

/// Locates the first byte that is not UTF-8.
fn encoding_error(file: &str, bytes: &[u8], e: std::str::Utf8Error) -> InputError {
    let offset = e.valid_up_to();
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return InputError {
            file: file.to_string(),
            line: 1,
            column: 1,
            key_path: String::new(),
            problem: "the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8"
                .to_string(),
            expected: "a file saved as UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8`)".to_string(),
            source_line: None,
        };
    }
    let bad: Vec<String> = bytes
        .iter()
        .skip(offset)
        .take(e.error_len().unwrap_or(1).max(1))
        .map(|b| format!("0x{b:02X}"))
        .collect();
    let problem = format!(
        "the file is not valid UTF-8: byte {} cannot start or continue a UTF-8 character \
         (GBK, GB18030 and Latin-1 files must be converted)",
        bad.join(" ")
    );
    let text = String::from_utf8_lossy(bytes);
    SourceIndex::error_in_text(
        file,
        &text,
        offset,
        problem,
        "a file saved as UTF-8 (e.g. `iconv -f GB18030 -t UTF-8`)".to_string(),
    )
}

/// The error for a file with nothing in it (or only blanks).
fn empty_file(file: &str, key: &str, example: &str) -> InputError {
    // The page that documents the format.
    let doc = if key == "periods" {
        "docs/auditing.md"
    } else {
        "docs/deal-format.md"
    };
    InputError {
        file: file.to_string(),
        line: 0,
        column: 0,
        key_path: key.to_string(),
        problem: format!("the file is empty: missing required key `{key}`"),
        expected: format!("a TOML file that starts with {example} (see {doc})"),
        source_line: None,
    }
}

fn strip_bom(s: &str) -> &str {
    s.strip_prefix('\u{feff}').unwrap_or(s)
}
