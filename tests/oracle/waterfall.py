"""One run of a deal under one scenario: each payment date's deposits, asset guarantee, call
price, triggers, dues, coverage multiple and waterfall, and the rows of every table.

docs/conventions.md "What falls due on a payment date", "The coverage multiple", "The
waterfall", "Triggers", "Conservation", "Accounts, the PDL and the clean-up call";
docs/deal-format.md "[[tranches]]", "[[fees]]", "[[taxes]]", "[reserve]", "[[triggers]]",
"[clean_up_call]"; docs/output.md (every table, "The date's cash adds up").
"""
import copy
from fractions import Fraction as F

from charges import Charges
from dates import Periods
from money import NotCovered, OracleError, exact, fen, money, ratio6, to_fen, yuan
from notices import Figures, notice_row, settle_per_unit
from pool import Projection
from rates import tranche_coupons
from steps import COVERABLE, PaymentDate
from supports import accrue_support_interest, asset_guarantee, check_supports, failure_dates
from triggers import after_waterfall, before_waterfall, check_triggers, waterfall_of

SENIORITY = {"senior": 0, "mezzanine": 1, "subordinated": 2}
SOURCES = ("interest", "principal", "prepayments", "recoveries")


class Tranche:
    def __init__(self, spec, last_pay, whole_face, coupons):
        self.name, self.cls = spec["name"], spec["class"]
        # review 43b: docs/deal-format.md "[[tranches]]" interest_at_maturity (a bullet senior or
        # mezzanine tranche only); `deferred` is the interest accrued and not yet due
        self.at_maturity = bool(spec.get("interest_at_maturity"))
        if self.at_maturity and (spec.get("amortization") != "bullet" or spec["class"] == "subordinated"):
            raise NotCovered("interest_at_maturity on a tranche that is not a senior or mezzanine bullet")
        self.deferred = 0
        self.init = self.bal = to_fen(spec["balance"])
        # docs/conventions.md "Floating rates": each payment date's coupon (rates.py), a fixed
        # or floating senior or mezzanine coupon plus the scenario's coupon_shift (interest due,
        # the reserve's interest targets and the notices' coupon read it)
        self.coupons = coupons
        # docs/conventions.md "What falls due", Interest: with interest_on_shortfall the
        # shortfall brought forward accrues at the coupon too
        self.on_shortfall = bool(spec.get("interest_on_shortfall"))
        self.amort = spec.get("amortization", "pass_through")
        # docs/deal-format.md "[[tranches]]": expected maturity, the last payment date by default
        self.maturity = spec.get("expected_maturity", last_pay)
        self.targets = [(x["date"], to_fen(x["balance"])) for x in spec.get("target_balances", [])]
        self.short = 0                    # interest carried to the next date (a per-unit 尾差 too)
        self.face_left = whole_face       # the notices' face per 100 left
        self.redeemed = False             # per_unit: repaid, its later dates paid by figures


class Run:
    # what a trial copy of the run (the clean-up call's) shares instead of copying
    SHARED = ("deal", "scenario", "deal_name", "p", "proj", "fig", "rule", "prr", "fees", "reinvest",
              "taxes", "res", "supports", "ag", "triggers", "call_cfg", "collects", "seniors_names")

    def __init__(self, deal, scenario):
        self.deal, self.scenario = deal, scenario
        d = deal["deal"]
        self.deal_name = d["name"]
        # docs/deal-format.md "[revolving]"
        self.revolving = deal.get("revolving")
        self.revolving_live = False
        self.revolving_ended = False
        self.purchases_total = 0
        if self.revolving is not None:
            if set(self.revolving) - {"end_date", "end_triggers", "waterfall", "price", "obligor", "tags", "asset"}:
                raise NotCovered("a [revolving] key the oracle does not know")
            if deal.get("clean_up_call"):
                raise NotCovered("[revolving] with a clean-up call (the call's trial copy shares the pool)")
            if any(o["name"] == self.revolving.get("obligor") for o in deal["obligors"]):
                raise NotCovered("[revolving] obligor naming a debtor of the file")
        self.rule = d.get("rounding", "half_up")
        self.prr = d.get("pro_rata_rounding", "list_order")
        self.p = Periods(deal)
        self.proj = Projection(deal, scenario, self.p)
        self.fig = Figures(deal)
        # docs/deal-format.md "[[tranches]]": seniority order, file order within a class
        specs = sorted(deal["tranches"], key=lambda t: SENIORITY[t["class"]])
        shift = exact(scenario.get("coupon_shift", 0))
        self.T = {s["name"]: Tranche(s, self.p.pay[-1], self.fig.whole_face,
                                     tranche_coupons(s, self.p, self.proj.indices, shift)) for s in specs}
        if self.fig.per_unit and any(t.on_shortfall for t in self.T.values()):
            raise NotCovered("interest_on_shortfall with per_unit (does the 尾差 carried accrue?)")
        if any(t.at_maturity for t in self.T.values()) and (
                self.fig.per_unit or any(t.on_shortfall for t in self.T.values())
                or (deal.get("reserve") or {}).keys() - {"target", "initial", "covers"}):
            # review 43b: what a per-unit figure, interest_on_shortfall or a reserve's interest
            # target does with deferred interest is not stated
            raise NotCovered("interest_at_maturity with per_unit, interest_on_shortfall or an interest-based reserve")
        self.seniors_names = [t.name for t in self.T.values() if t.cls == "senior"]
        self.charges = Charges(self)
        self.fees, self.taxes = self.charges.fees, self.charges.taxes
        self.fee_arrears = {f["name"]: 0 for f in self.fees}
        self.fee_xarrears = {f["name"]: 0 for f in self.fees}   # the arrears of a fee's excess
        self.tax_arrears = {x["name"]: 0 for x in self.taxes}
        # docs/deal-format.md "[[accounts]]": a source no account collects goes to `collection`
        self.accounts = {"collection": 0}
        self.collects = {}
        for a in deal.get("accounts", []):
            self.accounts[a["name"]] = 0
            self.collects.update({s: a["name"] for s in a.get("collects", [])})
        self.named_accounts = len(self.accounts) > 1
        pdl = deal.get("pdl")
        if pdl is not None and not pdl.get("defaults", True):
            raise NotCovered("[pdl] defaults = false")
        self.pdl = 0 if pdl is not None else None
        self.res = deal.get("reserve")
        if self.res is not None and (set(self.res) - {"target", "target_multiple", "formula", "initial",
                                                      "covers", "balances", "step_down"}
                                     or len({"target", "target_multiple", "formula"} & set(self.res)) != 1):
            raise NotCovered("a [reserve] key the oracle does not know")
        self.reserve = to_fen(self.res.get("initial", 0)) if self.res else 0
        self.reserve_funded = self.reserve
        check_supports(deal)
        self.supports = deal.get("supports", [])
        self.ag = next((s for s in self.supports if s["kind"] == "asset_guarantee"), None)
        self.drawn = {s["name"]: 0 for s in self.supports}
        self.repaid = {s["name"]: 0 for s in self.supports}       # repay_support: draws repaid
        self.s_interest = {s["name"]: 0 for s in self.supports}   # interest accrued, unpaid
        self.s_int_paid = {s["name"]: 0 for s in self.supports}   # interest paid
        self.off = set(scenario.get("supports_off", []))
        self.no_draws = False             # the clean-up call's trial draws no support
        self.failures = failure_dates(deal, scenario)
        self.ag_u = self.ag_o = self.ag_h = 0
        self.subrogated = 0
        self.triggers = deal.get("triggers", [])
        check_triggers(self.triggers)
        self.tripped, self.pending = set(), set()
        self.cum_def = 0
        self.pool_bal_prev = self.proj.pool0
        self.call_cfg = deal.get("clean_up_call")
        if self.call_cfg and self.call_cfg.get("accrued_interest") and any(
                "floating" in a for o in deal["obligors"] for a in o.get("assets", [])):
            # review 43b: a floating loan's interest "under the deal's own index path" is not built
            raise NotCovered("[clean_up_call] accrued_interest with floating-rate loans")
        self.call_on = scenario.get("clean_up_call", True)
        self.call_price_total = 0
        self.reinvest = exact(d.get("reinvestment_rate", 0))
        self.income_total = 0
        self.periods_run = 0
        self.ledger = []
        self.ires_of = {}
        self.rows = {t: [] for t in ("tranche_flows", "periods", "pool_flows", "fees",
                                     "payment_notices")}
        if self.reserve:                  # funded at closing: period 0, step 0
            self.led(0, self.p.closing, 0, "fund_reserve", "reserve", "originator", "reserve",
                     self.reserve)

    @property
    def seniors(self):
        return [self.T[n] for n in self.seniors_names]

    def __deepcopy__(self, memo):
        new = object.__new__(Run)
        memo[id(self)] = new              # what refers back to the run (charges) gets the copy
        for key, value in self.__dict__.items():
            new.__dict__[key] = value if key in self.SHARED else copy.deepcopy(value, memo)
        return new

    # ------------------------------------------------------------------ helpers
    def led(self, period, day, step, action, item, source, destination, amount):
        """docs/output.md "How movements are written": a movement of 0 is not written."""
        if amount < 0:
            raise OracleError(f"a negative movement: {action} {amount}")
        if amount:
            self.ledger.append(dict(deal=self.deal_name, scenario=self.scenario["name"],
                                    period=period, date=day, step=step, action=action, item=item,
                                    source=source, destination=destination, amount=money(amount)))

    @staticmethod
    def acname(account):
        return "collection" if account == "collection" else f"account:{account}"

    def principal_due(self, t, k, last):
        """docs/conventions.md "What falls due", Principal due: the whole balance on and after
        the expected maturity and on the run's last date (the call's too); before, a scheduled
        tranche max(0, balance − the target of the latest table date the scheduled or the paid
        day reaches), pass-through and bullet tranches 0."""
        if t.bal == 0:
            return 0
        if last or self.p.pay[k] >= t.maturity:
            return t.bal
        if t.amort == "scheduled":
            reach = max(self.p.pay[k], self.p.scheduled[k])
            hits = [b for d, b in t.targets if d <= reach]
            return max(0, t.bal - hits[-1]) if hits else 0
        return 0

    def defer_interest(self, t, k, last):
        """Review 43b. docs/conventions.md "What falls due", Interest: a bullet tranche with
        `interest_at_maturity` accrues fen(balance × coupon × yf) on every date, but nothing of
        it falls due until the date its principal does (its expected maturity, or the run's last
        date): then everything deferred and the date's own accrual are due together. The
        deferred interest earns nothing and is no shortfall (what is due is what the coverage
        multiple and the triggers see)."""
        if last or self.p.pay[k] >= t.maturity:
            t.int_whole += t.deferred
            t.deferred = 0
        else:
            t.deferred += t.int_whole - t.short
            t.int_whole = t.short

    # ------------------------------------------------------------------ the clean-up call
    def call_exercisable(self, k):
        """docs/conventions.md "Accounts, the PDL and the clean-up call": exercisable when the
        balance / cutoff balance < pool_factor_below (exactly) or the payment date (adjusted or
        not) is on or after on_or_after, while some performing balance is left."""
        c = self.call_cfg
        if not c or not self.call_on:
            return False
        bal = self.proj.totals(k)["balance_end"]
        if bal <= 0:
            return False
        by_factor = "pool_factor_below" in c and bal < exact(c["pool_factor_below"]) * self.proj.pool0
        by_date = "on_or_after" in c and max(self.p.pay[k], self.p.scheduled[k]) >= c["on_or_after"]
        return by_factor or by_date

    def call_price(self, k, b):
        """docs/conventions.md "Accounts, the PDL and the clean-up call", Clean-up call price:
        fen(price_share × B), B the performing balance at the end of the call date's collection
        period d; with `accrued_interest` (review 43b) fen(price_share × B + A × min(B, C) / C),
        one exact value rounded once, C the contractual principal of the deal's assets due after
        d, A their contractual accrued interest at d: for each asset, the interest of its next
        instalment after d × (days from the previous instalment, or the cutoff date for the
        first, to d) / (days from that date to the next instalment)."""
        value = exact(self.call_cfg.get("price_share", 1)) * yuan(b)
        if self.call_cfg.get("accrued_interest"):
            d = self.p.cend[k]
            a, c = F(0), 0
            for _, _, rest in self.proj.assets:
                after = [x for x in rest if x[0] > d]
                if not after:
                    continue
                c += sum(x[1] for x in after)
                before = [x[0] for x in rest if x[0] <= d]
                prev = before[-1] if before else self.p.cutoff
                a += F(after[0][2] * (d - prev).days, (after[0][0] - prev).days)
            if c:
                value += yuan(a * min(b, c) / c)
        return fen(value, self.rule)

    def call_repays(self, k):
        """repays_senior: a trial copy exercises the call and runs the date's waterfall; the
        call goes ahead when no senior or mezzanine tranche is left with a balance or with
        interest unpaid (the per-unit 尾差 aside), with no support drawn in the trial: the price
        and the trust's cash must suffice (docs/conventions.md "Clean-up call price"; an asset
        guarantee's payment of the period's defaults still counts). repays_senior = false: on
        the first exercisable date whatever it repays (docs/deal-format.md "[clean_up_call]")."""
        if not self.call_cfg.get("repays_senior", True):
            return True
        trial = copy.deepcopy(self)
        trial.no_draws = True
        trial.run_date(k, call=True)
        return all(t.bal == 0 and t.short - t.ires <= 0
                   for t in trial.T.values() if t.cls in COVERABLE)

    def ends_when_repaid(self, k):
        """Review 43b. docs/conventions.md "Dates and periods", docs/deal-format.md "[deal]"
        end_when_repaid: the plan ends on the first date whose waterfall leaves every tranche
        with no balance and no interest owed; two trials of the date's waterfall decide it, one
        as an ordinary date and one as the last, and both must repay every tranche (interest
        deferred by interest_at_maturity counts as owed)."""
        if not self.deal["deal"].get("end_when_repaid") or k == self.p.n - 1:
            return False
        for as_last in (False, True):
            trial = copy.deepcopy(self)
            trial.run_date(k, call=False, end=as_last)
            if not all(t.bal == 0 and t.short - t.ires <= 0 and not t.deferred for t in trial.T.values()):
                return False
        return True

    def run(self):
        for k in range(self.p.n):
            call = self.call_exercisable(k) and self.call_repays(k)
            # review 43b: end_when_repaid ends the plan on a date that then runs as the last
            end = not call and self.ends_when_repaid(k)
            self.run_date(k, call, end)
            if call or end:               # the call (or the plan's end) ends the run
                break
        return self.finish()

    # ------------------------------------------------------------------ one payment date
    def run_date(self, k, call, end=False):
        p, fig = self.p, self.fig
        day, period = p.pay[k], k + 1
        # the run's last date: the deal's last, the call's, or the one end_when_repaid ends on
        last = call or end or k == p.n - 1
        yf = p.yf(k)
        tot = self.proj.totals(k)
        accrue_support_interest(self, k)  # before any draw of the date
        brought = sum(self.accounts.values())
        pool_cash = tot["collected"] + tot["recovered"]
        # docs/conventions.md "Income on cash held", docs/deal-format.md "[deal]"
        # reinvestment_rate: before the date's collections, fen(C × r × yf_k), C the collection
        # and named accounts and the reserve as the last date left them, into the account that
        # collects interest, from `investment` (ledger `investment_income`, step 0; its `item`
        # is not stated by docs/output.md, so it is not compared); in available_funds, not in
        # cash_brought_forward (docs/output.md "periods.parquet")
        income = 0
        if self.reinvest:
            income = fen(yuan(sum(self.accounts.values()) + self.reserve) * self.reinvest * yf, self.rule)
            into = self.collects.get("interest", "collection")
            self.accounts[into] += income
            self.income_total += income
            # docs/output.md "How movements are written": step 0, item `investment_income`
            self.led(period, day, 0, "investment_income", "investment_income", "investment",
                     self.acname(into), income)
        # deposits (docs/conventions.md "Accounts ...", Deposits by source; docs/output.md:
        # interest, principal, prepayments, recoveries, or collections, recoveries)
        if self.named_accounts:
            parts = {"interest": tot["interest_collected"],
                     "principal": tot["principal_collected"] - tot["prepaid"],
                     "prepayments": tot["prepaid"], "recoveries": tot["recovered"]}
            for src in SOURCES:
                acct = self.collects.get(src, "collection")
                self.accounts[acct] += parts[src]
                self.led(period, day, 0, "deposit", src, "pool", self.acname(acct), parts[src])
        else:
            self.accounts["collection"] += pool_cash
            self.led(period, day, 0, "deposit", "collections", "pool", "collection", tot["collected"])
            self.led(period, day, 0, "deposit", "recoveries", "pool", "collection", tot["recovered"])
        # the PDL (docs/deal-format.md "[pdl]"; conventions.md "Accounts ...", PDL debits): the
        # period's defaulted principal, after the deposit, before the waterfall
        if self.pdl is not None:
            self.pdl += tot["defaulted"]
        # the asset guarantee (docs/conventions.md "The asset guarantee"): its payment into the
        # account that collects principal, the recoveries back to it from the account that
        # collects recoveries; in the ledger after the date's deposits, the payment first, with
        # the support's name as item (docs/output.md "ledger.parquet", "How movements are written")
        g = back = 0
        if self.ag is not None:
            g, back = asset_guarantee(self, k, tot["defaulted"], tot["recovered"], brought)
            self.subrogated += back
            into = self.collects.get("principal", "collection")
            out_of = self.collects.get("recoveries", "collection")
            self.accounts[into] += g
            self.accounts[out_of] -= back
            name = self.ag["name"]
            self.led(period, day, 0, "guarantee_payment", name, f"support:{name}",
                     self.acname(into), g)
            self.led(period, day, 0, "subrogation", name, self.acname(out_of),
                     f"support:{name}", back)
            if self.pdl is not None:
                self.pdl -= min(self.pdl, g)
        # the call's price: fen(price_share × performing balance), after the collections
        price = 0
        if call:
            price = self.call_price(k, tot["balance_end"])
            acct = self.collects.get("principal", "collection")
            self.accounts[acct] += price
            self.led(period, day, 0, "clean_up_call", "pool", "originator", self.acname(acct), price)
            self.call_price_total += price
        available = pool_cash + brought + g - back + price + income
        self.cum_def += tot["defaulted"]

        # ---------------- what falls due (docs/conventions.md "What falls due")
        senior_bal = sum(t.bal for t in self.seniors)
        for t in self.T.values():
            t.bal_start = t.bal
            accruing = t.bal + (t.short if t.on_shortfall else 0)
            t.int_whole = fen(yuan(accruing) * t.coupons[k] * yf, self.rule) + t.short
            if t.at_maturity:
                self.defer_interest(t, k, last)
            t.int_due = t.int_whole
            # per_unit: the run's last date and a redeemed tranche's later dates pay by figures,
            # the interest due cut first to what the figure per 100 of it pays
            t.by_figures = fig.per_unit and (last or t.redeemed)
            if t.by_figures:
                t.int_due = fig.figure_paid(t.init, t.int_whole)
            t.pr_due = self.principal_due(t, k, last)
            t.int_paid = t.pr_paid = t.res_paid = 0
            t.int_from = t.pr_from = None
            t.ires = t.pres = t.forgone = 0
        # taxes and fees (charges.py): the senior balance after the previous date, the pool balance
        # at the start of the collection period before its defaults (the previous period's end),
        # the period's interest collections and pool cash as flow bases; arrears carried
        flows = {"interest_collections": tot["interest_collected"], "collections": pool_cash}
        ch = self.charges
        tax_charged = {x["name"]: ch.tax_charge(x, senior_bal, self.pool_bal_prev, yf, flows)
                       for x in self.taxes}
        fee_charged = {f["name"]: ch.fee_charge(f, k, senior_bal, self.pool_bal_prev, yf, flows)
                       for f in self.fees}
        # a fee with `cap = X`: min(charge, X) due with the fee, the rest its excess, each part
        # with its own arrears (docs/deal-format.md "Fee mechanics")
        split = {f["name"]: ch.split_cap(f, fee_charged[f["name"]]) for f in self.fees}
        tax_due = {n: c + self.tax_arrears[n] for n, c in tax_charged.items()}
        fee_due = {n: split[n][0] + self.fee_arrears[n] for n in fee_charged}
        fee_xdue = {n: split[n][1] + self.fee_xarrears[n] for n in fee_charged}

        # ---------------- the coverage multiple, per tranche down the seniority, before the
        # waterfall: max(0, available − H_k − taxes − fees up to their cap) / Σ (interest +
        # principal due), the per-unit interest due read before its cut
        num = max(0, available - self.ag_h - sum(tax_due.values()) - sum(fee_due.values()))
        den = 0
        den_senior = 0
        for t in self.T.values():
            den += t.int_whole + t.pr_due
            t.cov = None if den == 0 else ratio6(F(num, den))
            if t.cls == "senior":
                den_senior = den
        senior_cov = self.seniors[-1].cov if self.seniors else None

        # ---------------- triggers before the waterfall (triggers.py), and the waterfall
        exact_cov = None if not self.seniors or self.seniors[-1].cov is None else F(num, den_senior)
        before_waterfall(self, k, exact_cov, senior_bal)
        wf_name = waterfall_of(self, call)
        if self.revolving is not None:
            # docs/deal-format.md "[revolving]", Live: the date, scheduled or adjusted, on or before
            # end_date, and no end trigger tripped on this or an earlier date (those tested before
            # the waterfall count on the same date); once ended, ended for good; while live the
            # revolving waterfall runs (no trigger has switched it: an end trigger ends it)
            rv = self.revolving
            ends = rv.get("end_triggers", [tg["name"] for tg in self.triggers])
            if any(n in self.tripped for n in ends) or min(p.pay[k], p.scheduled[k]) > rv["end_date"]:
                self.revolving_ended = True
            self.revolving_live = not self.revolving_ended
            if self.revolving_live and not call:
                if any(tg["name"] in self.tripped for tg in self.triggers):
                    raise NotCovered("a tripped trigger that is not an end trigger while revolving")
                wf_name = rv.get("waterfall", "normal")
        date = PaymentDate(self, k, last, tax_due, fee_due, fee_xdue, wf_name)
        date.fee_charged = fee_charged    # a fee on interest_paid:<name> adds its charge at its step
        date.run_steps(self.deal["waterfalls"][wf_name])
        if fig.per_unit:
            settle_per_unit(self, date)

        # ---------------- after the waterfall: triggers effective next date, carried amounts
        after_waterfall(self)
        for t in self.T.values():
            t.short = max(0, t.int_due - t.int_paid)
        for n in self.tax_arrears:
            self.tax_arrears[n] = max(0, tax_due[n] - date.tax_paid[n])
        for n in self.fee_arrears:
            self.fee_arrears[n] = max(0, fee_due[n] - date.fee_paid[n])
            self.fee_xarrears[n] = max(0, fee_xdue[n] - date.fee_xpaid[n])
        # a purchase's balance is in the pool's balance at the end of its period
        tot = self.proj.totals(k)
        self.write_rows(k, last, wf_name, tot, pool_cash, brought, available, g, senior_cov,
                        date, tax_charged, fee_charged)
        self.pool_bal_prev = tot["balance_end"]
        self.periods_run = period

    # ------------------------------------------------------------------ rows
    def write_rows(self, k, last, wf_name, tot, pool_cash, brought, available, g, senior_cov,
                   date, tax_charged, fee_charged):
        p, day, period = self.p, self.p.pay[k], k + 1
        common = dict(deal=self.deal_name, scenario=self.scenario["name"])
        for t in self.T.values():        # docs/output.md "tranche_flows.parquet"
            self.rows["tranche_flows"].append(dict(
                common, period=period, payment_date=day, tranche=t.name, **{"class": t.cls},
                balance_start=money(t.bal_start), interest_due=money(t.int_due),
                interest_paid=money(t.int_paid), interest_shortfall=money(t.short),
                principal_due=money(t.pr_due), principal_paid=money(t.pr_paid),
                residual_paid=money(t.res_paid), balance_end=money(t.bal), coverage_multiple=t.cov))
            # for summary.py's paid-in-full test: the per-unit interest 尾差 carried by design
            # (docs/auditing.md "per_unit = true"), not a column of any table
            self.ires_of[(period, t.name)] = t.ires
        # docs/output.md "fees.parquet": the taxes in file order, then the fees; a fee's due,
        # paid and arrears include its excess (docs/deal-format.md "Fee mechanics")
        both = lambda a, b: {n: a[n] + b[n] for n in a}
        for kind, specs, due, paid, arrears, charged in (
                ("tax", self.taxes, date.tax_due, date.tax_paid, self.tax_arrears, tax_charged),
                ("fee", self.fees, both(date.fee_due, date.fee_xdue), both(date.fee_paid, date.fee_xpaid),
                 both(self.fee_arrears, self.fee_xarrears), fee_charged)):
            for spec in specs:
                n = spec["name"]
                self.rows["fees"].append(dict(
                    common, period=period, payment_date=day, kind=kind, name=n, due=money(due[n]),
                    paid=money(paid[n]), arrears=money(arrears[n]), charged=money(charged[n])))
        for name, r in self.proj.rows[k].items():   # docs/output.md "pool_flows.parquet"
            self.rows["pool_flows"].append(dict(common, period=period, payment_date=day, obligor=name,
                                                **{c: money(v) for c, v in r.items()}))
        paid = dict(taxes=sum(date.tax_paid.values()),
                    fees=sum(date.fee_paid.values()) + sum(date.fee_xpaid.values()),
                    interest=sum(t.int_paid for t in self.T.values()),
                    principal=sum(t.pr_paid for t in self.T.values()),
                    residual=sum(t.res_paid for t in self.T.values()))
        named = sum(v for a, v in self.accounts.items() if a != "collection")
        tripped = self.tripped | self.pending
        cover = date.cover
        row = dict(                      # docs/output.md "periods.parquet"
            common, period=period, payment_date=day, collection_start=p.cstart[k],
            collection_end=p.cend[k], pool_cash=money(pool_cash), cash_brought_forward=money(brought),
            available_funds=money(available), reserve_draws=money(cover.reserve_draws),
            support_draws=money(cover.support_draws + g), taxes_paid=money(paid["taxes"]),
            fees_paid=money(paid["fees"]), interest_paid=money(paid["interest"]),
            principal_paid=money(paid["principal"]), residual_paid=money(paid["residual"]),
            reserve_deposit=money(date.reserve_deposit), coverage_multiple=senior_cov,
            cumulative_default_ratio=ratio6(F(self.cum_def, self.proj.pool0)), waterfall=wf_name,
            # every tripped trigger (those tested after the waterfall too), in file order
            triggers_tripped=",".join(tg["name"] for tg in self.triggers if tg["name"] in tripped),
            collection_balance_end=money(self.accounts["collection"]),
            reserve_balance_end=money(self.reserve), pool_balance_end=money(tot["balance_end"]),
            senior_balance_end=money(sum(t.bal for t in self.seniors)), guarantee_payment=money(g),
            support_repaid=money(date.support_repaid), support_interest_paid=money(date.support_interest),
            purchases=money(date.purchases),
            restated=money(0), commingled=money(0))
        if self.named_accounts:
            row["accounts_balance_end"] = money(named)
        if self.pdl is not None:
            row["pdl_balance_end"] = money(self.pdl)
        if self.res is not None:
            row["reserve_target"] = None if date.reserve_target is None else money(date.reserve_target)
        self.rows["periods"].append(row)
        # docs/output.md "The date's cash adds up" (the oracle checks it on itself)
        sources = available + cover.reserve_draws + cover.support_draws
        uses = (sum(paid.values()) + date.reserve_deposit + date.support_repaid + date.support_interest
                + date.purchases + self.accounts["collection"] + named)
        if sources != uses:
            raise OracleError(f"period {period}: sources {sources} != uses {uses}")
        # docs/auditing.md "Payment notices": every tranche outstanding before the date or paid
        # on it; a final payment (balance 0, the deal's last date, the call date) has the
        # three-trading-day record date
        for t in self.T.values():
            if (t.bal_start > 0 or t.int_paid + t.pr_paid > 0) and self.fig.has_units(t.init):
                self.rows["payment_notices"].append(dict(
                    common, **notice_row(self.fig, t, k, p, t.bal == 0 or last, self.rule, t.coupons[k])))

    def finish(self):
        n = self.periods_run
        common = dict(deal=self.deal_name, scenario=self.scenario["name"])
        # docs/output.md "support.parquet": failed_from is the first payment date on or after
        # the failure date; null when it stood to the end or was switched off
        self.rows["support"] = []
        for s in self.supports:
            f = self.failures.get(s["name"])
            hits = [d for d in self.p.pay[:n] if f is not None and d >= f and s["name"] not in self.off]
            self.rows["support"].append(dict(
                common, support=s["name"], provider=s["provider"], total=money(self.drawn[s["name"]]),
                repaid=money(self.repaid[s["name"]]), failed_from=hits[0] if hits else None,
                interest_paid=money(self.s_int_paid[s["name"]]),
                interest_unpaid=money(self.s_interest[s["name"]])))
        self.rows["ledger"] = self.ledger
        # docs/conventions.md "Conservation" (the oracle checks it on itself)
        totals = [self.proj.totals(k) for k in range(n)]
        left = (sum(x["collected"] + x["recovered"] for x in totals) + sum(self.drawn.values())
                + self.reserve_funded + self.call_price_total + self.income_total)
        right = (sum(int(r[c] * 100) for r in self.rows["periods"] for c in
                     ("taxes_paid", "fees_paid", "interest_paid", "principal_paid", "residual_paid"))
                 + sum(self.accounts.values()) + self.reserve + self.subrogated
                 + sum(self.repaid.values()) + sum(self.s_int_paid.values()) + self.purchases_total)
        if left != right:
            raise OracleError(f"conservation: {left} != {right}")
        return self.rows


def run(deal, scenario):
    """The oracle's tables for `deal` (parsed TOML) under `scenario` (a [scenario] table); the
    run itself under `_run` (summary.py reads its tranches, dates and triggers)."""
    r = Run(deal, scenario)
    rows = r.run()
    rows["_run"] = r
    return rows
