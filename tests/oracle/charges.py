"""Taxes and fees: what each one charges on a payment date, and the fees of the next date that
a reserve target counts.

docs/conventions.md "What falls due on a payment date" (Fees, Taxes, the balances used as
bases), "Reserve target" (the fees of k+1); docs/deal-format.md "[[fees]]", "Bases", "Fee
mechanics", "[[taxes]]".
"""
from dates import add_months
from money import NotCovered, exact, fen, to_fen, yuan

BALANCE_BASES = ("senior_balance", "pool_balance", "issue_size")
FLOW_BASES = ("interest_collections", "collections")
FEE_KINDS = {"fixed": {"amount"}, "annual_rate": {"rate", "base"}, "annual": {"amount"},
             "one_off": {"amount"}}
FEE_OPTIONS = {"date", "start", "end", "cap_per_period", "cap_total", "cap"}


class Charges:
    def __init__(self, run):
        self.run = run
        p = run.p
        # a payment date reaches a day when it is paid or scheduled on or after it, and is after
        # a day when it is paid and scheduled after it (docs/deal-format.md "[[fees]]")
        self.reach = [max(a, b) for a, b in zip(p.pay, p.scheduled)]
        self.past = [min(a, b) for a, b in zip(p.pay, p.scheduled)]
        self.fees = run.deal.get("fees", [])
        self.taxes = run.deal.get("taxes", [])
        for f in self.fees:
            allowed = {"name", "kind"} | FEE_KINDS.get(f["kind"], set()) | FEE_OPTIONS
            if f["kind"] not in FEE_KINDS or set(f) - allowed or (
                    f["kind"] == "annual_rate" and not self.known_base(f["base"], fee=True)):
                raise NotCovered(f"fee {f['name']}")
            if self.paid_base(f) and {"cap", "cap_per_period", "cap_total"} & set(f):
                # review 43b: how a cap bounds charges made step by step is not stated
                raise NotCovered(f"fee {f['name']}: a cap on an interest_paid base")
        for x in self.taxes:
            if not self.known_base(x["base"]):
                raise NotCovered(f"tax {x['name']} on base {x['base']!r}")
        self.charged_total = {f["name"]: 0 for f in self.fees}
        self.dates_of = {f["name"]: self.due_dates(f) for f in self.fees}

    def known_base(self, base, fee=False):
        """The bases of docs/deal-format.md "Bases" this oracle implements (`interest_paid:<name>`
        for fees only, review 43b)."""
        return base in BALANCE_BASES + FLOW_BASES or (
            base.startswith("tranche:") and base[len("tranche:"):] in self.run.T) or (
            fee and base.startswith("interest_paid:") and base[len("interest_paid:"):] in self.run.T)

    @staticmethod
    def paid_base(f):
        """The tranche an `annual_rate` fee on `interest_paid:<name>` reads, else None."""
        if f["kind"] == "annual_rate" and f["base"].startswith("interest_paid:"):
            return f["base"][len("interest_paid:"):]
        return None

    def charge_on_paid(self, f, k, paid, charged):
        """Review 43b. docs/conventions.md "What falls due on a payment date", Fees, and
        docs/deal-format.md "Fee mechanics" (A fee on an amount paid): a fee on
        `interest_paid:<tranche>` is charged when its `pay_fee` step runs, fen(rate × interest
        paid to the tranche so far on the date) less what it was charged earlier on the date
        (`charged`); `paid` is what the tranche was paid so far (with `[notices] per_unit`, what
        its figure per 100 pays of it: docs/deal-format.md "Bases"). Nothing outside its
        `start`/`end` window; a flow base is not annualised."""
        if not self.in_window(f, k):
            return 0
        return max(0, fen(exact(f["rate"]) * yuan(paid), self.run.rule) - charged)

    def on_base(self, rate, base, senior_bal, pool_bal, yf, flows, tbal=None):
        """docs/conventions.md "What falls due", Fees and Taxes: fen(rate × base), a balance base
        (senior_balance, pool_balance, issue_size, tranche:X) multiplied by yf, a flow base
        (interest_collections, collections) used as it is; docs/deal-format.md "Bases":
        `collections` is all pool cash of the period. `flows` None: a flow base counts as zero
        (the reserve target's fees of k+1, docs/conventions.md "Reserve target"). `tbal`: the
        tranche balances a reserve target reads (after the date's due principal, with `[reserve]
        balances = "after_due_principal"`), else each tranche's balance as it stands."""
        run = self.run
        if base.startswith("interest_paid:"):
            # review 43b: charged at its step (charge_on_paid), nothing before the waterfall; a
            # flow base, so 0 among the reserve target's fees of k+1 (docs/conventions.md
            # "Reserve target")
            return 0
        if base in FLOW_BASES:
            return 0 if flows is None else fen(exact(rate) * yuan(flows[base]), run.rule)
        if base == "senior_balance":
            amount = senior_bal
        elif base == "pool_balance":
            amount = pool_bal
        elif base == "issue_size":       # the sum of the tranches' initial balances
            amount = sum(t.init for t in run.T.values())
        else:                            # tranche:X, its balance as it stands (the previous
            name = base[len("tranche:"):]                # date's, or at the reserve's step)
            amount = run.T[name].bal if tbal is None else tbal[name]
        return fen(exact(rate) * yuan(amount) * yf, run.rule)

    def due_dates(self, f):
        """docs/deal-format.md "[[fees]]" `date`: a one_off fee's date (the first adjusted
        payment date by default); an annual fee's due dates, `date` (the first anniversary of
        closing by default) and 12, 24, … months after it, the day clamped to the month's length,
        as far as the last payment date reaches."""
        p = self.run.p
        if f["kind"] == "one_off":
            return [f.get("date", p.pay[0])]
        if f["kind"] != "annual":
            return []
        first = f.get("date") or add_months(p.closing, 12)
        out, i = [], 0
        while add_months(first, 12 * i) <= max(self.reach):
            out.append(add_months(first, 12 * i))
            i += 1
        return out

    def times_due(self, f, k):
        """How many of an annual or one_off fee's due dates payment date k is the first payment
        date on or after (docs/conventions.md "What falls due": `one_off` on the first payment
        date on or after its date, `annual` once for each due date it reaches first)."""
        before = self.reach[k - 1] if k > 0 else None
        return sum(1 for d in self.dates_of[f["name"]]
                   if self.reach[k] >= d and (before is None or before < d))

    def in_window(self, f, k):
        """docs/deal-format.md "[[fees]]" start and end: nothing is charged on a payment date
        before `start` (neither paid nor scheduled on or after it) or after `end` (paid and
        scheduled after it)."""
        if "start" in f and self.reach[k] < f["start"]:
            return False
        return not ("end" in f and self.past[k] > f["end"])

    def fee_base_charge(self, f, k, senior_bal, pool_bal, yf, flows, tbal=None):
        """A fee's charge on payment date k before its caps."""
        if not self.in_window(f, k):
            return 0
        if f["kind"] == "fixed":
            return to_fen(f["amount"])
        if f["kind"] == "annual_rate":
            return self.on_base(f["rate"], f["base"], senior_bal, pool_bal, yf, flows, tbal)
        return to_fen(f["amount"]) * self.times_due(f, k)

    def fee_charge(self, f, k, senior_bal, pool_bal, yf, flows):
        """The new charge of payment date k: `cap_per_period` and `cap_total` cap it
        (docs/conventions.md "What falls due", Fees; cap_total over the run's charges)."""
        x = self.fee_base_charge(f, k, senior_bal, pool_bal, yf, flows)
        if "cap_per_period" in f:
            x = min(x, to_fen(f["cap_per_period"]))
        if "cap_total" in f:
            x = min(x, to_fen(f["cap_total"]) - self.charged_total[f["name"]])
        self.charged_total[f["name"]] += x
        return x

    @staticmethod
    def split_cap(f, charge):
        """docs/deal-format.md "Fee mechanics": with `cap = X` (after cap_per_period and
        cap_total) the charge splits into min(charge, X), due with the fee, and the excess."""
        if "cap" not in f:
            return charge, 0
        due = min(charge, to_fen(f["cap"]))
        return due, charge - due

    def tax_charge(self, x, senior_bal, pool_bal, yf, flows):
        """docs/conventions.md "What falls due", Taxes: fen(rate × base), the same base rule."""
        return self.on_base(x["rate"], x["base"], senior_bal, pool_bal, yf, flows)

    def next_fees(self, k, senior_bal, pool_end, nyf, tbal=None):
        """docs/conventions.md "Reserve target": the fees of k+1 within their start and end,
        fixed, balance-based annual_rate on current balances (the pool's at the end of period
        k), annual and one_off fees falling due on k+1; flow bases 0, caps ignored."""
        return sum(self.fee_base_charge(f, k + 1, senior_bal, pool_end, nyf, None, tbal)
                   for f in self.fees)
