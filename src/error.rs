//! Errors, and the exit codes they map to.
//!
//! * [`Error::Input`]: the deal or scenario file is wrong. Each [`InputError`] names the file,
//!   the line and column, the key path, what was wrong and what was expected. Exit code 2.
//! * [`Error::Read`]: an input file could not be read. Exit code 2.
//! * [`Error::Write`]: output could not be written. Exit code 1.
//! * [`Error::Usage`]: bad command-line usage that clap cannot catch, or input that no file
//!   location can point at: a limit a deal reaches only when it runs (a pool too large to
//!   project, an amount beyond the output's columns or Decimal's range). Exit code 2.
//! * [`Error::Internal`]: the engine broke one of its own invariants (for example, cash was not
//!   conserved). This is a bug in ipabs, never a user mistake. Exit code 3.

use std::fmt;
use std::path::PathBuf;

/// One problem in an input file, located to a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line; 0 when the problem has no location (e.g. an empty file).
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Dotted key path, e.g. `tranches[1].balance` (array indices are 0-based). Empty for the
    /// document root.
    pub key_path: String,
    /// What was wrong.
    pub problem: String,
    /// What was expected instead.
    pub expected: String,
    /// The offending source line, for display.
    pub source_line: Option<String>,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = if self.key_path.is_empty() {
            "(document)"
        } else {
            &self.key_path
        };
        write!(
            f,
            "error: {}:{}:{}: {}: {}",
            self.file,
            self.line,
            self.column,
            clip(key),
            clip(&self.problem)
        )?;
        if !self.expected.is_empty() {
            write!(f, "\n  expected: {}", clip(&self.expected))?;
        }
        if let Some(src) = &self.source_line {
            let (shown, caret_pad) = source_window(src, self.column);
            let gutter = self.line.to_string();
            let pad = " ".repeat(gutter.len());
            write!(f, "\n {pad} |\n {gutter} | {shown}\n {pad} | {caret_pad}^")?;
        }
        Ok(())
    }
}

/// Longest text of a message part (problem, expected, key path, a warning) that is shown in
/// full; a longer one (a 20 MB string echoed back) keeps its start and end, [`KEPT`]
/// characters in all. Twice what is kept, so that a cut leaves out at least as much as it
/// shows: a built-in explanation a few characters over is shown whole (review 40d F5: one
/// character of a warning was replaced by a 25-character marker).
const MAX_SHOWN: usize = 800;
/// Characters of a cut part that are shown.
const KEPT: usize = 400;
/// Longest source line shown in full; a longer one is shown as a window around the column.
const MAX_LINE: usize = 160;
/// Characters shown before the column in a window of a long line.
const WINDOW_BEFORE: usize = 60;

/// Escapes control characters (a name written as "\u001b[31m" must not drive the terminal)
/// and shortens text longer than 800 characters (`MAX_SHOWN`) to its first and last 400.
pub fn clip(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_SHOWN {
        return escape_controls(s.chars());
    }
    let head = KEPT * 2 / 3;
    let tail = KEPT - head;
    format!(
        "{}… ({} characters left out) …{}",
        escape_controls(s.chars().take(head)),
        n - head - tail,
        escape_controls(s.chars().skip(n - tail))
    )
}

/// `chars` with every control character but newline and tab escaped (`\u{1b}`), so that a
/// name from a deal file never sends a control sequence to a terminal.
pub fn escape_controls(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    for c in chars {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The part of a source line to show and the padding that puts a caret under `column` (in
/// characters, 1-based). Tabs are kept and East Asian wide characters count as two cells,
/// so the caret lines up in a terminal; a long line is cut to a window around the column.
fn source_window(line: &str, column: usize) -> (String, String) {
    let chars: Vec<char> = line.chars().collect();
    let col = column.saturating_sub(1).min(chars.len());
    let (start, end) = if chars.len() <= MAX_LINE {
        (0, chars.len())
    } else {
        let start = col.saturating_sub(WINDOW_BEFORE);
        (start, (start + MAX_LINE).min(chars.len()))
    };
    let shown_char = |c: char| {
        if c.is_control() && c != '\t' {
            '\u{fffd}'
        } else {
            c
        }
    };
    let mut shown = String::new();
    let mut pad = String::new();
    if start > 0 {
        shown.push('…');
        pad.push(' ');
    }
    for (i, &c) in chars.iter().enumerate().take(end).skip(start) {
        let c = shown_char(c);
        shown.push(c);
        if i < col {
            match c {
                '\t' => pad.push('\t'),
                c if is_wide(c) => pad.push_str("  "),
                _ => pad.push(' '),
            }
        }
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, pad)
}

/// East Asian wide and fullwidth characters (two terminal cells): CJK ideographs, kana,
/// hangul, fullwidth forms and CJK punctuation.
fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x20000..=0x3FFFD)
}

/// The kinds of warning, each with the name a deal lists in `[deal] allow` to silence it
/// (docs/errors.md lists every one, its range and its source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    // ---- load time: the pool and the issue ----
    /// The tranches add up to more than the pool balance at cutoff.
    OverIssued,
    /// The issue size or a tranche is orders of magnitude off the pool (a 万元/亿元 mistake).
    IssueSize,
    /// An obligor has no assets.
    ObligorWithoutAssets,
    /// An obligor group (the `group` tag) with one obligor: a misspelt group name leaves an
    /// obligor out of its group.
    SingleMemberGroup,
    /// Obligors of one group whose `rating` or `pd` tags differ: `rate` and `size` refuse the
    /// deal (a group is one credit), `check` tells it first.
    GroupCredit,
    /// Two obligor groups whose names differ only in letter case: probably one group.
    GroupName,
    /// An instalment falls due after the last collection period.
    NeverCollected,
    // ---- load time: dates ----
    /// A date of an explicit list (`payment_dates`, a typed `schedule`) out of step with its
    /// neighbours: one period short and the next long by as much, a month or a year mistyped.
    OutOfStep,
    /// Payment dates in years the built-in holiday data does not cover.
    CalendarCoverage,
    /// An `unadjusted` payment date on a holiday or weekend.
    HolidayPayment,
    /// A payment date on a business day that is no exchange trading day (an adjusted working
    /// weekend), with `payment_days = "business"`.
    PaymentNotTradingDay,
    /// A payment date adjusted past the legal maturity.
    PaymentAfterLegal,
    /// A tranche's expected maturity after the last payment date.
    MaturityAfterLastPayment,
    /// A target-balance date or an expected maturity that is not a payment date.
    NotPaymentDate,
    /// Payment dates after the pool's last instalment (empty periods on which fees fall due).
    EmptyPeriods,
    /// A scenario date (a named default) outside the deal.
    ScenarioDates,
    /// A tranche's `rating` that is no grade of the rating scale (`AAA ` with a space, `aa+`):
    /// the tranche would get no target default rate.
    RatingLabel,
    /// A rating table out of order: a `[rating]` multiplier above a higher grade's, or a
    /// `[rating_model.pd]` row below a higher grade's (a percent typed for a fraction, say).
    RatingOrder,
    /// Named defaults or a CDR in a scenario that a break-even search (`breakeven`, `rate`,
    /// `size`) replaces with its own default rate: told by those commands only.
    SearchDropsDefaults,
    /// A scenario gives a value or path for an index no floating rate of the deal reads (a
    /// misspelt `lpr_1y`): the scenario runs on the deal's own index values.
    UnreadIndex,
    /// A scenario's `events` names an event no trigger of the deal watches (a misspelt name):
    /// it changes nothing.
    UnwatchedEvent,
    // ---- load time: structure ----
    /// A fee, tax, tranche or the reserve that the `normal` waterfall never reaches.
    Unreached,
    /// Steps out of order: principal before interest, junior before senior, residual not last.
    StepOrder,
    /// A trigger that switches to `normal`.
    TriggerToNormal,
    /// A trigger's `threshold_steps` that cannot mean what they say: a step after the last
    /// payment date, a first step that leaves `threshold` unused, a cumulative default level
    /// that steps down.
    ThresholdSteps,
    /// A waterfall no trigger switches to.
    UnusedWaterfall,
    /// A support with `interest_rate` or `revolving_cap` that no `repay_support` step names:
    /// its interest is never paid and its cap never restored.
    NeverRepaid,
    // ---- load time: plausibility ----
    /// A coupon outside the range seen in Chinese ABS.
    CouponRange,
    /// A fee rate or amount outside the range seen.
    FeeRange,
    /// A tax rate above the range seen.
    TaxRange,
    /// A trigger threshold outside the range seen.
    TriggerRange,
    /// A `coverage_below` trigger on a deal whose seniors are all pass-through: before their
    /// expected maturity the multiple counts their interest alone.
    CoverageOnInterest,
    /// A `[rating]` target default rate (base rate × multiplier) above 100%: no tranche can
    /// meet it (a multiplier of 500 for 5?).
    TdrRange,
    /// `check` on a deal with credit tags: what `rate` and `size` would refuse in them (an
    /// unknown rating, an obligor with both `pd` and `rating`, one with neither).
    RatingInputs,
    /// A reserve target or multiple outside the range seen.
    ReserveRange,
    /// A pricing yield, discount rate or price that looks like a unit mistake.
    PricingRange,
    // ---- run time ----
    /// Cash left in the collection account or the reserve after the last payment date.
    CashLeft,
    /// A tranche not repaid by the last payment date, or a senior or mezzanine tranche's
    /// interest not paid in full by then.
    NotRepaid,
    /// Fees or taxes unpaid after the last payment date.
    Arrears,
    /// Pool cash that would arrive after the last collection period.
    BeyondHorizon,
    // ---- accounts and conditions (issue 12) ----
    /// A step pays from an account that no collection rule and no transfer fills.
    UnfilledAccount,
    /// A clean-up call threshold or price outside the range seen (10 for 0.10).
    CallRange,
    /// Cash held in an account at a payment date, while a tranche has principal outstanding,
    /// because a conditional step did not run.
    CashHeld,
    /// A step-up rent's or a licence-fee schedule's annual `growth` above the range seen.
    GrowthRange,
    /// A pool-side rate above the range seen: an asset's rate, an index value or shift.
    RateRange,
    /// An actuals file's pool that does not add up: a `balance_end` other than the start less
    /// principal, prepayments and defaults, or recoveries above the defaults reported.
    ActualsPool,
    /// An obligor an actuals file reports paying less than its schedule had due in the
    /// collection period, with no default: a late payment (拖欠).
    ActualsArrears,
    /// An actuals file whose reported principal repays a tranche beyond its initial balance.
    ActualsTranche,
    /// A reported payment date whose payments and account balances do not add up to its
    /// sources: the restatement created or removed cash (`reconcile`).
    ActualsCash,
    /// A revolving deal's purchases, which neither named defaults nor the default curve
    /// reach: a named default of the obligor they are named after, or a break-even search.
    RevolvingDefaults,
    /// An annual fee first due before the closing date: its first payment date charges every
    /// year since (since session 28).
    FeeBeforeClosing,
    /// An asset a thousand times smaller or larger than the pool's median asset: an amount in
    /// 万元 (or fen) among amounts in yuan.
    AssetSize,
    /// An asset of an obligor equal to an earlier one of the same obligor: pasted twice.
    DuplicateAsset,
    /// A generated loan or lease of at most 5 instalments that runs less than a year: `term`
    /// written in years (3 for a 3-year quarterly loan, which is 12 instalments).
    TermUnits,
    /// A support pays in a run without any default or delay: the pool's own cash does not meet
    /// what falls due (a bullet's expected maturity before the pool repays it, fees after the
    /// last tranche is repaid).
    SupportWithoutDefaults,
    /// A scenario's `cpr` on a deal none of whose assets can prepay.
    UnreadCpr,
    /// A scenario's `revolving_yield_cut` or `purchase_cut` on a deal without `[revolving]`.
    UnreadRevolving,
    /// A trigger the pool's performance trips (not a scenario's event or support failure) in
    /// a run without any default or delay: a threshold or a waterfall that trips it in the
    /// base case (review 32c item 4).
    TripsWithoutDefaults,
    /// A tranche paid principal while a tranche of a more senior class is outstanding and not
    /// paid by the same pro rata step, in a run without any default or delay: a junior's
    /// `pay_principal` step without `when = "senior_paid_off"` behind a bullet or scheduled
    /// senior (review 43c F1).
    JuniorBeforeSenior,
}

impl Check {
    /// Every check, in the order docs/errors.md lists them.
    pub const ALL: [Check; 59] = [
        Check::OverIssued,
        Check::IssueSize,
        Check::ObligorWithoutAssets,
        Check::SingleMemberGroup,
        Check::GroupCredit,
        Check::GroupName,
        Check::NeverCollected,
        Check::OutOfStep,
        Check::CalendarCoverage,
        Check::HolidayPayment,
        Check::PaymentNotTradingDay,
        Check::PaymentAfterLegal,
        Check::MaturityAfterLastPayment,
        Check::NotPaymentDate,
        Check::EmptyPeriods,
        Check::ScenarioDates,
        Check::RatingLabel,
        Check::RatingOrder,
        Check::SearchDropsDefaults,
        Check::UnreadIndex,
        Check::UnwatchedEvent,
        Check::Unreached,
        Check::StepOrder,
        Check::TriggerToNormal,
        Check::ThresholdSteps,
        Check::UnusedWaterfall,
        Check::NeverRepaid,
        Check::CouponRange,
        Check::FeeRange,
        Check::TaxRange,
        Check::TriggerRange,
        Check::CoverageOnInterest,
        Check::TdrRange,
        Check::RatingInputs,
        Check::ReserveRange,
        Check::PricingRange,
        Check::CashLeft,
        Check::NotRepaid,
        Check::Arrears,
        Check::BeyondHorizon,
        Check::UnfilledAccount,
        Check::CallRange,
        Check::CashHeld,
        Check::GrowthRange,
        Check::RateRange,
        Check::ActualsPool,
        Check::ActualsArrears,
        Check::ActualsTranche,
        Check::ActualsCash,
        Check::RevolvingDefaults,
        Check::FeeBeforeClosing,
        Check::AssetSize,
        Check::DuplicateAsset,
        Check::TermUnits,
        Check::SupportWithoutDefaults,
        Check::UnreadCpr,
        Check::UnreadRevolving,
        Check::TripsWithoutDefaults,
        Check::JuniorBeforeSenior,
    ];

    /// The name used in `[deal] allow`, in messages and in `warnings.parquet`.
    pub const fn name(self) -> &'static str {
        match self {
            Check::OverIssued => "over_issued",
            Check::IssueSize => "issue_size",
            Check::ObligorWithoutAssets => "obligor_without_assets",
            Check::SingleMemberGroup => "single_member_group",
            Check::GroupCredit => "group_credit",
            Check::GroupName => "group_name",
            Check::NeverCollected => "never_collected",
            Check::OutOfStep => "out_of_step",
            Check::CalendarCoverage => "calendar_coverage",
            Check::HolidayPayment => "holiday_payment",
            Check::PaymentNotTradingDay => "payment_not_trading_day",
            Check::PaymentAfterLegal => "payment_after_legal",
            Check::MaturityAfterLastPayment => "maturity_after_last_payment",
            Check::NotPaymentDate => "not_payment_date",
            Check::EmptyPeriods => "empty_periods",
            Check::ScenarioDates => "scenario_dates",
            Check::RatingLabel => "rating_label",
            Check::RatingOrder => "rating_order",
            Check::SearchDropsDefaults => "search_drops_defaults",
            Check::UnreadIndex => "unread_index",
            Check::UnwatchedEvent => "unwatched_event",
            Check::Unreached => "unreached",
            Check::StepOrder => "step_order",
            Check::TriggerToNormal => "trigger_to_normal",
            Check::ThresholdSteps => "threshold_steps",
            Check::UnusedWaterfall => "unused_waterfall",
            Check::NeverRepaid => "never_repaid",
            Check::CouponRange => "coupon_range",
            Check::FeeRange => "fee_range",
            Check::TaxRange => "tax_range",
            Check::TriggerRange => "trigger_range",
            Check::CoverageOnInterest => "coverage_on_interest",
            Check::TdrRange => "tdr_range",
            Check::RatingInputs => "rating_inputs",
            Check::ReserveRange => "reserve_range",
            Check::PricingRange => "pricing_range",
            Check::CashLeft => "cash_left",
            Check::NotRepaid => "not_repaid",
            Check::Arrears => "arrears",
            Check::BeyondHorizon => "beyond_horizon",
            Check::UnfilledAccount => "unfilled_account",
            Check::CallRange => "call_range",
            Check::CashHeld => "cash_held",
            Check::GrowthRange => "growth_range",
            Check::RateRange => "rate_range",
            Check::ActualsPool => "actuals_pool",
            Check::ActualsArrears => "actuals_arrears",
            Check::ActualsTranche => "actuals_tranche",
            Check::ActualsCash => "actuals_cash",
            Check::RevolvingDefaults => "revolving_defaults",
            Check::FeeBeforeClosing => "fee_before_closing",
            Check::AssetSize => "asset_size",
            Check::DuplicateAsset => "duplicate_asset",
            Check::TermUnits => "term_units",
            Check::SupportWithoutDefaults => "support_without_defaults",
            Check::UnreadCpr => "unread_cpr",
            Check::UnreadRevolving => "unread_revolving",
            Check::TripsWithoutDefaults => "trips_without_defaults",
            Check::JuniorBeforeSenior => "junior_before_senior",
        }
    }
}

impl std::str::FromStr for Check {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Check, ()> {
        Check::ALL.into_iter().find(|c| c.name() == s).ok_or(())
    }
}

/// A non-fatal finding, reported separately from errors: the run goes on.
///
/// A warning from an input file is located like an error (`location` is
/// `file:line:column: key`); a warning from a run names its scenario and payment date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where, when it comes from an input file: `file:line:column: key`. A run-time warning's
    /// is empty, or the file it is about (`size`'s sized deal), printed before its scenario
    /// and period ([`Warning::place`]).
    pub location: String,
    /// What was found, as printed (without the place and the check's name).
    pub message: String,
    /// What kind of warning it is (the name `[deal] allow` takes).
    pub check: Check,
    /// The scenario of a run-time warning; None for a warning from an input file.
    pub scenario: Option<String>,
    /// The period (1-based) and payment date of a run-time warning.
    pub period: Option<(u32, chrono::NaiveDate)>,
}

impl Warning {
    /// A warning found in an input file, at `location` (`file:line:column: key`).
    pub fn at(check: Check, location: String, message: String) -> Warning {
        Warning {
            location,
            message,
            check,
            scenario: None,
            period: None,
        }
    }

    /// A warning found by a run of `scenario`, on the payment date `period`.
    pub fn run(
        check: Check,
        scenario: &str,
        period: Option<(u32, chrono::NaiveDate)>,
        message: String,
    ) -> Warning {
        Warning {
            location: String::new(),
            message,
            check,
            scenario: Some(scenario.to_string()),
            period,
        }
    }

    /// A run-time warning about `file` (a deal file `rate` or `size` read or wrote): printed
    /// after the file's name ([`Warning::place`]).
    pub fn about(self, file: &str) -> Warning {
        Warning {
            location: file.to_string(),
            ..self
        }
    }

    /// Where the warning is, as printed: the file position and key, or
    /// `scenario `NAME`, period N (DATE)` for a run-time warning, after the file it is about
    /// when one is set (`size`'s sized deal, review 40d F1).
    pub fn place(&self) -> String {
        let run = match (&self.scenario, self.period) {
            (Some(s), Some((n, d))) => format!("scenario `{s}`, period {n} ({d})"),
            (Some(s), None) => format!("scenario `{s}`"),
            _ => return self.location.clone(),
        };
        match self.location.is_empty() {
            true => run,
            false => format!("{}: {run}", self.location),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = self.place();
        if place.is_empty() {
            write!(f, "warning: {}", clip(&self.message))?;
        } else {
            write!(f, "warning: {}: {}", clip(&place), clip(&self.message))?;
        }
        write!(f, " [{}]", self.check.name())
    }
}

/// An error that stops a command, with its exit code (`Error::exit_code`, docs/errors.md).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more problems in an input file.
    #[error("{}", render_input(.0))]
    Input(Vec<InputError>),
    /// Reading an input file failed.
    #[error("error: cannot read {}: {source}", .path.display())]
    Read {
        /// The file (or directory of deal files) that could not be read.
        path: PathBuf,
        /// Why: the I/O error, or ipabs's own (a directory, or a file over the size limit).
        source: std::io::Error,
    },
    /// Writing output failed; nothing was left half-written.
    #[error("error: cannot write {}: {message}", .path.display())]
    Write {
        /// The file or directory that could not be written.
        path: PathBuf,
        /// What went wrong: the I/O error, or the table's column and row that could not be
        /// built.
        message: String,
    },
    /// Bad command-line usage that clap cannot catch (e.g. an existing output directory), or
    /// input no file location can point at (a limit a deal reaches only when it runs).
    #[error("error: {0}")]
    Usage(String),
    /// `ipabs reconcile`: reported lines differ from the waterfall (exit code 4).
    #[error("error: {0}")]
    Differences(String),
    /// An engine invariant failed. This is a bug in ipabs; please report it with the deal file.
    #[error("internal error (a bug in ipabs, please report it with the deal file): {0}")]
    Internal(String),
}

fn render_input(errors: &[InputError]) -> String {
    let mut out = String::new();
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&e.to_string());
    }
    if errors.len() > 1 {
        out.push_str(&format!("\n\n{} errors", errors.len()));
    }
    out
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Read { .. } | Error::Usage(_) => 2,
            Error::Write { .. } => 1,
            Error::Internal(_) => 3,
            Error::Differences(_) => 4,
        }
    }
}

/// `std::result::Result` with `Error` as its default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn err(line: &str, column: usize) -> String {
        InputError {
            file: "d.toml".into(),
            line: 7,
            column,
            key_path: "deal.name".into(),
            problem: "bad".into(),
            expected: "good".into(),
            source_line: Some(line.into()),
        }
        .to_string()
    }

    #[test]
    fn caret_under_wide_characters_and_tabs() {
        // `名称` is two characters but four terminal cells.
        let out = err("名称 = 3", 6);
        assert!(out.ends_with("\n 7 | 名称 = 3\n   |        ^"), "{out}");
        let out = err("\tx = 3", 6);
        assert!(out.ends_with("\n 7 | \tx = 3\n   | \t    ^"), "{out}");
    }

    #[test]
    fn long_lines_and_values_are_cut() {
        let line = format!("name = \"{}\" x", "a".repeat(10_000));
        let out = err(&line, 10_011);
        assert!(out.len() < 1_000, "{}", out.len());
        let last: Vec<&str> = out.lines().rev().take(2).collect();
        // The caret sits under the `x`, the last shown character before the end.
        let caret = last[0].find('^').unwrap();
        assert_eq!(last[1].chars().nth(caret), Some('x'), "{out}");
        let long = "b".repeat(5_000);
        let shown = clip(&long);
        assert!(shown.chars().count() < 500 && shown.contains("characters left out"));
        // Up to 800 characters are shown whole; 801 keep 266 + 134 = 400 and leave out 401.
        assert_eq!(clip(&"z".repeat(800)), "z".repeat(800));
        let cut = clip(&"z".repeat(801));
        assert!(cut.contains("… (401 characters left out) …"), "{cut}");
        assert_eq!(cut.chars().filter(|&c| c == 'z').count(), 400, "{cut}");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clip("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        let out = err("name = \"\u{7}\"", 8);
        assert!(!out.contains('\u{7}'), "{out:?}");
    }
}
