"""The pool of an in-life run: the actual periods as reported, the rest projected at issue and
rebased on the actual state.

docs/auditing.md "Reconciliation" (the pool built from the actuals), "The projection from the
actual state" (pool-level cumulative scaling and the running-sum split over the obligors; the
per-obligor rebasing when the last actual date reports obligors whose balances differ from their
projection), and the `pool_flows` rows of an actual date (per obligor, or one `(pool)` row).
"""
from fractions import Fraction as F

from money import NotCovered, OracleError, round_int
from pool import COLUMNS
from schedules import instalments

FLOWS = ("scheduled", "principal_collected", "interest_collected", "prepaid", "defaulted",
         "recovered", "delayed")
POOL_ROW = "(pool)"


def obligor_balances0(deal, cutoff):
    """Each obligor's performing balance at the cutoff: its instalments' principal after it
    (docs/conventions.md "The pool"; the same instalments as tests/oracle/pool.py)."""
    out = []
    for o in deal["obligors"]:
        out.append(sum(p for a in o.get("assets", []) for d, p, _ in instalments(a, deal) if d > cutoff))
    return out


def split(x, weights):
    """docs/auditing.md "The projection from the actual state": the i-th share is
    round(X × W≤i / W) − round(X × W<i / W), half away from zero."""
    w = sum(weights)
    if w == 0:
        if x != 0:
            raise OracleError(f"splitting {x} over zero weights")
        return [0] * len(weights)
    out, before = [], 0
    for wi in weights:
        hi = round_int(F(x * (before + wi), w), "half_up")
        lo = round_int(F(x * before, w), "half_up")
        out.append(hi - lo)
        before += wi
    return out


class ActualPool:
    """Duck-types tests/oracle/pool.py's Projection for waterfall.Run: `names`, `pool0`,
    `rows[k]` (row name -> row: the obligors, or the `(pool)` row of a date reported in pool
    totals), `totals(k)`; `names_of(k)` gives the pool_flows rows of date k."""

    def __init__(self, deal, atissue, actual_periods):
        self.at = atissue
        # the at-issue rows by obligor index, period by period
        self.at_rows = [[rows[nm] for nm in atissue.names] for rows in atissue.rows]
        self.rule = deal["deal"].get("rounding", "half_up")
        self.obligor_names = list(atissue.names)
        self.names = self.obligor_names
        self.pool0 = atissue.pool0
        n = len(atissue.rows)
        L = len(actual_periods)
        if L > n:
            raise ValueError("more actual periods than payment dates")
        self.L = L
        self.rows = [None] * n
        self.pool_only = [False] * n
        bal0 = obligor_balances0(deal, atissue.periods.cutoff)
        if sum(bal0) != atissue.pool0:
            raise OracleError("obligor balances do not add up to the pool")
        ob_bal = list(bal0)               # None once a pool-only period hides them
        pool_bal = atissue.pool0
        last_obligors = False
        for k, ap in enumerate(actual_periods):
            at_rows = self.at_rows[k]
            if ap.obligors is not None:
                if ob_bal is None:
                    raise NotCovered("obligors reported after a period of pool totals")
                rows = []
                for j, name in enumerate(self.obligor_names):
                    r = ap.obligors.get(name)
                    r = r or dict(principal=0, interest=0, prepayments=0, defaults=0,
                                  recoveries=0, balance_end=None)
                    end = r["balance_end"]
                    if end is None:
                        end = ob_bal[j] - r["principal"] - r["prepayments"] - r["defaults"]
                    if end < 0:
                        raise ValueError("an obligor's balance below zero")
                    rows.append(self._row(at_rows[j]["scheduled"], at_rows[j]["delayed"], r, end))
                    ob_bal[j] = end
                if ap.pool is not None:
                    tot = {c: sum(r[c] for r in rows) for c in COLUMNS}
                    want = (ap.pool["principal"] + ap.pool["prepayments"], ap.pool["interest"],
                            ap.pool["prepayments"], ap.pool["defaults"], ap.pool["recoveries"])
                    got = (tot["principal_collected"], tot["interest_collected"], tot["prepaid"],
                           tot["defaulted"], tot["recovered"])
                    if want != got:
                        raise ValueError("pool totals differ from the obligors'")
                pool_bal = sum(ob_bal)
                last_obligors = True
            else:
                r = ap.pool
                end = ap.pool_balance_end
                if end is None:
                    end = pool_bal - r["principal"] - r["prepayments"] - r["defaults"]
                if end < 0:
                    raise ValueError("the pool's balance below zero (give balance_end)")
                # the (pool) row: `scheduled` the obligors' sum at issue, `delayed` 0
                rows = [self._row(sum(x["scheduled"] for x in at_rows), 0, r, end)]
                self.pool_only[k] = True
                ob_bal = None
                pool_bal = end
                last_obligors = False
            self.rows[k] = rows
        self.actual_balance = pool_bal
        if L < n:
            self._rest(L, n, pool_bal, ob_bal if last_obligors else None)
        self.rows = [dict(zip(self.names_of(k), rows)) for k, rows in enumerate(self.rows)]

    @staticmethod
    def _row(scheduled, delayed, r, end):
        pr = r["principal"] + r["prepayments"]
        return dict(scheduled=scheduled, collected=pr + r["interest"], principal_collected=pr,
                    interest_collected=r["interest"], prepaid=r["prepayments"],
                    defaulted=r["defaults"], recovered=r["recoveries"], delayed=delayed,
                    balance_end=end)

    def _scaled(self, series, a, p):
        """Running sums from the first projected period, × a / p, rounded once; the flows are
        the differences; the balances B × a / p rounded once (A less the scaled fall since)."""
        out = []
        run = {c: 0 for c in FLOWS}
        prev = {c: 0 for c in FLOWS}
        for row in series:
            new = {}
            for c in FLOWS:
                run[c] += row[c]
                s = round_int(F(run[c] * a, p), self.rule)
                new[c] = s - prev[c]
                prev[c] = s
            new["balance_end"] = round_int(F(row["balance_end"] * a, p), self.rule)
            new["collected"] = new["principal_collected"] + new["interest_collected"]
            out.append(new)
        return out

    def _rest(self, L, n, a, ob_actual):
        at = self.at
        names = self.obligor_names
        at_rows = self.at_rows
        proj_ob = ([at_rows[L - 1][j]["balance_end"] for j in range(len(names))] if L
                   else obligor_balances0_from(at))
        p = sum(proj_ob)
        if ob_actual is not None and ob_actual != proj_ob:
            # each obligor its own projection rebased on its own balance
            per = []
            for j in range(len(names)):
                series = [at_rows[k][j] for k in range(L, n)]
                ao, po = ob_actual[j], proj_ob[j]
                if po == 0:
                    # every row zero, `scheduled` too, the balance A_o (auditing.md "The
                    # projection from the actual state", since review 42d F1)
                    rows = [dict({c: 0 for c in COLUMNS}, balance_end=ao) for _ in series]
                elif ao == po:
                    rows = [dict(s) for s in series]
                else:
                    rows = self._scaled(series, ao, po)
                per.append(rows)
            for i, k in enumerate(range(L, n)):
                self.rows[k] = [per[j][i] for j in range(len(names))]
            return
        if a == p or p == 0:
            for k in range(L, n):
                self.rows[k] = [dict(r) for r in at_rows[k]]
            return
        pool = self._scaled([at.totals(k) for k in range(L, n)], a, p)
        for i, k in enumerate(range(L, n)):
            rows = [dict() for _ in names]
            for c in FLOWS + ("balance_end",):
                shares = split(pool[i][c], [at_rows[k][j][c] for j in range(len(names))])
                for j, s in enumerate(shares):
                    rows[j][c] = s
            for r in rows:
                r["collected"] = r["principal_collected"] + r["interest_collected"]
            self.rows[k] = rows

    def names_of(self, k):
        return [POOL_ROW] if self.pool_only[k] else self.obligor_names

    def totals(self, k):
        return {c: sum(r[c] for r in self.rows[k].values()) for c in COLUMNS}


def obligor_balances0_from(at):
    raise NotCovered("no actual period")
