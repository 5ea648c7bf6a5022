"""The waterfall's steps on one payment date, and their conditions.

docs/conventions.md "The waterfall", "Reserve target", "Reserve and support draws",
"Accounts, the PDL and the clean-up call" (a step's account, covers transfers, PDL cure);
docs/deal-format.md "[waterfalls]", "Conditions (when)", "[[accounts]]", "[pdl]";
docs/output.md ledger, "How movements are written".
"""
from fractions import Fraction as F

from money import NotCovered, exact, fen, pro_rata, round_int, to_fen, yuan
from supports import Cover

COVERABLE = ("senior", "mezzanine")       # classes whose interest and principal can be covered


class PaymentDate:
    """What one payment date's waterfall reads and changes besides the run's state."""

    def __init__(self, run, k, last, tax_due, fee_due, fee_xdue, wf_name):
        self.run, self.k, self.last, self.wf_name = run, k, last, wf_name
        self.period, self.day = k + 1, run.p.pay[k]
        self.tax_due, self.fee_due, self.fee_xdue = tax_due, fee_due, fee_xdue
        self.tax_paid = dict.fromkeys(tax_due, 0)
        self.fee_paid = dict.fromkeys(fee_due, 0)
        self.fee_xpaid = dict.fromkeys(fee_xdue, 0)   # paid of each fee's excess
        self.reserve_deposit = 0
        self.reserve_target = None
        self.support_repaid = self.support_interest = 0
        self.purchases = 0
        self.cover = Cover(run, self)

    def led(self, step, action, item, source, destination, amount):
        self.run.led(self.period, self.day, step, action, item, source, destination, amount)

    # ------------------------------------------------------------------ conditions
    def holds(self, when):
        """docs/deal-format.md "Conditions (when)", evaluated when the step is reached;
        "senior_paid_off" and "final_period" (the last date, the call date included); the
        payment date, adjusted or unadjusted, on or after a date (`before`: the opposite); a
        trigger tripped as tested before this date's waterfall; the pool balance at the period's
        end below a share of the cutoff balance, cumulative defaults above one (exactly)."""
        run = self.run
        if when is None:
            return True
        if when == "senior_paid_off":
            return all(t.bal == 0 for t in run.seniors)
        if when == "final_period":
            return self.last
        if isinstance(when, dict) and len(when) == 1:
            (key, value), = when.items()
            if key == "paid_off":
                return run.T[value].bal == 0
            if key == "on_or_after":
                return max(self.day, run.p.scheduled[self.k]) >= value
            if key == "before":
                return not self.holds({"on_or_after": value})
            if key == "trigger":
                return value in run.tripped
            if key == "pool_factor_below":
                return run.proj.totals(self.k)["balance_end"] < exact(value) * run.proj.pool0
            if key == "cumulative_default_ratio_above":
                return run.cum_def > exact(value) * run.proj.pool0
            if key == "not":
                return not self.holds(value)
            if key == "all":
                return all(self.holds(v) for v in value)
            if key == "any":
                return any(self.holds(v) for v in value)
        raise NotCovered(f"condition {when!r}")

    # ------------------------------------------------------------------ helpers
    def by_figures(self, t, kind, offered):
        """docs/auditing.md "per_unit = true": on a date a tranche is paid by its figures, a
        step pays only what keeps the date's total a figure-paid amount."""
        if not t.by_figures:
            return offered
        before = t.int_paid if kind == "interest" else t.pr_paid
        return max(0, self.run.fig.figure_paid(t.init, before + offered) - before)

    def unpaid(self, item):
        """docs/conventions.md "Accounts ...", covers transfers: an item's due now (arrears
        included) less what earlier steps paid; principal due and unpaid up to the balance."""
        if item == "taxes":
            return sum(self.tax_due[n] - self.tax_paid[n] for n in self.tax_due)
        if item == "fees":
            return sum(self.fee_due[n] - self.fee_paid[n] for n in self.fee_due)
        cls, what = item.split("_")
        ts = [t for t in self.run.T.values() if t.cls == cls]
        if what == "interest":
            return sum(t.int_due - t.int_paid for t in ts)
        return sum(min(t.bal, max(0, t.pr_due - t.pr_paid)) for t in ts)

    def pay_tranche(self, t, kind, amount, account, step, action):
        run = self.run
        if kind == "interest":
            t.int_paid += amount
            if amount:
                t.int_from = account
        else:
            t.pr_paid += amount
            t.bal -= amount
            if amount:
                t.pr_from = account
        run.accounts[account] -= amount
        self.led(step, action, t.name, run.acname(account), f"tranche:{t.name}", amount)

    # ------------------------------------------------------------------ the steps
    def run_steps(self, steps):
        for index, st in enumerate(steps):
            step = index + 1
            if not self.holds(st.get("when")):
                continue
            action = st["action"]
            account = st.get("from", "collection")
            handler = getattr(self, f"step_{action}", None)
            if handler is None:
                raise NotCovered(f"waterfall action {action!r}")
            handler(st, account, step)

    def step_pay_tax(self, st, account, step):
        self._charges(st, account, step, tax=True)

    def step_pay_fee(self, st, account, step):
        self._charges(st, account, step, tax=False)

    def _charges(self, st, account, step, tax):
        """pay_tax / pay_fee: a covered shortfall is drawn first, then the step pays, pro rata
        to the amounts due when short (docs/conventions.md "Reserve and support draws").
        docs/deal-format.md "Fee mechanics": `part = "excess"` pays the fees' excess over their
        `cap` (never covered), otherwise the part up to it; `share = s` offers at most
        fen(s × remaining) of each fee, remaining being what is still due of it at the step."""
        run = self.run
        names = st["taxes"] if tax else st["fees"]
        excess = st.get("part", "due") == "excess"
        if tax:
            due, paid = self.tax_due, self.tax_paid
        else:
            due, paid = (self.fee_xdue, self.fee_xpaid) if excess else (self.fee_due, self.fee_paid)
        item = "taxes" if tax else "fees"
        if not tax and not excess:
            self.charge_paid_bases(names)
        rem = [due[n] - paid[n] for n in names]
        if "share" in st:
            rem = [fen(exact(st["share"]) * yuan(x), run.rule) for x in rem]
        if sum(rem) > run.accounts[account] and not excess:
            self.cover.draw(item, sum(rem) - run.accounts[account], account, step, item)
        for n, x in zip(names, pro_rata(run.accounts[account], rem, run.prr)):
            paid[n] += x
            run.accounts[account] -= x
            self.led(step, st["action"], n, run.acname(account), ("tax:" if tax else "fee:") + n, x)

    def charge_paid_bases(self, names):
        """Review 43b. docs/deal-format.md "Fee mechanics", A fee on an amount paid: each fee of
        the step on `interest_paid:<tranche>` is charged now (charges.py `charge_on_paid`) on
        the interest the tranche was paid by the date's earlier steps (with `per_unit`, what
        its figure per 100 pays of it); the charge joins the fee's due and its `charged`."""
        run = self.run
        for f in run.fees:
            n, tname = f["name"], run.charges.paid_base(f)
            if n not in names or tname is None:
                continue
            t = run.T[tname]
            paid = run.fig.figure_paid(t.init, t.int_paid) if run.fig.per_unit else t.int_paid
            x = run.charges.charge_on_paid(f, self.k, paid, self.fee_charged[n])
            self.fee_charged[n] += x
            self.fee_due[n] += x

    def step_pay_interest(self, st, account, step):
        """The account's cash first (pro rata), then, for each covered tranche still short, the
        shortfall is drawn and paid to it alone; the ledger writes the cash paid, then each draw
        and the payment of what it drew."""
        run = self.run
        ts = [run.T[n] for n in st["tranches"]]
        rem = [t.int_due - t.int_paid for t in ts]
        for t, x in zip(ts, pro_rata(run.accounts[account], rem, run.prr)):
            self.pay_tranche(t, "interest", self.by_figures(t, "interest", x), account, step,
                             "pay_interest")
        for t in ts:
            short = t.int_due - t.int_paid
            if short > 0 and t.cls in COVERABLE:
                item = f"{t.cls}_interest"
                if t.by_figures:
                    got = self.cover.figure_draw(t, "interest", item, account, step)
                else:
                    got = self.cover.draw(item, short, account, step, t.name)
                self.pay_tranche(t, "interest", got, account, step, "pay_interest")

    def step_pay_principal(self, st, account, step):
        """Sequential: each tranche in turn, the part of its covered shortfall (the contractual
        principal due not yet paid) that the account's cash cannot pay drawn first, then the
        tranche paid (scheduled: a pass-through tranche up to its balance, scheduled and bullet
        ones their principal due; available: up to the balance), in one ledger entry."""
        run = self.run
        available = st.get("amount", "scheduled") == "available"
        if st.get("order", "sequential") == "pro_rata":
            return self.pro_rata_principal(st, account, step, available)
        for name in st["tranches"]:
            t = run.T[name]
            if available and t.deferred:
                self.pay_deferred(t, account, step)
            cap = t.bal if (available or t.amort == "pass_through") else max(0, t.pr_due - t.pr_paid)
            short = min(t.bal, t.pr_due - t.pr_paid)
            if short > 0 and t.cls in COVERABLE:
                item = f"{t.cls}_principal"
                if t.by_figures:
                    self.cover.figure_draw(t, "principal", item, account, step)
                elif short > run.accounts[account]:
                    self.cover.draw(item, short - run.accounts[account], account, step, t.name)
            x = self.by_figures(t, "principal", min(cap, run.accounts[account]))
            self.pay_tranche(t, "principal", x, account, step, "pay_principal")

    def pay_deferred(self, t, account, step):
        """Review 43b. docs/conventions.md "What falls due", Interest: a `pay_principal` step with
        `amount = "available"` that repays an `interest_at_maturity` tranche early first pays
        what is deferred, as interest, from the step's cash (no draw): as much as the cash left
        after the tranche's interest owed on the date covers; what it pays falls due as it is
        paid, and what it does not cover stays deferred, no shortfall (review 43b F1, settled
        in the docs). Its ledger action is not stated (docs/output.md): the oracle writes
        `pay_interest`."""
        owed = max(0, t.int_due - t.int_paid)
        x = min(t.deferred, self.run.accounts[account] - owed)
        if x <= 0:
            return
        t.deferred -= x
        t.int_due += x
        t.int_whole += x
        self.pay_tranche(t, "interest", x, account, step, "pay_interest")

    def pro_rata_principal(self, st, account, step, available):
        """docs/conventions.md "The waterfall": `pro_rata` shares the cash in proportion to what
        each tranche can take (amount available: its balance; scheduled: a pass-through
        tranche's balance, a scheduled or bullet tranche's principal due not yet paid), by
        `[deal] pro_rata_rounding`; "Reserve and support draws": the account's cash first, then
        for each covered tranche still short of its contractual principal due, the shortfall is
        drawn and paid to it alone; the ledger writes the cash paid, then each draw and the
        payment of what it drew (docs/output.md "How movements are written")."""
        run = self.run
        ts = [run.T[n] for n in st["tranches"]]
        if any(t.by_figures for t in ts):
            raise NotCovered("a pro rata pay_principal paid by per-unit figures")
        if any(t.at_maturity for t in ts):
            raise NotCovered("a pro rata pay_principal of an interest_at_maturity tranche")
        caps = [t.bal if (available or t.amort == "pass_through") else min(t.bal, max(0, t.pr_due - t.pr_paid))
                for t in ts]
        for t, x in zip(ts, pro_rata(min(run.accounts[account], sum(caps)), caps, run.prr)):
            self.pay_tranche(t, "principal", x, account, step, "pay_principal")
        for t in ts:
            short = min(t.bal, t.pr_due - t.pr_paid)
            if short > 0 and t.cls in COVERABLE:
                got = self.cover.draw(f"{t.cls}_principal", short, account, step, t.name)
                self.pay_tranche(t, "principal", got, account, step, "pay_principal")

    def step_pay_sub_return(self, st, account, step):
        """A subordinated tranche's periodic return: its interest due, as far as the cash goes."""
        run = self.run
        t = run.T[st["tranche"]]
        x = self.by_figures(t, "interest", min(t.int_due - t.int_paid, run.accounts[account]))
        self.pay_tranche(t, "interest", x, account, step, "pay_sub_return")

    def step_pay_residual(self, st, account, step):
        """Everything left in the step's account."""
        run = self.run
        t = run.T[st["tranche"]]
        x = run.accounts[account]
        t.res_paid += x
        run.accounts[account] = 0
        self.led(step, "pay_residual", t.name, run.acname(account), f"tranche:{t.name}", x)

    def step_top_up_reserve(self, st, account, step):
        """Deposit towards the target as far as the cash allows, or release the excess (ledger
        `release_reserve`, from `reserve`, item `reserve`); with `release = false` only deposit
        (docs/conventions.md "The waterfall", docs/deal-format.md "[waterfalls]")."""
        run = self.run
        target = self.target()
        self.reserve_target = target
        if run.reserve < target:
            x = min(target - run.reserve, run.accounts[account])
            run.reserve += x
            run.accounts[account] -= x
            self.reserve_deposit += x
            self.led(step, "top_up_reserve", "reserve", run.acname(account), "reserve", x)
        elif run.reserve > target and st.get("release", True):
            self._release(run.reserve - target, account, step)

    def step_release_reserve(self, st, account, step):
        """docs/deal-format.md "Reserve target formulas", Releasing the excess to a chosen step:
        the excess over the target, evaluated at this step, into the collection account here."""
        run = self.run
        target = self.target()
        self.reserve_target = target
        if run.reserve > target:
            self._release(run.reserve - target, "collection", step)

    def _release(self, x, account, step):
        run = self.run
        run.reserve -= x
        run.accounts[account] += x
        self.reserve_deposit -= x
        self.led(step, "release_reserve", "reserve", "reserve", run.acname(account), x)

    def target_balances(self):
        """docs/conventions.md "Reserve target", [reserve] balances: each tranche's balance as it
        stands at the step, or with "after_due_principal" max(0, balance − principal due on k),
        the due being the schedule's (balance − target) for a scheduled tranche, the whole
        balance on its expected maturity or the run's last date, else 0 (a pass-through
        tranche's balance at the step is read). The due is read on the balance as it stands
        (so `balance − due` is the table's target balance whatever the step's place)."""
        run = self.run
        if run.res.get("balances", "at_step") == "after_due_principal":
            return {n: max(0, t.bal - run.principal_due(t, self.k, self.last)) for n, t in run.T.items()}
        return {n: t.bal for n, t in run.T.items()}

    def target(self):
        """docs/conventions.md "Reserve target": 0 on the last date (the call's too) and once
        every senior is repaid (with after_due_principal: once no senior balance is left after
        the due principal); a step_down whose conditions hold: its formula; else `target`,
        `target_multiple` or `formula`."""
        run = self.run
        tbal = self.target_balances()
        if self.last or all(tbal[t.name] == 0 for t in run.seniors):
            return 0
        res = run.res
        sd = res.get("step_down")
        if sd is not None and self.step_down_holds(sd):
            return self.formula(sd["formula"], tbal)
        if "target" in res:
            return to_fen(res["target"])
        if "target_multiple" in res:
            return self.formula({"multiple": res["target_multiple"]}, tbal)
        return self.formula(res["formula"], tbal)

    def step_down_holds(self, sd):
        """docs/deal-format.md "Reserve target formulas" step_down: on payment dates on or after
        `after` (paid or scheduled, as deal-format.md "[[fees]]" reads "on or after") and while
        cumulative defaults ÷ initial pool balance < `default_ratio_below` (exactly); both when
        both are given."""
        run = self.run
        if "after" in sd and max(self.day, run.p.scheduled[self.k]) < sd["after"]:
            return False
        return not ("default_ratio_below" in sd
                    and run.cum_def >= exact(sd["default_ratio_below"]) * run.proj.pool0)

    def formula(self, f, tbal):
        """docs/deal-format.md "Reserve target formulas", docs/conventions.md "Reserve target":
        fixed X; multiple m: fen(m × (Σ_senior fen(balance × coupon × yf_{k+1}) + the fees of
        k+1)), balances as `tbal` reads them, the pool balance at the end of period k, flow
        bases 0; share s of B: fen(s × B) (senior or tranche balance as `tbal` reads it, the pool
        balance at the end of period k, the issue size); max / min of the parts, each rounded."""
        run, k = self.run, self.k
        (key, value), = ((x, y) for x, y in f.items() if x != "of")
        if key == "fixed":
            return to_fen(value)
        if key in ("max", "min"):
            parts = [self.formula(g, tbal) for g in value]
            return max(parts) if key == "max" else min(parts)
        senior_bal = sum(tbal[t.name] for t in run.seniors)
        pool_end = run.proj.totals(k)["balance_end"]
        if key == "multiple":
            nyf = run.p.yf(k + 1)
            # a floating coupon: the rate of accrual period k+1 (fixed on or before payment date k)
            total = sum(fen(yuan(tbal[t.name]) * t.coupons[k + 1] * nyf, run.rule) for t in run.seniors)
            total += run.charges.next_fees(k, senior_bal, pool_end, nyf, tbal)
            return fen(exact(value) * yuan(total), run.rule)
        if key == "share":
            of = f["of"]
            if of == "senior_balance":
                b = senior_bal
            elif of == "pool_balance":
                b = pool_end
            elif of == "issue_size":
                b = sum(t.init for t in run.T.values())
            elif of.startswith("tranche:"):
                b = tbal[of[len("tranche:"):]]
            else:
                raise NotCovered(f"reserve formula share of {of!r}")
            return fen(exact(value) * yuan(b), run.rule)
        raise NotCovered(f"reserve formula {f!r}")

    def step_repay_support(self, st, account, step):
        """docs/conventions.md "Repaying a support": each named support in the step's order, from
        the step's account as far as its cash goes: interest_s = min(I_s, cash), then
        repaid_s = min(D_s − P_s, cash − interest_s); `repays = "interest"` or "draws" pays one
        of the two. Ledger `support_interest` then `repay_support`, to `support:<name>`, the
        support's name as item (docs/output.md "ledger.parquet")."""
        run = self.run
        repays = st.get("repays", "all")
        for name in st["supports"]:
            if repays in ("all", "interest"):
                x = min(run.s_interest[name], run.accounts[account])
                run.s_interest[name] -= x
                run.s_int_paid[name] += x
                run.accounts[account] -= x
                self.support_interest += x
                self.led(step, "support_interest", name, run.acname(account), f"support:{name}", x)
            if repays in ("all", "draws"):
                x = min(run.drawn[name] - run.repaid[name], run.accounts[account])
                run.repaid[name] += x
                run.accounts[account] -= x
                self.support_repaid += x
                self.led(step, "repay_support", name, run.acname(account), f"support:{name}", x)

    def step_buy_assets(self, st, account, step):
        """docs/deal-format.md "[revolving]", A purchase: only while the period is live; L the
        period's principal collected (scheduled and prepaid) or all cash held, C = min(L, the
        step's account); B = ⌊C × (1 − purchase_cut) ÷ price⌋ fen (truncated once), P = B × price
        rounded once; P from the step's account to `seller` (ledger `buy_assets`; its `item` is
        not stated by docs/output.md, so it is not compared); the asset is the template's,
        obligor NAME@DATE (the adjusted payment date)."""
        run = self.run
        if not run.revolving_live:
            return
        rv = run.deal["revolving"]
        spend = st.get("spend", "principal_collected")
        held = run.accounts[account]
        if spend == "principal_collected":
            c = min(run.proj.totals(self.k)["principal_collected"], held)
        elif spend == "available":
            c = held
        else:
            raise NotCovered(f"buy_assets spend {spend!r}")
        price = exact(rv.get("price", 1))
        cut = exact(run.scenario.get("purchase_cut", 0))
        b = round_int(F(c) * (1 - cut) / price, "truncate")
        if b <= 0:
            return
        p = round_int(b * price, run.rule)
        name = f"{rv.get('obligor', 'revolving')}@{self.day.isoformat()}"
        run.proj.purchase(name, rv["asset"], b, self.k)
        run.accounts[account] -= p
        self.purchases += p
        run.purchases_total += p
        # docs/output.md "How movements are written": item `revolving`
        self.led(step, "buy_assets", "revolving", run.acname(account), "seller", p)

    def step_transfer(self, st, account, step):
        """docs/conventions.md "Accounts, the PDL and the clean-up call": up_to = "pdl" moves
        min(from, PDL) and credits the PDL; covers moves min(from, max(0, unpaid due − to)) and
        debits the PDL; otherwise everything in `from`."""
        run = self.run
        src, dst = st["from"], st["to"]
        if st.get("up_to") == "pdl":
            x = min(run.accounts[src], run.pdl)
            run.pdl -= x
            item = "pdl"
        elif "covers" in st:
            need = sum(self.unpaid(i) for i in st["covers"])
            x = min(run.accounts[src], max(0, need - run.accounts[dst]))
            if run.pdl is not None:
                run.pdl += x
            item = "shortfall"
        elif "up_to" in st:
            raise NotCovered(f"transfer up_to {st['up_to']!r}")
        else:
            x = run.accounts[src]
            item = "transfer"
        run.accounts[src] -= x
        run.accounts[dst] += x
        self.led(step, "transfer", item, run.acname(src), run.acname(dst), x)
