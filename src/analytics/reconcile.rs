//! Reconciliation of a deal's actuals with its waterfall, the in-life run (actual periods,
//! then the projection from the actual state) and the CSRC Art. 39 flags (docs/auditing.md).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::actuals::Actuals;
use crate::deal::{Deal, TrancheClass};
use crate::engine::WaterfallRows;
use crate::engine::result::RunResult;
use crate::error::{Error, Result};
use crate::money::Rounding;
use crate::pool::actuals::rebased;
use crate::pool::projection::{PoolProjection, project};
use crate::scenario::Scenario;

/// One reported line of one payment date: what the waterfall says and what was reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconLine {
    /// Payment date number, 1 for the deal's first.
    pub period: u32,
    /// The period's adjusted payment date.
    pub payment_date: NaiveDate,
    /// `tax`, `fee`, `support_draw`, `support_repaid`, `support_interest`, `reserve_draw`,
    /// `interest`, `principal`, `residual`, `interest_per_100`, `principal_per_100`, `account`
    /// or `trigger`.
    pub line: &'static str,
    /// The tax, fee, support, tranche, account or trigger name.
    pub item: String,
    /// What the waterfall pays on the actual collections, in yuan, before the date is restated
    /// to the reported figures (a trigger: 1 tripped, 0 not; docs/output.md).
    pub model: Decimal,
    /// What the actuals file reports, in yuan (a trigger: 1 declared, 0 not; a figure per
    /// 100: what it pays on the tranche, as `model`).
    pub actual: Decimal,
    /// On an `interest_per_100` or `principal_per_100` line, the payment notice's figures per
    /// 100 yuan of face at `[notices] decimals` places: (the model's, the published one);
    /// `model` and `actual` are then what they pay on the tranche. None on other lines.
    pub per_100: Option<(Decimal, Decimal)>,
    /// What may explain a difference, when ipabs can tell ([`reconcile`] adds them); empty on a line
    /// that agrees.
    pub notes: Vec<ReconNote>,
}

/// A note on a line that differs (docs/auditing.md, "Notes on a difference").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconNote {
    /// The actual is the model's amount as a payment notice pays it: `per_100` (the figure
    /// per 100 yuan of face, rounded by the deal's `[notices] rounding`, or by `other_rule`
    /// when that one gives it, as a trustee rounding half up does: review 33b item L2) ×
    /// units, on a deal that does not set `[notices] per_unit`.
    PerUnit {
        /// The notice's figure per 100 yuan of initial face, at `[notices] decimals` places.
        per_100: Decimal,
        /// The rounding rule that gives the actual, when it is not the deal's; None when the
        /// deal's `[notices] rounding` gives it.
        other_rule: Option<Rounding>,
    },
    /// The difference is `ticks` whole units of the last place of a figure per 100 (`tick`
    /// yuan each: 10^−decimals per 100 × `units`), at least 10.00 yuan: a figure stated a
    /// place off or rounded another way (review 33b item M2). `earlier`: the last period
    /// before on which the same line differed by the same, whose 尾差 this date may carry.
    Ticks {
        /// The difference in ticks: 1 to 99 in size, negative when the actual is below the
        /// model.
        ticks: i64,
        /// One tick, in yuan: `units` × 10^−`[notices] decimals`, at least 1.00.
        tick: Decimal,
        /// The tranche's units: its initial balance / `[notices] face`.
        units: i64,
        /// The last earlier period on which the same line differed by the same `ticks`; None
        /// when none did.
        earlier: Option<u32>,
    },
    /// On a deal with `[notices] per_unit`, no figure per 100 pays the actual: the nearest
    /// below, `per_100`, pays `pays` (review 33b item L1: a report of 1,053,549.99 was restated
    /// and its notice stated 1,053,360.00 paid, an amount nobody paid).
    NotAFigure {
        /// The actual's figure per 100 yuan of initial face, at the deal's `[notices]` places
        /// and rounding.
        per_100: Decimal,
        /// What that figure pays on the tranche, in yuan: `per_100` × initial balance / 100,
        /// to the fen.
        pays: Decimal,
    },
    /// The model's figure holds `amount` of arrears left unpaid on period `period` (as
    /// reported there); `earlier_differed` when the same line differed on that date (the
    /// arrears come from the report's figure there), `none_paid` when this difference is minus
    /// that amount (the report pays none of the arrears).
    Arrears {
        /// The arrears, in yuan: the tranche's interest unpaid (尾差 carried by `per_unit`
        /// excluded), or the fee's or tax's `arrears`, on `period` in the restated run.
        amount: Decimal,
        /// The period before this line's, on which `amount` was left unpaid.
        period: u32,
        /// The same line differed on `period`: the arrears are the report's doing.
        earlier_differed: bool,
        /// The difference is exactly −`amount`: the report pays none of the arrears.
        none_paid: bool,
    },
    /// A `principal` or `residual` line whose difference the date's lines paid ahead of it
    /// explain: they leave `amount` more (less, when negative) for it, and the difference is
    /// that amount, or within one tick of it on a deal with `[notices] per_unit` (the figure's
    /// cut keeps the rest as 尾差). The knock-on of those lines, not a slip of its own (review
    /// 39b item 1: a fee overpaid by 15,000.00 left 14,616.00 less for a pass-through senior's
    /// principal, and the note blamed a figure per 100).
    KnockOn {
        /// What the lines paid ahead leave for this one, against the model, in yuan: the
        /// inflows' differences (support and reserve draws) less those of the lines a step
        /// before this line's first step pays in the date's waterfall. Lines of the same or a
        /// later step and the accounts' balances are where cash a line was not paid ends up,
        /// never causes.
        amount: Decimal,
        /// The lines that differ and make it up: (line, item, difference), in the report's order.
        lines: Vec<(&'static str, String, Decimal)>,
    },
    /// The actual is the model's figure per 100 yuan of face (`per_100`, by the deal's
    /// `[notices] rounding` or the other), typed for the amount (review 44c F12: 0.91 for
    /// 8,190.00 on 9,000 units was told as 万元).
    Figure {
        /// The model's figure per 100 yuan of initial face, at `[notices] decimals` places.
        per_100: Decimal,
        /// The tranche's initial balance in hundreds of yuan (the figure's multiplier, whatever
        /// `[notices] face` is).
        hundreds: Decimal,
    },
    /// The actual is the period's own amount (the model's figure, or a notice amount of it)
    /// plus the line's own figures of periods 1 to `to`, every date before its own (`earlier`:
    /// what they reported, less what a to-date figure among them had summed): a to-date (累计)
    /// figure of a trustee report typed for the period's own (本期) (review 45d item 6; review
    /// 47d T1 and T3: the period before alone was taken for a to-date figure when it was not
    /// one).
    ToDate {
        /// The earlier periods' own figures on the line, summed, in yuan.
        earlier: Decimal,
        /// The last of those periods (the first is period 1).
        to: u32,
    },
    /// The actual is about 1/10,000 of the model's (`per` 10,000: amounts in 万元) or about 100
    /// times it (`per` 100 read the other way: fen): within a factor of 2 once scaled (review
    /// 38b item 6: only the pool's cash was checked for units).
    Units {
        /// 10,000 for 万元 (the actual × 10,000 is near the model), 100 for fen (the actual /
        /// 100 is).
        per: u32,
    },
    /// A published figure per 100 that is the figure of the report's own amount line of the
    /// tranche on the date (`line`: `interest` or `principal`), which differs from the model's:
    /// the figure follows that line's difference, not a slip of its own.
    FigureOfReport {
        /// The amount line the figure follows.
        line: &'static str,
    },
    /// A published figure per 100 that is the waterfall's amount per 100 rounded by `rule`,
    /// not by the deal's `[notices] rounding`: the trustee rounds its figures another way.
    FigureRounded {
        /// The rule that gives the published figure.
        rule: Rounding,
    },
    /// A support draw reported where the waterfall drew none (or less), while the date's report
    /// leaves out another support from which the waterfall drew exactly the difference: the
    /// draw is likely put under the wrong provider (review 38b item 4: both then stated it).
    OtherSupport {
        /// The support the report leaves out.
        support: String,
        /// What the waterfall drew from it on the date, in yuan.
        amount: Decimal,
    },
}

impl ReconLine {
    /// Actual less model.
    pub fn difference(&self) -> Decimal {
        self.actual - self.model
    }

    /// Whether the report differs from the model on this line: its amount, or on a figure line
    /// its figure per 100 (two figures can pay the same fen on a tranche of few units).
    pub fn differs(&self) -> bool {
        self.model != self.actual || self.per_100.is_some_and(|(m, a)| m != a)
    }
}

/// One payment date of the in-life run: actual or projected, and the Art. 39 flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InLifeRow {
    /// Payment date number, 1 for the deal's first.
    pub period: u32,
    /// The period's adjusted payment date.
    pub payment_date: NaiveDate,
    /// True for the payment dates of the actuals file.
    pub actual: bool,
    /// Pool cash of the period (collections and recoveries): actual, or projected from the
    /// actual state.
    pub pool_cash: Decimal,
    /// The pool cash the deal's scenario projected at issue.
    pub forecast_cash: Decimal,
    /// `pool_cash` more than 20% below `forecast_cash`: 5 × pool_cash < 4 × forecast_cash.
    pub cash_flag: bool,
    /// Defaults less recoveries from the cutoff to the end of the period.
    pub cumulative_net_loss: Decimal,
    /// Sum of every tranche's balance after the payment date (on an actual date, after the
    /// restatement to the reported principal).
    pub outstanding_principal: Decimal,
    /// `cumulative_net_loss` above 10% of `outstanding_principal`, while some is outstanding:
    /// 10 × loss > outstanding > 0.
    pub loss_flag: bool,
    /// Senior interest owed after the payment date, less the date's per-unit residuals (尾差)
    /// that `[notices] per_unit` carries by design: some senior tranche was not paid all the
    /// interest due (未按约定分配, a failure to distribute as agreed), its shortfall.
    pub senior_interest_shortfall: Decimal,
    /// `senior_interest_shortfall` above zero.
    pub distribution_flag: bool,
}

/// What `ipabs reconcile` computes.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    /// Every reported line, in period order, then tax, fee, support, reserve, tranche,
    /// account and trigger order.
    pub lines: Vec<ReconLine>,
    /// The run on actual collections followed by the projection from the actual state.
    pub run: RunResult,
    /// One row per payment date of `run`, up to a clean-up call (`in_life.parquet`,
    /// docs/output.md).
    pub in_life: Vec<InLifeRow>,
}

impl Reconciliation {
    /// The lines that differ.
    pub fn differences(&self) -> impl Iterator<Item = &ReconLine> {
        self.lines.iter().filter(|l| l.differs())
    }
}

/// Runs `deal` under `scenario` on the actual collections of `actuals`, then on the at-issue
/// projection rebased on the actual pool, and compares every reported line.
pub fn reconcile(deal: &Deal, scenario: &Scenario, actuals: &Actuals) -> Result<Reconciliation> {
    scenario.check(deal.obligors.len(), deal.supports.len(), deal.events.len())?;
    let at_issue = project(deal, scenario)?;
    // The forecast at issue that the Art. 39 cash flag and the units check compare with: the
    // deal file's own scenario, whatever scenario projects the rest (review 38b item 1: a
    // stress projection hid the flag).
    let own;
    let forecast = if *scenario == deal.scenario {
        &at_issue
    } else {
        own = project(deal, &deal.scenario)?;
        &own
    };
    let pool = rebased(deal, actuals, &at_issue)?;
    let in_pool = pool.clone();
    // The forecast is the deal file's own scenario's, and the warnings name it (review 44e
    // F5: they named the run's).
    let (mut warnings, in_wan) = units_warnings(deal, &deal.scenario.name, actuals, forecast);
    warnings.extend(stranded(deal, actuals, &pool, &at_issue, &scenario.name));
    warnings.extend(in_transit(deal, actuals, &at_issue, scenario)?);
    warnings.extend(arrears(deal, actuals, &pool, (&scenario.name, &in_wan)));
    warnings.extend(reported_commingling(deal, scenario, actuals));
    warnings.extend(reported_defaults(deal, scenario, actuals));
    let (mut run, waterfall) = crate::engine::run_restated(deal, scenario, pool, actuals)?;
    after_the_end(deal, scenario, actuals, &run)?;
    run.warnings.extend(warnings);
    let mut lines = compare(deal, actuals, &waterfall)?;
    // The payment dates whose pool cash is told as in 万元 as a whole.
    let wan_dates: Vec<u32> = in_wan.iter().map(|&k| deal.periods[k].number).collect();
    explain(deal, &run, &mut lines, &wan_dates)?;
    figure_notes(deal, &run, &waterfall, &mut lines)?;
    run.warnings
        .extend(notice_amounts(deal, &lines, &run, &scenario.name));
    let in_life = in_life(deal, actuals.len(), &run, &in_pool, forecast);
    Ok(Reconciliation {
        lines,
        run,
        in_life,
    })
}

/// What an obligor owed in a collection period on the balance it had left, when a default or
/// a prepayment reported on an earlier date leaves it below the schedule's: the engine scales
/// every later instalment by the surviving share (docs/conventions.md), so the due is the
/// schedule's `scheduled` × `start` / the principal the schedule leaves at the period's start,
/// one exact value rounded once to the fen under the deal's `rounding` (review 47a F3: every
/// later date of an obligor 95% defaulted was told in arrears).
#[derive(Debug, Clone, Copy)]
struct BalanceLeft {
    /// The scaled due.
    due: Decimal,
    /// A fen per instalment of the period: each scaled instalment was rounded on its own.
    slack: Decimal,
    /// The principal the schedule leaves at the period's start.
    scheduled_balance: Decimal,
}

/// [`BalanceLeft`] of `obligor` in period `p`, where its performing balance at the start is
/// `start`; None when that is not below the schedule's.
fn due_on_balance_left(
    (obligor, rounding): (&crate::deal::Obligor, Rounding),
    p: &crate::deal::PeriodDates,
    scheduled: Decimal,
    start: Decimal,
) -> Option<BalanceLeft> {
    let instalments = || obligor.assets.iter().flat_map(|a| &a.instalments);
    let scheduled_balance: Decimal = instalments()
        .filter(|i| i.date >= p.collection_start)
        .map(|i| i.principal)
        .sum();
    if scheduled_balance <= Decimal::ZERO || start >= scheduled_balance {
        return None;
    }
    let n = instalments()
        .filter(|i| (p.collection_start..=p.collection_end).contains(&i.date))
        .count();
    // scheduled × start × 100 / the balance in fen is the due in yuan, multiplied out exactly.
    let den = i64::try_from(crate::money::to_fen(scheduled_balance)).ok()?;
    let ratio = crate::money::Ratio { num: 100, den };
    Some(BalanceLeft {
        due: crate::money::fen_of(&[scheduled, start], ratio, rounding)?,
        slack: Decimal::new(i64::try_from(n).unwrap_or(i64::MAX), 2),
        scheduled_balance,
    })
}

/// An error when the file reports a date after the model's last, which no line of would be
/// compared: the clean-up call the scenario exercises, which the report shows was not (review
/// 47a F2: such a period was dropped, and `reconcile` exited 0 with "0 differ").
fn after_the_end(
    deal: &Deal,
    scenario: &Scenario,
    actuals: &Actuals,
    run: &RunResult,
) -> Result<()> {
    let Some(last) = run.periods.last().map(|p| p.period) else {
        return Ok(());
    };
    let Some(a) = actuals
        .periods
        .iter()
        .find(|a| deal.periods[a.index].number > last)
    else {
        return Ok(());
    };
    let why = if run.conservation.call_price > Decimal::ZERO {
        format!(
            "scenario `{}` exercises the clean-up call on period {last}, which ends it. If the \
             originator did not exercise the call, reconcile with a scenario that sets \
             `clean_up_call = false` (docs/scenarios.md)",
            scenario.name
        )
    } else {
        "no later date is run".to_string()
    };
    Err(Error::Usage(format!(
        "{}: period {} is reported, but the deal ends on period {last} in the model, and a \
         reported date after that cannot be compared: {why}",
        a.pool_location, deal.periods[a.index].number
    )))
}

/// One `actuals_tranche` warning when the report states interest as the payment notices pay
/// it on a deal without `[notices] per_unit` ([`ReconNote::PerUnit`]): the restatement takes
/// each 尾差 as interest unpaid, and names the interest-shortfall triggers that first tripped on
/// those dates (review 39b item 2: an event of default, the accelerated waterfall for the rest
/// and an Art. 39 flag followed from a 457.64 尾差, and the one message on the trigger said
/// "check its threshold"; review 39c item 6: not a trigger the defaults tripped, nor one
/// still standing from an earlier date).
fn notice_amounts(
    deal: &Deal,
    lines: &[ReconLine],
    run: &RunResult,
    scenario: &str,
) -> Option<crate::error::Warning> {
    use crate::deal::TriggerCondition;
    use crate::error::{Check, Warning};
    let told: Vec<&ReconLine> = lines
        .iter()
        .filter(|l| {
            l.line == "interest"
                && l.notes
                    .iter()
                    .any(|n| matches!(n, ReconNote::PerUnit { .. }))
        })
        .collect();
    let first = told.first()?;
    let tripped_after = |period: u32| {
        run.periods
            .iter()
            .find(|p| p.period == period)
            .map_or("", |p| p.triggers_tripped.as_str())
    };
    let on_shortfall = |name: &str| {
        deal.triggers.iter().any(|t| {
            t.name == name
                && matches!(
                    t.condition,
                    TriggerCondition::SeniorInterestShortfall
                        | TriggerCondition::TopClassInterestShortfall
                )
        })
    };
    let mut tripped: Vec<String> = Vec::new();
    for l in &told {
        let before = tripped_after(l.period.saturating_sub(1));
        for name in tripped_after(l.period).split(',').filter(|n| !n.is_empty()) {
            let new = !before.split(',').any(|b| b == name);
            let entry = format!("`{name}` on period {}", l.period);
            if new && on_shortfall(name) && !tripped.contains(&entry) {
                tripped.push(entry);
            }
        }
    }
    let consequence = if tripped.is_empty() {
        String::new()
    } else {
        format!(
            "; this tripped {} (its waterfall and the Art. 39 flags follow)",
            tripped.join(", ")
        )
    };
    Some(Warning::run(
        Check::ActualsTranche,
        scenario,
        Some((first.period, first.payment_date)),
        format!(
            "the report states {} interest line(s) as payment notices pay them (per 100 × \
             units; first `{}`, period {}) and the deal has no `[notices] per_unit`: each 尾差 \
             is restated as interest unpaid{consequence}; set `per_unit = true` in the copy",
            told.len(),
            first.item,
            first.period
        ),
    ))
}

/// A `scenario_dates` warning when the scenario's servicer failure (`commingling`) falls in a
/// reported collection period: the report's collections are what the trust received, so the
/// run takes nothing off them (`engine::run_restated`).
fn reported_commingling(
    deal: &Deal,
    scenario: &Scenario,
    actuals: &Actuals,
) -> Option<crate::error::Warning> {
    use crate::error::{Check, Warning};
    let c = scenario.commingling?;
    let k = crate::deal::period_of(&deal.periods, c.date).filter(|&k| actuals.reports(k))?;
    let p = deal.periods[k];
    Some(Warning::run(
        Check::ScenarioDates,
        &scenario.name,
        Some((p.number, p.date())),
        format!(
            "the scenario's servicer fails on {} (`commingling`), in a reported collection \
             period: the report's collections are what the trust received, and nothing more is \
             taken off them: the failure changes nothing in this run",
            c.date
        ),
    ))
}

/// A `scenario_dates` warning for each named default of the scenario dated in a reported
/// collection period (or before the first; review 44c F2): the report states what happened on
/// those dates, and the rest does not carry the default as the scenario means it. With pool
/// totals the pool's rest is rebased on the reported balance, which hands the obligor's share
/// to the others (the stress vanished with no word); by obligor its rest is nothing, and its
/// reported balance is never collected.
fn reported_defaults(
    deal: &Deal,
    scenario: &Scenario,
    actuals: &Actuals,
) -> Vec<crate::error::Warning> {
    use crate::error::{Check, Warning};
    let m = actuals.len().min(deal.periods.len());
    let Some(last) = actuals.periods[..m].last() else {
        return Vec::new();
    };
    let end = deal.periods[last.index].collection_end;
    // The report states a default of the obligor (by obligor), or some default of the pool (in
    // pool totals, which name no obligor): the scenario's default is then the reported one,
    // whose recoveries the scenario projects (review 44d F3: the warning told it, and its
    // advice lost the recoveries).
    let reports_default = |o: usize| {
        actuals.periods[..m].iter().any(|a| match &a.obligors {
            Some(list) => list.get(o).is_some_and(|c| c.defaults > Decimal::ZERO),
            None => a.pool.defaults > Decimal::ZERO,
        })
    };
    // A group's members default with the obligor named (review 44e F8: only it was told).
    deal.spread_to_groups(&scenario.obligor_defaults)
        .iter()
        // On or before the cutoff is the load's own `scenario_dates` warning.
        .filter(|&&(o, date)| date > deal.cutoff_date && date <= end && !reports_default(o))
        .map(|&(o, date)| {
            let k = crate::deal::period_of(&deal.periods, date).unwrap_or(0);
            let p = deal.periods[k];
            Warning::run(
                Check::ScenarioDates,
                &scenario.name,
                Some((p.number, p.date())),
                format!(
                    "the scenario defaults obligor `{}` on {date}, in a reported collection period \
                     (the last ends {end}), which reports no such default: the report states what \
                     it paid and owed there, and the rest of the deal does not carry the default \
                     as the scenario means it (with pool totals the pool's rest is rebased on the \
                     reported balance, so the default's loss is not in it; by obligor its rest is \
                     nothing, and a balance reported for it is never collected); report the \
                     default in the actuals (`defaults`; the scenario's recovery assumptions then \
                     project its recoveries), or date it after {end} to stress the rest",
                    deal.obligors.get(o).map_or("?", |x| x.name.as_str()),
                ),
            )
        })
        .collect()
}

/// An `actuals_pool` warning for each obligor the last actual date reports with a balance
/// where the deal's scenario projected nothing left (review 30e item 4): the projection of the
/// rest, rebased obligor by obligor, never collects that balance nor defaults it, and the loss
/// would show only as the tranches' `not_repaid`.
fn stranded(
    deal: &Deal,
    actuals: &Actuals,
    pool: &PoolProjection,
    at_issue: &PoolProjection,
    scenario: &str,
) -> Vec<crate::error::Warning> {
    use crate::error::{Check, Warning};
    let (m, no) = (actuals.len().min(deal.periods.len()), deal.obligors.len());
    let Some(last) = actuals.periods[..m].last() else {
        return Vec::new();
    };
    // Rows by (period, obligor) on every actual date, as the projection's are.
    let by_obligor = actuals.periods[..m].iter().all(|a| a.obligors.is_some());
    if !by_obligor || pool.rows.len() < m * no || at_issue.rows.len() != deal.periods.len() * no {
        return Vec::new();
    }
    let p = deal.periods[last.index];
    (0..no)
        .filter_map(|o| {
            let i = (m - 1) * no + o;
            let actual = pool.rows.get(i)?.balance_end;
            let projected = at_issue.rows.get(i)?.balance_end;
            (actual > Decimal::ZERO && projected.is_zero()).then(|| {
                Warning::run(
                    Check::ActualsPool,
                    scenario,
                    Some((p.number, p.date())),
                    format!(
                        "obligor `{}` has {} left after the last actual date, where the scenario \
                         projected nothing: the projection of the rest neither collects it nor \
                         defaults it (docs/auditing.md); report its balance_end, or a scenario \
                         that leaves it a schedule",
                        deal.obligors[o].name,
                        actual.normalize()
                    ),
                )
            })
        })
        .collect()
}

/// An `actuals_pool` warning when the scenario delays cash of the instalments due in the actual
/// dates' collection periods past the last of them (review 41f P1): the projection of the rest
/// is the at-issue one rebased, so it collects that cash after the last actual date, which
/// overstates the rest both for a report that states it paid and for one that left it unpaid
/// but keeps its principal in a balance rolled forward from the collections (review 42f F1: the
/// rebasing scales it up by the report's balance over the projection's, which fell when due).
/// Session 42 tried telling it only when the report states more collections than projected; that
/// silenced the second case, and was reverted. The amount is exact: a delay moves cash and
/// nothing else (docs/conventions.md, "The pool", step 4), so the at-issue projection without
/// the delay collects, by the last actual period, what the instalments due by then pay, and the
/// one with it collects that less what arrives later.
fn in_transit(
    deal: &Deal,
    actuals: &Actuals,
    at_issue: &PoolProjection,
    scenario: &Scenario,
) -> Result<Vec<crate::error::Warning>> {
    use crate::error::{Check, Warning};
    let m = actuals.len().min(deal.periods.len());
    let Some(last) = actuals.periods[..m].last() else {
        return Ok(Vec::new());
    };
    let delays = scenario.delay_fraction > Decimal::ZERO
        || scenario
            .overrides
            .iter()
            .any(|r| r.delay.is_some_and(|(f, _)| f > Decimal::ZERO));
    if !delays {
        return Ok(Vec::new());
    }
    let mut on_time = scenario.clone();
    on_time.delay_fraction = Decimal::ZERO;
    for r in &mut on_time.overrides {
        r.delay = None;
    }
    let whole = project(deal, &on_time)?;
    let by_last =
        |p: &PoolProjection| -> Decimal { p.periods[..m].iter().map(|c| c.collected).sum() };
    let later = by_last(&whole) - by_last(at_issue);
    if later <= Decimal::ZERO {
        return Ok(Vec::new());
    }
    let p = deal.periods[last.index];
    Ok(vec![Warning::run(
        Check::ActualsPool,
        &scenario.name,
        Some((p.number, p.date())),
        format!(
            "the scenario delays {} of the instalments due by this date's collection period past \
             it, and the projection of the rest collects it after the last actual date: the rest \
             overstates the pool's cash when the report states that cash paid (collected twice) \
             or keeps its principal in the pool's balance, as a balance rolled forward from the \
             collections does (the rebasing scales it up again); it is right only for a report \
             that left it unpaid and states the balance as the projection does, falling when an \
             instalment is due (docs/auditing.md); reconcile with a scenario without `delay` to \
             project the rest from the actual state alone",
            later.normalize()
        ),
    )])
}

/// An `actuals_arrears` warning for each obligor an actual date reports paying less than its
/// schedule at issue had due in the collection period (principal and interest; what it paid
/// counts its prepayments), with no default and a balance left at the period's start (review 33b item M1: a late collection, 拖欠, reconciled with exit 0 and no
/// word, and showed only in `pool_flows` read by hand). Needs the report's obligors. A row
/// about 1/10,000 of its due in a period `in_wan` (told as in 万元 as a whole by
/// [`units_warnings`]) is not told again.
fn arrears(
    deal: &Deal,
    actuals: &Actuals,
    pool: &PoolProjection,
    (scenario, in_wan): (&str, &[usize]),
) -> Vec<crate::error::Warning> {
    use crate::error::{Check, Warning};
    let mut out = Vec::new();
    for a in actuals.periods.iter().filter(|a| a.obligors.is_some()) {
        let p = deal.periods[a.index];
        // The date's rows by period, not by position: a date reported in pool totals has one
        // row (review 33g item M1: an obligor date after one was read off the wrong row).
        for row in pool.rows.of_period(p.number) {
            // What it paid, prepayments included; an obligor with nothing left at the start
            // of the period (defaulted, or repaid, on an earlier date) owes nothing, whatever
            // the schedule at issue says (review 33g item M2).
            let paid = row.collected;
            let start = row.balance_end + row.principal_collected + row.defaulted;
            // What it owed: the schedule's due, on the balance it had left when a default or a
            // prepayment reported earlier leaves it less than the schedule does.
            let left = deal.obligor_index(row.obligor.as_str()).and_then(|o| {
                let obligor = (&deal.obligors[o], deal.rounding);
                due_on_balance_left(obligor, &p, row.scheduled, start)
            });
            let owed = left.map_or(row.scheduled, |l| l.due);
            let slack = left.map_or(Decimal::ZERO, |l| l.slack);
            if paid + slack >= owed
                || row.defaulted > Decimal::ZERO
                || start <= Decimal::ZERO
                || row.obligor.as_str() == crate::pool::actuals::POOL_ROW
            {
                continue;
            }
            // What it paid about 1/10,000 of its due reads as a row typed in 万元 as much as a
            // payment of 99.99% short: both are asked, and nothing goes untold (review 45d item
            // 4a; review 46c F1: a receivable's row in 万元 then had no warning at all).
            let wan = units_slip(owed, paid) == Some(10_000);
            // A period told in 万元 as a whole is not told again row by row (review 46d N3).
            if wan && in_wan.contains(&a.index) {
                continue;
            }
            let question = if wan {
                "about 1/10,000 of it: the row in 万元 (the actuals file takes yuan), or in \
                 arrears (拖欠)?"
            } else {
                "in arrears (拖欠)?"
            };
            let mut w = Warning::run(
                Check::ActualsArrears,
                scenario,
                Some((p.number, p.date())),
                format!(
                    "obligor `{}` is reported paying {} of the {} its schedule had due in the \
                     collection period{} ({} short) and no default: {question} The rest of the \
                     deal is projected from its reported balance (docs/auditing.md)",
                    row.obligor.as_str(),
                    paid,
                    owed,
                    left.map_or(String::new(), |l| format!(
                        " on the balance it had left ({start} of the {} the schedule had \
                         left: a default or a prepayment reported earlier)",
                        l.scheduled_balance
                    )),
                    owed - paid
                ),
            );
            // At the obligor's entry in the file, or its period's when the period leaves it
            // out (review 43d F5: the warning had no place).
            w.location = deal
                .obligor_index(row.obligor.as_str())
                .map_or(a.pool_location.as_str(), |o| a.location_of(o))
                .to_string();
            out.push(w);
        }
    }
    out
}

/// Located `actuals_pool` warnings for a period whose reported pool cash (collections and
/// recoveries) is about 1/10,000 of what the deal file's scenario projected for it at issue
/// (between half and twice the projection once multiplied by 10,000: amounts in 万元), or
/// about 100 times it (fen): review 30b item 5, where a pool typed in 万元 showed only as
/// knock-on differences. A period projected to collect nothing is not checked. `at_issue` is
/// the forecast at issue (the deal file's `[scenario]`); `scenario` names the run's.
fn units_warnings(
    deal: &Deal,
    scenario: &str,
    actuals: &Actuals,
    at_issue: &PoolProjection,
) -> (Vec<crate::error::Warning>, Vec<usize>) {
    use crate::error::{Check, Warning};
    let mut out = Vec::new();
    // The periods told as in 万元 as a whole (their index in the deal).
    let mut in_wan = Vec::new();
    for a in &actuals.periods {
        let Some(projected) = at_issue.periods.get(a.index).map(|p| p.cash()) else {
            continue;
        };
        let reported = a.pool.collected() + a.pool.recoveries;
        if projected <= Decimal::ZERO || reported <= Decimal::ZERO {
            continue;
        }
        let slip = match units_slip(projected, reported) {
            Some(10_000) => {
                in_wan.push(a.index);
                "about 1/10,000 of it: amounts in 万元? The actuals file takes yuan"
            }
            Some(_) => "about 100 times it: amounts in fen? The actuals file takes yuan",
            None => {
                // The whole is plausible; its parts may not be (review 44c F1).
                out.extend(split_warnings(deal, scenario, a, at_issue));
                continue;
            }
        };
        out.push(Warning::at(
            Check::ActualsPool,
            a.pool_location.clone(),
            format!(
                "period {}: the pool's cash reported (collections and recoveries), {}, against \
                 the {} the deal's scenario `{}` projected for the period at issue, is {slip}",
                deal.periods[a.index].number,
                reported.normalize(),
                projected.normalize(),
                scenario
            ),
        ));
    }
    (out, in_wan)
}

/// Located `actuals_pool` warnings for a period whose cash is plausible as a whole but whose
/// principal and interest are not (review 44c F1: swapped, they reconciled with exit 0 and the
/// rest was rebased on a balance 380,000 too high): per obligor when the period gives its
/// obligors, else for the pool, each reported part (principal without prepayments, which a
/// prepayment in full can make any multiple of a period's schedule, and interest) against the
/// forecast at issue's for the period (`at_issue`, the deal file's scenario).
/// Told: the principal reported near the interest projected and the interest near the
/// principal (each within a factor of two), the interest more than twice its projection and the
/// principal less than half of its; else a part about 1/10,000 of its projection (万元) or about
/// 100 times it (fen). A part projected at zero, or reported at zero, is not checked.
fn split_warnings(
    deal: &Deal,
    scenario: &str,
    a: &crate::actuals::ActualPeriod,
    at_issue: &PoolProjection,
) -> Vec<crate::error::Warning> {
    use crate::error::{Check, Warning};
    let p = deal.periods[a.index];
    let mut out = Vec::new();
    let mut tell = |location: String, who: String, reported: (Decimal, Decimal), projected| {
        if let Some(slip) = split_slip(reported, projected) {
            out.push(Warning::at(
                Check::ActualsPool,
                location,
                format!(
                    "period {}: {who} reported principal {} (prepayments apart) and interest {}, \
                     against the {} and {} the deal's scenario `{scenario}` projected for the \
                     period at issue: {slip}",
                    p.number,
                    reported.0.normalize(),
                    reported.1.normalize(),
                    projected.0.normalize(),
                    projected.1.normalize(),
                ),
            ));
        }
    };
    match &a.obligors {
        Some(obligors) => {
            // Each obligor's projected parts, in one pass over the period's rows (not one pass
            // an obligor: a large pool reported by obligor).
            let index: std::collections::HashMap<&str, usize> = deal
                .obligors
                .iter()
                .enumerate()
                .map(|(o, x)| (x.name.as_str(), o))
                .collect();
            let mut projected = vec![(Decimal::ZERO, Decimal::ZERO); obligors.len()];
            for r in at_issue.rows.of_period(p.number) {
                if let Some(x) = index
                    .get(r.obligor.as_str())
                    .and_then(|&o| projected.get_mut(o))
                {
                    x.0 += r.principal_collected - r.prepaid;
                    x.1 += r.interest_collected;
                }
            }
            for (o, c) in obligors.iter().enumerate() {
                let Some(location) = a.obligor_locations.get(o).filter(|l| !l.is_empty()) else {
                    continue;
                };
                tell(
                    location.clone(),
                    format!("obligor `{}`", deal.obligors[o].name),
                    (c.principal, c.interest),
                    projected[o],
                );
            }
        }
        None => {
            if let Some(f) = at_issue.periods.get(a.index) {
                tell(
                    a.pool_location.clone(),
                    "the pool".to_string(),
                    (a.pool.principal, a.pool.interest),
                    (f.principal_collected - f.prepaid, f.interest_collected),
                );
            }
        }
    }
    out
}

/// What [`split_warnings`] tells of reported (principal, interest) against projected ones.
fn split_slip(reported: (Decimal, Decimal), projected: (Decimal, Decimal)) -> Option<String> {
    let ((rp, ri), (pp, pi)) = (reported, projected);
    // Within a tenth: a swap of the report's two columns moves the figures whole, where a
    // catch-up of arrears (three quarters' rent, part of the principal) matches them only
    // roughly (review 44e F4).
    let close = |x: Decimal, y: Decimal| (x - y).abs() * Decimal::TEN <= y;
    if pp > Decimal::ZERO
        && pi > Decimal::ZERO
        && ri > pi * Decimal::TWO
        && rp * Decimal::TWO < pp
        && close(ri, pp)
        && close(rp, pi)
    {
        return Some(
            "principal and interest swapped (正常回收本金 / 利息回收)? The rest of the deal is \
             projected from the balance the principal rolls forward to"
                .to_string(),
        );
    }
    // The whole row in one wrong unit (review 45d item 4a: an obligor's 685.40 and 36.01 for
    // 6,854,031.83 and 360,113.80 was told as arrears, the pool's cash as a whole being
    // plausible with the other obligors in yuan).
    if let (Some(a), Some(b)) = (units_slip(pp, rp), units_slip(pi, ri))
        && a == b
    {
        return Some(match a {
            10_000 => "its principal and interest are both about 1/10,000 of the projection: \
                       the row in 万元? The actuals file takes yuan"
                .to_string(),
            _ => "its principal and interest are both about 100 times the projection: the row \
                  in fen? The actuals file takes yuan"
                .to_string(),
        });
    }
    // A part's units, when the other part is projected and near its projection: a balance
    // fallen since (a partial prepayment) lowers both, and an interest-only period has no
    // other part to tell it (review 44e F7).
    [
        ("principal", rp, pp, (ri, pi)),
        ("interest", ri, pi, (rp, pp)),
    ]
    .into_iter()
    .find_map(|(part, r, x, (other, other_projected))| {
        if other_projected <= Decimal::ZERO || !near(other, other_projected) {
            return None;
        }
        match units_slip(x, r)? {
            10_000 => Some(format!(
                "its {part} is about 1/10,000 of the projection: {part} in 万元? The actuals \
                 file takes yuan"
            )),
            _ => Some(format!(
                "its {part} is about 100 times the projection: {part} in fen? The actuals \
                 file takes yuan"
            )),
        }
    })
}

/// The deal's rounding of a notice's figures, then the other (a trustee rounding another
/// way: review 33b item L2): the order the per-unit and figure notes try them in.
fn deal_rule_first(deal_rule: Rounding) -> impl Iterator<Item = Rounding> {
    std::iter::once(deal_rule).chain(Rounding::ALL.into_iter().filter(move |&r| r != deal_rule))
}

/// Whether `x` is within a factor of two of `y` (both positive): the units checks' "about".
fn near(x: Decimal, y: Decimal) -> bool {
    x * Decimal::TWO >= y && x <= y * Decimal::TWO
}

/// The reported lines against the waterfall's rows of each actual date, as they were before
/// the restatement (`waterfall`, one per actual date the run reached), and each published
/// figure per 100 with the waterfall's notice of the date ([`figure_line`]). A date the run did
/// not reach (after a clean-up call) compares its taxes, fees and support draws with 0 and has
/// no other line.
fn compare(deal: &Deal, actuals: &Actuals, waterfall: &[WaterfallRows]) -> Result<Vec<ReconLine>> {
    let mut out = Vec::new();
    let nt = deal.tranches.len();
    for a in &actuals.periods {
        let k = a.index;
        let p = deal.periods[k];
        // A line the report states; `per_100` for a figure line (the model's figure, the
        // published one).
        let mut push = |line: &'static str,
                        item: &str,
                        model: Decimal,
                        actual: Option<Decimal>,
                        per_100: Option<(Decimal, Decimal)>| {
            if let Some(actual) = actual {
                out.push(ReconLine {
                    period: p.number,
                    payment_date: p.date(),
                    line,
                    item: item.to_string(),
                    model,
                    actual,
                    per_100,
                    notes: Vec::new(),
                });
            }
        };
        let rows = waterfall.iter().find(|w| w.period == p.number);
        let charge = |kind: &str, name: &str| {
            rows.and_then(|w| {
                w.charges
                    .iter()
                    .find(|c| c.kind.as_str() == kind && c.name.as_str() == name)
            })
            .map_or(Decimal::ZERO, |c| c.paid)
        };
        for (t, v) in deal.taxes.iter().zip(&a.taxes) {
            push("tax", &t.name, charge("tax", &t.name), *v, None);
        }
        for (f, v) in deal.fees.iter().zip(&a.fees) {
            push("fee", &f.name, charge("fee", &f.name), *v, None);
        }
        for (i, (s, v)) in deal.supports.iter().zip(&a.supports).enumerate() {
            let model = rows
                .and_then(|w| w.support_draws.get(i).copied())
                .unwrap_or(Decimal::ZERO);
            push("support_draw", &s.name, model, *v, None);
            // A support's repayments (since session 36): of its draws, and its interest.
            let (repaid, interest) = rows
                .and_then(|w| w.support_repaid.get(i).copied())
                .unwrap_or_default();
            push("support_repaid", &s.name, repaid, a.support_repaid[i], None);
            push(
                "support_interest",
                &s.name,
                interest,
                a.support_interest[i],
                None,
            );
        }
        let Some(w) = rows else {
            continue;
        };
        let r = &w.period_row;
        push(
            "reserve_draw",
            "reserve",
            r.reserve_draws,
            a.reserve_draws,
            None,
        );
        for i in 0..nt {
            let name = &deal.tranches[i].name;
            let f = w
                .tranche_flows
                .iter()
                .find(|f| f.tranche.as_str() == name.as_str());
            if let Some(f) = f {
                push("interest", name, f.interest_paid, a.interest[i], None);
                push("principal", name, f.principal_paid, a.principal[i], None);
                push("residual", name, f.residual_paid, a.residual[i], None);
            }
            for (part, line) in ["interest_per_100", "principal_per_100"].iter().enumerate() {
                if let Some(published) = a.per_100[i][part] {
                    let (model, actual) = figure_line(deal, w, (i, part), published)?;
                    push(
                        line,
                        name,
                        model.0,
                        Some(actual.0),
                        Some((model.1, actual.1)),
                    );
                }
            }
        }
        push(
            "account",
            "collection",
            r.collection_balance_end,
            a.collection_balance,
            None,
        );
        push(
            "account",
            "reserve",
            r.reserve_balance_end,
            a.reserve_balance,
            None,
        );
        if let Some(declared) = &a.triggers {
            for (j, t) in deal.triggers.iter().enumerate() {
                let model = r.triggers_tripped.split(',').any(|n| n == t.name);
                let one = |b: bool| if b { Decimal::ONE } else { Decimal::ZERO };
                push(
                    "trigger",
                    &t.name,
                    one(model),
                    Some(one(declared.contains(&j))),
                    None,
                );
            }
        }
    }
    Ok(out)
}

/// Notes on the figure lines that differ (`interest_per_100`, `principal_per_100`):
///
/// * [`ReconNote::FigureOfReport`]: the published figure is the restated notice's, the figure
///   of the report's own amount line of the tranche on the date, and that line differs: the
///   figure follows it;
/// * else [`ReconNote::FigureRounded`], on a deal without `per_unit`: the published figure is
///   the waterfall's amount per 100 rounded by the other rule (a principal figure only when
///   the model's is that amount's, not the face left that caps it or that the repaying date
///   states).
fn figure_notes(
    deal: &Deal,
    run: &RunResult,
    waterfall: &[WaterfallRows],
    lines: &mut [ReconLine],
) -> Result<()> {
    use crate::engine::notice::per_100;
    use crate::money::to_fen;
    let rules = &deal.notices;
    // The (period, line, item) of every amount line that differs.
    let differing: Vec<(u32, &'static str, String)> = lines
        .iter()
        .filter(|l| l.per_100.is_none() && l.differs())
        .map(|l| (l.period, l.line, l.item.clone()))
        .collect();
    for l in lines.iter_mut().filter(|l| l.differs()) {
        let Some((model, published)) = l.per_100 else {
            continue;
        };
        let interest = l.line == "interest_per_100";
        let amount_line = if interest { "interest" } else { "principal" };
        let restated = run
            .notices
            .iter()
            .find(|n| n.period == l.period && n.tranche.as_str() == l.item)
            .map(|n| {
                if interest {
                    n.interest_per_100
                } else {
                    n.principal_per_100
                }
            });
        if restated == Some(published)
            && differing
                .iter()
                .any(|(p, line, item)| *p == l.period && *line == amount_line && *item == l.item)
        {
            l.notes
                .push(ReconNote::FigureOfReport { line: amount_line });
            continue;
        }
        let tranche = deal.tranches.iter().find(|t| t.name == l.item);
        let flow = waterfall
            .iter()
            .find(|w| w.period == l.period)
            .and_then(|w| {
                w.tranche_flows
                    .iter()
                    .find(|f| f.tranche.as_str() == l.item)
            });
        if rules.per_unit {
            continue;
        }
        let (Some(t), Some(f)) = (tranche, flow) else {
            continue;
        };
        let x = to_fen(if interest {
            f.interest_paid
        } else {
            f.principal_paid
        });
        let initial = to_fen(t.balance);
        let figure = |rule| -> Result<Decimal> {
            let m = per_100(x, initial, rules.decimals, rule)?;
            Ok(Decimal::from_i128_with_scale(m, rules.decimals))
        };
        if figure(rules.rounding)? != model {
            continue;
        }
        if let Some(rule) = deal_rule_first(rules.rounding)
            .skip(1)
            .find(|&r| figure(r).is_ok_and(|x| x == published))
        {
            l.notes.push(ReconNote::FigureRounded { rule });
        }
    }
    Ok(())
}

/// A figure line of tranche `i` (`part` 0 for `interest_per_100`, 1 for
/// `principal_per_100`) whose published figure is `published`: ((what the model's figure pays,
/// the model's figure), (what the published figure pays, the published figure)), the figures at
/// `[notices] decimals` places. The model's figure is the waterfall's payment notice of the
/// date, before the restatement (0 when it has no row for the tranche: repaid, and paid
/// nothing); a figure pays `figure × initial balance / 100`, to the fen by the deal's
/// `[notices] rounding`, as a notice's amount does (docs/auditing.md).
fn figure_line(
    deal: &Deal,
    w: &WaterfallRows,
    (i, part): (usize, usize),
    published: Decimal,
) -> Result<((Decimal, Decimal), (Decimal, Decimal))> {
    use crate::engine::notice::paid_of;
    use crate::money::{from_fen, to_fen};
    let rules = &deal.notices;
    let d = rules.decimals;
    let tranche = &deal.tranches[i];
    let model = w
        .notices
        .iter()
        .find(|n| n.tranche.as_str() == tranche.name.as_str())
        .map_or((Decimal::ZERO, Decimal::ZERO), |n| {
            if part == 0 {
                (n.interest_paid, n.interest_per_100)
            } else {
                (n.principal_paid, n.principal_per_100)
            }
        });
    let at_places = |x: Decimal| {
        let mut x = x;
        x.rescale(d);
        x
    };
    let figure = at_places(published);
    let paid = paid_of(
        figure.mantissa(),
        to_fen(tranche.balance),
        d,
        rules.rounding,
    )?;
    let paid = from_fen(paid).ok_or_else(|| {
        Error::Usage(format!(
            "period {}: tranche `{}`: the figure per 100 {published} pays more than an amount \
             can hold; check the figure",
            w.period, tranche.name
        ))
    })?;
    Ok(((model.0, at_places(model.1)), (paid, figure)))
}

/// Notes on the lines that differ (review 30b items 2 and 4: a report of what holders got
/// differed by every 尾差 without a word on why, and one slip came back on every later date as
/// a new difference):
///
/// * an interest or principal line whose actual is the model's amount as a payment notice
///   pays it (per 100 at `[notices]`' places × units, rounded by the deal's rule or the
///   other) when the deal does not set `per_unit`: the report states holders' amounts, which
///   the waterfall pays only with `per_unit = true`;
/// * with `per_unit`, an interest or principal line whose actual no figure per 100 pays
///   ([`ReconNote::NotAFigure`]);
/// * otherwise, a principal or residual line that the date's other differing lines explain
///   ([`ReconNote::KnockOn`]);
/// * otherwise, an interest or principal line that differs by whole ticks of the figure per
///   100 ([`ReconNote::Ticks`]), with the last earlier date that differed by the same;
/// * an interest, fee or tax line whose model figure holds arrears: what the restated run
///   left unpaid of it on the date before (the report's figure there; for interest without
///   the 尾差 `per_unit` carries by design), carried into this date's due. Told when the same
///   line differed on that date (the arrears are the report's doing), or when the difference
///   is minus that amount (the report pays none of them: a new finding when that date agreed,
///   the earlier difference again when it did not).
fn explain(deal: &Deal, run: &RunResult, lines: &mut [ReconLine], wan_dates: &[u32]) -> Result<()> {
    use crate::engine::notice::{paid_of, per_100};
    use crate::money::{from_fen, to_fen};
    let rules = &deal.notices;
    // The (period, line, item, difference) of every line that differs, for the arrears and
    // knock-on notes.
    let differences: Vec<(u32, &'static str, String, Decimal)> = lines
        .iter()
        .filter(|l| l.per_100.is_none() && l.differs())
        .map(|l| (l.period, l.line, l.item.clone(), l.difference()))
        .collect();
    // The (period, support) of every support draw the report states.
    let reported: Vec<(u32, String)> = lines
        .iter()
        .filter(|l| l.line == "support_draw")
        .map(|l| (l.period, l.item.clone()))
        .collect();
    // The (period, line, item, actual) of every flow line the report states, for the to-date
    // note.
    let flows: Vec<LineFigure> = lines
        .iter()
        .filter(|l| !matches!(l.line, "account" | "trigger") && l.per_100.is_none())
        .map(|l| (l.period, l.line, l.item.clone(), l.actual))
        .collect();
    // The (period, line, item, earlier) of every line told as a to-date figure.
    let mut noted: Vec<LineFigure> = Vec::new();
    // The (period, line, item, ticks) of every line that differs by whole ticks.
    let mut ticked: Vec<(u32, &'static str, String, i64)> = Vec::new();
    // The figure lines have notes of their own ([`figure_notes`]).
    for l in lines
        .iter_mut()
        .filter(|l| l.per_100.is_none() && l.differs())
    {
        let tranche = deal.tranches.iter().find(|t| t.name == l.item).filter(|t| {
            matches!(l.line, "interest" | "principal")
                && t.balance > Decimal::ZERO
                && (t.balance % rules.face).is_zero()
        });
        // The model's figure per 100 of a tranche line and what it pays, by the deal's rounding
        // of the figures first, then the other (review 33b item L2: a trustee's figures rounded
        // half up went without a word): what the notes below compare the actual with.
        let mut figures: Vec<(Rounding, Decimal, Option<Decimal>)> = Vec::new();
        if let Some(t) = tranche {
            let initial = to_fen(t.balance);
            for rounding in deal_rule_first(rules.rounding) {
                let m = per_100(to_fen(l.model), initial, rules.decimals, rounding)?;
                let paid = paid_of(m, initial, rules.decimals, rounding)?;
                let figure = Decimal::from_i128_with_scale(m, rules.decimals);
                figures.push((rounding, figure, from_fen(paid)));
            }
        }
        if !rules.per_unit
            && let Some(&(rounding, per_100, _)) = figures.iter().find(|f| f.2 == Some(l.actual))
        {
            l.notes.push(ReconNote::PerUnit {
                per_100,
                other_rule: (rounding != rules.rounding).then_some(rounding),
            });
        }
        // The model's figure per 100 typed for the amount (before the per-unit note, which
        // would read it as an amount no figure pays).
        if l.notes.is_empty()
            && let Some(t) = tranche
            && l.actual > Decimal::ZERO
            && let Some(&(_, per_100, _)) = figures.iter().find(|f| f.1 == l.actual)
        {
            l.notes.push(ReconNote::Figure {
                per_100,
                hundreds: t.balance / Decimal::ONE_HUNDRED,
            });
        }
        // A to-date (累计) figure: exact sums, before the notes that read the difference as
        // ticks or the amount as no figure (a sum of amounts figures pay is whole ticks too).
        // The period's own amount is the model's, or on a deal without `per_unit` a notice
        // amount of it, which reports commonly state (review 47d T2).
        if l.notes.is_empty() {
            let mut owns = vec![l.model];
            if !rules.per_unit {
                owns.extend(figures.iter().filter_map(|f| f.2));
            }
            if let Some(note) = to_date((&flows, &noted), run, l, &owns) {
                if let ReconNote::ToDate { earlier, .. } = note {
                    noted.push((l.period, l.line, l.item.clone(), earlier));
                }
                l.notes.push(note);
            }
        }
        if rules.per_unit
            && l.notes.is_empty()
            && let Some(t) = tranche
            && l.actual >= Decimal::ZERO
        {
            let initial = to_fen(t.balance);
            let m = per_100(to_fen(l.actual), initial, rules.decimals, rules.rounding)?;
            let paid = paid_of(m, initial, rules.decimals, rules.rounding)?;
            if let Some(pays) = from_fen(paid).filter(|&p| p != l.actual) {
                l.notes.push(ReconNote::NotAFigure {
                    per_100: Decimal::from_i128_with_scale(m, rules.decimals),
                    pays,
                });
            }
        }
        if l.notes.is_empty()
            && let Some(note) = knock_on(deal, run, &differences, l)
        {
            l.notes.push(note);
        }
        if l.notes.is_empty()
            && let Some(t) = tranche
            && let Some((ticks, tick, units)) = whole_ticks(t.balance, rules, l.difference())
        {
            let earlier = ticked
                .iter()
                .rev()
                .find(|(_, line, item, n)| *line == l.line && *item == l.item && *n == ticks)
                .map(|(p, ..)| *p);
            ticked.push((l.period, l.line, l.item.clone(), ticks));
            l.notes.push(ReconNote::Ticks {
                ticks,
                tick,
                units,
                earlier,
            });
        }
        // An account's balance on a date whose pool cash is told as in 万元 differs by the
        // model's own knock-on of those collections, not by a units slip of its own (review 47a
        // F4: the reserve's correct balance was asked about as "an amount in fen?").
        if l.notes.is_empty()
            && !(l.line == "account" && wan_dates.contains(&l.period))
            && let Some(per) = units_slip(l.model, l.actual)
        {
            l.notes.push(ReconNote::Units { per });
        }
        if l.line == "support_draw"
            && l.actual > l.model
            && let Some((support, amount)) = other_support(deal, run, &reported, l)
        {
            l.notes.push(ReconNote::OtherSupport { support, amount });
        }
        let before = l.period.checked_sub(1);
        let arrears = before.and_then(|b| match l.line {
            "interest" => run
                .tranche_flows
                .iter()
                .find(|f| f.period == b && f.tranche.as_str() == l.item)
                // Without the 尾差 that `per_unit` carries by design.
                .map(|f| f.interest_unpaid()),
            "fee" | "tax" => run
                .charges
                .iter()
                .find(|c| c.period == b && c.kind.as_str() == l.line && c.name.as_str() == l.item)
                .map(|c| c.arrears),
            _ => None,
        });
        if let (Some(period), Some(amount)) = (before, arrears)
            && amount > Decimal::ZERO
        {
            let earlier_differed = differences
                .iter()
                .any(|(p, line, item, _)| *p == period && *line == l.line && *item == l.item);
            let none_paid = l.actual - l.model == -amount;
            // Arrears both sides left unpaid are told only when they explain the difference
            // (review 30c item 1: a new shortfall was called an old one).
            if earlier_differed || none_paid {
                l.notes.push(ReconNote::Arrears {
                    amount,
                    period,
                    earlier_differed,
                    none_paid,
                });
            }
        }
    }
    Ok(())
}

/// A (period, line, item, amount) of a reconciliation line: what the report stated, or what a
/// to-date figure had summed of the dates before it.
type LineFigure = (u32, &'static str, String, Decimal);

/// [`ReconNote::ToDate`] for a flow line (not an account balance or a trigger) reported as one
/// of the period's own amounts `owns` (the model's figure, and on a deal without `per_unit` the
/// notice amounts of it) plus the line's own figures of every earlier payment date: what the
/// report stated, less what a to-date figure among them had summed of the dates before it
/// (`noted`: the (period, line, item, earlier) of each line already told so), or on a date whose
/// report leaves the line out what the run paid (review 47f F1: a left-out date was not
/// counted, so a to-date figure after it was missed and a double payment told as one).
/// `flows` holds the (period, line, item, actual) of every flow line reported. None otherwise,
/// and when the earlier own figures sum to 0.
fn to_date(
    (flows, noted): (&[LineFigure], &[LineFigure]),
    run: &RunResult,
    l: &ReconLine,
    owns: &[Decimal],
) -> Option<ReconNote> {
    if matches!(l.line, "account" | "trigger") || l.model <= Decimal::ZERO || l.period < 2 {
        return None;
    }
    let of = |list: &[LineFigure], p: u32| {
        list.iter()
            .find(|e| e.0 == p && e.1 == l.line && e.2 == l.item)
            .map(|e| e.3)
    };
    let mut earlier = Decimal::ZERO;
    for p in 1..l.period {
        earlier += match of(flows, p) {
            Some(reported) => reported - of(noted, p).unwrap_or(Decimal::ZERO),
            None => run_figure(run, p, l.line, &l.item)?,
        };
    }
    (earlier > Decimal::ZERO && owns.iter().any(|&own| l.actual - own == earlier)).then_some(
        ReconNote::ToDate {
            earlier,
            to: l.period - 1,
        },
    )
}

/// What the (restated) run paid on `line` of `item` on payment date `period`: a tax or fee, a
/// tranche's interest, principal or residual, or the reserve draw. None for the lines it does not
/// keep by date and item (the supports'), and for a date it has no row of.
fn run_figure(run: &RunResult, period: u32, line: &str, item: &str) -> Option<Decimal> {
    match line {
        "tax" | "fee" => run
            .charges
            .iter()
            .find(|c| c.period == period && c.kind.as_str() == line && c.name.as_str() == item)
            .map(|c| c.paid),
        "interest" | "principal" | "residual" => run
            .tranche_flows
            .iter()
            .find(|f| f.period == period && f.tranche.as_str() == item)
            .map(|f| match line {
                "interest" => f.interest_paid,
                "principal" => f.principal_paid,
                _ => f.residual_paid,
            }),
        "reserve_draw" => run
            .periods
            .iter()
            .find(|r| r.period == period)
            .map(|r| r.reserve_draws),
        _ => None,
    }
}

/// 10,000 when `actual` × 10,000 is within a factor of 2 of `model` (万元), 100 when `actual`
/// is within a factor of 2 of `model` × 100 (fen); None otherwise or when either is not above
/// zero.
fn units_slip(model: Decimal, actual: Decimal) -> Option<u32> {
    if model <= Decimal::ZERO || actual <= Decimal::ZERO {
        return None;
    }
    if near(actual * Decimal::from(10_000), model) {
        Some(10_000)
    } else if near(actual, model * Decimal::ONE_HUNDRED) {
        Some(100)
    } else {
        None
    }
}

/// For a `support_draw` line whose actual is above the model: another support the date's
/// report leaves out (`reported`: the (period, support) of every reported draw) from which the
/// restated run drew exactly the difference on the date (it keeps the waterfall's draw of a
/// support not reported). The first such support, in the deal's order.
fn other_support(
    deal: &Deal,
    run: &RunResult,
    reported: &[(u32, String)],
    l: &ReconLine,
) -> Option<(String, Decimal)> {
    use crate::engine::ledger::{Account, Movement};
    let difference = l.actual - l.model;
    deal.supports.iter().enumerate().find_map(|(j, s)| {
        if s.name == l.item || reported.iter().any(|(p, n)| *p == l.period && *n == s.name) {
            return None;
        }
        let drawn: Decimal = run
            .ledger
            .iter()
            .filter(|e| {
                e.period == l.period
                    && e.action == Movement::DrawSupport
                    && e.source == Account::Support(j)
            })
            .map(|e| e.amount)
            .sum();
        (drawn > Decimal::ZERO && drawn == difference).then(|| (s.name.clone(), drawn))
    })
}

/// A difference of a tranche's interest or principal as whole ticks of its figures per 100:
/// The knock-on note of a `principal` or `residual` line ([`ReconNote::KnockOn`]): what the
/// date's differing lines paid ahead of it leave for it equals its difference, or is within
/// one tick of it with `[notices] per_unit`. None for other lines, when no such line differs,
/// or when they do not explain it.
fn knock_on(
    deal: &Deal,
    run: &RunResult,
    differences: &[(u32, &'static str, String, Decimal)],
    l: &ReconLine,
) -> Option<ReconNote> {
    if !matches!(l.line, "principal" | "residual") {
        return None;
    }
    // The lines that can be causes: paid by a step ahead of this line's first step in the
    // date's waterfall (review 39e item 3: kinds and seniority misread a mezzanine's interest
    // after the senior's principal, a sub return after A's principal, a support repaid after
    // it, and pro-rata tranches), and the draws, which fund the steps. Never the accounts'
    // balances (where what a line was not paid ends up: review 39c item 2) nor a trigger.
    let waterfall = run
        .periods
        .iter()
        .find(|p| p.period == l.period)
        .and_then(|p| {
            deal.waterfalls
                .iter()
                .find(|w| w.name == p.waterfall.as_str())
        })?;
    let this = first_step(deal, waterfall, l.line, &l.item)?;
    let cause = |line: &str, item: &str| match line {
        "support_draw" | "reserve_draw" => true,
        _ => first_step(deal, waterfall, line, item).is_some_and(|s| s < this),
    };
    let others: Vec<(&'static str, String, Decimal)> = differences
        .iter()
        .filter(|(p, line, item, _)| {
            *p == l.period && !(*line == l.line && *item == l.item) && cause(line, item)
        })
        .map(|(_, line, item, d)| (*line, item.clone(), *d))
        .collect();
    // Inflows add to what is left for the line; every other difference is a use of cash.
    let amount: Decimal = others
        .iter()
        .map(|(line, _, d)| match *line {
            "support_draw" | "reserve_draw" => *d,
            _ => -*d,
        })
        .sum();
    if others.is_empty() || amount.is_zero() {
        return None;
    }
    // With `per_unit` the line pays whole figures per 100: up to one tick less than the cash
    // left, kept as 尾差.
    let rules = &deal.notices;
    let tolerance = deal
        .tranches
        .iter()
        .find(|t| t.name == l.item)
        .filter(|_| rules.per_unit && l.line == "principal" && !rules.face.is_zero())
        .and_then(|t| one_tick(t.balance, rules))
        .map_or(Decimal::ZERO, |(tick, _)| tick);
    let gap = (l.difference() - amount).abs();
    let explained = if tolerance.is_zero() {
        gap.is_zero()
    } else {
        gap < tolerance
    };
    explained.then_some(ReconNote::KnockOn {
        amount,
        lines: others,
    })
}

/// The index of the first step of `waterfall` that pays reconciliation line `line` of `item`
/// (a tax, fee, tranche or support by name): `pay_tax`, `pay_fee` (either part), `pay_interest`
/// or `pay_sub_return`, `pay_principal`, `pay_residual`, `repay_support` (its draws for
/// `support_repaid`, its interest for `support_interest`). None for a line no step pays.
fn first_step(
    deal: &Deal,
    waterfall: &crate::deal::Waterfall,
    line: &str,
    item: &str,
) -> Option<usize> {
    use crate::deal::Action;
    let tax = deal.taxes.iter().position(|t| t.name == item);
    let fee = deal.fees.iter().position(|f| f.name == item);
    let tranche = deal.tranches.iter().position(|t| t.name == item);
    let support = deal.supports.iter().position(|s| s.name == item);
    waterfall
        .steps
        .iter()
        .position(|s| match (&s.action, line) {
            (Action::PayTax(l), "tax") => tax.is_some_and(|j| l.contains(&j)),
            (Action::PayFee(l), "fee") | (Action::PayFeePart { fees: l, .. }, "fee") => {
                fee.is_some_and(|j| l.contains(&j))
            }
            (Action::PayInterest(l), "interest") => tranche.is_some_and(|i| l.contains(&i)),
            (Action::PaySubReturn(x), "interest") => tranche == Some(*x),
            (Action::PayPrincipal { tranches, .. }, "principal") => {
                tranche.is_some_and(|i| tranches.contains(&i))
            }
            (Action::PayResidual(x), "residual") => tranche == Some(*x),
            (
                Action::RepaySupport {
                    supports, draws, ..
                },
                "support_repaid",
            ) => *draws && support.is_some_and(|j| supports.contains(&j)),
            (
                Action::RepaySupport {
                    supports, interest, ..
                },
                "support_interest",
            ) => *interest && support.is_some_and(|j| supports.contains(&j)),
            _ => false,
        })
}

/// `(ticks, one tick in yuan, units)` when `difference` is 1 to 99 times units × 10^−decimals
/// yuan and one tick is at least 10.00 yuan (smaller ticks would match by chance: a tick of
/// 1.00 yuan made any whole-yuan difference a tick, review 33g item L4).
fn whole_ticks(
    balance: Decimal,
    rules: &crate::deal::NoticeRules,
    difference: Decimal,
) -> Option<(i64, Decimal, i64)> {
    let (tick, units) = one_tick(balance, rules)?;
    if tick < Decimal::TEN || difference.is_zero() || !(difference % tick).is_zero() {
        return None;
    }
    let ticks = (difference / tick).to_i64()?;
    (ticks.unsigned_abs() < 100).then_some((ticks, tick.normalize(), units.to_i64()?))
}

/// One tick of a figure per 100 on a tranche of initial `balance`, in yuan, and its units:
/// units × 10^−`[notices] decimals`, units = balance / face, whole.
fn one_tick(balance: Decimal, rules: &crate::deal::NoticeRules) -> Option<(Decimal, Decimal)> {
    let units = (balance / rules.face).trunc();
    Some((units.checked_mul(Decimal::new(1, rules.decimals))?, units))
}

fn in_life(
    deal: &Deal,
    actual: usize,
    run: &RunResult,
    pool: &PoolProjection,
    at_issue: &PoolProjection,
) -> Vec<InLifeRow> {
    let mut recovered = Decimal::ZERO;
    let mut out = Vec::with_capacity(deal.periods.len());
    // The dates the run has: a clean-up call ends it early, and no later date exists.
    let dates = run.periods.len().min(deal.periods.len());
    for (k, p) in deal.periods.iter().enumerate().take(dates) {
        let pc = &pool.periods[k];
        recovered += pc.recovered;
        let loss = (pc.cumulative_defaults - recovered).max(Decimal::ZERO);
        // The balances after the date (on an actual date, restated to the reported
        // principal).
        let outstanding: Decimal = run
            .tranche_flows
            .iter()
            .filter(|f| f.period == p.number)
            .map(|f| f.balance_end)
            .sum();
        // The cash the trust received: less what a failed servicer kept (`commingling`; review
        // 38c item M2: a period whose whole cash the servicer kept was not flagged).
        let kept = run
            .periods
            .iter()
            .find(|r| r.period == p.number)
            .map_or(Decimal::ZERO, |r| r.commingled);
        let cash = pc.cash() - kept;
        let forecast = at_issue.periods[k].cash();
        let senior = |name: &str| {
            deal.tranches
                .iter()
                .any(|t| t.name == name && t.class == TrancheClass::Senior)
        };
        // With `[notices] per_unit`, the date's 尾差 is carried as interest shortfall by design:
        // it is paid as agreed, and not counted (`TrancheFlowRow::interest_unpaid`).
        let shortfall: Decimal = run
            .tranche_flows
            .iter()
            .filter(|f| f.period == p.number && senior(f.tranche.as_str()))
            .map(|f| f.interest_unpaid().max(Decimal::ZERO))
            .sum();
        out.push(InLifeRow {
            period: p.number,
            payment_date: p.date(),
            actual: k < actual,
            pool_cash: cash,
            forecast_cash: forecast,
            cash_flag: Decimal::from(5) * cash < Decimal::from(4) * forecast,
            cumulative_net_loss: loss,
            outstanding_principal: outstanding,
            loss_flag: loss > Decimal::ZERO
                && outstanding > Decimal::ZERO
                && Decimal::TEN * loss > outstanding,
            senior_interest_shortfall: shortfall,
            distribution_flag: shortfall > Decimal::ZERO,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// An obligor's whole row in 万元 (review 45d item 4a): 685.40 × 10,000 = 6,854,000 is
    /// within a factor of two of 6,854,031.83, and 36.01 × 10,000 = 360,100 of 360,113.80. One
    /// part alone in 万元 is the part's own message; both in yuan, nothing.
    #[test]
    fn a_row_in_wan_is_told_as_such() {
        let projected = (dec!(6854031.83), dec!(360113.80));
        let slip = split_slip((dec!(685.40), dec!(36.01)), projected).expect("told");
        assert!(
            slip.starts_with(
                "its principal and interest are both about 1/10,000 of the projection: the row \
                 in 万元?"
            ),
            "{slip}"
        );
        let slip = split_slip((dec!(6854031.83), dec!(36.01)), projected).expect("told");
        assert!(slip.starts_with("its interest is about 1/10,000"), "{slip}");
        assert_eq!(split_slip(projected, projected), None);
        // In fen: 685,403,183 is 100 times 6,854,031.83, and 36,011,380 100 times 360,113.80.
        let slip = split_slip((dec!(685403183), dec!(36011380)), projected).expect("told");
        assert!(slip.contains("both about 100 times"), "{slip}");
    }
}
