#!/usr/bin/env python3
"""An independent oracle of `ipabs sweep` (review 44b), from the docs alone (README.md).

Usage: python3 sweep_oracle.py --ipabs ./ipabs [--quick] [--case TEXT] [--keep DIR]

Per case: runs `ipabs sweep DEAL [--scenarios FILE] [--flows] --threads 1 -q --out DIR`, expands
the run list itself (docs/scenarios.md "The scenario file", "[grid]"), writes the expected
scenarios.parquet rows (docs/output.md "scenarios.parquet (sweeps)"), and runs the existing run
oracle (tests/oracle, unmodified) on every scenario for summary.parquet and tranche_flows.parquet
(senior rows only without --flows: docs/output.md "What `ipabs sweep` writes"), and with --flows
every run table, stacked in scenario order. Prints `case: equal/compared`, each difference as
`DIFF case=... row=... column=... oracle=... ipabs=...`, and a total line; exit 0 when all equal.
"""
import subprocess
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from portfolio_common import (REPO, oracle_main, RUN_TABLES, NotCovered, Tally, load_toml, read,  # noqa: E402
                    run_list, run_tables, runnable, scenario_row, with_suite)
import cases as run_cases                                                     # noqa: E402

DEALS = REPO / "deals"
CASEDIR = HERE / "cases"
SWEEP_FILES = {"summary", "tranche_flows", "scenarios", "warnings"}
FLOW_FILES = SWEEP_FILES | {"pool_flows", "ledger", "periods", "support", "fees", "payment_notices"}
ORDER_KEYS = {"tranche_flows": ("scenario", "period", "tranche"), "summary": ("scenario", "tranche"),
              "periods": ("scenario", "period"), "pool_flows": ("scenario", "period", "obligor"),
              "fees": ("scenario", "period", "kind", "name"), "support": ("scenario", "support"),
              "payment_notices": ("scenario", "period", "tranche"), "ledger": ("scenario", "period", "step")}


def variant_deal(name, deal_file, variants):
    """A deal variant of the run oracle (tests/oracle/cases.py `with_variants`), written here."""
    text = run_cases.with_variants((DEALS / deal_file).read_text(encoding="utf-8"), variants, deal_file)
    CASEDIR.mkdir(exist_ok=True)
    path = CASEDIR / f"{name}.toml"
    # Written only when it changed: a run leaves the checked-in files as they are (review 45b).
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


class Case:
    def __init__(self, name, deal, scenarios=None, flows=False, quick=True, stress=None, stress_on=None, expect_exit=0):
        self.name, self.deal, self.scenarios, self.flows, self.quick = name, deal, scenarios, flows, quick
        self.expect_exit = expect_exit
        self.stress, self.stress_on = stress, stress_on


def cases():
    S = HERE / "scenarios"
    out = []
    # every example deal under its own [scenario] and under deals/scenarios/cohort.toml
    for f in sorted(DEALS.glob("*.toml")):
        if f.name == "cohort.toml":
            continue
        out.append(Case(f"{f.stem}/own", f, None, quick=f.stem.startswith("gdd")))
        out.append(Case(f"{f.stem}/cohort_scenarios", f, DEALS / "scenarios" / "cohort.toml",
                        quick=f.stem.startswith("nanshan")))
    out.append(Case("gdd/grid_docs_example", DEALS / "gdd_patent_licence_2019.toml", S / "gdd_grid.toml"))
    out.append(Case("gdd/grid_docs_example+flows", DEALS / "gdd_patent_licence_2019.toml", S / "gdd_grid.toml",
                    flows=True, quick=False))
    out.append(Case("nanshan/grid_names", DEALS / "nanshan_gaoxintou_5_2022.toml", S / "nanshan_names.toml"))
    out.append(Case("wenke/grid_delay_lag_cpr", DEALS / "wenke_leasing_1_2018.toml", S / "wenke_delay.toml"))
    out.append(Case("tianzhi/grid_cdr_defaultless", DEALS / "tianzhi_1_2024.toml", S / "tianzhi_cdr.toml"))
    out.append(Case("tianzhi/grid_single_point+failures", DEALS / "tianzhi_1_2024.toml", S / "tianzhi_single.toml",
                    flows=True))
    out.append(Case("kexue/grid_no_base_pricing", DEALS / "kexue_trademark_2021.toml", S / "kexue_pricing.toml"))
    mezz = variant_deal("wenke+mezzanine", "wenke_leasing_1_2018.toml", ("mezzanine",))
    out.append(Case("wenke+mezzanine/grid", mezz, S / "wenke_mezz.toml"))
    fl = variant_deal("tianzhi+floating", "tianzhi_1_2024.toml", ("floating",))
    out.append(Case("tianzhi+floating/index_overrides", fl, S / "tianzhi_floating.toml", quick=False))
    ev = variant_deal("tianzhi+events", "tianzhi_1_2024.toml", ("events",))
    out.append(Case("tianzhi+events/grid", ev, S / "tianzhi_events.toml"))
    out.append(Case("xuhui/commingling_row", DEALS / "xuhui_caohejing_1_2024.toml", S / "pf_commingling.toml"))
    A = DEALS / "wenke_leasing_1_accounts_2018.toml"
    out.append(Case("accounts/defaultless_copies", A, S / "accounts_defaultless.toml"))
    out.append(Case("accounts/defaultless_copies+flows", A, S / "accounts_defaultless.toml", flows=True, quick=False))
    # stress suites (docs/scenarios.md "The standard stress suite", "The concentration suite",
    # "Stresses on every scenario")
    G = DEALS / "gdd_patent_licence_2019.toml"
    out.append(Case("gdd/stress_standard", G, None, stress="standard"))
    out.append(Case("wenke/stress_standard", DEALS / "wenke_leasing_1_2018.toml", S / "wenke_stress_base.toml",
                    stress="standard", quick=False))
    out.append(Case("wenke/stress_on_scenarios_timing", DEALS / "wenke_leasing_1_2018.toml", S / "wenke_stress_base.toml",
                    stress="standard", stress_on="scenarios"))
    out.append(Case("gdd/stress_on_scenarios_timing", G, S / "gdd_timing.toml", stress="standard", stress_on="scenarios"))
    rv = variant_deal("wenke+revolving", "wenke_leasing_1_2018.toml", ("revolving_period",))
    out.append(Case("wenke+revolving/stress_standard", rv, S / "wenke_revolving.toml", stress="standard",
                    stress_on="scenarios", quick=False))
    out.append(Case("nanshan/stress_concentration", DEALS / "nanshan_gaoxintou_5_2022.toml", S / "nanshan_conc.toml",
                    stress="concentration"))
    out.append(Case("gdd/stress_all", G, DEALS / "scenarios" / "cohort.toml", stress="all", quick=False))
    out.append(Case("tianzhi+floating/stress_on_scenarios", fl, S / "tianzhi_floating.toml", stress="standard",
                    stress_on="scenarios", quick=False))
    grp = CASEDIR / "nanshan_groups.toml"
    grp.write_text((DEALS / "nanshan_gaoxintou_5_2022.toml").read_text(encoding="utf-8").replace(
        'tags = { rating = "A+", industry = "semiconductors", region = "Yuehai" }',
        'tags = { rating = "A+", industry = "semiconductors", region = "Yuehai", group = "Core " }', 1).replace(
        'tags = { rating = "A", industry = "electronics", region = "Xili" }',
        'tags = { rating = "A", industry = "electronics", group = " Core" }', 1), encoding="utf-8")
    x2 = CASEDIR / "xuhui_two_credits.toml"
    t = (DEALS / "xuhui_caohejing_1_2024.toml").read_text(encoding="utf-8")
    for old, grp_ in (('industry = "advanced manufacturing", region = "Xuhui" }', "P"), ('industry = "new materials", region = "Xuhui" }', "Q"),
                      ('industry = "auto parts", region = "Xuhui" }', "P"), ('industry = "electronics", region = "Xuhui" }', "Q")):
        assert old in t, old
        t = t.replace(old, old[:-2] + f', group = "{grp_}" }}', 1)
    x2.write_text(t, encoding="utf-8")
    out.append(Case("xuhui_two_credits/stress_concentration", x2, None, stress="concentration"))
    out.append(Case("nanshan_groups/grid_group_member_named", grp, S / "nanshan_group_grid.toml"))
    out.append(Case("nanshan_groups/stress_concentration_on_scenarios", grp, S / "nanshan_conc.toml",
                    stress="concentration", stress_on="scenarios", quick=False))
    # errors of the grid (docs/scenarios.md "[grid]"): exit 2, nothing written
    for f in ("name_clash", "repeat", "too_big", "date_alone", "bad_base", "no_dims"):
        out.append(Case(f"error/grid_{f}", G, S / "bad" / f"{f}.toml", expect_exit=2))
    return out


def expected(case):
    """The expected rows of each file, and the notes on what was not covered."""
    deal = load_toml(case.deal)
    scens, data = run_list(deal, case.scenarios)
    pricing = data.get("pricing")
    if case.stress:
        scens = with_suite(deal, scens, case.stress, case.stress_on or "deal", pricing,
                           lambda s: run_tables(deal, runnable(s, deal), pricing))
    exp = {"scenarios": [scenario_row(deal, s) for s in scens]}
    tables = RUN_TABLES if case.flows else ["summary", "tranche_flows"]
    for t in tables:
        exp[t] = []
    notes = []
    for s in scens:
        try:
            rows = run_tables(deal, runnable(s, deal), pricing)
        except NotCovered as e:
            notes.append(f"scenario {s['name']!r}: run oracle does not cover: {e}")
            exp.setdefault("_skip", set()).add(s["name"])
            continue
        for t in tables:
            got = rows[t]
            if t == "tranche_flows" and not case.flows:
                seniors = {tr["name"] for tr in deal["tranches"] if tr["class"] == "senior"}
                got = [r for r in got if r["tranche"] in seniors]
            exp[t] += got
    return exp, notes


def run_case(case, ipabs, work):
    out = work / case.name.replace("/", "__")
    cmd = [str(ipabs), "sweep", str(case.deal)]
    if case.scenarios:
        cmd += ["--scenarios", str(case.scenarios)]
    if case.flows:
        cmd += ["--flows"]
    if case.stress:
        cmd += ["--stress", case.stress]
    if case.stress_on:
        cmd += ["--stress-on", case.stress_on]
    cmd += ["--threads", "1", "-q", "--force", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    tally = Tally()
    if case.expect_exit:
        tally.value("(command)", "exit code", case.expect_exit, proc.returncode)
        written = sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.exists() else []
        tally.value("(command)", "files written", [], written)
        err = proc.stderr.strip().splitlines()
        return tally, [f"stderr: {err[0][:200] if err else ''}"], None
    if proc.returncode != 0:
        return tally, [], f"ipabs exited {proc.returncode}: {proc.stderr.strip()}"
    try:
        exp, notes = expected(case)
    except Exception:
        return tally, [], "oracle error:\n" + traceback.format_exc()
    # the file list (docs/output.md "What `ipabs sweep` writes")
    files = {p.stem for p in out.glob("*.parquet")}
    want = FLOW_FILES if case.flows else SWEEP_FILES
    tally.value("(files)", "parquet files", sorted(want), sorted(files))
    skip = exp.pop("_skip", set())
    for table, rows in exp.items():
        theirs = read(out / f"{table}.parquet")
        if table != "scenarios":
            theirs = [r for r in theirs if r["scenario"] not in skip]
        key = ORDER_KEYS.get(table, ("scenario",))
        tally.rows(table, rows, theirs, key, skip=("reason",) if table == "ledger" else ())
    return tally, notes, None


def main(argv):
    return oracle_main("sweep", cases, run_case, argv, "o44b-sweep-")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
