"""`ipabs notice DEAL --period N --actuals FILE` against the oracle's in-life notices.

docs/auditing.md "`ipabs notice`": the Markdown notice of a date of the in-life run (`实际
(reported)` for an actual date, restated; `预测 (projected)` otherwise), its table (units, figures
per 100, what they pay, 尾差 and its interest part, face after, CSDC fee, interest unpaid, record
date) and the transfer instructions (paid, fee, with fee, with fee per 100 at 6 places cut with
`…` when the value goes on, 长款, transfer). The oracle's figures are its payment_notices rows
(the same rows rcompare.py compares with payment_notices.parquet), so this checks that the
command prints the in-life run's notice; the per-100-with-fee figure is recomputed here.
"""
import subprocess
from decimal import Decimal
from fractions import Fraction as F


def _num(text):
    return Decimal(text.replace(",", "").strip())


def parse(md):
    tables, cur = [], None
    basis = None
    for line in md.splitlines():
        if "依据 (basis)" in line:
            basis = "actual" if "实际" in line else "projected" if "预测" in line else line
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cur is None:
                cur = [cells]
            else:
                cur.append(cells)
        elif cur is not None:
            tables.append(cur)
            cur = None
    if cur is not None:
        tables.append(cur)
    # drop each table's header separator row
    return basis, [[r for r in t if not set("".join(r)) <= set("-: ")] for t in tables]


def with_fee_per_100(with_fee_fen, init_fen):
    x = F(with_fee_fen * 100, init_fen)
    cut = int(x * 10 ** 6)
    text = f"{cut // 10 ** 6}.{cut % 10 ** 6:06d}"
    return text + ("…" if x * 10 ** 6 != cut else "")


def check(ipabs, deal_path, actuals_path, scenario_path, rows, period, actual, repo):
    """Returns (compared, equal, diffs)."""
    cmd = [str(ipabs), "notice", str(deal_path), "--period", str(period), "--actuals", str(actuals_path)]
    if scenario_path:
        cmd += ["--scenario", str(scenario_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=repo)
    if proc.returncode != 0:
        return 1, 0, [("notice", period, "(exit)", 0, proc.returncode)]
    basis, tables = parse(proc.stdout)
    mine = [r for r in rows["payment_notices"] if r["period"] == period]
    diffs, compared, equal = [], 0, 0

    def cmp(key, col, m, t):
        nonlocal compared, equal
        compared += 1
        if m == t:
            equal += 1
        else:
            diffs.append(("notice", key, col, m, t))

    cmp((period,), "basis", "actual" if actual else "projected", basis)
    main = {r[0]: r for r in tables[0][1:]} if tables else {}
    transfer = {r[0]: r for r in tables[1][1:]} if len(tables) > 1 else {}
    init = {}
    for r in mine:
        t = r["tranche"]
        row = main.get(t)
        if row is None:
            cmp((period, t), "(row)", "present", "absent")
            continue
        init[t] = r["units"] * 100 * 100
        cols = [("record_date", str(r["record_date"])), ("units", str(r["units"])),
                ("interest_per_100", r["interest_per_100"]), ("principal_per_100", r["principal_per_100"]),
                ("total_per_100", r["total_per_100"]), ("interest_paid", r["interest_paid"]),
                ("principal_paid", r["principal_paid"]), ("residual", r["residual"]),
                ("interest_residual", r["interest_residual"]),
                ("face_per_100_after", r["face_per_100_after"]), ("csdc_fee", r["csdc_fee"]),
                ("interest_unpaid", r["interest_unpaid"])]
        for i, (col, v) in enumerate(cols, 1):
            cell = row[i]
            cmp((period, t), col, v, cell if isinstance(v, str) else _num(cell))
        tr = transfer.get(t)
        paid = r["interest_paid"] + r["principal_paid"]
        if paid == 0 and tr is None:
            continue                      # one instruction per tranche paid
        if tr is None:
            cmp((period, t), "(transfer row)", "present", "absent")
            continue
        with_fee = paid + r["csdc_fee"]
        for i, (col, v) in enumerate([("paid", paid), ("csdc_fee", r["csdc_fee"]), ("with_fee", with_fee),
                                      ("with_fee_per_100", with_fee_per_100(int(with_fee * 100), r["units"] * 100 * 100)),
                                      ("csdc_buffer", r["csdc_buffer"]), ("transfer", r["transfer"])], 1):
            cell = tr[i]
            cmp((period, t), "transfer." + col, v, cell if isinstance(v, str) else _num(cell))
    return compared, equal, diffs
