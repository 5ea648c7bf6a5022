"""An in-life run (`ipabs reconcile`): the waterfall on the actual collections, each actual
date's lines compared and the date restated to the report, the rest projected from the actual
state, the CSRC Art. 39 flags.

docs/auditing.md "Reconciliation" (the `model` of each line, before the restatement),
"Restatement: the run follows what was reported", "The rows of an actual date state what was
reported", "The projection from the actual state", "CSRC Art. 39 flags"; docs/output.md
"reconciliation.parquet", "in_life.parquet", "The date's cash adds up"; docs/conventions.md
"Conservation" (+ restatements).

The waterfall itself is tests/oracle's (waterfall.Run, unchanged): this module only feeds it the
actual pool, reads each actual date's figures before the restatement and restates the run's
state before the date's rows are written.
"""

from actual_pool import ActualPool
from money import NotCovered, OracleError, money
from notes import note_for
from pool import Projection
from triggers import after_waterfall
from waterfall import Run

MONEY_ONE = 100                           # a trigger line's 1 (docs/output.md: money, 1 or 0)


class Reconcile(Run):
    SHARED = Run.SHARED + ("atissue", "forecast", "actual")

    def __init__(self, deal, scenario, forecast_scenario, actual_periods):
        super().__init__(deal, scenario)
        if self.ag is not None and self.pdl is not None:
            raise NotCovered("reconcile of an asset guarantee with a PDL")
        self.ag_delta = 0                 # the date's reported asset-guarantee payment less the run's
        self.ag_restated = 0              # the restatement account's net for the asset guarantee
        # named accounts (review 43e): the report states `accounts.collection` and `.reserve`
        # only (auditing.md "The actuals file"; "a report cannot state their balances"); the
        # restatement moves δ between the restatement account and the payee, never a named
        # account ("Restatement"), so the named accounts keep the waterfall's balances
        self.atissue = self.proj          # the projecting scenario at issue
        # docs/auditing.md "CSRC Art. 39 flags": the forecast is the deal file's own [scenario]
        self.forecast = (self.atissue if forecast_scenario is scenario
                         else Projection(deal, forecast_scenario, self.p))
        self.actual = actual_periods
        self.proj = ActualPool(deal, self.atissue, actual_periods)
        self.pool_bal_prev = self.proj.pool0
        self.recon = []                   # reconciliation.parquet's rows
        self.restate_moves = []           # (period, payee, δ): what the ledger's restate rows net
        self.in_life = []
        self.restated_total = 0
        self.cum_rec = 0
        self.all_models = {}

    # ------------------------------------------------------------------ one date
    def run_date(self, k, call, end=False):
        self.drawn_before = dict(self.drawn)
        # what the previous date left carried, as restated (notes.py "arrears carried")
        # per_unit: "without the 尾差 that `per_unit` carries by design" (auditing.md, Notes)
        self.carried = {("interest", t.name): t.short - getattr(t, "ires", 0)
                        for t in self.T.values()}
        self.carried.update({("fee", n): self.fee_arrears[n] + self.fee_xarrears[n] for n in self.fee_arrears})
        self.carried.update({("tax", n): v for n, v in self.tax_arrears.items()})
        # the asset guarantee's claims before the date (worked again with a reported payment)
        self.ag_before = (self.ag_u, self.ag_o, self.ag_h, self.subrogated,
                          sum(self.accounts.values()))
        self.ag_delta = 0
        super().run_date(k, call, end)

    def write_rows(self, k, last, wf_name, tot, pool_cash, brought, available, g, senior_cov,
                   date, tax_charged, fee_charged):
        restated = self.reconcile_and_restate(k, date, wf_name) if k < len(self.actual) else 0
        self.proj.names = self.proj.names_of(k)
        for t in self.T.values():
            t.face_left_before = t.face_left
        # the date's cash adds up with `+ restated` (docs/output.md): the run oracle's own check
        # reads `available` as the sources, so it is given the restated cash too
        g += self.ag_delta                # guarantee_payment and support_draws: the reported payment
        super().write_rows(k, last, wf_name, tot, pool_cash, brought, available + restated, g,
                           senior_cov, date, tax_charged, fee_charged)
        self.proj.names = self.proj.obligor_names
        if self.fig.per_unit and k < len(self.actual):
            self.patch_notices(k)
        row = self.rows["periods"][-1]
        row["available_funds"] = money(available)
        row["restated"] = money(restated)
        self.restated_total += restated
        self.write_in_life(k, tot, pool_cash)

    # ------------------------------------------------------------------ reconciliation
    def reconcile_and_restate(self, k, date, wf_name):
        """docs/auditing.md "Reconciliation": each reported line's `model` is the waterfall's
        figure before the restatement; then "Restatement": δ = reported − waterfall moves
        between the restatement account and the payee. Returns the date's `restated`."""
        ap = self.actual[k]
        period, day = k + 1, self.p.pay[k]
        lines = []                        # (line, item, model, actual)
        for n, v in ap.taxes.items():
            lines.append(("tax", n, date.tax_paid[n], v))
        for n, v in ap.fees.items():
            lines.append(("fee", n, date.fee_paid[n] + date.fee_xpaid[n], v))
        for n, v in ap.supports.items():
            lines.append(("support_draw", n, self.drawn[n] - self.drawn_before[n], v))
        if ap.reserve_draws is not None:
            lines.append(("reserve_draw", "reserve", date.cover.reserve_draws, ap.reserve_draws))
        for n, rep in ap.tranches.items():
            t = self.T[n]
            for key, model in (("interest", t.int_paid), ("principal", t.pr_paid),
                               ("residual", t.res_paid)):
                if key in rep:
                    lines.append((key, n, model, rep[key]))
        for n, v in ap.accounts.items():
            lines.append(("account", n, self.accounts["collection"] if n == "collection"
                          else self.reserve, v))
        if ap.triggers is not None:
            after = self.tripped | self.pending
            for tg in self.triggers:
                lines.append(("trigger", tg["name"], MONEY_ONE if tg["name"] in after else 0,
                              MONEY_ONE if tg["name"] in ap.triggers else 0))
        self.capture(k, date)
        for ln, it, m, a in lines:
            self.recon.append(dict(deal=self.deal_name, scenario=self.scenario["name"], period=period, payment_date=day, line=ln,
                                   item=it, model=money(m), actual=money(a),
                                   difference=money(a - m),
                                   note=note_for(self, k, ln, it, m, a, lines, wf_name) if a != m else None,
                                   # the figure lines' columns (docs/output.md); this oracle's
                                   # reports state no figure per 100
                                   model_per_100=None, actual_per_100=None))

        # ---------------- the restatement (docs/auditing.md "Restatement")
        restated = 0
        for ln, it, m, a in lines:
            d = a - m
            if ln == "tax":
                date.tax_paid[it] += d
                self.tax_arrears[it] = max(0, date.tax_due[it] - date.tax_paid[it])
                restated += d
                self.restate_moves.append((period, f"tax:{it}", d))
            elif ln == "fee":
                date.fee_paid[it] += d
                if d >= 0:                # the fee's own arrears first, then its excess
                    own = min(d, self.fee_arrears[it])
                    self.fee_arrears[it] -= own
                    self.fee_xarrears[it] = max(0, self.fee_xarrears[it] - (d - own))
                else:
                    self.fee_arrears[it] += -d
                restated += d
                self.restate_moves.append((period, f"fee:{it}", d))
            elif ln == "support_draw" and self.ag is not None and it == self.ag["name"]:
                self.restate_asset_guarantee(k, m, a)
            elif ln == "support_draw":
                self.drawn[it] += d
                date.cover.support_draws += d
                restated -= d
                self.restate_moves.append((period, f"support:{it}", -d))
            elif ln in ("interest", "principal", "residual"):
                t = self.T[it]
                if ln == "interest":
                    t.int_paid += d
                    t.short = max(0, t.int_due - t.int_paid)
                elif ln == "principal":
                    d = min(d, t.bal)     # never below zero: at most the balance is repaid
                    t.pr_paid += d
                    t.bal -= d
                else:
                    t.res_paid += d
                restated += d
                self.restate_moves.append((period, f"tranche:{it}", d))
            elif ln == "account":
                if it == "collection":
                    self.accounts["collection"] = a
                    self.restate_moves.append((period, "collection", d))
                else:
                    if self.res is None:
                        raise OracleError("a reserve line for a deal without a reserve")
                    self.reserve = a
                    date.reserve_deposit += d
                    self.restate_moves.append((period, "reserve", d))
                restated += d
        if self.fig.per_unit:
            self.restate_per_unit(ap, lines)
        # triggers: declared → the tripped ones from then on; else the after-waterfall
        # conditions tested again on the restated payments, from the state before the test
        if ap.triggers is not None:
            self.tripped, self.pending = set(ap.triggers), set()
        else:
            self.pending = set()
            saved, self.periods_run = self.periods_run, k
            after_waterfall(self)
            self.periods_run = saved
        return restated

    def restate_asset_guarantee(self, k, g_run, g_rep):
        """docs/auditing.md "The actuals file" (`periods[].supports.NAME` for an asset guarantee):
        the reported payment's difference from the run is restated like a draw, and the date is
        worked again with it (docs/conventions.md "The asset guarantee": U, T, S, O and H from the
        state before the date with G' for G); the recoveries paid back to the guarantor move by
        their difference between it and the restatement account; `guarantee_payment` and
        `support_draws` state G', `available_funds` keeps the run's, and `restated` has neither
        (docs/output.md `periods`); the support's total follows."""
        name = self.ag["name"]
        u0, o0, h0, sub0, held = self.ag_before
        tot = self.proj.totals(k)
        d_, r_ = tot["defaulted"], tot["recovered"]
        # a payment reported above the period's defaults (and the trust's claim) would make the
        # trust's claim U negative: the docs do not bound it (review 43e F3); assumed a claim is
        # never below zero, the excess a claim of the guarantor's (O) like the rest of G'
        u = max(0, u0 + d_ - g_rep)
        trust = min(r_, u)
        u -= trust
        back = min(r_ - trust, o0 + g_rep)
        back_run = self.subrogated - sub0
        self.ag_u, self.ag_o = u, o0 + g_rep - back
        self.ag_h = max(0, min(h0, held)) + g_rep - back
        self.subrogated = sub0 + back
        self.drawn[name] += g_rep - g_run
        self.ag_delta = g_rep - g_run
        net = (back - back_run) - (g_rep - g_run)     # what the restatement account gave the guarantor
        self.ag_restated += net
        self.restate_moves.append((k + 1, f"support:{name}", net))

    def restate_per_unit(self, ap, lines):
        """docs/auditing.md "`per_unit = true`": a payment restated to a reported figure keeps the
        尾差 **of its due**: of what is still owed, the due less `paid_of(per_100(due))` stays the
        尾差 carried by design, up to what is owed; the rest is not paid as agreed, "whenever the
        report states the interest (a report equal to a short waterfall's payment too)". A date
        paid by figures (the last date, a redeemed tranche's arrears) or one that redeems the
        tranche with a differing line is not covered (the docs' "no 尾差 forgone" on such a date
        is not worked out here)."""
        fig = self.fig
        delta = {(ln, it): a - m for ln, it, m, a in lines}
        for t in self.T.values():
            t.pr_restated = bool(delta.get(("principal", t.name), 0))
        for n, rep in ap.tranches.items():
            t = self.T[n]
            if not fig.has_units(t.init):
                continue
            special = t.by_figures or (t.bal == 0 and t.bal_start > 0) or t.forgone
            if special and any(delta.get((x, n), 0) for x in ("interest", "principal")):
                raise NotCovered("a per-unit restatement on a date a tranche is paid by figures or redeemed")
            tick = t.init // fig.face * 100 // 10 ** fig.places      # fen; exact (multiples of 10^4 yuan)
            if t.bal % tick:
                # auditing.md: per_unit "requires ... balances that are multiples of 10^d yuan, so
                # that ... the notice that redeems a tranche pays its balance"; the docs do not say
                # what a restated balance off a tick does (review 43e F2)
                raise NotCovered("a per-unit tranche's balance restated off a multiple of a tick")
            if special or "interest" not in rep:
                continue
            tail = t.int_due - fig.figure_paid(t.init, t.int_due)
            t.ires = max(0, min(tail, t.short))

    def patch_notices(self, k):
        """docs/auditing.md "`per_unit = true`": the restated notice states the reported amount's
        figure, and its residual is the reported amount less what that figure pays plus the 尾差
        carried; paid + residual + `interest_unpaid` is the due. Without a restatement these are
        notice_row's own figures. The principal part: a principal line restated (δ ≠ 0) is "X −
        paid" of the reported X ("The rows of an actual date state what was reported"); one not
        restated keeps the waterfall's 尾差 kept in the balance ("When every line agrees nothing is
        restated, and the rows are the waterfall's"), read per line: a doc gap (review 43e F1)."""
        fig = self.fig
        for row in self.rows["payment_notices"]:
            if row["period"] != k + 1:
                continue
            t = self.T[row["tranche"]]
            ip = fig.paid_of(t.init, fig.per_100(t.init, t.int_paid))
            ppc = (t.face_left_before if t.bal == 0
                   else min(fig.per_100(t.init, t.pr_paid), t.face_left_before))
            pp = fig.paid_of(t.init, ppc)
            ires = t.int_paid - ip + t.ires + t.forgone
            row["interest_residual"] = money(ires)
            pres = 0 if getattr(t, "pr_restated", False) else t.pres
            row["residual"] = money(ires + t.pr_paid - pp + pres)

    def capture(self, k, date):
        """Every line's waterfall figure on date k (before the restatement), for the case
        builders (rcases.py) to write reports that agree with the model."""
        m = self.all_models
        for n in date.tax_paid:
            m["tax", n, k] = date.tax_paid[n]
        for n in date.fee_paid:
            m["fee", n, k] = date.fee_paid[n] + date.fee_xpaid[n]
        for n in self.drawn:
            m["support_draw", n, k] = self.drawn[n] - self.drawn_before[n]
        m["reserve_draw", "reserve", k] = date.cover.reserve_draws
        for t in self.T.values():
            m["int_due", t.name, k] = t.int_due
            m["pres", t.name, k] = getattr(t, "pres", 0)
            m["ires", t.name, k] = getattr(t, "ires", 0)
            m["interest", t.name, k] = t.int_paid
            m["principal", t.name, k] = t.pr_paid
            m["residual", t.name, k] = t.res_paid
        m["account", "collection", k] = self.accounts["collection"]
        m["account", "reserve", k] = self.reserve
        after = self.tripped | self.pending
        for tg in self.triggers:
            m["trigger", tg["name"], k] = tg["name"] in after

    # ------------------------------------------------------------------ in_life.parquet
    def write_in_life(self, k, tot, pool_cash):
        """docs/auditing.md "CSRC Art. 39 flags"; docs/output.md "in_life.parquet"."""
        fc = self.forecast.totals(k)
        forecast = fc["collected"] + fc["recovered"]
        self.cum_rec += tot["recovered"]
        loss = self.cum_def - self.cum_rec
        outstanding = sum(t.bal for t in self.T.values())
        sis = sum(t.short - t.ires for t in self.seniors)
        self.in_life.append(dict(
            deal=self.deal_name, scenario=self.scenario["name"], period=k + 1,
            payment_date=self.p.pay[k], actual=k < len(self.actual), pool_cash=money(pool_cash),
            forecast_cash=money(forecast), cash_flag=5 * pool_cash < 4 * forecast,
            cumulative_net_loss=money(loss), outstanding_principal=money(outstanding),
            loss_flag=loss > 0 and 10 * loss > outstanding > 0,
            senior_interest_shortfall=money(sis), distribution_flag=sis > 0))

    def finish(self):
        # docs/conventions.md "Conservation": the restatement account's net joins the left-hand
        # side; the run oracle's check counts the call price there, so it is added to that term
        self.call_price_total += self.restated_total + self.ag_restated
        rows = super().finish()
        self.call_price_total -= self.restated_total + self.ag_restated
        rows["reconciliation"] = self.recon
        rows["in_life"] = self.in_life
        rows["restate_moves"] = self.restate_moves
        rows["all_models"] = self.all_models
        return rows


def reconcile(deal, scenario, forecast_scenario, actual_periods):
    return Reconcile(deal, scenario, forecast_scenario, actual_periods).run()
