"""Credit support: the reserve and support draws, and the asset guarantee.

docs/conventions.md "Reserve and support draws", "The asset guarantee"; docs/deal-format.md
"[[supports]]", "The asset guarantee (基础资产保证, 担保代偿)", "[scenario]" (supports_off,
support_failures); docs/auditing.md "per_unit = true" (a figure-limited draw).
"""
from money import NotCovered, exact, fen, to_fen, yuan

SUPPORT_KEYS = {"name", "provider", "kind", "covers", "cap_total", "tags", "cap_per_period",
                "backs", "interest_rate", "revolving_cap", "waterfalls", "fails_with"}
DEFAULT_RESERVE_COVERS = ["taxes", "fees", "senior_interest"]


def check_supports(deal):
    """The supports this oracle implements: every key of docs/deal-format.md "[[supports]]"
    (tags only feed `rate`); an asset guarantee with `cap_per_period` is not covered."""
    for s in deal.get("supports", []):
        extra = set(s) - SUPPORT_KEYS
        if extra or (s["kind"] == "asset_guarantee" and "cap_per_period" in s):
            raise NotCovered(f"support {s['name']}: {sorted(extra) or 'cap_per_period'}")


def failure_dates(deal, scenario):
    """docs/deal-format.md "[scenario]" support_failures, "[[supports]]" fails_with: a provider
    fails from its support_failures date or from the date its `fails_with` obligor defaults by
    name in the run (the earlier). An obligor with a `group` tag is not covered (the group's
    earliest named default, docs/output.md "support.parquet")."""
    out = {x["support"]: x["date"] for x in scenario.get("support_failures", [])}
    named = {x["obligor"]: x["date"] for x in scenario.get("defaults", [])}
    groups = {o["name"]: o.get("tags", {}).get("group") for o in deal["obligors"]}
    for s in deal.get("supports", []):
        ob = s.get("fails_with")
        if ob is None:
            continue
        if groups.get(ob) is not None:
            raise NotCovered("fails_with an obligor of a group")
        if ob in named:
            out[s["name"]] = min(named[ob], out.get(s["name"], named[ob]))
    return out


def failed(run, name, k):
    """support_failures: the provider pays nothing on a payment date on or after its date."""
    return name in run.failures and run.p.pay[k] >= run.failures[name]


def used_total(run, s):
    """What counts against `cap_total`: the draws, or with `revolving_cap` the draws not yet
    repaid (docs/conventions.md "Repaying a support")."""
    n = s["name"]
    return run.drawn[n] - run.repaid[n] if s.get("revolving_cap") else run.drawn[n]


def cap_left(run, s, date_drawn=None):
    """What a support's caps leave: `cap_total` less its use over the run, `cap_per_period` less
    the date's draws (docs/conventions.md "Reserve and support draws"); a support that others
    back shares both with them: their draws count against its caps (docs/deal-format.md
    "[[supports]]" backs). None when neither cap is set."""
    group = [s] + [b for b in run.supports if b.get("backs") == s["name"]]
    room = None
    if "cap_total" in s:
        room = to_fen(s["cap_total"]) - sum(used_total(run, g) for g in group)
    if "cap_per_period" in s and date_drawn is not None:
        per = to_fen(s["cap_per_period"]) - sum(date_drawn.get(g["name"], 0) for g in group)
        room = per if room is None else min(room, per)
    return room


def accrue_support_interest(run, k):
    """docs/conventions.md "Repaying a support": at the start of payment date k, before any
    draw, I_s += fen((D_s − P_s) × r_s × yf_k), one exact value rounded once; unpaid interest
    bears none; a failed provider still accrues."""
    for s in run.supports:
        if "interest_rate" in s:
            n = s["name"]
            owed = run.drawn[n] - run.repaid[n]
            run.s_interest[n] += fen(yuan(owed) * exact(s["interest_rate"]) * run.p.yf(k), run.rule)


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
        self.date_drawn = {}              # each support's draws on this date (cap_per_period)

    def out(self, name):
        """Switched off by the scenario, or failed on or before the date."""
        return name in self.run.off or failed(self.run, name, self.date.k)

    def sources(self, item):
        """The reserve if it covers `item`, then each support in file order that covers it in
        the date's waterfall (its `waterfalls`, all by default: docs/deal-format.md "Support by
        waterfall") and is neither off nor failed; a support that `backs` another only while
        that one is off or failed, for that one's covers in that one's waterfalls."""
        run = self.run
        out = []
        if run.res is not None and item in run.res.get("covers", DEFAULT_RESERVE_COVERS):
            out.append(("reserve", None))
        if run.no_draws:                  # the clean-up call's trial: the trust's cash alone
            return out
        by_name = {s["name"]: s for s in run.supports}
        for s in run.supports:
            if s["kind"] == "asset_guarantee" or self.out(s["name"]):
                continue
            terms = s
            if "backs" in s:
                terms = by_name[s["backs"]]
                if not self.out(terms["name"]):
                    continue
            if item in terms.get("covers", []) and self.date.wf_name in terms.get("waterfalls", [self.date.wf_name]):
                out.append((s["name"], s))
        return out

    def room(self, source, spec):
        """What a source can give; None when it is not limited: the reserve's balance; a
        support's caps, and those of the support it backs (docs/deal-format.md "[[supports]]")."""
        run = self.run
        if spec is None:
            return run.reserve
        rooms = [cap_left(run, spec, self.date_drawn)]
        if "backs" in spec:
            rooms.append(cap_left(run, next(s for s in run.supports if s["name"] == spec["backs"]),
                                  self.date_drawn))
        rooms = [r for r in rooms if r is not None]
        return max(0, min(rooms)) if rooms else None

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
                self.date_drawn[name] = self.date_drawn.get(name, 0) + x
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
