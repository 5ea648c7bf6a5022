//! Built-in stress suites: the scenarios Chinese rating reports print, derived from a base
//! scenario (docs/scenarios.md gives every transformation).
//!
//! * [`standard_suite`]: recovery cuts, default timing front- and back-loaded, prepayment up
//!   and down, 30% of collections delayed 6 months, combinations, support providers failing.
//! * [`concentration_suite`]: the largest obligors defaulting on the first collection date and
//!   on the worst one, and every obligor defaulting alone.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::deal::Deal;
use crate::engine::{self, ObligorRows};
use crate::error::Error;
use crate::scenario::Scenario;

/// A named set of stress scenarios, as chosen on the command line (`--stress NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StressSuite {
    /// [`standard_suite`].
    Standard,
    /// [`concentration_suite`].
    Concentration,
    /// The standard suite followed by the concentration suite.
    All,
}

impl StressSuite {
    /// The names accepted by [`StressSuite::from_name`], in order.
    pub const NAMES: [&'static str; 3] = ["standard", "concentration", "all"];

    /// The suite called `name` (`standard`, `concentration` or `all`).
    pub fn from_name(name: &str) -> Option<StressSuite> {
        match name {
            "standard" => Some(StressSuite::Standard),
            "concentration" => Some(StressSuite::Concentration),
            "all" => Some(StressSuite::All),
            _ => None,
        }
    }

    /// The suite's name on the command line (`standard`, `concentration` or `all`).
    pub fn name(self) -> &'static str {
        match self {
            StressSuite::Standard => "standard",
            StressSuite::Concentration => "concentration",
            StressSuite::All => "all",
        }
    }

    /// The suite's scenarios for `deal`, derived from `base`. The concentration suite runs
    /// the engine to find worst dates; its errors are returned.
    pub fn scenarios(self, deal: &Deal, base: &Scenario) -> Result<Vec<Scenario>, Error> {
        match self {
            StressSuite::Standard => Ok(standard_suite(deal, base)),
            StressSuite::Concentration => concentration_suite(deal, base),
            StressSuite::All => {
                let mut v = standard_suite(deal, base);
                v.extend(concentration_suite(deal, base)?);
                Ok(v)
            }
        }
    }
}

/// What a stress suite is built on (`--stress-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StressBase {
    /// The deal's own `[scenario]` (the default): the suite's scenarios keep their plain
    /// names (`recovery-10%`).
    #[default]
    Deal,
    /// Every scenario of the scenario file (listed and grid points): each is followed in the
    /// run list by the suite built on it, named `SCENARIO×STRESS` (`base×recovery-10%`).
    Scenarios,
}

impl StressBase {
    /// The names accepted on the command line, in order.
    pub const NAMES: [&'static str; 2] = ["deal", "scenarios"];

    /// The base's name on the command line (`deal` or `scenarios`).
    pub fn name(self) -> &'static str {
        match self {
            StressBase::Deal => "deal",
            StressBase::Scenarios => "scenarios",
        }
    }
}

impl FromStr for StressBase {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "deal" => Ok(StressBase::Deal),
            "scenarios" => Ok(StressBase::Scenarios),
            _ => Err(format!(
                "unknown stress base `{s}`, expected one of: {}",
                StressBase::NAMES.join(", ")
            )),
        }
    }
}

/// Joins a scenario's name and a stress's name in a composed scenario (`base×cdr`).
pub const COMPOSED: char = '×';

impl StressSuite {
    /// Every scenario of `scenarios`, each followed by the suite built on it (the stresses
    /// applied to that scenario, as [`StressSuite::scenarios`] applies them to a deal's own),
    /// named `SCENARIO×STRESS`.
    pub fn on_every(self, deal: &Deal, scenarios: &[Scenario]) -> Result<Vec<Scenario>, Error> {
        let mut out = Vec::new();
        for base in scenarios {
            out.push(base.clone());
            for mut s in self.scenarios(deal, base)? {
                s.name = format!("{}{COMPOSED}{}", base.name, s.name);
                out.push(s);
            }
        }
        Ok(out)
    }

    /// [`StressSuite::on_every`], refusing a name that would appear twice (a usage error).
    pub fn on_every_unique(
        self,
        deal: &Deal,
        scenarios: &[Scenario],
    ) -> Result<Vec<Scenario>, Error> {
        let all = self.on_every(deal, scenarios)?;
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = all.iter().find(|s| !seen.insert(s.name.as_str())) {
            return Err(Error::Usage(format!(
                "the scenario `{}` appears twice once the {self} stress suite is built on every \
                 scenario; rename the scenario it repeats",
                dup.name
            )));
        }
        Ok(all)
    }

    /// Adds the suite to `scenarios`, refusing a name that would appear twice (a usage error):
    /// built on the deal's own scenario and appended ([`StressBase::Deal`]), or built on every
    /// scenario and each placed after its scenario as `SCENARIO×STRESS`
    /// ([`StressBase::Scenarios`], [`StressSuite::on_every_unique`]). Used by `sweep`,
    /// `breakeven` and `portfolio` alike (docs/scenarios.md).
    ///
    /// Returns notes for the terminal on a suite built on the deal's own scenario (review 34e
    /// item M1: a committee's scenario file was silently not the suite's base, and half the
    /// suite changed nothing): that the base is the deal's scenario when `scenarios` came from
    /// a file, and which stresses leave that base unchanged (a recovery cut of a recovery of
    /// 0, a CPR stress of a CPR of 0).
    pub fn add_to(
        self,
        deal: &Deal,
        scenarios: &mut Vec<Scenario>,
        base: StressBase,
    ) -> Result<Vec<String>, Error> {
        if base == StressBase::Scenarios {
            *scenarios = self.on_every_unique(deal, scenarios)?;
            return Ok(Vec::new());
        }
        let own = &deal.scenario;
        let mut notes = Vec::new();
        if !matches!(scenarios.as_slice(), [s] if s == own) {
            notes.push(format!(
                "note: the {self} stress suite is built on the deal's own [scenario] `{}` \
                 (--stress-on deal, the default), not on the {} scenario(s) given; \
                 --stress-on scenarios builds it on each of them (docs/scenarios.md)",
                own.name,
                scenarios.len()
            ));
        }
        let extra = self.scenarios(deal, &deal.scenario)?;
        let mut seen: std::collections::HashSet<&str> =
            scenarios.iter().map(|s| s.name.as_str()).collect();
        if let Some(dup) = extra.iter().find(|s| !seen.insert(s.name.as_str())) {
            return Err(Error::Usage(format!(
                "the scenario file already has a scenario named `{}`, which the {self} stress \
                 suite also generates; rename it",
                dup.name
            )));
        }
        let unchanged: Vec<&str> = extra
            .iter()
            .filter(|s| {
                let mut same = (*s).clone();
                same.name.clone_from(&own.name);
                same == *own
            })
            .map(|s| s.name.as_str())
            .collect();
        if !unchanged.is_empty() {
            const SHOWN: usize = 6;
            let more = match unchanged.len().saturating_sub(SHOWN) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            notes.push(format!(
                "note: {} of the {} stresses leave `{}` unchanged (a stress of a rate that is \
                 0 there changes nothing): {}{more}",
                unchanged.len(),
                extra.len(),
                own.name,
                unchanged[..unchanged.len().min(SHOWN)].join(", ")
            ));
        }
        scenarios.extend(extra);
        Ok(notes)
    }
}

impl fmt::Display for StressSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StressSuite {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StressSuite::from_name(s).ok_or_else(|| {
            format!(
                "unknown stress suite `{s}`, expected one of: {}",
                StressSuite::NAMES.join(", ")
            )
        })
    }
}

/// The suite called `name`; see [`StressSuite::from_name`].
pub fn stress_by_name(name: &str) -> Option<StressSuite> {
    StressSuite::from_name(name)
}

/// Recovery cuts, in percent.
const RECOVERY_CUTS: [u32; 5] = [10, 20, 30, 50, 100];
/// Default-timing shifts, in percentage points of the default rate.
const TIMING_SHIFTS: [u32; 2] = [10, 20];
/// Prepayment changes, in percent (applied up and down).
const CPR_CHANGES: [u32; 2] = [25, 50];
/// Delay stress: this percentage of every collection arrives this many months late.
const DELAY_PERCENT: u32 = 30;
const DELAY_MONTHS: u32 = 6;
/// A stressed CPR of 1 or more is replaced by the larger of the base CPR and this.
const CPR_CAP: Decimal = Decimal::from_parts(99, 0, 0, false, 2);

fn pct(p: u32) -> Decimal {
    Decimal::new(i64::from(p), 2)
}

/// One transformation of the base, with its name.
#[derive(Debug, Clone, Copy)]
enum Stress {
    Recovery(u32),
    Front(u32),
    Back(u32),
    CprUp(u32),
    CprDown(u32),
    Delay,
    SupportsOff,
    /// Every index shifted up by this many basis points (deals with floating rates only).
    IndexUp(u32),
    /// Every index shifted down by this many basis points.
    IndexDown(u32),
    /// The revolving purchases' yield cut by this many percent (deals with `[revolving]`).
    RevolvingYield(u32),
    /// What each `buy_assets` step spends cut by this many percent.
    PurchaseCut(u32),
}

/// The revolving purchases' yield cuts of the standard suite, in percent, and its cut of what
/// they spend (docs/sources.md [S39]: "yield cut by 20–50% and purchase rate cut by 50%").
const REVOLVING_YIELD_CUTS: [u32; 2] = [20, 50];
const PURCHASE_CUT: u32 = 50;

/// Index shifts of the standard suite, in basis points (applied up and down), for deals with
/// a floating tranche or loan.
const INDEX_SHIFTS_BP: [u32; 2] = [50, 100];

fn bp(x: u32) -> Decimal {
    Decimal::new(i64::from(x), 4)
}

impl Stress {
    fn name(self) -> String {
        match self {
            Stress::Recovery(x) => format!("recovery-{x}%"),
            Stress::Front(x) => format!("front-loaded-{x}%"),
            Stress::Back(x) => format!("back-loaded-{x}%"),
            Stress::CprUp(x) => format!("cpr+{x}%"),
            Stress::CprDown(x) => format!("cpr-{x}%"),
            Stress::Delay => format!("delay-{DELAY_PERCENT}%-{DELAY_MONTHS}m"),
            Stress::SupportsOff => "supports-off".to_string(),
            Stress::IndexUp(x) => format!("index+{x}bp"),
            Stress::IndexDown(x) => format!("index-{x}bp"),
            Stress::RevolvingYield(x) => format!("revolving-yield-{x}%"),
            Stress::PurchaseCut(x) => format!("revolving-purchase-{x}%"),
        }
    }

    fn apply(self, deal: &Deal, s: &mut Scenario) {
        // An obligor's own assumptions (`overrides`) are stressed as the pool-wide ones are.
        for rule in &mut s.overrides {
            match self {
                Stress::Recovery(x) => {
                    if let Some(r) = &mut rule.recovery_rate {
                        *r *= Decimal::ONE - pct(x);
                    }
                }
                Stress::CprUp(x) => {
                    rule.cpr = rule.cpr.map(|c| scaled_cpr(c, Decimal::ONE + pct(x)))
                }
                Stress::CprDown(x) => {
                    rule.cpr = rule.cpr.map(|c| scaled_cpr(c, Decimal::ONE - pct(x)));
                }
                Stress::Delay => {
                    if rule.delay.is_some() {
                        rule.delay = Some((pct(DELAY_PERCENT), DELAY_MONTHS));
                    }
                }
                // Index shifts act on the scenario's index paths, timing shifts and
                // `supports-off` on pool-wide keys: nothing in a rule to change.
                Stress::Front(_)
                | Stress::Back(_)
                | Stress::SupportsOff
                | Stress::IndexUp(_)
                | Stress::IndexDown(_)
                | Stress::RevolvingYield(_)
                | Stress::PurchaseCut(_) => {}
            }
        }
        match self {
            Stress::Recovery(x) => s.recovery_rate *= Decimal::ONE - pct(x),
            Stress::Front(x) => {
                s.default_timing = shift_timing(&base_timing(deal, s), pct(x), true);
            }
            Stress::Back(x) => {
                s.default_timing = shift_timing(&base_timing(deal, s), pct(x), false);
            }
            Stress::CprUp(x) => s.cpr = scaled_cpr(s.cpr, Decimal::ONE + pct(x)),
            Stress::CprDown(x) => s.cpr = scaled_cpr(s.cpr, Decimal::ONE - pct(x)),
            Stress::Delay => {
                s.delay_fraction = pct(DELAY_PERCENT);
                s.delay_months = DELAY_MONTHS;
            }
            Stress::SupportsOff => {
                // Off from the start: a failure from a date says nothing more (review 28c item 7).
                s.supports_off = (0..deal.supports.len()).collect();
                s.support_failures.clear();
            }
            Stress::IndexUp(x) => s.indices.shift += bp(x),
            Stress::IndexDown(x) => s.indices.shift -= bp(x),
            // On top of the scenario's own cut (review 36b item M2: a 60% cut became 20%):
            // what is left is multiplied, as recoveries are.
            Stress::RevolvingYield(x) => {
                s.revolving_yield_cut = compose_cut(s.revolving_yield_cut, x)
            }
            Stress::PurchaseCut(x) => s.purchase_cut = compose_cut(s.purchase_cut, x),
        }
    }
}

/// A cut of `x` percent on top of a cut `base` already in the scenario: what is left is
/// (1 − base) × (1 − x), so the cut is 1 − (1 − base)(1 − x) (0 and x give x), exact.
fn compose_cut(base: Decimal, x: u32) -> Decimal {
    Decimal::ONE - (Decimal::ONE - base) * (Decimal::ONE - pct(x))
}

/// `base` with `stresses` applied in order, named by joining their names with `+`.
fn derive(deal: &Deal, base: &Scenario, stresses: &[Stress]) -> Scenario {
    let mut s = base.clone();
    for st in stresses {
        st.apply(deal, &mut s);
    }
    s.name = stresses
        .iter()
        .map(|st| st.name())
        .collect::<Vec<_>>()
        .join("+");
    s
}

/// The standard rating stresses of `base` (docs/scenarios.md), in this order:
/// `recovery-10%` … `recovery-100%`; `front-loaded-10%`, `back-loaded-10%`,
/// `front-loaded-20%`, `back-loaded-20%`; `cpr+25%`, `cpr-25%`, `cpr+50%`, `cpr-50%`;
/// `delay-30%-6m`; three combinations; and, when the deal has support providers,
/// `supports-off` and each combination with `+supports-off`; and, when the deal has a
/// floating rate, `index+50bp`, `index-50bp`, `index+100bp`, `index-100bp` (a parallel shift
/// of every index path); and, when the deal has `[revolving]`, `revolving-yield-20%`,
/// `revolving-yield-50%` and `revolving-purchase-50%` (since session 36).
pub fn standard_suite(deal: &Deal, base: &Scenario) -> Vec<Scenario> {
    use Stress::*;
    let mut plans: Vec<Vec<Stress>> = Vec::new();
    plans.extend(RECOVERY_CUTS.iter().map(|&x| vec![Recovery(x)]));
    for &x in &TIMING_SHIFTS {
        plans.push(vec![Front(x)]);
        plans.push(vec![Back(x)]);
    }
    for &x in &CPR_CHANGES {
        plans.push(vec![CprUp(x)]);
        plans.push(vec![CprDown(x)]);
    }
    plans.push(vec![Delay]);
    let combinations = [
        vec![Recovery(20), CprDown(25), Front(10)],
        vec![Recovery(50), Delay],
        vec![Front(20), Recovery(30), Delay],
    ];
    plans.extend(combinations.iter().cloned());
    if !deal.supports.is_empty() {
        plans.push(vec![SupportsOff]);
        for c in &combinations {
            let mut c = c.clone();
            c.push(SupportsOff);
            plans.push(c);
        }
    }
    if deal.has_floating_rates() {
        for &x in &INDEX_SHIFTS_BP {
            plans.push(vec![IndexUp(x)]);
            plans.push(vec![IndexDown(x)]);
        }
    }
    if deal.revolving.is_some() {
        plans.extend(
            REVOLVING_YIELD_CUTS
                .iter()
                .map(|&x| vec![RevolvingYield(x)]),
        );
        plans.push(vec![PurchaseCut(PURCHASE_CUT)]);
    }
    plans.iter().map(|p| derive(deal, base, p)).collect()
}

/// `cpr × factor`; a product of 1 or more becomes `max(cpr, 0.99)` (a CPR must stay below 1).
pub fn scaled_cpr(cpr: Decimal, factor: Decimal) -> Decimal {
    match cpr.checked_mul(factor) {
        Some(v) if v < Decimal::ONE => v,
        _ => cpr.max(CPR_CAP),
    }
}

/// Number of collection periods up to and including the one holding the pool's last
/// instalment (all periods when that date is outside them) — the span of even default
/// timing in the projection.
pub fn pool_periods(deal: &Deal) -> usize {
    crate::deal::pool_periods(&deal.periods, &deal.obligors)
}

/// The default timing `s` applies: its `default_timing`, or (when empty) `m` even shares of
/// `1/m` over `m = pool_periods(deal)` periods (at least 1, at most the number of periods).
pub fn base_timing(deal: &Deal, s: &Scenario) -> Vec<Decimal> {
    if !s.default_timing.is_empty() {
        return s.default_timing.clone();
    }
    let m = pool_periods(deal).clamp(1, deal.periods.len().max(1));
    let each = Decimal::ONE / Decimal::from(m);
    vec![each; m]
}

/// `a × b / c`, or 0 when it cannot be computed (never for shares in `[0, 1]`).
fn mul_div(a: Decimal, b: Decimal, c: Decimal) -> Decimal {
    a.checked_mul(b)
        .and_then(|p| p.checked_div(c))
        .unwrap_or(Decimal::ZERO)
}

/// Front-loads (`front`) or back-loads timing `shares` by `x` share points.
///
/// With `m` shares and `h = m / 2` (rounded down), the first half is periods `1..=h` and the
/// second half the last `h` periods; with `m` odd the middle period is in neither and keeps
/// its share; with `m = 1` nothing moves. Front-loading moves `y = min(x, S₂)` (`S₂` the
/// second half's total) from the second half to the first: each second-half share loses
/// `y × sᵢ / S₂` and each first-half share gains `y × sⱼ / S₁` (`S₁` the first half's total;
/// `y / h` each when `S₁ = 0`). The last share of each half that changes takes the remainder,
/// so exactly `y` moves and the total is unchanged. Back-loading is the mirror image.
pub fn shift_timing(shares: &[Decimal], x: Decimal, front: bool) -> Vec<Decimal> {
    let mut out = shares.to_vec();
    let m = out.len();
    let h = m / 2;
    if h == 0 || x <= Decimal::ZERO {
        return out;
    }
    let first: Vec<usize> = (0..h).collect();
    let second: Vec<usize> = (m - h..m).collect();
    let (from, to) = if front {
        (second, first)
    } else {
        (first, second)
    };
    let avail: Decimal = from.iter().map(|&i| out[i]).sum();
    let y = x.min(avail);
    if y <= Decimal::ZERO {
        return out;
    }
    // Take from `from`, in proportion to its shares.
    if y == avail {
        from.iter().for_each(|&i| out[i] = Decimal::ZERO);
    } else {
        let takers: Vec<usize> = from
            .iter()
            .copied()
            .filter(|&i| out[i] > Decimal::ZERO)
            .collect();
        let mut taken = Decimal::ZERO;
        for (n, &i) in takers.iter().enumerate() {
            let t = if n + 1 == takers.len() {
                y - taken
            } else {
                mul_div(y, out[i], avail)
            };
            out[i] -= t;
            taken += t;
        }
    }
    // Give to `to`, in proportion to its shares (evenly when they are all 0).
    let total: Decimal = to.iter().map(|&i| out[i]).sum();
    let weights: Vec<(usize, Decimal)> = if total > Decimal::ZERO {
        to.iter()
            .map(|&i| (i, out[i]))
            .filter(|(_, w)| *w > Decimal::ZERO)
            .collect()
    } else {
        to.iter().map(|&i| (i, Decimal::ONE)).collect()
    };
    let wsum: Decimal = weights.iter().map(|(_, w)| *w).sum();
    let mut given = Decimal::ZERO;
    for (n, &(i, w)) in weights.iter().enumerate() {
        let g = if n + 1 == weights.len() {
            y - given
        } else {
            mul_div(y, w, wsum)
        };
        out[i] += g;
        given += g;
    }
    out
}

/// How badly a run hurts the most senior tranche: (principal loss + final interest shortfall,
/// minimum coverage multiple; None when never defined).
pub fn senior_damage(
    deal: &Deal,
    result: &engine::result::RunResult,
) -> (Decimal, Option<Decimal>) {
    let Some(t) = deal.tranches.first() else {
        return (Decimal::ZERO, None);
    };
    result
        .summary
        .iter()
        .find(|s| s.tranche == t.name)
        .map_or((Decimal::ZERO, None), |s| {
            (
                s.principal_loss + s.interest_shortfall,
                s.min_coverage_multiple,
            )
        })
}

/// True when damage `a` is worse than `b`: more loss; at equal loss a lower minimum coverage
/// (an undefined coverage counts as the highest).
fn worse(a: &(Decimal, Option<Decimal>), b: &(Decimal, Option<Decimal>)) -> bool {
    if a.0 != b.0 {
        return a.0 > b.0;
    }
    match (a.1, b.1) {
        (Some(x), Some(y)) => x < y,
        (Some(_), None) => true,
        _ => false,
    }
}

/// `base` with `obligors` (and no other obligor) defaulting on `date`.
fn with_defaults(base: &Scenario, name: String, obligors: &[usize], date: NaiveDate) -> Scenario {
    let mut s = base.clone();
    s.name = name;
    s.obligor_defaults = obligors.iter().map(|&o| (o, date)).collect();
    s
}

/// The worst date for `obligors` to default together: among the collection-period start
/// dates, the one whose run gives the most senior tranche the largest principal loss plus
/// final interest shortfall, then the lowest minimum coverage, then the earliest. None when
/// the deal has no periods.
pub fn worst_default_date(
    deal: &Deal,
    base: &Scenario,
    obligors: &[usize],
) -> Result<Option<NaiveDate>, Error> {
    let mut best: Option<(NaiveDate, (Decimal, Option<Decimal>))> = None;
    let plan = engine::DealPlan::new(deal);
    for p in &deal.periods {
        let date = p.collection_start;
        let s = with_defaults(base, base.name.clone(), obligors, date);
        let r = plan.run(&s, ObligorRows::Skip)?;
        let d = senior_damage(deal, &r);
        if best.as_ref().is_none_or(|(_, b)| worse(&d, b)) {
            best = Some((date, d));
        }
    }
    Ok(best.map(|(date, _)| date))
}

/// The concentration stresses of `base` (docs/scenarios.md), in this order: `top1-first`,
/// `top2-first`, `top3-first` (the 1, 2, 3 largest obligors default on the first collection
/// period's start; an obligor group, [`Deal::credit_groups_by_balance`], is one obligor),
/// `top1-worst` … `top3-worst` (on [`worst_default_date`]), then `single:<obligor>` for every
/// obligor in file order (defaulting alone on the first collection period's start), an obligor
/// group's obligors replaced, at its first, by `group:<group>` (defaulting together). Each replaces the base's named defaults and keeps the rest of
/// the base (recovery, CDR, delay, CPR, supports). Runs the engine for the worst dates.
pub fn concentration_suite(deal: &Deal, base: &Scenario) -> Result<Vec<Scenario>, Error> {
    let Some(first) = deal.periods.first().map(|p| p.collection_start) else {
        return Ok(Vec::new());
    };
    let ranked = deal.credit_groups_by_balance();
    let top = 3.min(ranked.len());
    // The obligors of the k largest credits (an obligor group is one).
    let largest: Vec<Vec<usize>> = (1..=top).map(|k| ranked[..k].concat()).collect();
    let mut out = Vec::new();
    for (k, obligors) in (1..).zip(&largest) {
        out.push(with_defaults(
            base,
            format!("top{k}-first"),
            obligors,
            first,
        ));
    }
    for (k, obligors) in (1..).zip(&largest) {
        let date = worst_default_date(deal, base, obligors)?.unwrap_or(first);
        out.push(with_defaults(base, format!("top{k}-worst"), obligors, date));
    }
    for group in deal.credit_groups() {
        let ob = &deal.obligors[group[0]];
        let name = match (group.len(), ob.group()) {
            (2.., Some(g)) => format!("group:{g}"),
            _ => format!("single:{}", ob.name),
        };
        out.push(with_defaults(base, name, &group, first));
    }
    Ok(out)
}
