//! Executing one waterfall step: paying taxes, fees, interest, principal and the residual,
//! topping up or releasing the reserve, and drawing on the reserve and support providers when
//! a covered item is short. Every movement goes through [`Run::entry`] into the ledger.

use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use crate::deal::{Action, Amortization, Cover, PrincipalAmount, PrincipalOrder, ReserveTarget};
use crate::error::{Error, Result};
use crate::money::{Fen, Ratio, pro_rata_fen, to_fen};

impl Run<'_> {
    /// Runs one step of the active waterfall.
    pub(super) fn step(&mut self, step: u32, action: &Action) -> Result<()> {
        match action {
            Action::PayTax(ix) => self.pay_charges(step, ix, Charge::Tax),
            Action::PayFee(ix) => {
                self.charge_on_paid(ix)?;
                self.pay_charges(step, ix, Charge::Fee)
            }
            Action::PayFeePart {
                fees,
                share,
                excess,
            } => self.pay_fee_part(step, fees, *share, *excess)?,
            Action::PayInterest(ix) => self.pay_interest(step, ix, Movement::PayInterest),
            Action::PaySubReturn(i) => self.pay_interest(step, &[*i], Movement::PaySubReturn),
            Action::PayPrincipal {
                tranches,
                order,
                amount,
            } => self.pay_principal(step, tranches, *order, *amount),
            Action::TopUpReserve => self.top_up_reserve(step)?,
            Action::BuyAssets(spend) => self.buy_assets(step, *spend)?,
            Action::RepaySupport {
                supports,
                interest,
                draws,
            } => self.repay_supports(step, supports, (*interest, *draws)),
            Action::DepositReserve => self.deposit_reserve(step),
            Action::ReleaseReserve => self.release_reserve(step),
            Action::Transfer { .. } => {
                return Err(Error::Internal(
                    "a transfer step reached Run::step (it runs in Run::step_from)".into(),
                ));
            }
            Action::PayResidual(i) => {
                let amt = self.collection;
                if amt > 0 {
                    if self.judge_juniors && self.first_junior.is_none() {
                        self.judge_residual(step, *i, amt);
                    }
                    self.paid.residual[*i] += amt;
                    self.pay_out(
                        step,
                        Movement::PayResidual,
                        *i,
                        amt,
                        "residual to the subordinated tranche",
                    );
                }
            }
        }
        Ok(())
    }

    /// What the reserve and the support providers covering `cover` could add to the collection
    /// account now: what [`Run::fund`] would draw for an unbounded need.
    fn cover_capacity(&self, cover: Cover) -> Fen {
        let deal = self.deal;
        let reserve = match &deal.reserve {
            Some(r) if r.covers.contains(&cover) => self.reserve.max(0),
            _ => 0,
        };
        let supports: Fen = (0..deal.supports.len())
            .filter_map(|s| self.support_room(s, cover, Fen::MAX / 4))
            .fold(0, |a: Fen, b| a.saturating_add(b));
        reserve.saturating_add(supports)
    }

    /// `want` within what support `s`'s own caps leave on this date (`cap_per_period`,
    /// `cap_total`): the limit of every draw and of an asset guarantee's payment.
    pub(super) fn cap_room(&self, s: usize, want: Fen) -> Fen {
        let sup = &self.deal.supports[s];
        let mut room = want;
        if let Some(cap) = sup.cap_per_period {
            room = room.min((to_fen(cap) - self.support_period[s]).max(0));
        }
        if let Some(cap) = sup.cap_total {
            room = room.min((to_fen(cap) - self.cap_used(s, std::iter::once(s))).max(0));
        }
        room
    }

    /// How much of `want` support provider `s` can give for items of class `cover` now: none
    /// when it has failed, does not cover the class or is not drawn in this waterfall; else up
    /// to what its caps leave.
    fn support_room(&self, s: usize, cover: Cover, want: Fen) -> Option<Fen> {
        let sup = &self.deal.supports[s];
        if !self.support_on[s]
            || !sup.covers.contains(&cover)
            || sup
                .waterfalls
                .as_ref()
                .is_some_and(|w| !w.contains(&self.wf))
        {
            return None;
        }
        let mut room = self.cap_room(s, want);
        // A support that backs another pays only while that one is out, and within its caps,
        // which its draws and every other backer's share (`backs`; review 29d item 1: two
        // backers each took the whole limit).
        if let Some(b) = sup.backs {
            if self.support_on[b] {
                return None;
            }
            let backed = &self.deal.supports[b];
            let shared = |v: &[Fen]| -> Fen {
                v[b] + (0..v.len())
                    .filter(|&x| self.deal.supports[x].backs == Some(b))
                    .map(|x| v[x])
                    .sum::<Fen>()
            };
            if let Some(cap) = backed.cap_per_period {
                room = room.min((to_fen(cap) - shared(&self.support_period)).max(0));
            }
            if let Some(cap) = backed.cap_total {
                let members = std::iter::once(b).chain(
                    (0..self.deal.supports.len())
                        .filter(|&x| self.deal.supports[x].backs == Some(b)),
                );
                room = room.min((to_fen(cap) - self.cap_used(b, members)).max(0));
            }
        }
        Some(room)
    }

    /// What to draw for tranche `i`'s `short` of interest or principal (`paid` already paid to
    /// it on the date): all of it, or, when the tranche is paid by its figures, the most of it
    /// the account and the cover can make a figure-paid amount (review 28d item 3: a capped
    /// support was drawn for fen no figure could pay, which went on to the subordinated
    /// tranche).
    fn need_for(&self, i: usize, paid: Fen, short: Fen, cover: Cover) -> Fen {
        if !self.deal.notices.per_unit || !self.pays_by_figure(i) {
            return short;
        }
        let reach = short.min(self.collection.saturating_add(self.cover_capacity(cover)));
        self.by_figure(i, paid, reach)
    }

    /// Draws on the reserve and then on support providers until the collection account holds
    /// `need` for items of class `cover`, as far as they can.
    pub(super) fn fund(&mut self, step: u32, cover: Cover, need: Fen, item: Covered<'_>) {
        if self.collection >= need {
            return;
        }
        let item = item.label(self);
        let deal = self.deal;
        if let Some(r) = &deal.reserve
            && r.covers.contains(&cover)
        {
            let draw = (need - self.collection).min(self.reserve);
            if draw > 0 {
                self.reserve -= draw;
                self.collection += draw;
                self.paid.reserve_draws += draw;
                self.entry(
                    step,
                    Movement::DrawReserve,
                    &item,
                    (Account::Reserve, self.src),
                    draw,
                    shortfall_reason(cover),
                );
            }
        }
        for s in 0..deal.supports.len() {
            if self.collection >= need {
                break;
            }
            let Some(draw) = self.support_room(s, cover, need - self.collection) else {
                continue;
            };
            if draw > 0 {
                self.support_period[s] += draw;
                self.support_total[s] += draw;
                self.collection += draw;
                self.paid.support_draws += draw;
                self.entry(
                    step,
                    Movement::DrawSupport,
                    &item,
                    (Account::Support(s), self.src),
                    draw,
                    shortfall_reason(cover),
                );
            }
        }
    }

    /// Pays `amount` from the collection account to tranche, fee or tax `index` (the payee
    /// the movement names).
    pub(super) fn pay_out(
        &mut self,
        step: u32,
        action: Movement,
        index: usize,
        amount: Fen,
        reason: &'static str,
    ) {
        debug_assert!(amount <= self.collection);
        let labels = self.labels;
        let (item, payee) = match action {
            Movement::PayTax => (&labels.tax[index], Account::Tax(index)),
            Movement::PayFee => (&labels.fee[index], Account::Fee(index)),
            _ => (&labels.tranche[index], Account::Tranche(index)),
        };
        self.collection -= amount;
        self.entry(step, action, item, (self.src, payee), amount, reason);
        if let Some(from) = self.unit_src.get_mut(index) {
            match action {
                Movement::PayInterest | Movement::PaySubReturn => from.0 = self.src,
                Movement::PayPrincipal => from.1 = self.src,
                _ => {}
            }
        }
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
        items.extend(ix.iter().map(|&j| (j, due[j] - paid[j])));
        let need: Fen = items.iter().map(|x| x.1).sum();
        let (cover, covered, action, reason) = match charge {
            Charge::Tax => (Cover::Taxes, Covered::Taxes, Movement::PayTax, "tax due"),
            Charge::Fee => (Cover::Fees, Covered::Fees, Movement::PayFee, "fee due"),
        };
        self.fund(step, cover, need, covered);
        let pay = |run: &mut Run, j: usize, amt: Fen| {
            let paid = match charge {
                Charge::Tax => &mut run.paid.tax,
                Charge::Fee => &mut run.paid.fee,
            };
            paid[j] += amt;
            run.pay_out(step, action, j, amt, reason);
        };
        if covers_all(self.collection, need) {
            for &(j, amt) in &items {
                pay(self, j, amt);
            }
        } else {
            let rule = self.deal.pro_rata_rounding;
            for (j, amt) in pro_rata_fen(self.collection.min(need), &items, rule) {
                pay(self, j, amt);
            }
        }
        self.items = items;
    }

    fn pay_interest(&mut self, step: u32, ix: &[usize], action: Movement) {
        let deal = self.deal;
        let reason = if action == Movement::PaySubReturn {
            "periodic return (期间收益)"
        } else {
            "interest due"
        };
        let mut items = std::mem::take(&mut self.items);
        items.clear();
        items.extend(
            ix.iter()
                .map(|&i| (i, self.due.interest[i] - self.paid.interest[i])),
        );
        let total: Fen = items.iter().map(|x| x.1).sum();
        // The step's own cash first, pro rata; then each covered tranche's shortfall is drawn
        // from the reserve and support and paid to that tranche alone.
        if covers_all(self.collection, total) {
            for &(i, amt) in &items {
                self.interest_to(step, i, amt, action, reason);
            }
        } else {
            let rule = deal.pro_rata_rounding;
            for (i, amt) in pro_rata_fen(self.collection.min(total), &items, rule) {
                self.interest_to(step, i, amt, action, reason);
            }
        }
        for &(i, _) in &items {
            let short = self.due.interest[i] - self.paid.interest[i];
            if let Some(cover) = Cover::interest_of(deal.tranches[i].class)
                && short > 0
            {
                let need = self.need_for(i, self.paid.interest[i], short, cover);
                self.fund(step, cover, need, Covered::Tranches(&[i]));
                let amt = short.min(self.collection);
                self.interest_to(step, i, amt, action, reason);
            }
        }
        self.items = items;
    }

    fn interest_to(
        &mut self,
        step: u32,
        i: usize,
        amt: Fen,
        action: Movement,
        reason: &'static str,
    ) {
        let amt = self.by_figure(i, self.paid.interest[i], amt);
        if amt <= 0 {
            return;
        }
        self.paid.interest[i] += amt;
        self.pay_out(step, action, i, amt, reason);
    }

    fn pay_principal(
        &mut self,
        step: u32,
        ix: &[usize],
        order: PrincipalOrder,
        mode: PrincipalAmount,
    ) {
        let deal = self.deal;
        // A tranche whose interest waits for its maturity (到期一次还本付息) and is now repaid
        // early by all the cash there is: the interest is paid first, from the step's cash
        // (review 32e item 2: the subordinated tranche took the residual while the senior's
        // deferred interest waited for the next date). What the cash does not cover stays
        // deferred (review 43b F1: it all fell due, and the rest was a shortfall that tripped
        // an event of default, while a step with no cash left it deferred).
        if mode == PrincipalAmount::Available && ix.iter().any(|&i| self.deferred_interest[i] > 0) {
            self.pay_deferred_early(step, ix, order);
        }
        // Most each tranche can take in this step, and what is contractually due.
        let cap_of = |run: &Run, i: usize| -> (Fen, Fen) {
            let t = &deal.tranches[i];
            let due_left = (run.due.principal[i] - run.paid.principal[i])
                .max(0)
                .min(run.balance[i]);
            let cap = if mode == PrincipalAmount::Available
                || t.amortization == Amortization::PassThrough
            {
                run.balance[i]
            } else {
                due_left
            };
            (cap, due_left)
        };
        let judge = self.judge_juniors && self.first_junior.is_none();
        if judge {
            for &i in ix {
                self.principal_before[i] = self.paid.principal[i];
            }
        }
        match order {
            PrincipalOrder::Sequential => {
                for &i in ix {
                    let (cap, due_left) = cap_of(self, i);
                    if let Some(cover) = Cover::principal_of(deal.tranches[i].class)
                        && due_left > 0
                    {
                        let need = self.need_for(i, self.paid.principal[i], due_left, cover);
                        self.fund(step, cover, need, Covered::Tranches(&[i]));
                    }
                    let amt = cap.min(self.collection);
                    self.principal_to(step, i, amt);
                }
            }
            PrincipalOrder::ProRata => {
                let caps: Vec<(usize, Fen, Fen)> = ix
                    .iter()
                    .map(|&i| {
                        let (c, d) = cap_of(self, i);
                        (i, c, d)
                    })
                    .collect();
                // The step's own cash first, pro rata to what each can take; then each covered
                // tranche's unpaid principal due is drawn and paid to that tranche alone.
                let items: Vec<(usize, Fen)> = caps.iter().map(|x| (x.0, x.1)).collect();
                let total: Fen = items.iter().map(|x| x.1).sum();
                let rule = deal.pro_rata_rounding;
                let shares = pro_rata_fen(self.collection.min(total), &items, rule);
                for (i, amt) in shares {
                    self.principal_to(step, i, amt);
                }
                for &(i, _, _) in &caps {
                    let (_, short) = cap_of(self, i);
                    if let Some(cover) = Cover::principal_of(deal.tranches[i].class)
                        && short > 0
                    {
                        let need = self.need_for(i, self.paid.principal[i], short, cover);
                        self.fund(step, cover, need, Covered::Tranches(&[i]));
                        let amt = short.min(self.collection);
                        self.principal_to(step, i, amt);
                    }
                }
            }
        }
        if judge {
            self.judge_junior(step, ix, order);
        }
    }

    /// Before an `amount = "available"` step repays tranches whose interest waits for their
    /// maturity: what is deferred, paid first as interest from the step's cash left after the
    /// tranches' interest owed on the date, in the step's order (a `pro_rata` step shares it
    /// in proportion to what each has deferred, by the deal's pro rata rule; review 43f F3: it
    /// was paid in list order); what the cash does not cover stays deferred, no shortfall.
    #[cold]
    #[inline(never)]
    fn pay_deferred_early(&mut self, step: u32, ix: &[usize], order: PrincipalOrder) {
        let owed: Fen = ix
            .iter()
            .map(|&i| (self.due.interest[i] - self.paid.interest[i]).max(0))
            .sum();
        let mut cash = (self.collection - owed).max(0);
        let deferred: Vec<(usize, Fen)> = ix
            .iter()
            .filter(|&&i| self.deferred_interest[i] > 0 && self.balance[i] > 0)
            .map(|&i| (i, self.deferred_interest[i]))
            .collect();
        let total: Fen = deferred.iter().map(|x| x.1).sum();
        if cash <= 0 || total <= 0 {
            return;
        }
        let shares: Vec<(usize, Fen)> = match order {
            PrincipalOrder::Sequential => deferred
                .iter()
                .map(|&(i, d)| {
                    let x = d.min(cash);
                    cash -= x;
                    (i, x)
                })
                .collect(),
            PrincipalOrder::ProRata => {
                pro_rata_fen(cash.min(total), &deferred, self.deal.pro_rata_rounding)
            }
        };
        for (i, early) in shares {
            if early > 0 {
                self.deferred_interest[i] -= early;
                self.due.interest[i] += early;
                self.early_deferred.push((self.k, i, early));
                self.pay_interest(step, &[i], Movement::PayInterest);
            }
        }
    }

    /// Notes the first principal this step paid to a tranche while a tranche of a more senior
    /// class is outstanding after it and is not in this step's pro rata share (review 43c F1:
    /// a subordinated step without `when = "senior_paid_off"` behind a bullet senior repaid
    /// the junior on the first date); [`Check::JuniorBeforeSenior`] tells it.
    ///
    /// [`Check::JuniorBeforeSenior`]: crate::error::Check::JuniorBeforeSenior
    #[cold]
    #[inline(never)]
    fn judge_junior(&mut self, step: u32, ix: &[usize], order: PrincipalOrder) {
        let tranches = &self.deal.tranches;
        for &j in ix {
            let paid = self.paid.principal[j] - self.principal_before[j];
            // Its own contractual principal (a scheduled mezzanine amortising beside the
            // senior) is not the cash a senior waits for (review 43g F6).
            if paid <= 0 || self.paid.principal[j] <= self.due.principal[j] {
                continue;
            }
            let senior = (0..tranches.len()).find(|&i| {
                tranches[i].class < tranches[j].class
                    && self.balance[i] > 0
                    && !(order == PrincipalOrder::ProRata && ix.contains(&i))
            });
            if let Some(i) = senior {
                self.first_junior = Some(self.junior_first(step, (j, i), paid, false));
                return;
            }
        }
    }

    /// Notes a residual this step pays to tranche `j` out of the account that collects
    /// principal while a bullet or scheduled tranche of a more senior class is outstanding
    /// (review 43f F6: `pay_residual … from = "principal"` behind a bullet senior paid the
    /// junior the principal collections the senior waits for); [`Check::JuniorBeforeSenior`]
    /// tells it when that senior is still outstanding at the date's end
    /// ([`Run::clear_junior_repaid`]).
    ///
    /// [`Check::JuniorBeforeSenior`]: crate::error::Check::JuniorBeforeSenior
    #[cold]
    #[inline(never)]
    fn judge_residual(&mut self, step: u32, j: usize, paid: Fen) {
        use crate::deal::{AccountRef, CashSource};
        let deal = self.deal;
        // Out of the account that collects principal only: an income account's residual is the
        // excess spread a structure may release (review 44d F1: the named-accounts example).
        let principal_account = match deal.accounts.of(CashSource::Principal) {
            AccountRef::Collection => Account::Collection,
            AccountRef::Named(a) => Account::Named(a),
        };
        if self.src != principal_account {
            return;
        }
        // A bullet or scheduled senior: a pass-through one took in its own step every fen of
        // principal it could, and the residual is what it left (review 44d F1: the reserve
        // release of docs/deal-format.md).
        let tranches = &deal.tranches;
        if let Some(i) = (0..tranches.len()).find(|&i| {
            tranches[i].class < tranches[j].class
                && self.balance[i] > 0
                && tranches[i].amortization != Amortization::PassThrough
        }) {
            self.first_junior = Some(self.junior_first(step, (j, i), paid, true));
        }
    }

    /// Forgets a residual noted on this date ([`Run::judge_residual`]) when a later step of
    /// the date repaid the senior it named (review 44d F2: an income residual before the
    /// principal steps was told on the date that repaid every tranche).
    pub(super) fn clear_junior_repaid(&mut self) {
        if let Some(x) = self.first_junior
            && x.residual
            && x.k == self.k
            && self.balance[x.senior] <= 0
        {
            self.first_junior = None;
        }
    }

    /// This date's [`super::end::JuniorFirst`]: `step` paid `junior` (principal, or the
    /// residual) while `senior` was outstanding.
    fn junior_first(
        &self,
        step: u32,
        (junior, senior): (usize, usize),
        paid: Fen,
        residual: bool,
    ) -> super::end::JuniorFirst {
        super::end::JuniorFirst {
            k: self.k,
            waterfall: self.wf,
            step,
            junior,
            senior,
            paid,
            residual,
        }
    }

    fn principal_to(&mut self, step: u32, i: usize, amt: Fen) {
        let amt = self.by_figure(i, self.paid.principal[i], amt);
        if amt <= 0 {
            return;
        }
        self.balance[i] -= amt;
        self.paid.principal[i] += amt;
        self.pay_out(step, Movement::PayPrincipal, i, amt, "principal");
    }

    /// [`Run::reserve_target`] as a reserve step reads it, kept as the date's target
    /// (`periods.parquet`'s `reserve_target`): the one place the three reserve steps take it.
    pub(super) fn target_at_step(&mut self) -> Fen {
        let target = self.reserve_target();
        self.paid.reserve_target = Some(target);
        target
    }

    /// The reserve target after this payment date (docs/conventions.md): a fixed amount, or
    /// a multiple of the next payment date's senior interest and fees (uncapped; fees on
    /// collections count as zero), rounded once; zero on the last date or once the senior is
    /// repaid.
    fn reserve_target(&self) -> Fen {
        let deal = self.deal;
        let Some(r) = &deal.reserve else {
            return 0;
        };
        let k = self.k;
        // "Once the senior is repaid" reads the balances as the target does: with `balances =
        // "after_due_principal"`, after the date's due principal, wherever the step is (review
        // 39c item 3).
        if k + 1 >= deal.periods.len()
            || self.is_final()
            || self.target_senior_balance(self.reserve_after_due()) == 0
        {
            return 0;
        }
        if let Some(sd) = &r.step_down
            && self.step_down_applies(sd)
        {
            return self.formula_target(&sd.target);
        }
        match r.target {
            ReserveTarget::Formula(ref f) => self.formula_target(f),
            ReserveTarget::Fixed(x) => to_fen(x),
            ReserveTarget::SeniorInterestAndFees(m) => {
                self.money(self.next_senior_interest_and_fees(), &[m], Ratio::ONE)
            }
        }
    }

    fn top_up_reserve(&mut self, step: u32) -> Result<()> {
        if self.deal.reserve.is_none() {
            return Err(Error::Internal(
                "top_up_reserve step without a reserve".into(),
            ));
        }
        // Deposit towards the target, then release any excess: one of the two moves cash. The
        // target does not depend on the reserve's or the collection account's balance, so it
        // is computed once.
        let target = self.target_at_step();
        self.deposit_reserve_to(step, target);
        self.release_reserve_to(step, target);
        Ok(())
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
pub(super) enum Covered<'s> {
    Taxes,
    Fees,
    /// Tranche indices; several are joined with `+`.
    Tranches(&'s [usize]),
}

impl Covered<'_> {
    fn label(self, run: &Run<'_>) -> Label {
        let labels = &run.labels;
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

/// True when `cash` pays items totalling `total` (> 0) in full: then [`pro_rata_fen`] would
/// hand each item its whole amount, so the caller pays them without building the split.
#[inline]
pub(super) fn covers_all(cash: Fen, total: Fen) -> bool {
    total > 0 && cash >= total
}
