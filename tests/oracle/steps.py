"""The waterfall's steps on one payment date, and their conditions.

docs/conventions.md "The waterfall", "Reserve target", "Reserve and support draws",
"Accounts, the PDL and the clean-up call" (a step's account, covers transfers, PDL cure);
docs/deal-format.md "[waterfalls]", "Conditions (when)", "[[accounts]]", "[pdl]";
docs/output.md ledger, "How movements are written".
"""
from money import NotCovered, exact, fen, pro_rata, to_fen, yuan
from supports import Cover

COVERABLE = ("senior", "mezzanine")       # classes whose interest and principal can be covered


class PaymentDate:
    """What one payment date's waterfall reads and changes besides the run's state."""

    def __init__(self, run, k, last, tax_due, fee_due, fee_xdue):
        self.run, self.k, self.last = run, k, last
        self.period, self.day = k + 1, run.p.pay[k]
        self.tax_due, self.fee_due, self.fee_xdue = tax_due, fee_due, fee_xdue
        self.tax_paid = dict.fromkeys(tax_due, 0)
        self.fee_paid = dict.fromkeys(fee_due, 0)
        self.fee_xpaid = dict.fromkeys(fee_xdue, 0)   # paid of each fee's excess
        self.reserve_deposit = 0
        self.reserve_target = None
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
        rem = [due[n] - paid[n] for n in names]
        if "share" in st:
            rem = [fen(exact(st["share"]) * yuan(x), run.rule) for x in rem]
        if sum(rem) > run.accounts[account] and not excess:
            self.cover.draw(item, sum(rem) - run.accounts[account], account, step, item)
        for n, x in zip(names, pro_rata(run.accounts[account], rem, run.prr)):
            paid[n] += x
            run.accounts[account] -= x
            self.led(step, st["action"], n, run.acname(account), ("tax:" if tax else "fee:") + n, x)

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
        if st.get("order", "sequential") != "sequential":
            raise NotCovered("pay_principal order = pro_rata")
        run = self.run
        available = st.get("amount", "scheduled") == "available"
        for name in st["tranches"]:
            t = run.T[name]
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
        `release_reserve`, from `reserve`, item `reserve`)."""
        if st.get("release", True) is not True:
            raise NotCovered("top_up_reserve release = false")
        run = self.run
        target = self.target()
        self.reserve_target = target
        if run.reserve < target:
            x = min(target - run.reserve, run.accounts[account])
            run.reserve += x
            run.accounts[account] -= x
            self.reserve_deposit += x
            self.led(step, "top_up_reserve", "reserve", run.acname(account), "reserve", x)
        elif run.reserve > target:
            x = run.reserve - target
            run.reserve -= x
            run.accounts[account] += x
            self.reserve_deposit -= x
            self.led(step, "release_reserve", "reserve", "reserve", run.acname(account), x)

    def target(self):
        """docs/conventions.md "Reserve target": 0 on the last date (the call's too) and once
        every senior is repaid; a fixed `target = X`: X; target_multiple m: fen(m × (Σ_senior
        fen(balance × coupon × yf_{k+1}) + the fees of k+1)), balances as they stand at the
        step, the pool balance at the end of period k, flow-based fees 0."""
        run, k = self.run, self.k
        if self.last or all(t.bal == 0 for t in run.seniors):
            return 0
        if "target" in run.res:
            return to_fen(run.res["target"])
        nyf = run.p.yf(k + 1)
        total = sum(fen(yuan(t.bal) * t.coupon * nyf, run.rule) for t in run.seniors)
        senior_bal = sum(t.bal for t in run.seniors)
        pool_end = run.proj.totals(k)["balance_end"]
        total += run.charges.next_fees(k, senior_bal, pool_end, nyf)
        return fen(exact(run.res["target_multiple"]) * yuan(total), run.rule)

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
