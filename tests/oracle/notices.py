"""Payment notices: figures per 100 yuan of face and what they pay.

docs/auditing.md "Payment notices (收益分配报告 / 兑付兑息公告)" and "per_unit = true: the
waterfall pays the per-unit amounts"; docs/deal-format.md "[notices]"; docs/output.md
"payment_notices.parquet".
"""
from fractions import Fraction as F

from money import NotCovered, dec, exact, fen, money, ratio6, round_int, to_fen, yuan

BUFFER = 100_000                          # the 长款, 1,000.00 yuan, in fen


class Figures:
    """The [notices] settings and the two roundings every figure goes through."""

    def __init__(self, deal):
        nt = deal.get("notices", {})
        unknown = set(nt) - {"face", "decimals", "rounding", "csdc_fee_rate", "per_unit"}
        if unknown:
            raise NotCovered(f"[notices] keys {sorted(unknown)}")
        self.face = to_fen(nt.get("face", 100))
        self.places = int(nt.get("decimals", 4))
        self.rule = nt.get("rounding", "truncate")
        self.fee_rate = exact(nt.get("csdc_fee_rate", "0.00005"))
        self.per_unit = bool(nt.get("per_unit", False))
        self.whole_face = 100 * 10 ** self.places   # 100 per 100, at `places` decimals

    def per_100(self, initial, x):
        """x × 100 / B to `places` decimals, in integers: X_fen × 100 × 10^d / B_fen."""
        return round_int(F(x * 100 * 10 ** self.places, initial), self.rule)

    def paid_of(self, initial, figure):
        """What a figure per 100 pays: x × B / 100, rounded once to the fen by the same rule."""
        return round_int(F(figure * initial, 100 * 10 ** self.places), self.rule)

    def figure_paid(self, initial, x):
        """paid_of(per_100(x)): the most of x a figure per 100 can pay."""
        return self.paid_of(initial, self.per_100(initial, x))

    def has_units(self, initial):
        return initial % self.face == 0


def notice_row(fig, t, k, periods, final, deal_rule, coupon):
    """One notice row of tranche state `t` on payment date k (0-based); updates t.face_left.

    `t` carries: init, bal (after the date), int_paid and pr_paid (what the tranche kept, after
    any per-unit 尾差 went back), short (interest carried), and with per_unit the 尾差 parts
    ires (interest carried), pres (principal kept in the balance) and forgone.
    """
    init = t.init
    ipc = fig.per_100(init, t.int_paid)
    # principal per 100: at most the face left, and the face left on the date that repays it
    ppc = t.face_left if t.bal == 0 else min(fig.per_100(init, t.pr_paid), t.face_left)
    ip, pp = fig.paid_of(init, ipc), fig.paid_of(init, ppc)
    t.face_left -= ppc
    fee = fen(fig.fee_rate * yuan(ip + pp), deal_rule)
    with_fee = ip + pp + fee
    # 长款: 1,000.00 unless initial_fen divides with_fee_fen × 10^4
    buffer = 0 if (with_fee * 10 ** 4) % init == 0 else BUFFER
    if fig.per_unit:
        residual = t.ires + t.pres + t.forgone
        interest_residual = t.ires + t.forgone
        unpaid = t.short - t.ires     # the 尾差 carried by design is not interest unpaid
    else:
        residual = t.int_paid + t.pr_paid - ip - pp
        interest_residual = t.int_paid - ip
        unpaid = t.short
    p = periods
    return dict(
        tranche=t.name, period=k + 1, payment_date=p.pay[k],
        record_date=p.record_date(k, final), units=init // fig.face,
        interest_per_100=dec(ipc, fig.places), principal_per_100=dec(ppc, fig.places),
        total_per_100=dec(ipc + ppc, fig.places), interest_paid=money(ip),
        principal_paid=money(pp), residual=money(residual),
        face_per_100_after=dec(t.face_left, fig.places), csdc_fee=money(fee),
        csdc_buffer=money(buffer), transfer=money(with_fee + buffer),
        interest_unpaid=money(unpaid), interest_residual=money(interest_residual),
        accrual_start=p.accrual_start[k], accrual_end=p.accrual_end[k],
        accrual_days=(p.accrual_end[k] - p.accrual_start[k]).days, coupon=ratio6(coupon))


def settle_per_unit(run, date):
    """docs/auditing.md "per_unit = true", after the date's waterfall.

    A tranche paid by its figures (the last date, the call date, a redeemed tranche's arrears)
    sends nothing back: paid its cut due in full it forgoes `X − cut`, paid less its due is the
    whole X again. Any other tranche sends its 尾差 back to the account of the last step that
    paid it (interest, then principal; ledger at step 0): the interest part is carried as
    interest due, the principal part stays in its balance; on the date that redeems it with
    its interest paid in full, the interest part is forgone instead of carried.
    """
    fig = run.fig
    for t in run.T.values():
        if t.by_figures:
            if t.int_paid == t.int_due:
                t.forgone = t.int_whole - t.int_due
            else:
                t.int_due = t.int_whole
            continue
        paid_in_full = t.int_paid == t.int_due
        short = t.int_paid < t.int_due
        ires = t.int_paid - fig.figure_paid(t.init, t.int_paid)   # the cash that goes back
        if t.bal == 0 and t.pr_paid > 0:
            pres = 0                      # the notice that redeems a tranche pays its balance
        else:
            pres = t.pr_paid - fig.paid_of(t.init, min(fig.per_100(t.init, t.pr_paid), t.face_left))
        if ires:
            run.accounts[t.int_from] += ires
            t.int_paid -= ires
            date.led(0, "per_unit_interest_residual", t.name, f"tranche:{t.name}",
                     run.acname(t.int_from), ires)
        if pres:
            run.accounts[t.pr_from] += pres
            t.pr_paid -= pres
            t.bal += pres
            date.led(0, "per_unit_principal_residual", t.name, f"tranche:{t.name}",
                     run.acname(t.pr_from), pres)
        t.ires, t.pres = ires, pres
        if short:
            # Paid short of its due, the 尾差 carried by design is the due's (what no figure
            # per 100 of the due pays), up to what is owed; the rest is not paid as agreed
            # (docs/auditing.md, since session 47). The cash that went back is still `ires`.
            by_design = t.int_due - fig.figure_paid(t.init, t.int_due)
            t.ires = max(0, min(by_design, t.int_due - t.int_paid))
        if t.bal == 0 and t.bal_start > 0:
            t.redeemed = True             # later dates pay its arrears by their figures
            if paid_in_full:
                t.forgone, t.ires = ires, 0
                t.int_due = t.int_paid
