//! The state of one run: balances, accounts, arrears and the ledger, advanced one payment date
//! at a time.
//!
//! Inside the run every amount is an exact count of fen ([`Fen`]): read from the deal's and the
//! pool's Decimals once, and written back to Decimals once, in the rows and the ledger. The
//! pieces of a payment date live in their own modules: what is due ([`super::due`]), the
//! triggers ([`super::triggers`]), the steps ([`super::steps`]) and, after the run, the
//! conservation check ([`super::verify`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::buffers::RunBuffers;
use super::due::Due;
use super::ledger::{Account, Movement};
use super::plan::DealPlan;
use super::ratio_of_fen;
use super::result::{ChargeRow, Label, LedgerEntry, PeriodRow, TrancheFlowRow};
use super::summary::TrancheTotals;
use super::triggers::Phase;
use super::verify::Balances;
use crate::deal::{AccountRef, Action, Deal};
use crate::error::{Error, Result, Warning};
use crate::money::{Fen, Ratio, from_fen, report_ratio, to_fen};
use crate::pool::projection::PoolProjection;
use crate::scenario::Scenario;

/// What was paid on the current payment date.
#[derive(Debug, Clone, Default)]
pub(super) struct Paid {
    pub tax: Vec<Fen>,
    pub fee: Vec<Fen>,
    /// Paid of each fee's excess over its cap.
    pub fee_excess: Vec<Fen>,
    pub interest: Vec<Fen>,
    pub principal: Vec<Fen>,
    pub residual: Vec<Fen>,
    /// With `[notices] per_unit`: the interest each tranche was due and the per-unit figure
    /// did not pay (尾差), carried to the next date by design and not a shortfall.
    pub unit_residual: Vec<Fen>,
    /// With `per_unit`, the principal 尾差 of the date (it stays in the balance): kept so that
    /// a notice restated for the interest alone still states it (review 28b item 3).
    pub unit_residual_principal: Vec<Fen>,
    /// With `per_unit`, the interest 尾差 a tranche forgoes on the date, taken off its interest
    /// due: cut before the waterfall on a date it is paid by its figures (the deal's last, the
    /// call date, a redeemed tranche's arrears; given back if it is not paid in full), or after
    /// it on the date that redeems it (reviews 28b item 1, 28c items 1-2); the notice states it.
    pub unit_forgone: Vec<Fen>,
    pub reserve_draws: Fen,
    pub support_draws: Fen,
    pub reserve_deposit: Fen,
    /// The asset guarantor's payment of the date's defaults (also in `support_draws`).
    pub guarantee: Fen,
    /// Repaid to the supports of their draws, and paid to them in interest (`repay_support`).
    pub support_repaid: Fen,
    pub support_interest: Fen,
    /// Paid for revolving purchases (`buy_assets`).
    pub purchases: Fen,
    /// The date's pool cash lost with a failed servicer (`commingling`), and the recoveries
    /// among it.
    pub commingled: Fen,
    pub commingled_recoveries: Fen,
    /// The reserve's target as the date's last reserve step computed it (储备金必备金额); None
    /// when no step read it.
    pub reserve_target: Option<Fen>,
}

impl Paid {
    /// Zero for the next payment date, keeping the allocations; the per-unit 尾差 only move
    /// with `[notices] per_unit` (`per_unit`), and stay zero otherwise.
    fn reset(&mut self, per_unit: bool) {
        for v in [
            &mut self.tax,
            &mut self.fee,
            &mut self.fee_excess,
            &mut self.interest,
            &mut self.principal,
            &mut self.residual,
        ] {
            v.iter_mut().for_each(|x| *x = 0);
        }
        if per_unit {
            for v in [
                &mut self.unit_residual,
                &mut self.unit_residual_principal,
                &mut self.unit_forgone,
            ] {
                v.iter_mut().for_each(|x| *x = 0);
            }
        }
        self.reserve_draws = 0;
        self.support_draws = 0;
        self.reserve_deposit = 0;
        self.guarantee = 0;
        self.support_repaid = 0;
        self.support_interest = 0;
        self.purchases = 0;
        self.commingled = 0;
        self.commingled_recoveries = 0;
        self.reserve_target = None;
    }

    fn new(deal: &Deal, b: &mut RunBuffers) -> Paid {
        Paid {
            tax: b.zeros(deal.taxes.len()),
            fee: b.zeros(deal.fees.len()),
            fee_excess: b.zeros(deal.fees.len()),
            interest: b.zeros(deal.tranches.len()),
            principal: b.zeros(deal.tranches.len()),
            residual: b.zeros(deal.tranches.len()),
            unit_residual: b.zeros(deal.tranches.len()),
            unit_residual_principal: b.zeros(deal.tranches.len()),
            unit_forgone: b.zeros(deal.tranches.len()),
            ..Paid::default()
        }
    }

    /// Gives the vectors back to `b` for the next run.
    pub(super) fn give(self, b: &mut RunBuffers) {
        let Paid {
            tax,
            fee,
            fee_excess,
            interest,
            principal,
            residual,
            unit_residual,
            unit_residual_principal,
            unit_forgone,
            ..
        } = self;
        b.keep_all([
            tax,
            fee,
            fee_excess,
            interest,
            principal,
            residual,
            unit_residual,
            unit_residual_principal,
            unit_forgone,
        ]);
    }
}

/// The item names a run's rows mention, built once per run and shared by the rows.
pub(super) struct Labels {
    pub tranche: Vec<Label>,
    pub fee: Vec<Label>,
    pub tax: Vec<Label>,
    pub waterfall: Vec<Label>,
}

impl Labels {
    pub(super) fn new(deal: &Deal) -> Labels {
        fn names<'d>(v: impl Iterator<Item = &'d String>) -> Vec<Label> {
            v.map(Label::from).collect()
        }
        Labels {
            tranche: names(deal.tranches.iter().map(|t| &t.name)),
            fee: names(deal.fees.iter().map(|t| &t.name)),
            tax: names(deal.taxes.iter().map(|t| &t.name)),
            waterfall: names(deal.waterfalls.iter().map(|w| &w.name)),
        }
    }
}

/// The pool cash of the current collection period, in fen.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PoolCash {
    pub collected: Fen,
    pub recovered: Fen,
    pub interest_collected: Fen,
    /// Performing balance at the start of the collection period.
    pub balance_start: Fen,
    pub balance_end: Fen,
}

impl PoolCash {
    /// All pool cash of the period: collections plus recoveries.
    pub fn cash(&self) -> Fen {
        self.collected + self.recovered
    }
}

/// One run of a deal under a scenario.
#[derive(Clone)]
pub(super) struct Run<'a> {
    pub deal: &'a Deal,
    pub scenario: &'a Scenario,
    pub pool: PoolProjection,
    pub labels: &'a Labels,
    /// Exact year fraction of each period's accrual (start to payment date), from the plan.
    pub year_fraction: &'a [Ratio],
    /// Whether some support's interest accrues (the plan's `support_interest`).
    pub support_interest: bool,
    /// Indices of the senior tranches.
    pub senior: &'a [usize],
    /// Each floating tranche's coupon per payment date ([`super::rates::tranche_coupons`]);
    /// empty for a fixed coupon.
    pub coupons: Vec<Vec<Decimal>>,
    /// `reconcile`: the last reported date (index) and each tranche's contractual coupon of the
    /// date after it, which that date's look ahead (a reserve target on the next date's
    /// interest) reads: the trustee sized it so, while the date after is stressed (review 43f
    /// F2). None in every other run.
    pub lookahead_coupons: Option<(usize, Vec<Decimal>)>,
    /// Sum of the tranches' initial balances.
    pub issue_size: Fen,
    pub collection: Fen,
    pub reserve: Fen,
    pub balance: Vec<Fen>,
    pub interest_carry: Vec<Fen>,
    pub fee_carry: Vec<Fen>,
    /// Each fee's unpaid excess over its cap, brought forward.
    pub fee_excess_carry: Vec<Fen>,
    /// What each fee on interest paid has been charged so far on this payment date.
    pub fee_on_paid: Vec<Fen>,
    pub fee_charged_total: Vec<Fen>,
    pub one_off_done: Vec<bool>,
    pub tax_carry: Vec<Fen>,
    /// What each tax, then each fee, was paid over the run, as its rows state it (the
    /// conservation check compares it with the ledger, `verify`).
    pub charge_paid: Vec<Fen>,
    pub support_total: Vec<Fen>,
    pub support_period: Vec<Fen>,
    /// What each support was repaid of its draws over the run (`repay_support`).
    pub support_repaid: Vec<Fen>,
    /// Each support's interest on its draws (`interest_rate`) accrued and not yet paid.
    pub support_interest_owed: Vec<Fen>,
    /// Each support's interest paid over the run (`repay_support`).
    pub support_interest_paid: Vec<Fen>,
    /// Each `interest_at_maturity` tranche's interest accrued and not yet due (到期一次还本付息).
    pub deferred_interest: Vec<Fen>,
    /// Each early payment of deferred interest (an `amount = "available"` step): the payment
    /// date (index), the tranche and the amount; what a restated report that paid less gives
    /// back to the deferral (review 43f F5). Empty unless a deal defers interest.
    pub early_deferred: Vec<(usize, usize, Fen)>,
    /// Each tranche's principal paid on the date before the `pay_principal` step running now
    /// (what [`Run::first_junior`] compares), kept while no junior was found.
    pub principal_before: Vec<Fen>,
    /// Whether each support is drawn on this date: not in the scenario's `supports_off`, and
    /// not failed (`support_failures`).
    pub support_on: Vec<bool>,
    /// Whether each support's provider has failed by this date (`support_failures`): what a
    /// `support_failed` trigger tests. A support in `supports_off` is absent, not failed.
    pub support_failed: Vec<bool>,
    /// Each failed support's first payment date without it, the date of the cause and why it
    /// failed (review 34c item M3: a `fails_with` failure was in no output); `None` while it
    /// stands.
    pub support_failure: Vec<Option<(NaiveDate, NaiveDate, String)>>,
    pub tripped: Vec<bool>,
    /// Each tranche's principal per 100 yuan stated by its notices so far, in units of the
    /// notices' last decimal place: the final notice redeems what is left of the 100.
    pub redeemed_per_100: Vec<Fen>,
    /// `tripped` as it was before this date's after-waterfall test: a restated date tests
    /// those conditions again on what was reported ([`Run::retest_triggers`]).
    pub tripped_before: Vec<bool>,
    /// Whether the ledger's entries are kept (a full run) or only replayed into `accounts`
    /// as they happen (a lean run: sweeps without `--flows`, searches).
    pub keep_ledger: bool,
    pub ledger: Vec<LedgerEntry>,
    /// Every account's net balance, moved with each entry: the running replay.
    pub accounts: Balances,
    /// The first entry that broke the running replay (a non-positive amount, an internal
    /// account below zero, an amount beyond Decimal's range).
    pub broken: Option<String>,
    /// Set when a rounded product (`Run::money`) left Decimal's range: the run stops with an
    /// error at its check ([`super::verify::verify`]) instead of paying a made-up amount.
    pub beyond_range: std::cell::Cell<Option<usize>>,
    pub periods: Vec<PeriodRow>,
    pub flows: Vec<TrancheFlowRow>,
    /// Each tranche's running totals over its rows: its summary row.
    pub totals: Vec<TrancheTotals>,
    pub charges: Vec<ChargeRow>,
    pub notices: Vec<super::result::NoticeRow>,
    pub reserve_funding: Fen,
    // Current period context.
    pub k: usize,
    pub date: NaiveDate,
    pub cash: PoolCash,
    pub due: Due,
    pub paid: Paid,
    /// Scratch list of (index, amount) items of a step, kept to reuse its allocation.
    pub items: Vec<(usize, Fen)>,
    /// Balances of the named accounts (`Deal::accounts`).
    pub named: Vec<Fen>,
    /// The account the running step pays from: its balance is in `collection` while it runs
    /// (the named account's balance is swapped in and out around the step).
    pub src: Account,
    /// With `[notices] per_unit` (empty otherwise): the account each tranche's interest and
    /// principal were last paid from, to which its 尾差 goes back (review 27c item 1: with
    /// named accounts it went to the collection account, which no step draws from).
    pub unit_src: Vec<(Account, Account)>,
    /// The principal deficiency ledger's balance (no cash).
    pub pdl: Fen,
    /// The waterfall running on this payment date.
    pub wf: usize,
    /// The run's path through the deal's statuses so far ([`RunResult::regime`]).
    pub regime: u64,
    /// Whether the clean-up call was exercised on this payment date: the run ends with it.
    pub called: bool,
    /// The current date runs as the plan's last (`[deal] end_when_repaid`): a trial of its
    /// waterfall repaid every tranche, so the last date's rules apply to it (every balance
    /// due, a reserve target of 0, `final_period` steps, the per-unit final payment).
    pub ending: bool,
    /// The plan ended on this date, every tranche repaid (`[deal] end_when_repaid`).
    pub ended: bool,
    /// The first payment date (index) that may run as the plan's last (`end_when_repaid`):
    /// 0, or in `reconcile` the date after the last reported one, whose figures say whether
    /// the plan ended.
    pub end_from: usize,
    /// In `reconcile`, the reported date (index) whose figures repay every tranche: it runs as
    /// the plan's last (review 31f item 1: run as an ordinary date, it left its residual and
    /// reserve in the plan).
    pub end_at: Option<usize>,
    /// With `[notices] per_unit`, whether the current date is the deal's last or the call
    /// date, on which every tranche is paid by its figures per 100 at each step.
    pub unit_final: bool,
    /// The clean-up call's price, paid in by the originator.
    pub call_price: Fen,
    /// What the asset guarantor has paid (担保代偿) and not yet recovered from the pool's
    /// recoveries (代位追偿): the recoveries it is still owed (`engine::guarantee`).
    pub guarantor_owed: Fen,
    /// The recoveries paid to the asset guarantor over the run.
    pub subrogated: Fen,
    /// Income the trust's cash earned between payment dates over the run (合格投资).
    pub invested: Fen,
    /// Defaulted principal the asset guarantor did not pay (its caps, its failure, left out)
    /// and the recoveries have not yet made good: the trust's claim, which ranks before the
    /// guarantor's (民法典 Art. 700).
    pub guarantee_uncovered: Fen,
    /// The asset guarantor's net money still in the collection and named accounts, taken as
    /// leaving them last (reviews 30c item 2, 30e item 2): what the coverage multiples leave
    /// out of the funds ([`Run::coverage_funds`]).
    pub guarantee_held: Fen,
    /// The deal's asset guarantee ([`Deal::asset_guarantee`]), found once per run.
    pub asset_guarantee: Option<usize>,
    /// The asset guarantee on the current date: (claims before it: the trust's uncovered
    /// defaults and the guarantor's; the date's defaults and recoveries; what it paid and was
    /// paid back; the PDL before the payment), for `reconcile` to work the date again from a
    /// reported payment.
    pub guarantee_date: [Fen; 7],
    /// Cash held by a conditional step (`CashHeld`), reported once per account.
    pub held_warned: Vec<Account>,
    /// The first step of each paying account that a condition kept from running on the
    /// current payment date (`cash_held`); one buffer for all dates.
    pub skipped: Vec<(AccountRef, usize)>,
    pub held_warnings: Vec<Warning>,
    /// Cash the restatement of the current payment date has created (taken, when negative)
    /// from the restatement account: 0 for a report that adds up (`reconcile`).
    pub restated_net: Fen,
    /// The first payment date (index) on which a support paid, and whether every tranche was
    /// repaid before it: a run without defaults or delays that draws one is warned of
    /// ([`Check::SupportWithoutDefaults`](crate::error::Check::SupportWithoutDefaults)).
    pub first_draw: Option<(usize, bool)>,
    /// The first principal paid to a tranche while a tranche of a more senior class was
    /// outstanding and not in the same pro rata step ([`super::end::JuniorFirst`]).
    pub first_junior: Option<super::end::JuniorFirst>,
    /// Whether the run looks for [`Run::first_junior`]: not in a scenario with defaults or a
    /// delay, whose run [`Check::JuniorBeforeSenior`](crate::error::Check::JuniorBeforeSenior)
    /// does not tell anyway (a sweep's stressed scenarios skip the per-step check).
    pub judge_juniors: bool,
    /// The first trigger tripped and the payment date (index) it tripped on.
    pub first_trip: Option<(usize, usize)>,
    /// The same, of the triggers the deal does not mean to trip ([`Trigger::trips_by_design`]
    /// false): what [`Check::TripsWithoutDefaults`](crate::error::Check::TripsWithoutDefaults)
    /// is about.
    ///
    /// [`Trigger::trips_by_design`]: crate::deal::Trigger::trips_by_design
    pub first_unplanned: Option<(usize, usize)>,
    /// The revolving period has ended early (an end trigger tripped).
    pub revolving_over: bool,
    /// `revolving_over` before this date's after-waterfall test (see `tripped_before`).
    pub revolving_over_before: bool,
    /// Cash paid for revolving purchases so far.
    pub purchased: Fen,
    /// The collection period (index) whose pool cash a failed servicer keeps a share of, and
    /// that share (scenario `commingling`, [`super::commingling`]); `None` in `reconcile` when
    /// the period was reported.
    pub commingle_at: Option<(usize, Decimal)>,
    /// The pool rows of the obligors the purchases created (merged into the pool's rows at
    /// the end of the run).
    pub purchased_rows: crate::pool::rows::PoolFlows,
}

/// The names of the tripped triggers, comma-separated, in the deal's order, as a period row
/// states them; empty (no allocation) when none is tripped. Also the restated row's
/// (`restate`).
pub(super) fn tripped_names(deal: &Deal, tripped: &[bool]) -> String {
    let mut names = String::new();
    for (trig, _) in deal.triggers.iter().zip(tripped).filter(|(_, t)| **t) {
        if !names.is_empty() {
            names.push(',');
        }
        names.push_str(&trig.name);
    }
    names
}

/// A count of fen as a Decimal for a row, or an error beyond Decimal's range.
///
/// Inlined: built out of line, the `Result` went through memory, its Decimal written in 4-byte
/// parts and read back whole, a stalled store-to-load forward per amount of every row.
#[inline(always)]
pub(super) fn dec(f: Fen) -> Result<Decimal> {
    match from_fen(f) {
        Some(d) => Ok(d),
        None => Err(beyond_decimal(f)),
    }
}

#[cold]
#[inline(never)]
fn beyond_decimal(f: Fen) -> Error {
    // The deal's amounts and rates, not a bug (exit code 2; review 27b item M1).
    Error::Usage(format!(
        "an amount of {f} fen is beyond what the engine holds exactly (Decimal's range): check \
         the deal's amounts (yuan, not fen) and whether interest compounds on a shortfall for \
         decades"
    ))
}

impl<'a> Run<'a> {
    pub(super) fn new(
        plan: &'a DealPlan<'a>,
        scenario: &'a Scenario,
        pool: PoolProjection,
        keep_ledger: bool,
        b: &mut RunBuffers,
    ) -> Result<Self> {
        let deal = plan.deal;
        let nt = deal.tranches.len();
        let mut support_on = b.flags(deal.supports.len(), true);
        for &s in &scenario.supports_off {
            if let Some(on) = support_on.get_mut(s) {
                *on = false;
            }
        }
        let ledger_capacity = if keep_ledger { plan.ledger_capacity } else { 0 };
        let mut run = Run {
            deal,
            scenario,
            pool,
            labels: &plan.labels,
            year_fraction: &plan.year_fraction,
            support_interest: plan.support_interest,
            coupons: super::rates::tranche_coupons(deal, scenario)?,
            lookahead_coupons: None,
            senior: &plan.senior,
            issue_size: plan.issue_size,
            collection: 0,
            reserve: 0,
            balance: b.copy(&plan.balance),
            interest_carry: b.zeros(nt),
            redeemed_per_100: b.zeros(nt),
            fee_carry: b.zeros(deal.fees.len()),
            fee_excess_carry: b.zeros(deal.fees.len()),
            fee_on_paid: b.zeros(deal.fees.len()),
            fee_charged_total: b.zeros(deal.fees.len()),
            one_off_done: b.flags(deal.fees.len(), false),
            tax_carry: b.zeros(deal.taxes.len()),
            charge_paid: b.zeros(deal.taxes.len() + deal.fees.len()),
            support_total: b.zeros(deal.supports.len()),
            support_period: b.zeros(deal.supports.len()),
            support_repaid: b.zeros(deal.supports.len()),
            support_interest_owed: b.zeros(deal.supports.len()),
            support_interest_paid: b.zeros(deal.supports.len()),
            deferred_interest: b.zeros(nt),
            principal_before: b.zeros(nt),
            early_deferred: Vec::new(),
            support_on,
            support_failed: b.flags(deal.supports.len(), false),
            support_failure: vec![None; deal.supports.len()],
            tripped: b.flags(deal.triggers.len(), false),
            tripped_before: b.flags(deal.triggers.len(), false),
            keep_ledger,
            ledger: Vec::with_capacity(ledger_capacity),
            accounts: Balances::new_in(deal, b),
            broken: None,
            beyond_range: std::cell::Cell::new(None),
            // A lean run keeps no period, fee or tax rows: nothing to reserve for them.
            periods: Vec::with_capacity(if keep_ledger { deal.periods.len() } else { 0 }),
            flows: Vec::with_capacity(deal.periods.len() * nt),
            totals: {
                let mut t = RunBuffers::take(&mut b.totals);
                t.resize(nt, TrancheTotals::default());
                t
            },
            charges: Vec::with_capacity(if keep_ledger {
                deal.periods.len() * (deal.taxes.len() + deal.fees.len())
            } else {
                0
            }),
            // A notice per tranche and date at most, where the run makes them.
            notices: Vec::with_capacity(
                if super::notice::makes_notices(keep_ledger, &deal.notices) {
                    deal.periods.len() * nt
                } else {
                    0
                },
            ),
            reserve_funding: 0,
            k: 0,
            date: deal.closing_date,
            cash: PoolCash::default(),
            due: Due::new_in(b),
            paid: Paid::new(deal, b),
            items: RunBuffers::take(&mut b.items),
            named: b.zeros(deal.accounts.names.len()),
            src: Account::Collection,
            unit_src: if deal.notices.per_unit {
                vec![(Account::Collection, Account::Collection); nt]
            } else {
                Vec::new()
            },
            pdl: 0,
            wf: 0,
            regime: REGIME_SEED,
            called: false,
            ending: false,
            ended: false,
            end_from: 0,
            end_at: None,
            unit_final: false,
            call_price: 0,
            guarantor_owed: 0,
            guarantee_held: 0,
            first_draw: None,
            first_junior: None,
            judge_juniors: scenario.cdr.is_zero()
                && scenario.default_rate.is_zero()
                && scenario.obligor_defaults.is_empty()
                && scenario.delay_fraction.is_zero()
                && !deal
                    .allow
                    .contains(&crate::error::Check::JuniorBeforeSenior),
            first_trip: None,
            first_unplanned: None,
            subrogated: 0,
            invested: 0,
            guarantee_uncovered: 0,
            asset_guarantee: deal.asset_guarantee(),
            guarantee_date: [0; 7],
            held_warned: RunBuffers::take(&mut b.held_warned),
            skipped: RunBuffers::take(&mut b.skipped),
            held_warnings: Vec::new(),
            restated_net: 0,
            revolving_over: false,
            revolving_over_before: false,
            purchased: 0,
            commingle_at: super::commingling::lost_period(deal, scenario),
            purchased_rows: crate::pool::rows::PoolFlows::new(),
        };
        if let Some(r) = &deal.reserve
            && r.initial > Decimal::ZERO
        {
            let initial = to_fen(r.initial);
            run.reserve = initial;
            run.reserve_funding = initial;
            run.record(
                0,
                0,
                Movement::FundReserve,
                &Label::Static("reserve"),
                (Account::Originator, Account::Reserve),
                initial,
                "reserve funded at closing",
            );
        }
        Ok(run)
    }

    /// Cumulative defaults through collection period `k` over the cutoff balance, as the
    /// period rows report it (6 places, half away from zero); zero without a balance.
    pub(super) fn cumulative_default_ratio(&self, k: usize) -> Decimal {
        let Some(pc) = self.pool.periods.get(k) else {
            return Decimal::ZERO;
        };
        report_ratio(pc.cumulative_defaults, self.pool.initial_balance).unwrap_or(Decimal::ZERO)
    }

    pub(super) fn senior_balance(&self) -> Fen {
        self.senior.iter().map(|&i| self.balance[i]).sum()
    }

    /// Notes support `s`'s failure from this payment date for a cause dated `cause`: the first
    /// date it fails on stands, and on that date the earliest cause.
    fn note_failure(&mut self, s: usize, cause: NaiveDate, why: impl FnOnce() -> String) {
        let date = self.date;
        match &mut self.support_failure[s] {
            Some((from, _, _)) if *from != date => {}
            Some((_, at, _)) if *at <= cause => {}
            slot => *slot = Some((date, cause, why())),
        }
    }

    /// Runs payment date `k`: deposit, what is due, triggers, the waterfall, triggers again,
    /// then the period's rows.
    pub(super) fn period(&mut self, k: usize) -> Result<()> {
        let deal = self.deal;
        let p = deal.periods[k];
        self.k = k;
        self.date = p.date();
        self.ending = false;
        self.paid.reset(deal.notices.per_unit);
        self.support_period.iter_mut().for_each(|x| *x = 0);
        if self.support_interest {
            self.accrue_support_interest(k);
        }
        // A provider that fails from a date pays nothing on this date if the date is on or
        // after it (scenario `support_failures`).
        for &(s, from) in &self.scenario.support_failures {
            if self.date >= from
                && let Some(on) = self.support_on.get_mut(s)
            {
                *on = false;
                self.support_failed[s] = true;
                self.note_failure(s, from, || format!("its provider fails on {from}"));
            }
        }
        // A provider whose failure goes with an obligor's default (`fails_with`) fails from
        // the date that obligor, or any obligor of its group, defaults by name (a group defaults
        // at its earliest named date); one the scenario leaves out stays absent.
        // The cause told is the earliest named default of the group (review 34d item L3: the
        // first in the scenario's order was told), or a `support_failures` date before it on
        // the same payment date.
        for (s, sup) in deal.supports.iter().enumerate() {
            let failed_today = self.support_failure[s]
                .as_ref()
                .is_some_and(|f| f.0 == self.date);
            if let Some(o) = sup.fails_with
                && (self.support_on[s] || failed_today)
                && let Some((x, d)) = deal.group_default(o, &self.scenario.obligor_defaults)
                && self.date >= d
            {
                self.support_on[s] = false;
                self.support_failed[s] = true;
                let name = deal.obligors.get(x).map_or("", |ob| ob.name.as_str());
                self.note_failure(s, d, || {
                    format!("fails_with: obligor `{name}` defaults on {d}")
                });
            }
        }
        let c = &self.pool.periods[k];
        self.cash = PoolCash {
            collected: to_fen(c.collected),
            recovered: to_fen(c.recovered),
            interest_collected: to_fen(c.interest_collected),
            balance_start: to_fen(c.balance_start),
            balance_end: to_fen(c.balance_end),
        };
        let cash = self.cash;

        // 1. Deposit pool cash (by source into the named accounts when the deal has them),
        // then the clean-up call's price when the call is exercised. First, what the cash
        // held since the last date earned (合格投资).
        let brought_forward = self.cash_total();
        // The asset guarantor's money still held is what the accounts hold of it at most (it
        // leaves them last), and not below 0 (recoveries it took on an earlier date are gone).
        self.guarantee_held = self.guarantee_held.min(brought_forward).max(0);
        self.investment_income(k);
        if deal.accounts.split() {
            self.deposit_by_source(k);
        } else {
            self.collection += cash.cash();
            let deposit = (Account::Pool, Account::Collection);
            self.entry(
                0,
                Movement::Deposit,
                &Label::Static("collections"),
                deposit,
                cash.collected,
                "pool collections of the period",
            );
            self.entry(
                0,
                Movement::Deposit,
                &Label::Static("recoveries"),
                deposit,
                cash.recovered,
                "recoveries received in the period",
            );
        }
        self.commingle(k);
        self.book_defaults(k);
        self.asset_guarantee(k);
        let offer = self.call_offer(k)?;
        let mut available = self.cash_total();

        // 2. What is due, and the coverage multiples; the call, if it is offered and (with
        // `repays_senior`) pays the senior; with `per_unit`, the last date's and the call
        // date's interest due cut to the per-unit figures.
        self.compute_due(k, self.coverage_funds());
        if let Some(price) = offer
            && self.call_repays(k, price)?
        {
            self.exercise_call(k, price);
            available = self.cash_total();
        }
        if deal.end_when_repaid
            && !self.is_final()
            && (self.end_at == Some(k) || (k >= self.end_from && self.trial_repays_all(k)?))
        {
            self.end_here(k);
        }
        let (wf_ix, senior_cov, cdr_ratio) = self.waterfall_of(k)?;
        if self.judge_juniors {
            self.clear_junior_repaid();
        }

        // 5. Triggers tested after the waterfall; they pick the next date's waterfall.
        self.tripped_before.copy_from_slice(&self.tripped);
        self.revolving_over_before = self.revolving_over;
        self.test_triggers(Phase::AfterWaterfall);
        self.end_revolving_on_triggers();
        if self.first_draw.is_none() && self.support_period.iter().any(|&x| x > 0) {
            let repaid =
                (0..self.balance.len()).all(|i| self.balance[i] + self.paid.principal[i] <= 0);
            self.first_draw = Some((k, repaid));
        }

        self.carry_and_record(k, brought_forward, available, senior_cov, cdr_ratio, wf_ix)?;
        // 专项计划终止: the date ran as the last, and repaid every tranche and its interest.
        self.ended = self.ending && self.all_repaid();
        Ok(())
    }

    /// Steps 2 to 4 of payment date `k` once its dues are known: with `per_unit`, the last
    /// date's and the call date's interest due cut to the per-unit figures; the triggers
    /// tested before the waterfall, which pick it; the waterfall; the notices (with
    /// `per_unit`, their residuals go back). Returns the waterfall run, the senior coverage
    /// multiple and the cumulative default ratio of the period row. A trial of the call date
    /// runs it too ([`Run::call_repays`]).
    #[inline(always)]
    pub(super) fn waterfall_of(&mut self, k: usize) -> Result<(usize, Option<Decimal>, Decimal)> {
        let deal = self.deal;
        self.cut_final_dues(k);
        // The period row's report ratios; a lean run keeps no period rows (triggers compare
        // the exact ratios themselves).
        let senior_cov = match self.senior_coverage() {
            Some((n, d)) if self.keep_ledger => ratio_of_fen(n, d)?,
            _ => None,
        };

        // 3. Triggers tested before the waterfall; they pick this date's waterfall.
        let cdr_ratio = if self.keep_ledger {
            self.cumulative_default_ratio(k)
        } else {
            Decimal::ZERO
        };
        self.test_triggers(Phase::BeforeWaterfall);
        self.end_revolving_on_triggers();
        let wf_ix = match (&deal.clean_up_call, self.called) {
            (Some(c), true) => c.waterfall,
            _ => self.revolving_waterfall(self.active_waterfall()),
        };
        self.wf = wf_ix;
        self.regime = (self.regime ^ wf_ix as u64).wrapping_mul(REGIME_PRIME);

        // 4. Run the waterfall.
        let steps = &deal.waterfalls[wf_ix].steps;
        // The first step whose condition kept it from running, per paying account.
        let mut skipped = std::mem::take(&mut self.skipped);
        skipped.clear();
        for (s, step) in steps.iter().enumerate() {
            let step_no = (s + 1) as u32;
            let runs = step.when.as_ref().is_none_or(|c| self.holds(c));
            if step.when.is_some() {
                self.regime = self.regime.rotate_left(1) ^ u64::from(runs);
            }
            if runs {
                self.step_from(step_no, step)?;
            } else {
                let from = match step.action {
                    Action::Transfer { from, .. } => from,
                    _ => step.from,
                };
                if skipped.iter().all(|x| x.0 != from) {
                    skipped.push((from, s));
                }
            }
        }
        self.cash_held(&skipped);
        self.skipped = skipped;

        // Payment notices per 100 yuan; with `per_unit`, the residuals go back.
        self.notices(k)?;
        Ok((wf_ix, senior_cov, cdr_ratio))
    }
}

/// The start of [`Run::regime`]: FNV-1a's offset basis.
const REGIME_SEED: u64 = 0xcbf2_9ce4_8422_2325;
/// The multiplier that mixes each payment date's waterfall into [`Run::regime`]: FNV-1a's
/// 64-bit prime.
const REGIME_PRIME: u64 = 0x0000_0100_0000_01b3;
