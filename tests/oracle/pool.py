"""The pool projection: every obligor's cash per collection period under a scenario.

docs/conventions.md "The pool" (steps 1-6, the horizon, pool cash); docs/scenarios.md "Default
curve: default_rate and default_timing"; docs/deal-format.md "[scenario]"; docs/output.md
"pool_flows.parquet".
"""
from fractions import Fraction as F

from dates import add_months
from money import NotCovered, exact, fen, period_fraction, round12, yuan
from rates import Indices, loan_rate_at
from schedules import instalments

COLUMNS = ("scheduled", "collected", "principal_collected", "interest_collected", "prepaid",
           "defaulted", "recovered", "delayed", "balance_end")
SCENARIO_KEYS = {"name", "defaults", "cdr", "default_rate", "default_timing", "recovery_rate",
                 "recovery_lag_months", "delay", "cpr", "supports_off", "support_failures",
                 "clean_up_call", "events", "coupon_shift", "indices", "index_paths", "index_shift",
                 "revolving_yield_cut", "purchase_cut", "overrides"}
OVERRIDE_KEYS = {"cdr", "default_rate", "recovery_rate", "recovery_lag_months", "delay", "cpr"}


class Projection:
    def __init__(self, deal, scenario, periods):
        unknown = set(scenario) - SCENARIO_KEYS
        if unknown:
            raise NotCovered(f"scenario keys {sorted(unknown)}")
        self.periods = periods
        n = periods.n
        cutoff = periods.cutoff
        self.rule = deal["deal"].get("rounding", "half_up")
        self.names = [o["name"] for o in deal["obligors"]]
        self.indices = Indices(deal, scenario)
        assets = []                       # (obligor index, asset, remaining instalments)
        for j, o in enumerate(deal["obligors"]):
            for a in o.get("assets", []):
                # docs/amortization.md "Floating-rate loans": the schedule rebuilt under the
                # scenario's paths (fixings on or before the cutoff are history)
                rate_at = None
                if "floating" in a:
                    rate_at = (lambda fl, st: lambda s: loan_rate_at(fl, self.indices, st, cutoff, s))(
                        a["floating"], a["start_date"])
                rest = sorted((x for x in instalments(a, deal, rate_at) if x[0] > cutoff),
                              key=lambda x: x[0])
                assets.append((j, a, rest))
        self.pool0 = sum(p for _, _, rest in assets for _, p, _ in rest)
        self.assets = assets              # the contractual schedules (a call's accrued interest)
        s = scenario
        self.recovery_rate = exact(s.get("recovery_rate", 0))
        self.recovery_lag = int(s.get("recovery_lag_months", 0))
        self.cdr = exact(s.get("cdr", 0))
        self.cpr = exact(s.get("cpr", 0))
        self.default_rate = exact(s.get("default_rate", 0))
        delay = s.get("delay")
        self.delay_share = exact(delay["fraction"]) if delay else F(0)
        self.delay_months = int(delay["months"]) if delay else 0
        self.named = {x["obligor"]: x["date"] for x in s.get("defaults", [])}
        # the curve's shares (docs/scenarios.md "Default curve"): default_timing, else even over
        # the periods up to and including the one holding the pool's last instalment
        timing = s.get("default_timing")
        self.timing = None
        if timing:
            shares = [exact(x) for x in timing]
            if sum(shares) != 1:
                raise NotCovered("default_timing that does not sum to exactly 1 (normalised)")
            self.timing = shares
            self.shares = shares + [F(0)] * (n - len(shares))
        else:
            last = max(x[0] for _, _, rest in assets for x in rest)
            k_last = periods.period_of(last)
            if k_last is None:
                raise NotCovered("even timing with instalments after the last collection period")
            self.shares = [F(1, k_last + 1) if k < k_last + 1 else F(0) for k in range(n)]
        self.beyond = 0                   # cash that would arrive after the last period
        # rows[k]: obligor name -> its row of collection period k (a purchase's from its period on)
        self.rows = [{name: dict.fromkeys(COLUMNS, 0) for name in self.names} for _ in range(n)]
        self.overrides = s.get("overrides", [])
        if self.overrides and deal.get("revolving") is not None:
            raise NotCovered("scenario overrides on a revolving deal")
        pool_wide = self._assumptions()
        for j, asset, rest in assets:
            self._assume(self._obligor_assumptions(deal["obligors"][j], pool_wide))
            self._project_asset(self.names[j], asset, rest, 0, self.shares)
        self._assume(pool_wide)
        self.deal = deal
        yc = exact(s.get("revolving_yield_cut", 0))
        self.yield_cut = yc

    def _assumptions(self):
        return dict(cdr=self.cdr, default_rate=self.default_rate, recovery_rate=self.recovery_rate,
                    recovery_lag=self.recovery_lag, delay_share=self.delay_share,
                    delay_months=self.delay_months, cpr=self.cpr)

    def _assume(self, a):
        self.__dict__.update(a)

    def _obligor_assumptions(self, obligor, pool_wide):
        """Review 43b. docs/scenarios.md "Assumptions by obligor or tag: overrides": each obligor
        starts from the scenario's pool-wide values; the rules apply in file order, a rule that
        selects the obligor (by `obligor`, its name, or by `tag`, a `key:value` pair its `tags`
        hold) replacing the keys it sets; named defaults are unaffected; the obligor is then
        projected exactly as a pool would be under its own values (a `default_rate` on the
        scenario's default_timing, or its even timing)."""
        a = dict(pool_wide)
        tags = obligor.get("tags", {})
        for rule in self.overrides:
            if set(rule) - OVERRIDE_KEYS - {"obligor", "tag"}:
                raise NotCovered(f"an overrides rule with keys {sorted(rule)}")
            if "obligor" in rule:
                hit = rule["obligor"] == obligor["name"]
            else:
                key, _, value = rule["tag"].partition(":")
                hit = key in tags and str(tags[key]) == value
            if not hit:
                continue
            for key in ("cdr", "default_rate", "recovery_rate", "cpr"):
                if key in rule:
                    a[key] = exact(rule[key])
            if "recovery_lag_months" in rule:
                a["recovery_lag"] = int(rule["recovery_lag_months"])
            if "delay" in rule:
                a["delay_share"] = exact(rule["delay"]["fraction"])
                a["delay_months"] = int(rule["delay"]["months"])
        return a

    def _receive(self, row_of, amount, day, column):
        """Cash arriving on `day`, collected in the period containing it, or outside the deal."""
        k = self.periods.period_of(day)
        if k is None:
            self.beyond += amount
        else:
            row_of(k)[column] += amount
        return k

    def _recover(self, row_of, defaulted, day):
        # step 6: fen(recovery_rate × D) on T + lag months (add_months, month end not kept)
        amount = fen(self.recovery_rate * yuan(defaulted), self.rule)
        if amount:
            self._receive(row_of, amount, add_months(day, self.recovery_lag), "recovered")

    def purchase(self, name, template, balance, k):
        """docs/deal-format.md "[revolving]", A purchase and Projection: the template with balance
        `balance` (fen) starting on payment date k's adjusted date (its first instalment one
        period later), at the template's rate × (1 − revolving_yield_cut), an obligor `name` with
        a row from collection period k (balance B, no cash), projected from period k + 1 as if it
        were the only asset of a pool cut off on the purchase date: the curve's share i of
        `default_timing` in the i-th period after the purchase, or without a timing 1/m in each
        of the m periods up to the one holding its last instalment."""
        p = self.periods
        asset = dict(template)
        asset["balance"] = F(balance, 100)
        asset["start_date"] = p.pay[k]
        asset["rate"] = exact(template["rate"]) * (1 - self.yield_cut)
        rest = sorted(instalments(asset, self.deal), key=lambda x: x[0])
        self.names.append(name)
        for kk in range(k, p.n):
            self.rows[kk][name] = dict.fromkeys(COLUMNS, 0)
        self.rows[k][name]["balance_end"] = balance
        if self.timing is not None:
            shares = [F(0)] * (k + 1) + self.timing
        else:
            k_last = p.period_of(rest[-1][0])
            if k_last is None:
                raise NotCovered("a purchase whose last instalment falls after the last collection period (even timing)")
            m = k_last - k
            shares = [F(1, m) if k < kk <= k_last else F(0) for kk in range(p.n)]
        shares += [F(0)] * (p.n - len(shares))
        self._project_asset(name, asset, rest, k + 1, shares)

    def _project_asset(self, name, asset, rest, k0, shares):
        p = self.periods
        rule = self.rule
        row_of = lambda k: self.rows[k][name]
        b0 = sum(x[1] for x in rest)
        bal, phi = b0, F(1)
        last_due = rest[-1][0]
        t_named = self.named.get(name)
        if t_named is not None:           # step 3: a date before the first period counts as its first day
            t_named = max(t_named, p.cstart[0])
        prepayable = asset["kind"] in ("loan", "lease") and asset.get("prepayable", True)
        gone = False                      # defaulted by name
        for k in range(k0, p.n):
            start, end = p.cstart[k], p.cend[k]
            days = (end - start).days + 1
            row = row_of(k)
            # 1. defaults at the start of the period, on day S
            if bal > 0 and not gone and (self.cdr or self.default_rate):
                f = period_fraction(self.cdr, days)
                cdr_part = fen(f * yuan(bal), rule)
                curve_part = fen(self.default_rate * shares[k] * yuan(b0), rule)
                d = min(bal, cdr_part + curve_part)
                if curve_part == 0 and cdr_part <= bal:
                    phi = round12(phi * (1 - f))
                else:
                    phi = round12(phi * F(bal - d, bal))
                bal -= d
                row["defaulted"] += d
                if d:
                    self._recover(row_of, d, start)   # T is the period's first day
            named_here = t_named is not None and not gone and start <= t_named <= end
            # 2. instalments due in the period, in date order
            for due, pr, it in rest:
                if not start <= due <= end:
                    continue
                row["scheduled"] += pr + it
                if gone or (named_here and due >= t_named):
                    continue              # 3. nothing due on or after the named default is paid
                if due == last_due:
                    pp = bal              # the last instalment pays the whole remaining balance
                elif phi == 1:
                    pp = pr
                else:
                    pp = min(fen(phi * yuan(pr), rule), bal)
                ip = it if phi == 1 else fen(phi * yuan(it), rule)
                bal -= pp                 # 4. the balance falls when due, whatever the delay
                dp = fen(self.delay_share * yuan(pp), rule) if self.delay_share else 0
                di = fen(self.delay_share * yuan(ip), rule) if self.delay_share else 0
                row["collected"] += pp - dp + ip - di
                row["principal_collected"] += pp - dp
                row["interest_collected"] += ip - di
                if dp + di:
                    # 4. the delayed shares arrive n months later (add_months, day clamped);
                    # `delayed` counts them only when they leave this period (docs/output.md)
                    arrival = p.period_of(add_months(due, self.delay_months))
                    if arrival != k:
                        row["delayed"] += dp + di
                    if arrival is None:
                        self.beyond += dp + di
                    else:
                        r2 = row_of(arrival)
                        r2["collected"] += dp + di
                        r2["principal_collected"] += dp
                        r2["interest_collected"] += di
            # 3. the named default: the whole performing balance on T
            if named_here:
                gone = True
                row["defaulted"] += bal
                if bal:
                    self._recover(row_of, bal, t_named)
                bal = 0
            # 5. prepayment on day E, after scheduled principal
            if prepayable and self.cpr and bal > 0 and not gone:
                smm = period_fraction(self.cpr, days)
                pp = fen(smm * yuan(bal), rule)
                phi = round12(phi * (1 - smm))
                bal -= pp
                row["collected"] += pp
                row["principal_collected"] += pp
                row["prepaid"] += pp
            row["balance_end"] += bal

    def totals(self, k):
        return {c: sum(r[c] for r in self.rows[k].values()) for c in COLUMNS}
