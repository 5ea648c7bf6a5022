"""The cases: a deal of deals/ and an actuals file written here.

Every actuals file is built from the oracle's own figures, never from ipabs's output: the pool
from the at-issue projection (tests/oracle's Projection) with edits (a late obligor, defaults,
a shortfall), and the payment lines from the oracle's `model` of the same pool (a first pass
with the pool alone), plus the case's deliberate differences. So "agree" cases report exactly
what the oracle computes, and a difference in ipabs's output is told as such.
"""
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable

from cases import REPO, with_variants

GDD = "gdd_patent_licence_2019.toml"
WENKE = "wenke_leasing_1_2018.toml"
KEXUE = "kexue_trademark_2021.toml"
TIANZHI = "tianzhi_1_2024.toml"
YONGXING = "yongxing_guofu_ningbo_2024.toml"


def yuan_text(fen):
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f'"{sign}{fen // 100}.{fen % 100:02d}"'


def inline(d):
    return "{ " + ", ".join(f"{_key(k)} = {v}" for k, v in d.items()) + " }"


def _key(k):
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else '"' + k + '"'


def actuals_text(deal_name, periods):
    """periods: dicts with period, payment_date and any of pool / obligors / taxes / fees /
    supports / reserve_draws / tranches / accounts / triggers (money in int fen)."""
    out = ["[actuals]", f'deal = "{deal_name}"', ""]
    for p in periods:
        out += ["[[periods]]", f"period = {p['period']}", f"payment_date = {p['payment_date']}"]
        if "pool" in p:
            out.append("pool = " + inline({k: yuan_text(v) for k, v in p["pool"].items()}))
        for key in ("taxes", "fees", "supports", "accounts"):
            if key in p:
                out.append(f"{key} = " + inline({k: yuan_text(v) for k, v in p[key].items()}))
        if "reserve_draws" in p:
            out.append(f"reserve_draws = {yuan_text(p['reserve_draws'])}")
        if "triggers" in p:
            out.append("triggers = [" + ", ".join(f'"{t}"' for t in p["triggers"]) + "]")
        for n, t in p.get("tranches", {}).items():
            out.append(f"tranches.{_key(n)} = " + inline({k: yuan_text(v) for k, v in t.items()}))
        for o in p.get("obligors", []):
            out += ["", "[[periods.obligors]]", f'name = "{o["name"]}"']
            out += [f"{k} = {yuan_text(v)}" for k, v in o.items() if k != "name"]
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------- pool builders
def obligor_report(at_row, **edit):
    """An obligor's line from the at-issue projection row (int fen), then the case's edits."""
    r = dict(principal=at_row["principal_collected"] - at_row["prepaid"],
             interest=at_row["interest_collected"], prepayments=at_row["prepaid"],
             defaults=at_row["defaulted"], recoveries=at_row["recovered"])
    r.update(edit)
    return {k: v for k, v in r.items() if v or k in ("principal", "interest")}


def pool_report(rows):
    keys = ("principal", "interest", "prepayments", "defaults", "recoveries")
    return {k: sum(r.get(k, 0) for r in rows) for k in keys}


@dataclass
class Case:
    name: str
    deal: str
    # build(ctx) -> list of period dicts; ctx gives the at-issue projection and `model`
    build: Callable
    note: str = ""
    scenario: str | None = None
    # tests/oracle's deal variants (textual edits of the deal file, e.g. "per_unit"); a case with
    # variants runs ipabs on the edited deal, written into the case's directory
    variants: tuple = ()

    def scenario_path(self):
        """A scenario file: this directory's scenarios/ first, then tests/oracle/scenarios/."""
        here = Path(__file__).resolve().parent / "scenarios" / self.scenario
        return here if here.exists() else REPO / "tests" / "oracle" / "scenarios" / self.scenario

    def deal_path(self):
        return REPO / "deals" / self.deal

    def deal_text(self):
        """The deal file's text with the variants' edits (tests/oracle/cases.py's VARIANTS)."""
        return with_variants(self.deal_path().read_text(encoding="utf-8"), self.variants,
                             self.deal)

    def deal_toml(self):
        return tomllib.loads(self.deal_text(), parse_float=Decimal)


# ---------------------------------------------------------------------- the lines
def all_lines(m, k, deal, tranches=None, accounts=True, triggers=True, reserve_draws=True):
    """Every line the oracle's model pays on date k (0-based), as a report stating it would."""
    out = {}
    if deal.get("taxes"):
        out["taxes"] = {x["name"]: m["tax", x["name"], k] for x in deal["taxes"]}
    if deal.get("fees"):
        out["fees"] = {f["name"]: m["fee", f["name"], k] for f in deal["fees"]}
    sup = deal.get("supports", [])       # an asset guarantee too: what it paid (担保代偿)
    if sup:
        out["supports"] = {s["name"]: m["support_draw", s["name"], k] for s in sup}
    if reserve_draws and "reserve" in deal:
        out["reserve_draws"] = m["reserve_draw", "reserve", k]
    out["tranches"] = {}
    for t in deal["tranches"]:
        if tranches is not None and t["name"] not in tranches:
            continue
        d = {"interest": m["interest", t["name"], k], "principal": m["principal", t["name"], k]}
        if t["class"] == "subordinated":
            d["residual"] = m["residual", t["name"], k]
        out["tranches"][t["name"]] = d
    if accounts:
        out["accounts"] = {"collection": m["account", "collection", k]}
        if "reserve" in deal:
            out["accounts"]["reserve"] = m["account", "reserve", k]
    if triggers:
        out["triggers"] = [tg["name"] for tg in deal.get("triggers", [])
                           if m["trigger", tg["name"], k]]
    return out


def by_obligors(ctx, k, edits=None, src=None):
    edits = edits or {}
    src = src or ctx.at
    return [dict(name=n, **obligor_report(src.rows[k][n], **edits.get(n, {})))
            for n in src.names]


def period_head(ctx, k):
    return dict(period=k + 1, payment_date=ctx.pay[k])


def gdd_agree_obligors(ctx):
    """Date 1 by obligors, every line as the oracle's model pays it: the full run."""
    ps = [dict(period_head(ctx, 0), obligors=by_obligors(ctx, 0))]
    m = ctx.model(ps)
    ps[0].update(all_lines(m, 0, ctx.deal))
    return ps


def gdd_agree_pool3(ctx):
    """Dates 1–3 as pool totals equal to the projection, every line the model's."""
    ps = [dict(period_head(ctx, k), pool=pool_report(by_obligors(ctx, k))) for k in range(3)]
    m = ctx.model(ps)
    for k in range(3):
        ps[k].update(all_lines(m, k, ctx.deal))
    return ps


def gdd_fen_off(ctx):
    """Dates 1–3 by pool totals; date 2 reports A's interest a fen short, date 3 the servicer
    fee a fen over; the collection account as the model's (the fen stays with restatement)."""
    ps = gdd_agree_pool3(ctx)
    ps[1]["tranches"]["A"]["interest"] -= 1
    ps[2]["fees"]["servicer"] += 1
    return ps


def gdd_late(ctx):
    """拖欠: date 2, SME-03 pays half its instalment and SME-07 nothing, no default; by
    obligors (each rest rebased on its own balance). The lines: the model's, but A paid its
    scheduled principal as planned at issue and the account stated accordingly."""
    half = ctx.at.rows[1][ctx.at.names[2]]
    edits = {ctx.at.names[2]: dict(principal=(half["principal_collected"] - half["prepaid"]) // 2,
                                   interest=half["interest_collected"] // 2),
             ctx.at.names[6]: dict(principal=0, interest=0)}
    ps = [dict(period_head(ctx, 0), obligors=by_obligors(ctx, 0)),
          dict(period_head(ctx, 1), obligors=by_obligors(ctx, 1, edits))]
    m = ctx.model(ps)
    for k in range(2):
        ps[k].update(all_lines(m, k, ctx.deal))
    ps[1]["tranches"]["A"]["principal"] += 100_000_00     # a knock-on: the account keeps it
    ps[1]["accounts"]["collection"] -= 100_000_00
    return ps


def _defaults(ctx, k, names, recover=None):
    edits = {}
    for j, n in enumerate(ctx.at.names):
        if n in names:
            start = ctx.at.rows[k - 1][n]["balance_end"] if k else ctx.bal0[j]
            edits[n] = dict(principal=0, interest=0, defaults=start)
    if recover:
        for n, amt in recover.items():
            edits.setdefault(n, {})["recoveries"] = amt
    return edits


def gdd_default_obligors(ctx):
    """Date 2: SME-04 and SME-06 default their whole balances (17% of the pool: the 10%
    acceleration trips); date 3: 5,000,000.00 recovered from SME-04, the others paying their
    schedules; the report declares no trigger on date 3 (restated untripped, tested again)."""
    names = ctx.at.names
    d2 = _defaults(ctx, 1, {names[3], names[5]})
    d3 = {names[3]: dict(principal=0, interest=0, recoveries=5_000_000_00),
          names[5]: dict(principal=0, interest=0)}
    ps = [dict(period_head(ctx, 0), obligors=by_obligors(ctx, 0)),
          dict(period_head(ctx, 1), obligors=by_obligors(ctx, 1, d2)),
          dict(period_head(ctx, 2), obligors=by_obligors(ctx, 2, d3))]
    # obligors that defaulted have nothing left: drop their lines on date 3 but the recovery
    ps[2]["obligors"] = [o for o in ps[2]["obligors"] if o["name"] != names[5]]
    m = ctx.model(ps)
    for k in range(3):
        ps[k].update(all_lines(m, k, ctx.deal))
    ps[2]["triggers"] = []
    return ps


def gdd_default_pool(ctx):
    """The same defaults as pool totals: the rest rebased at the pool's level and split."""
    ps = gdd_default_obligors(ctx)
    for p in ps:
        p["pool"] = pool_report(p.pop("obligors"))
    m = ctx.model([{k: v for k, v in p.items() if k in ("period", "payment_date", "pool")} for p in ps])
    for k in range(3):
        ps[k].update(all_lines(m, k, ctx.deal))
    ps[2]["triggers"] = []
    return ps


def gdd_cash_flag(ctx):
    """Date 1: SME-01, SME-02 and SME-03 pay nothing (no default): pool cash about 60% of the
    forecast (Art. 39 cash flag); senior interest reported 1,000.00 short (distribution flag)."""
    names = ctx.at.names
    edits = {n: dict(principal=0, interest=0) for n in names[:3]}
    ps = [dict(period_head(ctx, 0), obligors=by_obligors(ctx, 0, edits))]
    m = ctx.model(ps)
    ps[0].update(all_lines(m, 0, ctx.deal))
    ps[0]["tranches"]["A"]["interest"] -= 1_000_00
    ps[0].pop("triggers")
    return ps


def gdd_support(ctx):
    """Date 1: seven obligors default at once (the undertaking draws for A); the report states
    the draw 1,000.00 higher and the reserve 500.00 lower; the collection account as model."""
    names = ctx.at.names
    ps = [dict(period_head(ctx, 0), obligors=by_obligors(ctx, 0, _defaults(ctx, 0, set(names[:7]))))]
    m = ctx.model(ps)
    ps[0].update(all_lines(m, 0, ctx.deal))
    ps[0]["supports"]["gdd_undertaking"] += 1_000_00
    ps[0]["accounts"]["reserve"] -= 500_00
    return ps


def gdd_balance_end(ctx):
    """Date 1 as pool totals with a stated balance_end 1,000,000.00 below the roll-forward
    (an unexplained fall), tranche lines only; date 2 by pool totals, nothing but the pool."""
    ps = [dict(period_head(ctx, k), pool=pool_report(by_obligors(ctx, k))) for k in range(2)]
    start = ctx.at.pool0
    r = ps[0]["pool"]
    ps[0]["pool"]["balance_end"] = start - r["principal"] - r["prepayments"] - r["defaults"] - 1_000_000_00
    r2 = ps[1]["pool"]
    ps[1]["pool"]["balance_end"] = ps[0]["pool"]["balance_end"] - r2["principal"] - 1_000_000_00
    m = ctx.model(ps)
    ps[0].update(all_lines(m, 0, ctx.deal, accounts=False, triggers=False, reserve_draws=False))
    return ps


def gdd_notice_amounts(ctx):
    """Dates 1–2 by pool totals, A's interest and principal reported as the payment notice pays
    them (figure per 100 × units, truncated), B's too: the notice note, and 尾差 restated."""
    ps = gdd_agree_pool3(ctx)[:2]
    units_b = {t["name"]: int(Decimal(str(t["balance"])) * 100) for t in ctx.deal["tranches"]}
    for k in range(2):
        for n, t in ps[k]["tranches"].items():
            b = units_b[n]
            for key in ("interest", "principal"):
                x = t[key]
                fig = x * 100 * 10 ** 4 // b
                t[key] = fig * b // (100 * 10 ** 4)
    return ps


def fill(ctx, ps, tweak=None, **kw):
    """Each date's lines from the model of the report so far: date k's `model` is computed with
    dates < k as reported (their deliberate differences restated), then `tweak(k, period)`
    adds date k's own differences."""
    for k in range(len(ps)):
        pools = [p if i < k else {x: v for x, v in p.items()
                                  if x in ("period", "payment_date", "pool", "obligors")}
                 for i, p in enumerate(ps)]
        m = ctx.model(pools)
        ps[k].update(all_lines(m, k, ctx.deal, **kw))
        if tweak:
            tweak(k, ps[k])
    return ps


def agree(n, obligors=False, base=False):
    """Dates 1–n every line the model's, the pool as projected at issue (pool totals, or by
    obligors), under the projecting scenario, or the deal's own (`base`)."""
    def build(ctx):
        src = ctx.base if base else ctx.at
        ps = []
        for k in range(n):
            rows = by_obligors(ctx, k, src=src)
            ps.append(dict(period_head(ctx, k), **({"obligors": rows} if obligors
                                                    else {"pool": pool_report(rows)})))
        m = ctx.model(ps)
        for k in range(n):
            ps[k].update(all_lines(m, k, ctx.deal))
        return ps
    build.__doc__ = agree.__doc__.replace("n every", f"{n} every")
    return build


def gdd_clamp_and_short(ctx):
    """Date 1 reports A repaid 300,000,000.00 (more than its balance: restated to at most the
    balance, A paid off); no account stated. Date 2 (pool as projected): B's lines only."""
    ps = agree(2)(ctx)
    ps[0]["tranches"]["A"]["principal"] = 300_000_000_00
    ps[0].pop("accounts")
    ps[1]["tranches"].pop("A")
    ps[1].pop("triggers")
    return ps


def gdd_principal_less_fee_arrears(ctx):
    """Date 1: A paid 3,000,000.00 less principal (kept in the account), the servicer fee
    reported 0 (its arrears carried); date 2 reports the servicer as charged only (arrears
    note) and A's interest without the 3m's interest."""
    ps = agree(3)(ctx)
    ps[0]["tranches"]["A"]["principal"] -= 3_000_000_00
    ps[0]["accounts"]["collection"] += 3_000_000_00
    ps[0]["fees"]["servicer"] = 0
    return ps


def gdd_declared_trigger(ctx):
    """Date 1 declares `acceleration_cdr` tripped though nothing defaulted: date 2 runs the
    accelerated waterfall; date 2 reports the model's lines of the pass without it."""
    ps = agree(2)(ctx)
    ps[0]["triggers"] = ["acceleration_cdr"]
    return ps


def wenke_knock_on(ctx):
    """Date 2: the trustee pays other_fixed 15,000.00 more, A's pass-through principal 15,000.00
    less (knock-on); date 3: A's principal 2 ticks (2 × 0.0001 × units) less, kept in the
    account, the manager fee a yuan short; date 4: the manager and custodian fees typed in
    万元 (the manager's with the yuan of arrears carried)."""
    ps = [dict(period_head(ctx, k), pool=pool_report(by_obligors(ctx, k))) for k in range(4)]
    face = int(Decimal(str(next(t for t in ctx.deal["tranches"] if t["name"] == "A")["balance"])))
    tick = face // 10 ** 4                    # 0.0001 yuan × (face / 100) units, in fen

    def tweak(k, p):
        if k == 1:
            p["fees"]["other_fixed"] += 15_000_00
            p["tranches"]["A"]["principal"] -= 15_000_00
        if k == 2:
            p["tranches"]["A"]["principal"] -= 2 * tick
            p["accounts"]["collection"] += 2 * tick
            p["fees"]["manager"] -= 1_00       # a yuan short: carried as arrears to date 4
        if k == 3:
            p["fees"]["manager"] = p["fees"]["manager"] // 10_000
            p["fees"]["custodian"] = p["fees"]["custodian"] // 10_000
    return fill(ctx, ps, tweak)


def wenke_defaults_obligors(ctx):
    """Date 2: Lessee-03 and Lessee-11 default in full, Lessee-05 is late by half (拖欠); by
    obligors with the model's lines; date 3 pool totals only with the model's lines."""
    names = ctx.at.names
    ed = _defaults(ctx, 1, {names[2], names[10]})
    r = ctx.at.rows[1][names[4]]
    ed[names[4]] = dict(principal=(r["principal_collected"] - r["prepaid"]) // 2,
                        interest=r["interest_collected"] // 2)
    ps = [dict(period_head(ctx, 0), obligors=by_obligors(ctx, 0)),
          dict(period_head(ctx, 1), obligors=by_obligors(ctx, 1, ed))]
    m = ctx.model(ps)
    for k in range(2):
        ps[k].update(all_lines(m, k, ctx.deal))
    return ps


def tianzhi_wrong_support(ctx):
    """Date 1: no borrower pays (拖欠, no default), so the guarantee draws for A's
    interest; the report puts the draw under the undertaking and leaves the guarantee out (the
    wrong-support note). Date 2 as projected, every line the model's."""
    half = {n: dict(principal=0, interest=0) for n in ctx.at.names}
    ps = [dict(period_head(ctx, 0), pool=pool_report(by_obligors(ctx, 0, half))),
          dict(period_head(ctx, 1), pool=pool_report(by_obligors(ctx, 1)))]

    def tweak(k, p):
        if k == 0:
            sup = p["supports"]
            sup["shortfall_undertaking"] += sup.pop("guarantee")
    return fill(ctx, ps, tweak)


def tianzhi_named_performing(ctx):
    """Projected by `tianzhi_cdr_cpr_named` (Borrower-01 defaults 2024-08-15, CDR, CPR) while
    the report, by obligors, has every borrower pay its base schedule on dates 1–2: each
    obligor's rest rebased on its own balance, Borrower-01's projection having nothing left
    (P_o = 0: it collects nothing and keeps its balance)."""
    ps = [dict(period_head(ctx, k), obligors=by_obligors(ctx, k, src=ctx.base)) for k in range(2)]
    m = ctx.model(ps)
    for k in range(2):
        ps[k].update(all_lines(m, k, ctx.deal, triggers=False))
    return ps


CASES = [
    Case("gdd/agree_obligors_p1", GDD, gdd_agree_obligors),
    Case("gdd/agree_pool_p1-3", GDD, gdd_agree_pool3),
    Case("gdd/fen_off", GDD, gdd_fen_off),
    Case("gdd/late_obligors", GDD, gdd_late),
    Case("gdd/default_obligors", GDD, gdd_default_obligors),
    Case("gdd/default_pool", GDD, gdd_default_pool),
    Case("gdd/cash_flag", GDD, gdd_cash_flag),
    Case("gdd/support_draw", GDD, gdd_support),
    Case("gdd/balance_end", GDD, gdd_balance_end),
    Case("gdd/notice_amounts", GDD, gdd_notice_amounts),
    Case("gdd/clamp_principal", GDD, gdd_clamp_and_short),
    Case("gdd/principal_less_fee_arrears", GDD, gdd_principal_less_fee_arrears),
    Case("gdd/declared_trigger", GDD, gdd_declared_trigger),
    Case("gdd/stress_rest_cdr", GDD, agree(2, base=True), scenario="gdd_cdr_alone.toml"),
    Case("gdd/delay_curve_agree", GDD, agree(2), scenario="gdd_delay_curve.toml"),
    Case("gdd/two_defaults_agree_obligors", GDD, agree(3, obligors=True), scenario="gdd_two_defaults.toml"),
    Case("wenke/agree_pool_p1-4", WENKE, agree(4)),
    Case("wenke/knock_on_ticks_units", WENKE, wenke_knock_on),
    Case("wenke/defaults_obligors", WENKE, wenke_defaults_obligors),
    Case("wenke/stress_rest_heavy", WENKE, agree(3, base=True), scenario="wenke_heavy_support.toml"),
    Case("kexue/agree_obligors_p1-2", KEXUE, agree(2, obligors=True)),
    Case("tianzhi/wrong_support", TIANZHI, tianzhi_wrong_support),
    Case("tianzhi/named_performing", TIANZHI, tianzhi_named_performing, scenario="tianzhi_cdr_cpr_named.toml"),
    Case("yongxing/agree_pool_p1", YONGXING, agree(1)),
    Case("yongxing/defaults_accel_agree", YONGXING, agree(1, obligors=True), scenario="yongxing_defaults_accel.toml"),
]


# ---------------------------------------------------------------------- per_unit (review 43e)
# The deals with tests/oracle's `per_unit` variant ([notices] per_unit = true): the waterfall
# pays the figures per 100, keeps each 尾差 and carries it (docs/auditing.md "`per_unit = true`").
PU = ("per_unit",)


def figure_paid_of(ctx, tranche, x):
    """paid_of(per_100(x)) for the tranche's initial balance, at 4 places cut (the variant's)."""
    b = next(int(Decimal(str(t["balance"])) * 100) for t in ctx.deal["tranches"] if t["name"] == tranche)
    return (x * 100 * 10 ** 4 // b) * b // (100 * 10 ** 4)


def tick_fen(ctx, tranche):
    b = next(int(Decimal(str(t["balance"])) * 100) for t in ctx.deal["tranches"] if t["name"] == tranche)
    return b // 10 ** 6                       # 0.0001 yuan × units (B / 100), in fen


def pu_interest_fen(delta):
    """Date 1: the trustee pays A's interest `delta` fen off the figure's amount (the account
    stated the other way), date 2 as projected with the model's lines."""
    def build(ctx):
        ps = [dict(period_head(ctx, k), pool=pool_report(by_obligors(ctx, k))) for k in range(2)]

        def tweak(k, p):
            if k == 0:
                p["tranches"]["A"]["interest"] += delta
                p["accounts"]["collection"] -= delta
        return fill(ctx, ps, tweak, triggers=False)
    build.__doc__ = (f"Date 1: A's interest reported {abs(delta) / 100:.2f} {'over' if delta > 0 else 'short of'} "
                     "the figure's amount (no figure pays it), the account the other way, no trigger "
                     "stated (tested again); date 2 as projected, every line the model's.")
    return build


def tianzhi_pu_tick(ctx):
    """docs/auditing.md "Whole ticks" example: tianzhi with per_unit, the trustee states one tick
    more of A's interest on date 1 (190.00 over, which takes the 尾差 the date would carry) and
    again on date 2 (its knock-on); the account stated the other way; date 3 the model's."""
    ps = [dict(period_head(ctx, k), pool=pool_report(by_obligors(ctx, k))) for k in range(3)]
    tick = tick_fen(ctx, "A")

    def tweak(k, p):
        if k in (0, 1):
            p["tranches"]["A"]["interest"] += tick
            p["accounts"]["collection"] -= tick
    return fill(ctx, ps, tweak)


def tianzhi_pu_carried_unpaid(ctx):
    """Date 1 as projected (A's interest leaves its 尾差 carried); date 2 the trustee does not pay
    that 尾差: A's interest reported the model's less date 1's 尾差 (no figure pays it; not an
    arrears note: the 尾差 carried by design is no interest unpaid), the account the other way."""
    ps = [dict(period_head(ctx, k), pool=pool_report(by_obligors(ctx, k))) for k in range(2)]
    carried = {}

    def tweak(k, p):
        if k == 0:
            m = ctx.model([{x: v for x, v in q.items() if x in ("period", "payment_date", "pool")}
                           for q in ps[:1]])
            carried["A"] = m["ires", "A", 0]
        if k == 1:
            p["tranches"]["A"]["interest"] -= carried["A"]
            p["accounts"]["collection"] += carried["A"]
    return fill(ctx, ps, tweak, triggers=False)


def wenke_pu_knock_on(ctx, named=False):
    """docs/auditing.md "A knock-on" example: wenke with per_unit, the trustee pays `other_fixed`
    15,000.00 more on date 2; A's pass-through principal is what the figure of the cash left pays
    (within a tick of 15,000.00 less), the 尾差 stays in the account; date 3 a fee a yuan short
    and A's principal 2 ticks short (kept in the account); date 4 A's interest a fen over (no
    figure pays it), the account a fen lower. `named` (the accounts deal): the named accounts
    hold the cash, which a report cannot state, so the collection account stays the model's."""
    ps = [dict(period_head(ctx, k), pool=pool_report(by_obligors(ctx, k))) for k in range(4)]
    state = {}

    def tweak(k, p):
        if k == 1:
            m = ctx.model([q if i < 1 else {x: v for x, v in q.items()
                                              if x in ("period", "payment_date", "pool")}
                           for i, q in enumerate(ps)])
            pre = m["principal", "A", 1] + m["pres", "A", 1]      # the cash the step had for A
            rep = figure_paid_of(ctx, "A", pre - 15_000_00)
            p["fees"]["other_fixed"] += 15_000_00
            if not named:
                p["accounts"]["collection"] += (p["tranches"]["A"]["principal"] - rep) - 15_000_00
            p["tranches"]["A"]["principal"] = rep
            state["rep"] = rep
        if k == 2:
            p["fees"]["manager"] -= 1_00
            p["tranches"]["A"]["principal"] -= 2 * tick_fen(ctx, "A")
            if not named:
                p["accounts"]["collection"] += 1_00 + 2 * tick_fen(ctx, "A")
        if k == 3:
            p["tranches"]["A"]["interest"] += 1
            if not named:
                p["accounts"]["collection"] -= 1
    return fill(ctx, ps, tweak)


def wenke_pu_defaults(ctx):
    """wenke with per_unit, by obligors: date 2 Lessee-03 and Lessee-11 default in full and
    Lessee-05 is half late (拖欠); the model's lines; date 3 pool totals with the model's lines."""
    names = ctx.at.names
    ed = _defaults(ctx, 1, {names[2], names[10]})
    r = ctx.at.rows[1][names[4]]
    ed[names[4]] = dict(principal=(r["principal_collected"] - r["prepaid"]) // 2,
                        interest=r["interest_collected"] // 2)
    ps = [dict(period_head(ctx, 0), obligors=by_obligors(ctx, 0)),
          dict(period_head(ctx, 1), obligors=by_obligors(ctx, 1, ed)),
          dict(period_head(ctx, 2), pool=pool_report(by_obligors(ctx, 2)))]
    return fill(ctx, ps)


def yongxing_pu_short(ctx):
    """yongxing with per_unit under `yongxing_full_delay_no_support` (no cash on date 1, the
    reserve short of A's interest): the report equals the short waterfall's payment, so the 尾差
    carried is the due's (docs: "a report equal to a short waterfall's payment too"); the EoD
    tested again on it."""
    ps = [dict(period_head(ctx, 0), pool=pool_report(by_obligors(ctx, 0)))]
    return fill(ctx, ps, triggers=False)


def yongxing_pu_declared(ctx):
    """yongxing with per_unit: date 1 by obligors as projected, the model's lines, declaring
    `acceleration_cdr` tripped with no default; date 2 the model's lines of the accelerated
    waterfall."""
    ps = [dict(period_head(ctx, k), obligors=by_obligors(ctx, k)) for k in range(2)]

    def tweak(k, p):
        if k == 0:
            p["triggers"] = ["acceleration_cdr"]
    return fill(ctx, ps, tweak)


def tianzhi_pu_principal_ticks(ctx):
    """tianzhi with per_unit under its own scenario: date 1 A's interest the model's; B's lines
    only on date 2 with a collection account 1,000.00 higher (A's lines left out)."""
    ps = [dict(period_head(ctx, k), obligors=by_obligors(ctx, k)) for k in range(2)]

    def tweak(k, p):
        if k == 1:
            p["tranches"].pop("A")
            p["accounts"]["collection"] += 1_000_00
    return fill(ctx, ps, tweak)


def agree_all(obligors=False):
    """Every date of the deal reported, every line the model's (the redeeming date and the last
    date, paid by figures, among them): the full run."""
    def build(ctx):
        return agree(len(ctx.pay), obligors=obligors)(ctx)
    build.__doc__ = agree_all.__doc__
    return build


CASES += [
    Case("wenke+per_unit/agree_pool_all", WENKE, agree_all(), variants=PU),
    Case("tianzhi+per_unit/agree_obligors_all", TIANZHI, agree_all(obligors=True), variants=PU),
    Case("tianzhi+per_unit/agree_obligors_p1-2", TIANZHI, agree(2, obligors=True), variants=PU),
    Case("wenke+per_unit/agree_pool_p1-4", WENKE, agree(4), variants=PU),
    Case("yongxing+per_unit/agree_pool_p1-2", YONGXING, agree(2), variants=PU),
    Case("tianzhi+per_unit/fen_over", TIANZHI, pu_interest_fen(1), variants=PU),
    Case("tianzhi+per_unit/fen_short", TIANZHI, pu_interest_fen(-1), variants=PU),
    Case("tianzhi+per_unit/tick_over", TIANZHI, tianzhi_pu_tick, variants=PU),
    Case("tianzhi+per_unit/carried_unpaid", TIANZHI, tianzhi_pu_carried_unpaid, variants=PU),
    Case("wenke+per_unit/knock_on", WENKE, wenke_pu_knock_on, variants=PU),
    Case("wenke+per_unit/defaults_obligors", WENKE, wenke_pu_defaults, variants=PU),
    Case("wenke+per_unit/stress_rest_heavy", WENKE, agree(3, base=True), scenario="wenke_heavy_support.toml", variants=PU),
    Case("yongxing+per_unit/short_waterfall", YONGXING, yongxing_pu_short,
         scenario="yongxing_full_delay_no_support.toml", variants=PU),
    Case("yongxing+per_unit/declared_trigger", YONGXING, yongxing_pu_declared, variants=PU),
    Case("tianzhi+per_unit/account_only", TIANZHI, tianzhi_pu_principal_ticks, variants=PU),
]


# ---------------------------------------------------------------------- named accounts (review 43e)
ACCOUNTS = "wenke_leasing_1_accounts_2018.toml"


def accounts_fen_off(ctx):
    """The accounts deal by pool totals, dates 1–3: date 2 A's interest a fen short, date 3 the
    servicer fee a fen over, the collection account as the model's (the fen with the
    restatement), no trigger stated on date 2 (the EoD tested again trips on the fen)."""
    ps = agree(3)(ctx)
    ps[1]["tranches"]["A"]["interest"] -= 1
    ps[1].pop("triggers")
    ps[2]["fees"]["servicer"] += 1
    return ps


def accounts_knock_on(ctx):
    """Date 2: other_fixed paid 15,000.00 more (from `income`) and A's principal (from
    `principal`) 15,000.00 less, the collection account stating the principal kept; date 3 A's
    principal 2 ticks short, the manager fee a yuan short; date 4 fees typed in 万元."""
    ps = [dict(period_head(ctx, k), pool=pool_report(by_obligors(ctx, k))) for k in range(4)]
    tick = tick_fen(ctx, "A")

    def tweak(k, p):
        if k == 1:
            p["fees"]["other_fixed"] += 15_000_00
            p["tranches"]["A"]["principal"] -= 15_000_00
        if k == 2:
            p["tranches"]["A"]["principal"] -= 2 * tick
            p["accounts"]["collection"] += 2 * tick
            p["fees"]["manager"] -= 1_00
        if k == 3:
            p["fees"]["manager"] = p["fees"]["manager"] // 10_000
            p["fees"]["custodian"] = p["fees"]["custodian"] // 10_000
    return fill(ctx, ps, tweak)


def accounts_defaults(ctx):
    """By obligors: date 2 Lessee-03 and Lessee-11 default in full (the PDL, the acceleration),
    Lessee-05 half late; date 3 pool totals with a recovery of 1,000,000.00; the model's lines,
    date 3 declaring no trigger."""
    names = ctx.at.names
    ed = _defaults(ctx, 1, {names[2], names[10]})
    r = ctx.at.rows[1][names[4]]
    ed[names[4]] = dict(principal=(r["principal_collected"] - r["prepaid"]) // 2,
                        interest=r["interest_collected"] // 2)
    d3 = pool_report(by_obligors(ctx, 2))
    d3["recoveries"] = 1_000_000_00
    ps = [dict(period_head(ctx, 0), obligors=by_obligors(ctx, 0)),
          dict(period_head(ctx, 1), obligors=by_obligors(ctx, 1, ed)),
          dict(period_head(ctx, 2), pool=d3)]

    def tweak(k, p):
        if k == 2:
            p["triggers"] = []
    return fill(ctx, ps, tweak)


def accounts_declared(ctx):
    """Date 1 declares `acceleration_cdr` with no default; date 2 the accelerated waterfall's
    lines (the model's)."""
    ps = [dict(period_head(ctx, k), pool=pool_report(by_obligors(ctx, k))) for k in range(2)]

    def tweak(k, p):
        if k == 0:
            p["triggers"] = ["acceleration_cdr"]
    return fill(ctx, ps, tweak)


def accounts_pu_knock_on(ctx):
    """The accounts deal with per_unit, as wenke+per_unit/knock_on (other_fixed 15,000.00 more
    and A's principal the figure of the cash left on date 2; date 3 a fee a yuan and A's
    principal 2 ticks short; date 4 A's interest a fen over), the collection account the
    model's (the cash is in the named accounts, which a report cannot state)."""
    return wenke_pu_knock_on(ctx, named=True)


CASES += [
    Case("accounts/agree_pool_p1-4", ACCOUNTS, agree(4)),
    Case("accounts/agree_obligors_p1-2", ACCOUNTS, agree(2, obligors=True)),
    Case("accounts/fen_off", ACCOUNTS, accounts_fen_off),
    Case("accounts/knock_on_ticks_units", ACCOUNTS, accounts_knock_on),
    Case("accounts/defaults", ACCOUNTS, accounts_defaults),
    Case("accounts/declared_trigger", ACCOUNTS, accounts_declared),
    Case("accounts/stress_rest_heavy", ACCOUNTS, agree(3, base=True), scenario="wenke_heavy_support.toml"),
    Case("accounts+per_unit/agree_pool_p1-3", ACCOUNTS, agree(3), variants=PU),
    Case("accounts+per_unit/knock_on_ticks_fen", ACCOUNTS, accounts_pu_knock_on, variants=PU),
    Case("accounts+per_unit/fen_short", ACCOUNTS, pu_interest_fen(-1), variants=PU),
]


# ---------------------------------------------------------------------- the asset guarantee (review 43e)
NANSHAN = "nanshan_gaoxintou_5_2022.toml"


def nanshan_guarantee(delta, k_off=1):
    """Under `nanshan_two_defaults`, by obligors, dates 1–4 as projected (Borrower-06 defaults
    in period 1, Borrower-01 in period 2, recoveries from period 2); date `k` reports the
    guarantor's payment `delta` off the run's, the collection account the model's; the other
    lines the model's of the report so far."""
    def build(ctx):
        ps = [dict(period_head(ctx, k), obligors=by_obligors(ctx, k)) for k in range(4)]

        def tweak(k, p):
            if k == k_off:
                p["supports"]["gaoxintou_guarantee"] += delta
        return fill(ctx, ps, tweak)
    build.__doc__ = nanshan_guarantee.__doc__.replace("`delta`", f"{delta / 100:+,.2f}").replace(
        "date `k`", f"date {k_off + 1}")
    return build


def nanshan_half_up_notice(ctx):
    """docs/auditing.md "The notice's amount" example: nanshan's first date, A's interest as a
    notice with its figure rounded half up pays it (0.9474 per 100 × units), by pool totals."""
    ps = [dict(period_head(ctx, 0), pool=pool_report(by_obligors(ctx, 0)))]

    def tweak(k, p):
        b = 196_000_000_00
        x = p["tranches"]["A"]["interest"]
        fig = (x * 100 * 10 ** 4 * 2 + b) // (2 * b)          # half up
        p["tranches"]["A"]["interest"] = fig * b // (100 * 10 ** 4)
    return fill(ctx, ps, tweak)


CASES += [
    Case("nanshan/agree_pool_p1-3", NANSHAN, agree(3)),
    Case("nanshan/two_defaults_agree_obligors", NANSHAN, agree(4, obligors=True), scenario="nanshan_two_defaults.toml"),
    Case("nanshan/two_defaults_agree_pool", NANSHAN, agree(4), scenario="nanshan_two_defaults.toml"),
    Case("nanshan/guarantee_less", NANSHAN, nanshan_guarantee(-5_000_000_00), scenario="nanshan_two_defaults.toml"),
    Case("nanshan/guarantee_less_p1", NANSHAN, nanshan_guarantee(-5_000_000_00, 0), scenario="nanshan_two_defaults.toml"),
    Case("nanshan/guarantee_more", NANSHAN, nanshan_guarantee(1_000_000_00), scenario="nanshan_two_defaults.toml"),
    Case("nanshan/guarantor_fails_agree", NANSHAN, agree(3, obligors=True), scenario="nanshan_guarantor_fails.toml"),
    Case("nanshan/half_up_notice", NANSHAN, nanshan_half_up_notice),
]
