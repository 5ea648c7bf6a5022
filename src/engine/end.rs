//! The warnings of a run's end ([`Run::end_warnings`]): cash left in an account, a tranche not
//! repaid, fees and taxes in arrears, pool cash that would arrive after the last collection
//! period. Each is about the last payment date run (the call date after a clean-up call) and
//! honours `[deal] allow`.

use rust_decimal::Decimal;

use super::ledger::Account;
use super::state::Run;
use crate::deal::TrancheClass;
use crate::error::{Check, Warning};
use crate::money::{Fen, Yuan};

impl Run<'_> {
    /// The run's held warnings and those of its end, in that order.
    pub(super) fn end_warnings(&mut self) -> Vec<Warning> {
        let deal = self.deal;
        let mut warnings = std::mem::take(&mut self.held_warnings);
        let scenario = self.scenario.name.as_str();
        // Every end-of-run warning is about the last payment date (the call date after a
        // clean-up call).
        let last = deal.periods.get(self.k).map(|p| (p.number, p.date()));
        let mut warn = |check: Check, message: String| {
            if !deal.allow.contains(&check) {
                warnings.push(Warning::run(check, scenario, last, message));
            }
        };
        // The messages are concatenated (one allocation each) rather than `format!`ted: a
        // sweep builds a few per scenario (docs/performance.md, session 16).
        let left = " after the last payment date";
        if self.collection > 0 {
            let y = Yuan(self.collection).text();
            let m = [y.as_str(), " is left in the collection account", left].concat();
            warn(Check::CashLeft, m);
        }
        for (name, &held) in deal.accounts.names.iter().zip(&self.named) {
            if held > 0 {
                let y = Yuan(held).text();
                let m = [y.as_str(), " is left in the ", name, " account", left].concat();
                warn(Check::CashLeft, m);
            }
        }
        if self.reserve > 0 {
            let y = Yuan(self.reserve).text();
            // Which waterfall ran last, and whether it could have released the reserve (review
            // 26d item M4: an acceleration waterfall without a reserve step kept it while the
            // senior lost).
            let w = &deal.waterfalls[self.wf];
            let releases = w.steps.iter().any(|s| {
                matches!(
                    s.action,
                    crate::deal::Action::TopUpReserve | crate::deal::Action::ReleaseReserve
                )
            });
            let why = if releases {
                String::new()
            } else {
                [
                    ": the last date's waterfall `",
                    &w.name,
                    "` has no top_up_reserve or release_reserve step to pay it out",
                ]
                .concat()
            };
            warn(
                Check::CashLeft,
                [y.as_str(), " is left in the reserve", left, &why].concat(),
            );
        }
        // A call ends the deal: say so, so that a loss is not read as the pool's alone
        // (review 29b item 1; with `repays_senior`, the default, only a subordinated tranche
        // can be left so).
        let by = if self.called {
            " is not repaid by the clean-up call, which ends the deal on this date: "
        } else {
            " is not repaid by the last payment date: "
        };
        for (i, t) in deal.tranches.iter().enumerate() {
            if self.balance[i] > 0 {
                let y = Yuan(self.balance[i]).text();
                let m = ["tranche ", &t.name, by, y.as_str(), " outstanding"];
                warn(Check::NotRepaid, m.concat());
            }
            // A rated class's interest left unpaid at the end, as a fee's arrears are told
            // (review 34a item L1: a mezzanine ended 1,614.21 short while the subordinated
            // tranche was repaid, and only the latter was warned of). The per-unit 尾差 carried
            // by design is not counted.
            let unpaid = self.interest_unpaid(i);
            if t.class != TrancheClass::Subordinated && unpaid > 0 {
                let y = Yuan(unpaid).text();
                let m = [
                    "tranche ",
                    &t.name,
                    "'s interest is not paid in full by the last payment date: ",
                    y.as_str(),
                    " unpaid (interest_shortfall in summary.parquet)",
                ];
                warn(Check::NotRepaid, m.concat());
            }
        }
        let arrears = " after the last payment date (unpaid arrears; fees.parquet shows them \
                       date by date)";
        for ((f, carry), excess) in deal
            .fees
            .iter()
            .zip(&self.fee_carry)
            .zip(&self.fee_excess_carry)
        {
            let carry = carry + excess;
            if carry > 0 {
                let y = Yuan(carry).text();
                let m = ["fee ", &f.name, " is owed ", y.as_str(), arrears];
                warn(Check::Arrears, m.concat());
            }
        }
        for (t, carry) in deal.taxes.iter().zip(&self.tax_carry) {
            if *carry > 0 {
                let y = Yuan(*carry).text();
                let m = ["tax ", &t.name, " is owed ", y.as_str(), arrears];
                warn(Check::Arrears, m.concat());
            }
        }
        if self.pool.beyond_horizon > Decimal::ZERO {
            warn(
                Check::BeyondHorizon,
                format!(
                    "{} of pool cash (delayed collections or recoveries) would arrive after the \
                     last collection period and is not in the deal",
                    self.pool.beyond_horizon
                ),
            );
        }
        self.support_without_defaults(&mut warnings);
        self.trips_without_defaults(&mut warnings);
        self.junior_before_senior(&mut warnings);
        warnings
    }

    /// [`Check::JuniorBeforeSenior`]: the run's first principal paid to a tranche while a
    /// tranche of a more senior class was outstanding ([`JuniorFirst`]), in a run with no
    /// default and no delay. About the date, and naming the step by its key.
    fn junior_before_senior(&self, warnings: &mut Vec<Warning>) {
        let deal = self.deal;
        let Some(x) = &self.first_junior else {
            return;
        };
        if !self.performs() || deal.allow.contains(&Check::JuniorBeforeSenior) {
            return;
        }
        let p = &deal.periods[x.k];
        let (j, i) = (&deal.tranches[x.junior], &deal.tranches[x.senior]);
        let when = if i.class == TrancheClass::Senior {
            "\"senior_paid_off\"".to_string()
        } else {
            format!("{{ paid_off = \"{}\" }}", i.name)
        };
        let what = if x.residual {
            "as the residual"
        } else {
            "of principal"
        };
        warnings.push(Warning::run(
            Check::JuniorBeforeSenior,
            &self.scenario.name,
            Some((p.number, p.date())),
            format!(
                "tranche `{}` ({}) is paid {} {what} on this date by step {} of waterfall \
                 `{}` (`waterfalls.{}[{}]`) while `{}` ({}) is outstanding, in a run with no \
                 default and no delay: a junior paid before the senior; give that step `when \
                 = {when}`, or allow it with `allow = [\"junior_before_senior\"]` when the \
                 structure means it (a partial release of the junior)",
                j.name,
                j.class.name(),
                Yuan(x.paid).text().as_str(),
                x.step,
                deal.waterfalls[x.waterfall].name,
                deal.waterfalls[x.waterfall].name,
                x.step - 1,
                i.name,
                i.class.name(),
            ),
        ));
    }

    /// Whether the run's pool had no default and no delay: no realised default, no named
    /// default, no `delay`, pool-wide or in an `overrides` rule that selects obligors, and no
    /// servicer failure that kept pool cash (`commingling`; review 38c item M1: the cash it
    /// kept made a support pay, told as a structure to fix) (what
    /// [`Check::SupportWithoutDefaults`] and [`Check::TripsWithoutDefaults`] take as a run in
    /// which nothing should go wrong; review 34a item M1: a delay given in `overrides` only was
    /// told as "no delay").
    fn performs(&self) -> bool {
        let s = self.scenario;
        let defaulted = self
            .pool
            .periods
            .last()
            .is_some_and(|p| p.cumulative_defaults > Decimal::ZERO);
        let delayed = s.delay_fraction > Decimal::ZERO
            || s.overrides.iter().any(|r| {
                r.delay.is_some_and(|(f, _)| f > Decimal::ZERO)
                    && (!r.obligors.is_empty() || r.tag.is_some())
            });
        let commingled = self.accounts.get(Account::Servicer) > 0;
        !defaulted && !delayed && !commingled && s.obligor_defaults.is_empty()
    }

    /// [`Check::TripsWithoutDefaults`]: the run's first trigger to trip of those the deal does
    /// not mean to trip (a trigger's own `allow`), when the pool's performance tripped it (not a
    /// scenario's `events` or a support's failure) in a run with no default and no delay
    /// (review 32c item 4: a senior's interest deferred by a `when` tripped the event of
    /// default on the second date of the base case, and `check` said nothing). About the date
    /// it tripped.
    fn trips_without_defaults(&self, warnings: &mut Vec<Warning>) {
        use crate::deal::TriggerCondition as C;
        let deal = self.deal;
        let Some((t, k)) = self.first_unplanned else {
            return;
        };
        let trigger = &deal.triggers[t];
        if matches!(trigger.condition, C::Event(_) | C::SupportFailed(_))
            || !self.performs()
            || deal.allow.contains(&Check::TripsWithoutDefaults)
        {
            return;
        }
        let p = &deal.periods[k];
        // The threshold in force on the date, a step's when it has steps (review 34d item L9).
        let threshold = trigger
            .condition_on(p)
            .threshold()
            .map_or(String::new(), |x| format!(" {}", x.normalize()));
        // A trigger meant to trip that tripped first has switched the waterfall it ran under
        // (review 42f F6).
        let after = match self.first_trip {
            Some((t0, k0)) if t0 != t => format!(
                " (after trigger `{}`, which the deal means to trip, tripped on {})",
                deal.triggers[t0].name,
                deal.periods[k0].date()
            ),
            _ => String::new(),
        };
        warnings.push(Warning::run(
            Check::TripsWithoutDefaults,
            &self.scenario.name,
            Some((p.number, p.date())),
            format!(
                "trigger `{}` ({}, {}{threshold}) trips on this date in a run with no default and \
                 no delay{after}{TRIPS_ADVICE}",
                trigger.name,
                trigger.kind.name(),
                trigger.condition.name()
            ),
        ));
    }

    /// [`Check::SupportWithoutDefaults`]: a support paid in a run in which the pool had no
    /// default and no delay (review 31a item 5, 31c items 2–3: a senior's expected maturity a
    /// year early drew 152.6 million from the guarantee in the base case, and fees of a plan
    /// with nothing outstanding drew on the undertaking, both silently). About the first date
    /// a support paid.
    fn support_without_defaults(&self, warnings: &mut Vec<Warning>) {
        let deal = self.deal;
        let Some((k, repaid)) = self.first_draw else {
            return;
        };
        let s = self.scenario;
        if !self.performs() || deal.allow.contains(&Check::SupportWithoutDefaults) {
            return;
        }
        let paid: Vec<String> = deal
            .supports
            .iter()
            .zip(&self.support_total)
            .filter(|(_, t)| **t > 0)
            .map(|(x, t)| format!("`{}` ({} in all)", x.name, Yuan(*t).text().as_str()))
            .collect();
        let p = &deal.periods[k];
        // Pool cash due after the last collection period is never the plan's (review 31d item
        // 11: a listed collection end before the last instalment was blamed on a maturity).
        let last_end = deal.periods.last().map(|q| q.collection_end);
        let uncollected = deal
            .last_due()
            .is_some_and(|d| last_end.is_some_and(|e| d > e));
        let when = if uncollected && !repaid {
            " (pool cash falls due after the last collection period and is never collected: \
             check the collection ends and the legal maturity; `never_collected` names the \
             instalments)"
        } else if repaid {
            ", after every tranche was repaid (fees and taxes of a plan with nothing \
             outstanding: `[deal] end_when_repaid = true` ends the plan on the date that repays \
             every tranche, or give the fees an `end`)"
        } else {
            " (a tranche due before the pool repays it: check its `expected_maturity` and \
             target balances, and the order of the waterfall's steps)"
        };
        warnings.push(Warning::run(
            Check::SupportWithoutDefaults,
            &s.name,
            Some((p.number, p.date())),
            format!(
                "support {} paid in a run with no default and no delay, first on this date{when}: \
                 the pool's own cash does not meet what falls due; allow it with `allow = \
                 [\"support_without_defaults\"]` when the structure relies on it",
                paid.join(", ")
            ),
        ));
    }
}

/// The first principal a run paid to a tranche while a tranche of a more senior class was
/// outstanding after the step and not in its pro rata share, or the first residual paid to
/// one while a more senior class was outstanding: what
/// [`Check::JuniorBeforeSenior`] tells.
#[derive(Debug, Clone, Copy)]
pub struct JuniorFirst {
    /// The payment date (index).
    pub k: usize,
    /// The waterfall that ran (index into `Deal::waterfalls`).
    pub waterfall: usize,
    /// The step, 1-based.
    pub step: u32,
    /// The tranche paid, and the more senior one outstanding (indices).
    pub junior: usize,
    pub senior: usize,
    /// What the step paid the junior: principal, or the residual (`residual`).
    pub paid: Fen,
    pub residual: bool,
}

/// What to do about a trigger that trips with no default and no delay: the advice of
/// [`Check::TripsWithoutDefaults`], which `size`'s refusals give too.
pub const TRIPS_ADVICE: &str = ": check its threshold and the steps that pay what it tests; \
                                when the structure means it to trip, give the trigger `allow = \
                                [\"trips_without_defaults\"]`";
