"""The cases: a deal of deals/ (with tests/oracle's named variants and this directory's own
textual edits), a scenario file (this directory's scenarios/, or "cohort" for
deals/scenarios/cohort.toml) or none, and the stress options."""
import os
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = Path(os.environ.get("IPABS_REPO") or HERE.parents[1])
SCENARIOS = HERE / "scenarios"

import cases as run_cases            # tests/oracle's cases.py: its deal variants (VARIANTS)  # noqa: E402

# this directory's own edits: (old, new) replaced once each
OWN = {
    # a subordinated tranche with a rating is reported (docs/breakeven.md "Definitions")
    "b_rated": [('class = "subordinated"', 'class = "subordinated"\nrating = "BBB"')],
    # an unrated senior is reported without a TDR
    "a_unrated": [('rating = "AAA"', '# unrated')],
    # an obligor group (docs/breakeven.md "Break-even in whole obligors"; docs/rating.md §1):
    # Firm-01 and Firm-11 of yongxing, ranked and defaulted as one
    "groups": [('tags = { rating = "A+", industry = "advanced manufacturing", region = "Beilun" }',
                'tags = { group = "Beilun group", rating = "A+", industry = "advanced manufacturing", region = "Beilun" }'),
               ('tags = { rating = "BBB", industry = "new energy", region = "Beilun" }',
                'tags = { group = " Beilun group ", rating = "A+", industry = "new energy", region = "Beilun" }')],
    # the acceleration trigger at 0.5%: it trips at the first scan point, so R = 0 and R = 1/128
    # take different paths (docs/breakeven.md "Root finder" step 4, consecutive scan points)
    "low_trigger": [('threshold = 0.10\nwaterfall = "accelerated"', 'threshold = 0.005\nwaterfall = "accelerated"')],
    # equal cutoff balances where name order and file order differ (docs/breakeven.md "Break-even
    # in whole obligors": ties by obligor name): xuhui's Firm-02 raised to Firm-01's 18,000,000
    # and Firm-01 renamed Firm-09; Firm-03 renamed Firm-05 (15,000,000 as Firm-04)
    "ties": [('name = "Firm-01 (illustrative)"', 'name = "Firm-09 (illustrative)"'),
             ('amount = 8000000\ndue_date = 2025-02-28', 'amount = 9000000\ndue_date = 2025-02-28'),
             ('amount = 8000000\ndue_date = 2025-08-28', 'amount = 9000000\ndue_date = 2025-08-28'),
             ('name = "Firm-03 (illustrative)"', 'name = "Firm-05 (illustrative)"')],
    # the mezzanine on ultimate payment (docs/breakeven.md "Definitions")
    "m_ultimate": [('rating = "AA"\n', 'rating = "AA"\npayment_test = "ultimate"\n')],
}


@dataclass(frozen=True)
class Case:
    name: str
    deal: str
    scenario: str = None
    stress: str = None
    stress_on: str = None
    variants: tuple = ()

    def scenario_path(self):
        if self.scenario is None:
            return None
        if self.scenario == "cohort":
            return REPO / "deals" / "scenarios" / "cohort.toml"
        return SCENARIOS / f"{self.scenario}.toml"

    def deal_text(self):
        text = (REPO / "deals" / self.deal).read_text(encoding="utf-8")
        for v in self.variants:
            if v in OWN:
                for old, new in OWN[v]:
                    if text.count(old) < 1:
                        raise ValueError(f"{self.name}: edit {v}: {old[:60]!r} not found")
                    text = text.replace(old, new, 1)
                continue
            for old, new, *times in run_cases.VARIANTS[v]:
                if old is None:
                    text += new
                else:
                    n = times[0] if times else 1
                    if text.count(old) != n:
                        raise ValueError(f"variant {v}: {old!r} occurs {text.count(old)} times")
                    text = text.replace(old, new)
        return text


D = {
    "yongxing": "yongxing_guofu_ningbo_2024.toml",
    "xuhui": "xuhui_caohejing_1_2024.toml",
    "gdd": "gdd_patent_licence_2019.toml",
    "nanshan": "nanshan_gaoxintou_5_2022.toml",
    "rugao": "rugao_data_1_2025.toml",
    "tianzhi": "tianzhi_1_2024.toml",
    "kexue": "kexue_trademark_2021.toml",
    "wenke": "wenke_leasing_1_2018.toml",
    "accounts": "wenke_leasing_1_accounts_2018.toml",
}

CASES = []
for short in ("yongxing", "xuhui", "gdd", "nanshan"):
    CASES.append(Case(f"{short}/own", D[short]))
    CASES.append(Case(f"{short}/cohort+standard", D[short], "cohort", "standard"))
for short in ("rugao", "tianzhi", "kexue", "wenke", "accounts"):
    CASES.append(Case(f"{short}/cohort+standard", D[short], "cohort", "standard"))
CASES += [
    Case("nanshan/front_off", D["nanshan"], "nanshan_front_off"),
    Case("nanshan/rich+standard_on_scenarios", D["nanshan"], "rich_nanshan", "standard", "scenarios"),
    Case("yongxing/rich+standard_on_scenarios", D["yongxing"], "rich_yongxing", "standard", "scenarios"),
    Case("yongxing/rich+standard", D["yongxing"], "rich_yongxing", "standard"),
    Case("xuhui/grid+standard", D["xuhui"], "grid_xuhui", "standard"),
    Case("yongxing+groups/cohort+standard", D["yongxing"], "cohort", "standard", variants=("groups",)),
    Case("gdd+b_rated/rated_all", D["gdd"], "rated_all", variants=("b_rated",)),
    Case("gdd+a_unrated/rated_all+standard", D["gdd"], "rated_all", "standard", variants=("a_unrated",)),
    Case("wenke+mezzanine/rated_all+standard", D["wenke"], "rated_all", "standard", variants=("mezzanine",)),
    Case("wenke+mezzanine+m_ultimate/rated_all", D["wenke"], "rated_all", variants=("mezzanine", "m_ultimate")),
    Case("accounts+per_unit/cohort+standard", D["accounts"], "cohort", "standard", variants=("per_unit",)),
    Case("tianzhi+triggers_mix/cohort+standard", D["tianzhi"], "cohort", "standard", variants=("triggers_mix",)),
    Case("nanshan+low_trigger/own", D["nanshan"], variants=("low_trigger",)),
    Case("nanshan+low_trigger/front_off", D["nanshan"], "nanshan_front_off", variants=("low_trigger",)),
    Case("xuhui+ties/cohort+standard", D["xuhui"], "cohort", "standard", variants=("ties",)),
    Case("kexue/obligor_rule", D["kexue"], "kexue_obligor_rule"),
    Case("accounts+call_anyway/rated_all", D["accounts"], "rated_all", variants=("call_anyway",)),
]

# The cases `cargo test` runs (tests/oracle.rs, `--quick`), about 20 s: every case but the
# standard suite on a cohort file, which is about 8 minutes in all, and that suite on the two
# smallest deals. The full list is run by hand (README.md).
QUICK = [c.name for c in CASES if "standard" not in c.name] + [
    "yongxing/cohort+standard",
    "xuhui/cohort+standard",
]

