"""Credit support: the reserve and support draws, and the asset guarantee.

docs/conventions.md "Reserve and support draws", "The asset guarantee"; docs/deal-format.md
"[[supports]]", "The asset guarantee (基础资产保证, 担保代偿)", "[scenario]" (supports_off,
support_failures); docs/auditing.md "per_unit = true" (a figure-limited draw).
"""
from money import NotCovered, to_fen

SUPPORT_KEYS = {"name", "provider", "kind", "covers", "cap_total", "tags"}
DEFAULT_RESERVE_COVERS = ["taxes", "fees", "senior_interest"]


def check_supports(deal):
    """The supports this oracle implements: covers and cap_total (tags only feed `rate`)."""
    for s in deal.get("supports", []):
        extra = set(s) - SUPPORT_KEYS
        if extra:
            raise NotCovered(f"support {s['name']}: {sorted(extra)}")


def failed(run, name, k):
    """support_failures: the provider pays nothing on a payment date on or after its date."""
    return name in run.failures and run.p.pay[k] >= run.failures[name]


def cap_left(run, s):
    """What `cap_total` leaves of a support; None without a cap."""
    return to_fen(s["cap_total"]) - run.drawn[s["name"]] if "cap_total" in s else None


def asset_guarantee(run, k, defaulted, recovered, held_before):
    """docs/conventions.md "The asset guarantee", on payment date k, after the deposits and
    before the call, the triggers and the waterfall:
        G_k = 0 (off or failed) else min(D_k, cap_total − Σ G_j);  U ← U + D_k − G_k
        T_k = min(R_k, U); U ← U − T_k;  S_k = min(R_k − T_k, O + G_k);  O ← O + G_k − S_k
        H_k = max(0, min(H_{k−1}, cash held after date k−1)) + G_k − S_k
    Returns (G_k, S_k)."""
    s = run.ag
    name = s["name"]
    g = 0
    if name not in run.off and not failed(run, name, k):
        left = cap_left(run, s)
        g = defaulted if left is None else min(defaulted, left)
    run.ag_u += defaulted - g
    trust = min(recovered, run.ag_u)
    run.ag_u -= trust
    back = min(recovered - trust, run.ag_o + g)
    run.ag_o += g - back
    run.ag_h = max(0, min(run.ag_h, held_before)) + g - back
    run.drawn[name] += g
    return g, back


class Cover:
    """The draws of one payment date (docs/conventions.md "Reserve and support draws"): the
    reserve (up to its balance), then each support in file order that is not switched off and
    has not failed, up to its cap; every draw is paid into the step's account."""

    def __init__(self, run, date):
        self.run, self.date = run, date
        self.reserve_draws = 0
        self.support_draws = 0

    def sources(self, item):
        run = self.run
        out = []
        if run.res is not None and item in run.res.get("covers", DEFAULT_RESERVE_COVERS):
            out.append(("reserve", None))
        for s in run.supports:
            if s["kind"] != "asset_guarantee" and s["name"] not in run.off and \
                    not failed(run, s["name"], self.date.k) and item in s.get("covers", []):
                out.append((s["name"], s))
        return out

    def room(self, source, spec):
        """What a source can give; None when it is not limited."""
        return self.run.reserve if spec is None else cap_left(self.run, spec)

    def available(self, item):
        """What the cover of `item` has in all; None when it is not limited."""
        rooms = [self.room(n, s) for n, s in self.sources(item)]
        return None if None in rooms else sum(rooms)

    def draw(self, item, need, account, step, ledger_item):
        """Draw up to `need` fen for `item` into `account`; returns what was drawn. The ledger
        writes one draw_reserve / draw_support per source (docs/output.md, ledger)."""
        run, date = self.run, self.date
        got = 0
        for name, spec in self.sources(item):
            if got >= need:
                break
            room = self.room(name, spec)
            x = need - got if room is None else min(need - got, room)
            if spec is None:
                run.reserve -= x
                self.reserve_draws += x
                date.led(step, "draw_reserve", ledger_item, "reserve", run.acname(account), x)
            else:
                run.drawn[name] += x
                self.support_draws += x
                date.led(step, "draw_support", ledger_item, f"support:{name}", run.acname(account), x)
            got += x
        run.accounts[account] += got
        return got

    def figure_draw(self, t, kind, item, account, step):
        """docs/auditing.md "per_unit = true": a covered tranche paid by its figures is drawn for
        only the most the figure can pay out of the account's cash and what the cover has.
        Returns what the tranche can then be paid on this step."""
        run = self.run
        if kind == "interest":
            due, paid = t.int_due, t.int_paid
        else:
            due, paid = t.pr_paid + min(t.bal, t.pr_due - t.pr_paid), t.pr_paid
        cash = run.accounts[account]
        cover = self.available(item)
        target = due if cover is None else min(due, run.fig.figure_paid(t.init, paid + cash + cover))
        if target - paid - cash > 0:
            self.draw(item, target - paid - cash, account, step, t.name)
        return max(0, target - paid)
