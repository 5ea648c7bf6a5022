//! The mutable state of one run and the execution of waterfall steps.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::ratio;
use super::result::{
    Conservation, Label, LedgerEntry, PeriodRow, RunResult, SupportDrawTotal, TrancheFlowRow,
};
use crate::deal::{
    Action, Amortization, Base, Cover, Deal, FeeKind, PrincipalAmount, PrincipalOrder,
    ReserveTarget, StepCondition, TrancheClass, TriggerCondition, TriggerKind,
};
use crate::error::{Error, Result, Warning};
use crate::money::{clamp0, fen, gt, lt, min, minus, negative, plus, positive, sum};
use crate::pool::projection::{PeriodCash, PoolProjection};
use crate::scenario::Scenario;

const COLLECTION: &str = "collection";
const RESERVE: &str = "reserve";
/// The account names as bytes, for comparing ledger labels ([`Label::as_bytes`]).
const COLLECTION_BYTES: &[u8] = COLLECTION.as_bytes();
const RESERVE_BYTES: &[u8] = RESERVE.as_bytes();

/// What is due on the current payment date, before any payment.
#[derive(Debug, Clone, Default)]
struct Due {
    tax: Vec<Decimal>,
    fee: Vec<Decimal>,
    interest: Vec<Decimal>,
    principal: Vec<Decimal>,
    /// Coverage multiple of each tranche and everything senior to it.
    coverage: Vec<Option<Decimal>>,
}

/// What was paid on the current payment date.
#[derive(Debug, Clone, Default)]
struct Paid {
    tax: Vec<Decimal>,
    fee: Vec<Decimal>,
    interest: Vec<Decimal>,
    principal: Vec<Decimal>,
    residual: Vec<Decimal>,
    reserve_draws: Decimal,
    support_draws: Decimal,
    reserve_deposit: Decimal,
}

impl Due {
    fn clear(&mut self) {
        self.tax.clear();
        self.fee.clear();
        self.interest.clear();
        self.principal.clear();
        self.coverage.clear();
    }
}

impl Paid {
    /// Zero for the next payment date, keeping the allocations.
    fn reset(&mut self) {
        for v in [
            &mut self.tax,
            &mut self.fee,
            &mut self.interest,
            &mut self.principal,
            &mut self.residual,
        ] {
            v.iter_mut().for_each(|x| *x = Decimal::ZERO);
        }
        self.reserve_draws = Decimal::ZERO;
        self.support_draws = Decimal::ZERO;
        self.reserve_deposit = Decimal::ZERO;
    }

    fn new(deal: &Deal) -> Paid {
        let z = |n: usize| vec![Decimal::ZERO; n];
        Paid {
            tax: z(deal.taxes.len()),
            fee: z(deal.fees.len()),
            interest: z(deal.tranches.len()),
            principal: z(deal.tranches.len()),
            residual: z(deal.tranches.len()),
            ..Paid::default()
        }
    }
}

/// Every name a run's rows mention, built once per run and shared by the rows.
struct Labels {
    tranche: Vec<Label>,
    to_tranche: Vec<Label>,
    fee: Vec<Label>,
    to_fee: Vec<Label>,
    tax: Vec<Label>,
    to_tax: Vec<Label>,
    from_support: Vec<Label>,
    waterfall: Vec<Label>,
}

impl Labels {
    fn new(deal: &Deal) -> Labels {
        fn names<'d>(v: impl Iterator<Item = &'d String>) -> Vec<Label> {
            v.map(Label::from).collect()
        }
        /// `prefix:name` for each name.
        fn prefixed<'d>(prefix: &str, v: impl Iterator<Item = &'d String>) -> Vec<Label> {
            v.map(|n| {
                let mut s = String::with_capacity(prefix.len() + 1 + n.len());
                s.push_str(prefix);
                s.push(':');
                s.push_str(n);
                Label::from(s)
            })
            .collect()
        }
        let tranches = || deal.tranches.iter().map(|t| &t.name);
        let fees = || deal.fees.iter().map(|t| &t.name);
        let taxes = || deal.taxes.iter().map(|t| &t.name);
        Labels {
            tranche: names(tranches()),
            to_tranche: prefixed("tranche", tranches()),
            fee: names(fees()),
            to_fee: prefixed("fee", fees()),
            tax: names(taxes()),
            to_tax: prefixed("tax", taxes()),
            from_support: prefixed("support", deal.supports.iter().map(|t| &t.name)),
            waterfall: names(deal.waterfalls.iter().map(|w| &w.name)),
        }
    }
}

pub(super) struct Run<'a> {
    deal: &'a Deal,
    scenario: &'a Scenario,
    pool: PoolProjection,
    labels: Labels,
    /// Year fraction of each period's accrual (start to payment date), computed once.
    year_fraction: Vec<Decimal>,
    /// Indices of the senior tranches.
    senior: Vec<usize>,
    /// Sum of the tranches' initial balances.
    issue_size: Decimal,
    collection: Decimal,
    reserve: Decimal,
    balance: Vec<Decimal>,
    interest_carry: Vec<Decimal>,
    fee_carry: Vec<Decimal>,
    fee_charged_total: Vec<Decimal>,
    one_off_done: Vec<bool>,
    tax_carry: Vec<Decimal>,
    support_total: Vec<Decimal>,
    support_period: Vec<Decimal>,
    support_on: Vec<bool>,
    tripped: Vec<bool>,
    ledger: Vec<LedgerEntry>,
    periods: Vec<PeriodRow>,
    flows: Vec<TrancheFlowRow>,
    reserve_funding: Decimal,
    // Current period context.
    k: usize,
    date: NaiveDate,
    due: Due,
    paid: Paid,
    /// Scratch list of (index, amount) items of a step, kept to reuse its allocation.
    items: Vec<(usize, Decimal)>,
}

impl<'a> Run<'a> {
    pub(super) fn new(deal: &'a Deal, scenario: &'a Scenario, pool: PoolProjection) -> Self {
        let nt = deal.tranches.len();
        let mut support_on = vec![true; deal.supports.len()];
        for &s in &scenario.supports_off {
            if let Some(on) = support_on.get_mut(s) {
                *on = false;
            }
        }
        // Upper bound on the ledger's length in a typical run: two deposits a period and, per
        // step, a payment and a draw.
        let max_steps = deal
            .waterfalls
            .iter()
            .map(|w| w.steps.len())
            .max()
            .unwrap_or(0);
        let ledger_capacity = 1 + deal.periods.len() * (2 + 2 * max_steps);
        let mut run = Run {
            deal,
            scenario,
            pool,
            labels: Labels::new(deal),
            year_fraction: deal
                .periods
                .iter()
                .map(|p| deal.day_count.year_fraction(p.accrual_start, p.date()))
                .collect(),
            senior: (0..nt)
                .filter(|&i| deal.tranches[i].class == TrancheClass::Senior)
                .collect(),
            issue_size: deal.issue_size(),
            collection: Decimal::ZERO,
            reserve: Decimal::ZERO,
            balance: deal.tranches.iter().map(|t| t.balance).collect(),
            interest_carry: vec![Decimal::ZERO; nt],
            fee_carry: vec![Decimal::ZERO; deal.fees.len()],
            fee_charged_total: vec![Decimal::ZERO; deal.fees.len()],
            one_off_done: vec![false; deal.fees.len()],
            tax_carry: vec![Decimal::ZERO; deal.taxes.len()],
            support_total: vec![Decimal::ZERO; deal.supports.len()],
            support_period: vec![Decimal::ZERO; deal.supports.len()],
            support_on,
            tripped: vec![false; deal.triggers.len()],
            ledger: Vec::with_capacity(ledger_capacity),
            periods: Vec::with_capacity(deal.periods.len()),
            flows: Vec::with_capacity(deal.periods.len() * nt),
            reserve_funding: Decimal::ZERO,
            k: 0,
            date: deal.closing_date,
            due: Due::default(),
            paid: Paid::new(deal),
            items: Vec::new(),
        };
        if let Some(r) = &deal.reserve
            && r.initial > Decimal::ZERO
        {
            run.reserve = r.initial;
            run.reserve_funding = r.initial;
            run.ledger.push(LedgerEntry {
                period: 0,
                date: deal.closing_date,
                step: 0,
                action: Label::Static("fund_reserve"),
                item: Label::Static(RESERVE),
                source: Label::Static("originator"),
                destination: Label::Static(RESERVE),
                amount: r.initial,
                reason: Label::Static("reserve funded at closing"),
            });
        }
        run
    }

    /// Records a movement of `amount` along `route` (source, destination); zero amounts are not
    /// recorded.
    fn entry(
        &mut self,
        step: u32,
        action: &'static str,
        item: Label,
        route: (Label, Label),
        amount: Decimal,
        reason: &'static str,
    ) {
        let (source, destination) = route;
        if amount.is_zero() {
            return;
        }
        self.ledger.push(LedgerEntry {
            period: self.deal.periods[self.k].number,
            date: self.date,
            step,
            action: Label::Static(action),
            item,
            source,
            destination,
            amount,
            reason: Label::Static(reason),
        });
    }

    fn senior_balance(&self) -> Decimal {
        sum(self.senior.iter().map(|&i| self.balance[i]))
    }

    /// Value of a base for this period; balance bases are multiplied by the year fraction.
    fn base_amount(&self, base: Base, cash: &PeriodCash, yf: Decimal) -> Decimal {
        match base {
            Base::Tranche(i) => self.balance[i] * yf,
            Base::SeniorBalance => self.senior_balance() * yf,
            Base::PoolBalance => cash.balance_start * yf,
            Base::IssueSize => self.issue_size * yf,
            Base::InterestCollections => cash.interest_collected,
            Base::Collections => cash.cash(),
        }
    }

    /// Principal contractually due for tranche `i` on payment date `k`.
    fn principal_due(&self, i: usize, k: usize) -> Decimal {
        let t = &self.deal.tranches[i];
        let p = &self.deal.periods[k];
        let bal = self.balance[i];
        let matured =
            p.payment.unadjusted >= t.expected_maturity || p.date() >= t.expected_maturity;
        if matured || k + 1 == self.deal.periods.len() {
            return bal;
        }
        match &t.amortization {
            Amortization::PassThrough | Amortization::Bullet => Decimal::ZERO,
            Amortization::Scheduled(table) => {
                let target = table
                    .iter()
                    .rev()
                    .find(|(d, _)| *d <= p.payment.unadjusted || *d <= p.date())
                    .map(|(_, b)| *b);
                match target {
                    Some(tb) => clamp0(minus(bal, tb)),
                    None => Decimal::ZERO,
                }
            }
        }
    }

    pub(super) fn period(&mut self, k: usize) -> Result<()> {
        let deal = self.deal;
        let p = deal.periods[k];
        self.k = k;
        self.date = p.date();
        self.paid.reset();
        self.support_period
            .iter_mut()
            .for_each(|x| *x = Decimal::ZERO);
        let cash = self.pool.periods[k];
        let pool_cash = cash.cash();

        // 1. Deposit pool cash.
        let brought_forward = self.collection;
        self.collection = plus(self.collection, pool_cash);
        self.entry(
            0,
            "deposit",
            Label::Static("collections"),
            (Label::Static("pool"), Label::Static(COLLECTION)),
            cash.collected,
            "pool collections of the period",
        );
        self.entry(
            0,
            "deposit",
            Label::Static("recoveries"),
            (Label::Static("pool"), Label::Static(COLLECTION)),
            cash.recovered,
            "recoveries received in the period",
        );
        let available = self.collection;

        // 2. What is due.
        let yf = self.year_fraction[k];
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        for (j, tax) in deal.taxes.iter().enumerate() {
            let base = self.base_amount(tax.base, &cash, yf);
            due.tax.push(plus(fen(tax.rate * base), self.tax_carry[j]));
        }
        for (j, fee) in deal.fees.iter().enumerate() {
            let mut charge = match &fee.kind {
                FeeKind::Fixed(a) => *a,
                FeeKind::AnnualRate { rate, base } => {
                    fen(*rate * self.base_amount(*base, &cash, yf))
                }
                FeeKind::OneOff { amount, date } => {
                    if !self.one_off_done[j] && (p.date() >= *date || p.payment.unadjusted >= *date)
                    {
                        self.one_off_done[j] = true;
                        *amount
                    } else {
                        Decimal::ZERO
                    }
                }
            };
            if let Some(cap) = fee.cap_per_period {
                charge = min(charge, cap);
            }
            if let Some(cap) = fee.cap_total {
                charge = min(charge, clamp0(minus(cap, self.fee_charged_total[j])));
            }
            self.fee_charged_total[j] = plus(self.fee_charged_total[j], charge);
            due.fee.push(plus(charge, self.fee_carry[j]));
        }
        for (i, t) in deal.tranches.iter().enumerate() {
            due.interest.push(plus(
                fen(self.balance[i] * t.coupon * yf),
                self.interest_carry[i],
            ));
            due.principal.push(self.principal_due(i, k));
        }

        // Coverage multiples: (available − taxes − fees) over the interest and principal due of
        // the tranche and everything senior to it.
        let senior_items = sum(due.tax.iter().chain(&due.fee).copied());
        let numerator = clamp0(minus(available, senior_items));
        let mut denominator = Decimal::ZERO;
        let mut senior_cov = None;
        for (i, t) in deal.tranches.iter().enumerate() {
            denominator = plus(denominator, plus(due.interest[i], due.principal[i]));
            let c = ratio(numerator, denominator);
            due.coverage.push(c);
            if t.class == TrancheClass::Senior {
                senior_cov = c;
            }
        }
        self.due = due;

        // 3. Triggers tested before the waterfall.
        let initial_pool = self.pool.initial_balance;
        let cdr_ratio = ratio(cash.cumulative_defaults, initial_pool).unwrap_or(Decimal::ZERO);
        for (ti, trig) in deal.triggers.iter().enumerate() {
            let hit = match trig.condition {
                TriggerCondition::CumulativeDefaultRatioAbove(x) => Some(gt(cdr_ratio, x)),
                TriggerCondition::CoverageBelow(x) => Some(senior_cov.is_some_and(|c| lt(c, x))),
                _ => None,
            };
            if let Some(hit) = hit {
                self.tripped[ti] = if trig.curable {
                    hit
                } else {
                    self.tripped[ti] || hit
                };
            }
        }
        let wf_ix = self.active_waterfall();

        // 4. Run the waterfall.
        let steps = &deal.waterfalls[wf_ix].steps;
        for (s, step) in steps.iter().enumerate() {
            let step_no = (s + 1) as u32;
            let runs = match step.when {
                None => true,
                Some(StepCondition::SeniorPaidOff) => self.senior_balance().is_zero(),
                Some(StepCondition::FinalPeriod) => k + 1 == deal.periods.len(),
            };
            if runs {
                self.step(step_no, &step.action)?;
            }
        }

        // 5. Triggers tested after the waterfall.
        let senior_short = self
            .senior
            .iter()
            .any(|&i| lt(self.paid.interest[i], self.due.interest[i]));
        let past_legal =
            p.date() >= deal.legal_maturity || p.payment.unadjusted >= deal.legal_maturity;
        let senior_outstanding = past_legal && positive(self.senior_balance());
        for (ti, trig) in deal.triggers.iter().enumerate() {
            let hit = match trig.condition {
                TriggerCondition::SeniorInterestShortfall => Some(senior_short),
                TriggerCondition::SeniorOutstandingAtLegalMaturity => Some(senior_outstanding),
                _ => None,
            };
            if let Some(hit) = hit {
                self.tripped[ti] = if trig.curable {
                    hit
                } else {
                    self.tripped[ti] || hit
                };
            }
        }

        // Carry shortfalls and record rows.
        for j in 0..deal.taxes.len() {
            self.tax_carry[j] = minus(self.due.tax[j], self.paid.tax[j]);
        }
        for j in 0..deal.fees.len() {
            self.fee_carry[j] = minus(self.due.fee[j], self.paid.fee[j]);
        }
        let mut interest_total = Decimal::ZERO;
        let mut principal_total = Decimal::ZERO;
        let mut residual_total = Decimal::ZERO;
        for (i, t) in deal.tranches.iter().enumerate() {
            let start = plus(self.balance[i], self.paid.principal[i]);
            self.interest_carry[i] = minus(self.due.interest[i], self.paid.interest[i]);
            interest_total = plus(interest_total, self.paid.interest[i]);
            principal_total = plus(principal_total, self.paid.principal[i]);
            residual_total = plus(residual_total, self.paid.residual[i]);
            self.flows.push(TrancheFlowRow {
                period: p.number,
                payment_date: p.date(),
                tranche: self.labels.tranche[i].clone(),
                class: Label::Static(t.class.name()),
                balance_start: start,
                interest_due: self.due.interest[i],
                interest_paid: self.paid.interest[i],
                interest_shortfall: self.interest_carry[i],
                principal_due: self.due.principal[i],
                principal_paid: self.paid.principal[i],
                residual_paid: self.paid.residual[i],
                balance_end: self.balance[i],
                coverage_multiple: self.due.coverage[i],
            });
        }
        // Names of the tripped triggers, comma-separated; empty (no allocation) if none.
        let mut tripped = String::new();
        let mut first = true;
        for (trig, _) in deal.triggers.iter().zip(&self.tripped).filter(|(_, t)| **t) {
            if !first {
                tripped.push(',');
            }
            first = false;
            tripped.push_str(&trig.name);
        }
        self.periods.push(PeriodRow {
            period: p.number,
            payment_date: p.date(),
            collection_start: p.collection_start,
            collection_end: p.collection_end,
            pool_cash,
            cash_brought_forward: brought_forward,
            available_funds: available,
            reserve_draws: self.paid.reserve_draws,
            support_draws: self.paid.support_draws,
            taxes_paid: sum(self.paid.tax.iter().copied()),
            fees_paid: sum(self.paid.fee.iter().copied()),
            interest_paid: interest_total,
            principal_paid: principal_total,
            residual_paid: residual_total,
            reserve_deposit: self.paid.reserve_deposit,
            coverage_multiple: senior_cov,
            cumulative_default_ratio: cdr_ratio,
            waterfall: self.labels.waterfall[wf_ix].clone(),
            triggers_tripped: tripped,
            collection_balance_end: self.collection,
            reserve_balance_end: self.reserve,
            pool_balance_end: cash.balance_end,
            senior_balance_end: self.senior_balance(),
        });
        Ok(())
    }

    /// The waterfall selected by the tripped triggers: an event of default beats an
    /// acceleration event; within a kind, the first trigger in file order wins.
    fn active_waterfall(&self) -> usize {
        let mut best: Option<(TriggerKind, usize)> = None;
        for (t, trig) in self.deal.triggers.iter().enumerate() {
            if self.tripped[t] && best.is_none_or(|(k, _)| trig.kind > k) {
                best = Some((trig.kind, trig.waterfall));
            }
        }
        best.map_or(0, |(_, w)| w)
    }

    /// Draws on the reserve and then on support providers until the collection account holds
    /// `need` for items of class `cover`, as far as they can.
    fn fund(&mut self, step: u32, cover: Cover, need: Decimal, item: Covered<'_>) {
        if !lt(self.collection, need) {
            return;
        }
        let item = item.label(&self.labels);
        let deal = self.deal;
        if let Some(r) = &deal.reserve
            && r.covers.contains(&cover)
        {
            let draw = min(minus(need, self.collection), self.reserve);
            if positive(draw) {
                self.reserve = minus(self.reserve, draw);
                self.collection = plus(self.collection, draw);
                self.paid.reserve_draws = plus(self.paid.reserve_draws, draw);
                self.entry(
                    step,
                    "draw_reserve",
                    item.clone(),
                    (Label::Static(RESERVE), Label::Static(COLLECTION)),
                    draw,
                    shortfall_reason(cover),
                );
            }
        }
        for (s, sup) in deal.supports.iter().enumerate() {
            if !lt(self.collection, need) {
                break;
            }
            if !self.support_on[s] || !sup.covers.contains(&cover) {
                continue;
            }
            let mut draw = minus(need, self.collection);
            if let Some(cap) = sup.cap_per_period {
                draw = min(draw, clamp0(minus(cap, self.support_period[s])));
            }
            if let Some(cap) = sup.cap_total {
                draw = min(draw, clamp0(minus(cap, self.support_total[s])));
            }
            if positive(draw) {
                self.support_period[s] = plus(self.support_period[s], draw);
                self.support_total[s] = plus(self.support_total[s], draw);
                self.collection = plus(self.collection, draw);
                self.paid.support_draws = plus(self.paid.support_draws, draw);
                let src = self.labels.from_support[s].clone();
                self.entry(
                    step,
                    "draw_support",
                    item.clone(),
                    (src, Label::Static(COLLECTION)),
                    draw,
                    shortfall_reason(cover),
                );
            }
        }
    }

    /// Pays `amount` out of the collection account.
    fn pay_out(
        &mut self,
        step: u32,
        action: &'static str,
        item: Label,
        dst: Label,
        amount: Decimal,
        reason: &'static str,
    ) {
        debug_assert!(amount <= self.collection);
        self.collection = minus(self.collection, amount);
        self.entry(
            step,
            action,
            item,
            (Label::Static(COLLECTION), dst),
            amount,
            reason,
        );
    }

    fn step(&mut self, step: u32, action: &Action) -> Result<()> {
        match action {
            Action::PayTax(ix) => self.pay_charges(step, ix, Charge::Tax),
            Action::PayFee(ix) => self.pay_charges(step, ix, Charge::Fee),
            Action::PayInterest(ix) => self.pay_interest(step, ix, "pay_interest"),
            Action::PaySubReturn(i) => self.pay_interest(step, &[*i], "pay_sub_return"),
            Action::PayPrincipal {
                tranches,
                order,
                amount,
            } => self.pay_principal(step, tranches, *order, *amount),
            Action::TopUpReserve => self.top_up_reserve(step)?,
            Action::PayResidual(i) => {
                let amt = self.collection;
                if positive(amt) {
                    self.paid.residual[*i] = plus(self.paid.residual[*i], amt);
                    let (item, dst) = self.tranche_labels(*i);
                    self.pay_out(
                        step,
                        "pay_residual",
                        item,
                        dst,
                        amt,
                        "residual to the subordinated tranche",
                    );
                }
            }
        }
        Ok(())
    }

    /// Pays taxes or fees, pro rata by amount due when short, after drawing on whatever covers
    /// them.
    fn pay_charges(&mut self, step: u32, ix: &[usize], charge: Charge) {
        let (due, paid) = match charge {
            Charge::Tax => (&self.due.tax, &self.paid.tax),
            Charge::Fee => (&self.due.fee, &self.paid.fee),
        };
        let mut items = std::mem::take(&mut self.items);
        items.clear();
        items.extend(ix.iter().map(|&j| (j, minus(due[j], paid[j]))));
        let need = sum(items.iter().map(|x| x.1));
        let (cover, covered, action, reason) = match charge {
            Charge::Tax => (Cover::Taxes, Covered::Taxes, "pay_tax", "tax due"),
            Charge::Fee => (Cover::Fees, Covered::Fees, "pay_fee", "fee due"),
        };
        self.fund(step, cover, need, covered);
        let pay = |run: &mut Run, j: usize, amt: Decimal| {
            let (paid, item, dst) = match charge {
                Charge::Tax => (&mut run.paid.tax, &run.labels.tax, &run.labels.to_tax),
                Charge::Fee => (&mut run.paid.fee, &run.labels.fee, &run.labels.to_fee),
            };
            paid[j] = plus(paid[j], amt);
            let (item, dst) = (item[j].clone(), dst[j].clone());
            run.pay_out(step, action, item, dst, amt, reason);
        };
        if covers_all(self.collection, need) {
            for &(j, amt) in &items {
                pay(self, j, amt);
            }
        } else {
            for (j, amt) in pro_rata(min(self.collection, need), &items) {
                pay(self, j, amt);
            }
        }
        self.items = items;
    }

    fn tranche_labels(&self, i: usize) -> (Label, Label) {
        (
            self.labels.tranche[i].clone(),
            self.labels.to_tranche[i].clone(),
        )
    }

    fn pay_interest(&mut self, step: u32, ix: &[usize], action: &'static str) {
        let deal = self.deal;
        let reason = if action == "pay_sub_return" {
            "periodic return (期间收益)"
        } else {
            "interest due"
        };
        let mut items = std::mem::take(&mut self.items);
        items.clear();
        items.extend(
            ix.iter()
                .map(|&i| (i, minus(self.due.interest[i], self.paid.interest[i]))),
        );
        let total = sum(items.iter().map(|x| x.1));
        // The step's own cash first, pro rata; then each covered tranche's shortfall is drawn
        // from the reserve and support and paid to that tranche alone.
        if covers_all(self.collection, total) {
            for &(i, amt) in &items {
                self.interest_to(step, i, amt, action, reason);
            }
        } else {
            for (i, amt) in pro_rata(min(self.collection, total), &items) {
                self.interest_to(step, i, amt, action, reason);
            }
        }
        for &(i, _) in &items {
            let short = minus(self.due.interest[i], self.paid.interest[i]);
            if let Some(cover) = interest_cover(deal.tranches[i].class)
                && positive(short)
            {
                self.fund(step, cover, short, Covered::Tranches(&[i]));
                let amt = min(short, self.collection);
                self.interest_to(step, i, amt, action, reason);
            }
        }
        self.items = items;
    }

    fn interest_to(
        &mut self,
        step: u32,
        i: usize,
        amt: Decimal,
        action: &'static str,
        reason: &'static str,
    ) {
        if !positive(amt) {
            return;
        }
        self.paid.interest[i] = plus(self.paid.interest[i], amt);
        let (item, dst) = self.tranche_labels(i);
        self.pay_out(step, action, item, dst, amt, reason);
    }

    fn pay_principal(
        &mut self,
        step: u32,
        ix: &[usize],
        order: PrincipalOrder,
        mode: PrincipalAmount,
    ) {
        let deal = self.deal;
        // Most each tranche can take in this step, and what is contractually due.
        let cap_of = |run: &Run, i: usize| -> (Decimal, Decimal) {
            let t = &deal.tranches[i];
            let due_left = min(
                clamp0(minus(run.due.principal[i], run.paid.principal[i])),
                run.balance[i],
            );
            let cap = if mode == PrincipalAmount::Available
                || t.amortization == Amortization::PassThrough
            {
                run.balance[i]
            } else {
                due_left
            };
            (cap, due_left)
        };
        match order {
            PrincipalOrder::Sequential => {
                for &i in ix {
                    let (cap, due_left) = cap_of(self, i);
                    if let Some(cover) = principal_cover(deal.tranches[i].class)
                        && positive(due_left)
                    {
                        self.fund(step, cover, due_left, Covered::Tranches(&[i]));
                    }
                    let amt = min(cap, self.collection);
                    self.principal_to(step, i, amt);
                }
            }
            PrincipalOrder::ProRata => {
                let caps: Vec<(usize, Decimal, Decimal)> = ix
                    .iter()
                    .map(|&i| {
                        let (c, d) = cap_of(self, i);
                        (i, c, d)
                    })
                    .collect();
                // The step's own cash first, pro rata to what each can take; then each covered
                // tranche's unpaid principal due is drawn and paid to that tranche alone.
                let items: Vec<(usize, Decimal)> = caps.iter().map(|x| (x.0, x.1)).collect();
                let total = sum(items.iter().map(|x| x.1));
                let shares = pro_rata(min(self.collection, total), &items);
                for (i, amt) in shares {
                    self.principal_to(step, i, amt);
                }
                for &(i, _, _) in &caps {
                    let (_, short) = cap_of(self, i);
                    if let Some(cover) = principal_cover(deal.tranches[i].class)
                        && positive(short)
                    {
                        self.fund(step, cover, short, Covered::Tranches(&[i]));
                        let amt = min(short, self.collection);
                        self.principal_to(step, i, amt);
                    }
                }
            }
        }
    }

    fn principal_to(&mut self, step: u32, i: usize, amt: Decimal) {
        if !positive(amt) {
            return;
        }
        self.balance[i] = minus(self.balance[i], amt);
        self.paid.principal[i] = plus(self.paid.principal[i], amt);
        let (item, dst) = self.tranche_labels(i);
        self.pay_out(step, "pay_principal", item, dst, amt, "principal");
    }

    /// The reserve target after this payment date (docs/conventions.md).
    fn reserve_target(&self) -> Decimal {
        let deal = self.deal;
        let Some(r) = &deal.reserve else {
            return Decimal::ZERO;
        };
        let k = self.k;
        if k + 1 >= deal.periods.len() || self.senior_balance().is_zero() {
            return Decimal::ZERO;
        }
        match r.target {
            ReserveTarget::Fixed(x) => x,
            ReserveTarget::SeniorInterestAndFees(m) => {
                let next = deal.periods[k + 1];
                let yf = self.year_fraction[k + 1];
                let mut need = Decimal::ZERO;
                for &i in &self.senior {
                    need = plus(need, fen(self.balance[i] * deal.tranches[i].coupon * yf));
                }
                for (j, fee) in deal.fees.iter().enumerate() {
                    let charge = match &fee.kind {
                        FeeKind::Fixed(a) => *a,
                        FeeKind::AnnualRate { rate, base } => match base {
                            Base::Tranche(i) => fen(*rate * self.balance[*i] * yf),
                            Base::SeniorBalance => fen(*rate * self.senior_balance() * yf),
                            Base::PoolBalance => fen(*rate * self.pool.periods[k].balance_end * yf),
                            Base::IssueSize => fen(*rate * self.issue_size * yf),
                            Base::InterestCollections | Base::Collections => Decimal::ZERO,
                        },
                        FeeKind::OneOff { amount, date } => {
                            if !self.one_off_done[j]
                                && (next.date() >= *date || next.payment.unadjusted >= *date)
                            {
                                *amount
                            } else {
                                Decimal::ZERO
                            }
                        }
                    };
                    need = plus(need, charge);
                }
                m.checked_mul(need).map_or(Decimal::MAX, fen)
            }
        }
    }

    fn top_up_reserve(&mut self, step: u32) -> Result<()> {
        if self.deal.reserve.is_none() {
            return Err(Error::Internal(
                "top_up_reserve step without a reserve".into(),
            ));
        }
        let target = self.reserve_target();
        if lt(self.reserve, target) {
            let amt = min(minus(target, self.reserve), self.collection);
            if positive(amt) {
                self.collection = minus(self.collection, amt);
                self.reserve = plus(self.reserve, amt);
                self.paid.reserve_deposit = plus(self.paid.reserve_deposit, amt);
                self.entry(
                    step,
                    "top_up_reserve",
                    Label::Static(RESERVE),
                    (Label::Static(COLLECTION), Label::Static(RESERVE)),
                    amt,
                    "reserve topped up towards its target",
                );
            }
        } else if gt(self.reserve, target) {
            let amt = minus(self.reserve, target);
            self.reserve = minus(self.reserve, amt);
            self.collection = plus(self.collection, amt);
            self.paid.reserve_deposit = minus(self.paid.reserve_deposit, amt);
            self.entry(
                step,
                "release_reserve",
                Label::Static(RESERVE),
                (Label::Static(RESERVE), Label::Static(COLLECTION)),
                amt,
                "reserve above its target: excess released",
            );
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Result<RunResult> {
        let deal = self.deal;
        let conservation = verify(&self)?;

        let mut warnings = Vec::new();
        if positive(self.collection) {
            warnings.push(Warning {
                location: String::new(),
                message: format!(
                    "{} is left in the collection account after the last payment date",
                    self.collection
                ),
            });
        }
        if positive(self.reserve) {
            warnings.push(Warning {
                location: String::new(),
                message: format!(
                    "{} is left in the reserve after the last payment date",
                    self.reserve
                ),
            });
        }
        for (i, t) in deal.tranches.iter().enumerate() {
            if positive(self.balance[i]) {
                warnings.push(Warning {
                    location: String::new(),
                    message: format!(
                        "tranche {} is not repaid by the last payment date: {} outstanding",
                        t.name, self.balance[i]
                    ),
                });
            }
        }
        if self.pool.beyond_horizon > Decimal::ZERO {
            warnings.push(Warning {
                location: String::new(),
                message: format!("{} of pool cash (delayed collections or recoveries) would arrive after the last collection period and is not in the deal", self.pool.beyond_horizon),
            });
        }
        let summary = super::summary::tranche_summaries(deal, &self.flows);
        let support_draws = deal
            .supports
            .iter()
            .zip(&self.support_total)
            .map(|(s, t)| SupportDrawTotal {
                support: s.name.clone(),
                provider: s.provider.clone(),
                total: *t,
            })
            .collect();
        Ok(RunResult {
            deal: deal.name.clone(),
            scenario: self.scenario.name.clone(),
            periods: self.periods,
            tranche_flows: self.flows,
            pool_flows: self.pool.rows,
            ledger: self.ledger,
            summary,
            support_draws,
            conservation,
            warnings,
        })
    }
}

/// Totals the run and checks, in one pass over the ledger, the conservation identity and the
/// replay of the ledger against the account balances, the pool deposits and each tranche's
/// principal. A failure is an [`Error::Internal`]; the checks report in this order.
fn verify(run: &Run) -> Result<Conservation> {
    let pool_cash = sum(run.pool.periods.iter().map(PeriodCash::cash));
    let support_draws = sum(run.support_total.iter().copied());
    let mut payments = Decimal::ZERO;
    let mut deposits = Decimal::ZERO;
    let mut collection = Decimal::ZERO;
    let mut reserve = Decimal::ZERO;
    let mut principal = vec![Decimal::ZERO; run.deal.tranches.len()];
    // The first entry that breaks the replay: reported after the identity check.
    let mut broken: Option<Error> = None;
    for e in &run.ledger {
        let (from, to) = (e.source.as_bytes(), e.destination.as_bytes());
        if from == COLLECTION_BYTES && to != RESERVE_BYTES {
            payments = plus(payments, e.amount);
        }
        if from == b"pool" {
            deposits = plus(deposits, e.amount);
        }
        if e.action == "pay_principal" {
            for (paid, name) in principal.iter_mut().zip(&run.labels.tranche) {
                if e.item == *name {
                    *paid = plus(*paid, e.amount);
                }
            }
        }
        if broken.is_some() {
            continue;
        }
        if !positive(e.amount) {
            broken = Some(Error::Internal(format!(
                "ledger entry with non-positive amount: {e:?}"
            )));
            continue;
        }
        match from {
            COLLECTION_BYTES => collection = minus(collection, e.amount),
            RESERVE_BYTES => reserve = minus(reserve, e.amount),
            _ => {}
        }
        match to {
            COLLECTION_BYTES => collection = plus(collection, e.amount),
            RESERVE_BYTES => reserve = plus(reserve, e.amount),
            _ => {}
        }
        if negative(collection) || negative(reserve) {
            broken = Some(Error::Internal(format!(
                "an account went negative at ledger entry {e:?}"
            )));
        }
    }
    let c = Conservation {
        pool_cash,
        support_draws,
        reserve_funding: run.reserve_funding,
        payments,
        collection_end: run.collection,
        reserve_end: run.reserve,
    };
    let inflow = c.pool_cash + c.support_draws + c.reserve_funding;
    let outflow = c.payments + c.collection_end + c.reserve_end;
    if inflow != outflow {
        return Err(Error::Internal(format!(
            "cash not conserved: pool cash {} + support draws {} + reserve funding {} = {inflow}, \
             but payments {} + collection account {} + reserve {} = {outflow}",
            c.pool_cash,
            c.support_draws,
            c.reserve_funding,
            c.payments,
            c.collection_end,
            c.reserve_end
        )));
    }
    if let Some(e) = broken {
        return Err(e);
    }
    if collection != c.collection_end || reserve != c.reserve_end {
        return Err(Error::Internal(format!(
            "ledger replay gives collection {collection} and reserve {reserve}, engine holds {} and {}",
            c.collection_end, c.reserve_end
        )));
    }
    if deposits != c.pool_cash {
        return Err(Error::Internal(format!(
            "pool deposits {deposits} differ from projected pool cash {}",
            c.pool_cash
        )));
    }
    for (i, t) in run.deal.tranches.iter().enumerate() {
        let paid = principal[i];
        if t.balance - paid != run.balance[i] || negative(run.balance[i]) {
            return Err(Error::Internal(format!(
                "tranche {}: initial {} − principal paid {paid} ≠ balance {}",
                t.name, t.balance, run.balance[i]
            )));
        }
    }
    Ok(c)
}

fn interest_cover(class: TrancheClass) -> Option<Cover> {
    match class {
        TrancheClass::Senior => Some(Cover::SeniorInterest),
        TrancheClass::Mezzanine => Some(Cover::MezzanineInterest),
        TrancheClass::Subordinated => None,
    }
}

fn principal_cover(class: TrancheClass) -> Option<Cover> {
    match class {
        TrancheClass::Senior => Some(Cover::SeniorPrincipal),
        TrancheClass::Mezzanine => Some(Cover::MezzaninePrincipal),
        TrancheClass::Subordinated => None,
    }
}

/// Taxes or fees: the two kinds of charge paid by [`Run::pay_charges`].
#[derive(Clone, Copy)]
enum Charge {
    Tax,
    Fee,
}

/// What a reserve or support draw is for, as named in the ledger's `item` column.
#[derive(Clone, Copy)]
enum Covered<'s> {
    Taxes,
    Fees,
    /// Tranche indices; several are joined with `+`.
    Tranches(&'s [usize]),
}

impl Covered<'_> {
    fn label(self, labels: &Labels) -> Label {
        match self {
            Covered::Taxes => Label::Static("taxes"),
            Covered::Fees => Label::Static("fees"),
            Covered::Tranches([i]) => labels.tranche[*i].clone(),
            Covered::Tranches(ix) => Label::from(
                ix.iter()
                    .map(|&i| labels.tranche[i].as_str())
                    .collect::<Vec<_>>()
                    .join("+"),
            ),
        }
    }
}

/// The ledger reason of a reserve or support draw.
fn shortfall_reason(cover: Cover) -> &'static str {
    match cover {
        Cover::Taxes => "covers a shortfall of taxes",
        Cover::Fees => "covers a shortfall of fees",
        Cover::SeniorInterest => "covers a shortfall of senior interest",
        Cover::SeniorPrincipal => "covers a shortfall of senior principal",
        Cover::MezzanineInterest => "covers a shortfall of mezzanine interest",
        Cover::MezzaninePrincipal => "covers a shortfall of mezzanine principal",
    }
}

/// True when `cash` pays items totalling `total` (> 0) in full: then [`pro_rata`] would hand
/// each item its whole amount, so the caller pays them without building the split.
#[inline]
fn covers_all(cash: Decimal, total: Decimal) -> bool {
    positive(total) && !lt(cash, total)
}

/// Splits `cash` (≤ the total) over `items` (index, amount) in proportion to the amounts.
///
/// Each share is rounded down to the fen; the fen left over are handed out one at a time in
/// list order to items not yet paid in full. No item gets more than its amount.
pub(crate) fn pro_rata(cash: Decimal, items: &[(usize, Decimal)]) -> Vec<(usize, Decimal)> {
    let total: Decimal = items.iter().map(|x| x.1).sum();
    if cash <= Decimal::ZERO || total <= Decimal::ZERO {
        return Vec::new();
    }
    if cash >= total {
        return items.to_vec();
    }
    if let [(i, a)] = *items
        && cash.scale() <= 2
        && cash.mantissa().unsigned_abs() < 1 << 48
        && a.mantissa().unsigned_abs() < 1 << 48
    {
        // One item short of cash: the split gives it exactly `cash` (cash × a / a is exact
        // and already whole fen), so skip the arithmetic.
        return vec![(i, cash)];
    }
    split(cash, items, total)
}

/// The general case of [`pro_rata`]: `0 < cash < total`.
fn split(cash: Decimal, items: &[(usize, Decimal)], total: Decimal) -> Vec<(usize, Decimal)> {
    let mut out: Vec<(usize, Decimal)> = items
        .iter()
        .map(|&(i, a)| {
            // cash × a can exceed Decimal's range for huge amounts; a / total ≤ 1 cannot.
            let exact = cash
                .checked_mul(a)
                .and_then(|x| x.checked_div(total))
                .unwrap_or_else(|| cash * (a / total));
            let share = exact.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
            (i, share.min(a))
        })
        .collect();
    let mut left = cash - out.iter().map(|x| x.1).sum::<Decimal>();
    let one_fen = Decimal::new(1, 2);
    while left > Decimal::ZERO {
        let mut moved = false;
        for (slot, &(_, a)) in out.iter_mut().zip(items) {
            if left <= Decimal::ZERO {
                break;
            }
            if slot.1 < a {
                slot.1 += one_fen;
                left -= one_fen;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn pro_rata_splits_and_hands_out_leftover_fen() {
        // 100.00 over 1:1:1 → 33.33 each, 0.01 left → first item.
        let s = pro_rata(dec!(100), &[(0, dec!(50)), (1, dec!(50)), (2, dec!(50))]);
        assert_eq!(
            s,
            vec![(0, dec!(33.34)), (1, dec!(33.33)), (2, dec!(33.33))]
        );
        // Enough cash: everyone paid in full.
        let s = pro_rata(dec!(500), &[(0, dec!(10)), (1, dec!(20))]);
        assert_eq!(s, vec![(0, dec!(10)), (1, dec!(20))]);
        // 10.00 over 3:1 → 7.50 and 2.50 exactly.
        let s = pro_rata(dec!(10), &[(4, dec!(30)), (7, dec!(10))]);
        assert_eq!(s, vec![(4, dec!(7.50)), (7, dec!(2.50))]);
    }

    #[test]
    fn pro_rata_single_item_shortcut_equals_the_split() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let a = Decimal::new((x >> 20) as i64 % 100_000_000_000 + 2, (x % 5) as u32);
            let cash = Decimal::new((x >> 7) as i64 % 100_000_000_000 + 1, (x % 3) as u32);
            if cash >= a {
                continue;
            }
            let fast = pro_rata(cash, &[(3, a)]);
            let general = split(cash, &[(3, a)], a);
            let show = |v: &[(usize, Decimal)]| format!("{v:?}");
            assert_eq!(show(&fast), show(&general), "{cash} of {a}");
        }
    }
}
