"""Writes the hand-made deals and scenario files of the oracle's cases."""
import os
HERE = os.path.dirname(os.path.abspath(__file__))
HEAD = '''[deal]
name = "{name}"
currency = "CNY"
cutoff_date = 2025-01-31
closing_date = 2025-02-15
first_payment_date = 2025-05-15
frequency = "quarterly"
legal_maturity = 2027-12-31
day_count = "ACT/365F"
business_day = "following"
calendar = "CN"
collection_lag_business_days = 5
'''
TAIL = '''
[[tranches]]
name = "A"
class = "senior"
balance = {a}
coupon = 0.03
amortization = "pass_through"
expected_maturity = 2027-08-15
rating = "AAA"

[[tranches]]
name = "M"
class = "mezzanine"
balance = {m}
coupon = 0.05
amortization = "pass_through"
expected_maturity = 2027-08-15
rating = "A"

[[tranches]]
name = "B"
class = "subordinated"
balance = {b}

[waterfalls]
normal = [
  {{ action = "pay_interest", tranches = ["A"] }},
  {{ action = "pay_interest", tranches = ["M"] }},
  {{ action = "pay_principal", tranches = ["A"] }},
  {{ action = "pay_principal", tranches = ["M"] }},
  {{ action = "pay_principal", tranches = ["B"] }},
  {{ action = "pay_residual", tranche = "B" }},
]

[scenario]
name = "base"
'''
def ob(name, tags, recs):
    t = ", ".join(f'{k} = "{v}"' for k, v in tags.items())
    s = f'\n[[obligors]]\nname = "{name}"\ntags = {{ {t} }}\n'
    for amt, d in recs:
        s += f'[[obligors.assets]]\nkind = "receivable"\namount = {amt}\ndue_date = {d}\n'
    return s

def write(fn, name, obs, a, m, b):
    with open(os.path.join(HERE, "deals", fn), "w") as f:
        f.write(HEAD.format(name=name) + "".join(obs) + TAIL.format(a=a, m=m, b=b))

# 1. obligor group (关联方合并): 7 obligors, 3 in one group -> 5 credits
obs = [
    ob("供应商-01", dict(group="某建工集团", rating="BBB", region="广州", industry="construction"), [(3000000, "2025-06-30"), (3000000, "2026-03-31")]),
    ob("SME-02", dict(rating="A", region="广州", industry="software"), [(5000000, "2025-09-30")]),
    ob("供应商-03", dict(group=" 某建工集团 ", rating="BBB", region="佛山", industry="steel"), [(4000000, "2026-06-30")]),
    ob("SME-04", dict(rating="AA", region="深圳", industry="software"), [(2500000, "2025-12-31"), (2500000, "2026-12-31")]),
    ob("SME-05", dict(rating="BB+", region="深圳", industry="biotech"), [(6000000, "2025-11-15")]),
    ob("供应商-06", dict(group="某建工集团", rating="BBB", region="东莞", industry="construction"), [(2000000, "2027-01-31")]),
    ob("SME-07", dict(rating="B", region="珠海", industry="retail"), [(1500000, "2025-04-30"), (1500000, "2025-07-31")]),
]
write("group.toml", "hand group deal", obs, 20000000, 5000000, 5000000)

# 2. pd tags (and ratings), one pd above every row (counts as C in the LOT)
obs = [
    ob("P1", dict(pd="0.02", region="北京", industry="media"), [(4000000, "2026-01-31")]),
    ob("P2", dict(pd="0.15", region="北京", industry="games"), [(3000000, "2025-07-31"), (3000000, "2026-07-31")]),
    ob("P3", dict(pd="0.995", region="天津", industry="media"), [(2000000, "2025-10-31")]),
    ob("P4", dict(rating="AA-", region="上海", industry="chips"), [(5000000, "2027-01-31")]),
    ob("P5", dict(pd="1", region="上海", industry="games"), [(1000000, "2025-05-31")]),
    ob("P6", dict(rating="CCC", industry="media"), [(2500000, "2026-04-30")]),
    ob("P7", dict(pd="0.0005", region="天津"), [(2500000, "2025-12-31")]),
    ob("P8", dict(group="PG", pd="0.1", region="北京", industry="media"), [(1500000, "2025-09-30")]),
    ob("P9", dict(group="PG", pd="0.1", region="重庆", industry="toys"), [(1500000, "2026-09-30"), (1000000, "2027-03-31")]),
    ob("P10", dict(rating="B", region="上海 ", industry="chips "), [(3000000, "2027-12-15")]),
]
write("pdtags.toml", "hand pd deal", obs, 13000000, 4000000, 3000000)

# 3. a dominant obligor (70%), others small
obs = [ob("CORE", dict(rating="AA+", region="宁波", industry="ports"), [(35000000, "2026-01-31"), (35000000, "2026-07-31")])]
for i in range(6):
    obs.append(ob(f"S{i}", dict(rating=["A", "BBB", "BB", "A-", "BBB-", "B+"][i], region=["宁波", "杭州"][i % 2], industry=["ports", "textile", "retail"][i % 3]),
                  [(5000000, f"2025-{4+i:02d}-28")]))
write("dominant.toml", "hand dominant deal", obs, 60000000, 20000000, 20000000)

SC = '[[scenarios]]\nname = "base"\n\n[[scenarios]]\nname = "rec0-delay"\nrecovery_rate = 0\ndelay = {{ fraction = 0.5, months = 3 }}\n\n{rm}'
def scen(fn, rm):
    with open(os.path.join(HERE, "scenarios", fn), "w") as f:
        f.write(SC.format(rm=rm))
scen("zero_corr.toml", '[rating_model.correlation]\nsame_region_and_industry = 0\nsame_region = 0\nsame_industry = 0\nneither = 0\n')
scen("switches_off.toml", '[rating_model]\nlarge_obligor_test = false\nsingle_obligor_multiplier = false\n')
scen("switches_on.toml", '[rating_model]\nlarge_obligor_test = true\nlarge_obligor_loss = 0.8\nsingle_obligor_multiplier = true\noriginator_factor = 0.6\n\n[rating_model.correlation]\nsame_region = 0.3\nneither = 0.05\n')
scen("custom_model.toml", '''[rating_model]
originator_factor = 0.9
large_obligor_loss = 1

[rating_model.correlation]
same_region_and_industry = 0.6
neither = 0.2

[rating_model.pd]
AAA = [0.00015, 0.0002, 0.0006, 0.00105, 0.002, 0.0035, 0.0045, 0.006, 0.0075, 0.009]
A = [0.002, 0.0065, 0.0115, 0.0165, 0.0216, 0.026, 0.03, 0.035, 0.04, 0.0452]
BBB = [0.0081, 0.025, 0.0462, 0.0653, 0.0838, 0.1013, 0.1152, 0.1279, 0.1382, 0.1462]
B = [0.18, 0.35, 0.48, 0.56, 0.63, 0.68, 0.71, 0.735, 0.76, 0.78]
ALL = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
''')

# 4. ratings from the custom table only (for [rating_model.pd]; ALL = PD 1 gives k = N)
obs = [
    ob("C1", dict(rating="A", region="广州", industry="software"), [(5000000, "2026-09-30")]),
    ob("C2", dict(rating="BBB", region="广州", industry="software"), [(3000000, "2025-06-30"), (3000000, "2026-03-31")]),
    ob("C3", dict(rating="B", region="深圳", industry="biotech"), [(4000000, "2026-06-30")]),
    ob("C4", dict(rating="AAA", region="深圳", industry="software"), [(2500000, "2026-12-31")]),
    ob("C5", dict(pd="0.3", region="珠海", industry="retail"), [(1500000, "2025-04-30"), (1500000, "2025-07-31")]),
    ob("C6", dict(rating="ALL", region="珠海", industry="biotech"), [(3000000, "2026-08-31")]),
]
write("custom.toml", "hand custom-table deal", obs, 12000000, 3000000, 3300000)

# 5. the group deal with two support providers that are credits (§7): drawn after the pool
src = open(os.path.join(HERE, "deals", "group.toml")).read().replace('name = "hand group deal"', 'name = "hand provider deal"')
src = src.replace('\n[waterfalls]', '''
[[supports]]
name = "undertaking"
provider = "甲集团"
kind = "shortfall_undertaking"
covers = ["senior_interest", "senior_principal"]
tags = { rating = "AA", region = "广州", industry = "construction" }

[[supports]]
name = "guarantee"
provider = "乙担保"
kind = "guarantee"
covers = ["mezzanine_interest", "mezzanine_principal"]
tags = { pd = "0.3" }

[waterfalls]''')
open(os.path.join(HERE, "deals", "provider.toml"), "w").write(src)

# 6. the single-obligor multiplier at exactly 5% through a group: the group's two obligors make
#    5.0000% of the pool, no single obligor more than 4.75% (m = 1.5 only if groups are summed)
obs = [ob("G-a", dict(group="G", rating="BBB", region="R1", industry="I1"), [(500000, "2025-12-31")]),
       ob("G-b", dict(group="G", rating="BBB", region="R2", industry="I2"), [(500000, "2026-06-30")])]
for i in range(20):
    obs.append(ob(f"E{i:02d}", dict(rating=["A", "BBB", "BB+", "A-", "BBB-"][i % 5], region=f"R{i % 4}", industry=f"I{i % 3}"),
                  [(950000, f"2025-{3 + i % 9:02d}-15")]))
write("five_percent.toml", "hand five-percent deal", obs, 16000000, 2000000, 2000000)

# 7. pool term exactly 1 year (365 days), custom table rows with PD(1) = 0.0003 (k = N * 0.0003
#    read as a decimal), 0.1 (the doc's N = 100 interval example) and 0.025 (N = 1: a tail of exactly 2.5%)
obs = [ob(f"K{i}", dict(rating=["P01", "P01", "P0003", "P025", "P01", "P0003"][i], region=f"R{i % 2}", industry=f"I{i % 3}"),
          [(1000000 * (i + 1), "2026-01-31")]) for i in range(6)]
write("edge.toml", "hand edge deal", obs, 15000000, 3000000, 3000000)
def row(p1):
    vals = []
    for y in range(10):
        vals.append(round(min(1.0, p1 * (y + 1)), 6))
    return "[" + ", ".join(repr(x) for x in vals) + "]"
scen("edge_model.toml", "[rating_model.pd]\nP0003 = " + row(0.0003) + "\nP025 = " + row(0.025) + "\nP01 = " + row(0.1) + "\n")

# 8. thirty obligors, pool term exactly one year, distinct balances: a tail with distinct values
#    (k = 3 vs 2 at N = 10,000 and PD 0.0003 picks different order statistics)
obs = [ob(f"M{i:02d}", dict(rating=["P01", "P025", "P0003"][i % 3], region=f"R{i % 5}", industry=f"I{i % 4}"),
          [(1000000 + 37000 * i, "2026-01-31")]) for i in range(30)]
write("edge_many.toml", "hand edge deal, many obligors", obs, 30000000, 4000000, 12095000)

# 9. high-yield loans with one large obligor (12%): the curve's BDR is helped by the excess
#    spread, one whole obligor on day 1 is not (a breaking_obligor_default_rate inside [TDR, BDR])
def loan(name, tags, bal):
    t = ", ".join(f'{k} = "{v}"' for k, v in tags.items())
    return (f'\n[[obligors]]\nname = "{name}"\ntags = {{ {t} }}\n[[obligors.assets]]\nkind = "loan"\nbalance = {bal}\n'
            f'rate = 0.18\nstart_date = 2025-01-31\nterm = 8\nfrequency = "quarterly"\nrepayment = "equal_principal"\n')
obs = [loan("BIG", dict(rating="BBB", region="R0", industry="I0"), 12000000)]
for i in range(11):
    obs.append(loan(f"L{i:02d}", dict(rating=["A", "BBB", "BB+", "A-"][i % 4], region=f"R{i % 3}", industry=f"I{i % 2}"), 8000000))
write("spread.toml", "hand excess-spread deal", obs, 80000000, 10000000, 10000000)

# 10. yongxing with a mezzanine M paid after A (the inputs of tests/rating.rs
#     `rate_fails_a_tranche_a_whole_obligor_loss_breaks_within_the_tdr`, rebuilt here): M's BDR
#     16.20% in `pool-only`, its largest obligor's default (12%) breaks it
src = open(os.path.join(HERE, "..", "..", "deals", "yongxing_guofu_ningbo_2024.toml"), encoding="utf-8").read()
for a, b in [("balance = 131000000                 # illustrative split of the public 1.38亿\n", "balance = 110000000\n"),
             ("balance = 7000000                   # illustrative; held by the originator (typical, not sourced here)\n", "balance = 8000000\n")]:
    assert a in src
    src = src.replace(a, b, 1)
src = src.replace('[[tranches]]\nname = "B"', '[[tranches]]\nname = "M"\nclass = "mezzanine"\nbalance = 20000000\ncoupon = 0.035\n'
                  'amortization = "bullet"\nexpected_maturity = 2025-11-14\nrating = "A"\n\n[[tranches]]\nname = "B"', 1)
na = '  { action = "pay_interest", tranches = ["A"] },\n'
src = src.replace(na, na + '  { action = "pay_interest", tranches = ["M"] },\n', 1)
ap = '  { action = "pay_principal", tranches = ["A"] },\n'
av = '  { action = "pay_principal", tranches = ["A"], amount = "available" },\n'
src = src.replace(ap, ap + '  { action = "pay_principal", tranches = ["M"] },\n', 1)
src = src.replace(av, av + '  { action = "pay_interest", tranches = ["M"] },\n  { action = "pay_principal", tranches = ["M"], amount = "available" },\n', 1)
open(os.path.join(HERE, "deals", "yongxing_mezz.toml"), "w", encoding="utf-8").write(src)
open(os.path.join(HERE, "scenarios", "pool_only.toml"), "w").write(
    '[[scenarios]]\nname = "pool-only"\nrecovery_rate = 0.3\nrecovery_lag_months = 3\nsupports_off = ["shortfall_undertaking"]\n')

# 11. 150 obligors (a 150 x 150 Cholesky), random tags and balances from a fixed seed, 3 groups
import random
rnd_ = random.Random(45)
obs = []
labels = [r for r in ["AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "B"]]
total = 0
for i in range(150):
    g = f"G{i % 3}" if i % 25 == 0 or i % 25 == 1 else None
    tags = dict(rating=("BBB" if g else rnd_.choice(labels)), region=f"城{rnd_.randrange(6)}", industry=f"业{rnd_.randrange(5)}")
    if g:
        tags = dict(group=g, **tags)
    if i % 17 == 3:
        tags.pop("rating"); tags["pd"] = str(round(rnd_.uniform(0.001, 0.2), 4))
    if i % 19 == 5:
        tags.pop("region")
    recs = []
    for k in range(rnd_.randrange(1, 4)):
        amt = rnd_.randrange(100000, 3000000)
        total += amt
        recs.append((amt, f"20{25 + (k + i) % 3}-{1 + rnd_.randrange(12):02d}-{1 + rnd_.randrange(28):02d}"))
    recs = sorted(set(recs), key=lambda x: x[1])
    dates = []
    recs = [r for r in recs if not (r[1] in dates or dates.append(r[1]))]
    obs.append(ob(f"O{i:03d}", tags, [r for r in recs if r[1] > "2025-01-31"] or [(500000, "2025-06-30")]))
write("big150.toml", "hand 150-obligor deal", obs, 150000000, 20000000, 100000000)

# 12. default correlations, 2 regions x 2 industries x m obligors each: the contrast vector
#     (+1 on two diagonal cells, -1 on the others) has eigenvalue 0.6 - 0.1 m, so m = 7 (28
#     obligors) is not positive definite with the documented default table
for m in (6, 7):
    obs = []
    for r in range(2):
        for i in range(2):
            for k in range(m):
                obs.append(ob(f"R{r}I{i}-{k}", dict(rating="BBB", region=f"区{r}", industry=f"业{i}"), [(1000000, "2025-12-31")]))
    write(f"grid2x2x{m}.toml", f"hand grid 2x2x{m} deal", obs, 4 * m * 700000, 4 * m * 150000, 4 * m * 150000)

scen("additive_corr.toml", '[rating_model.correlation]\nsame_region_and_industry = 0.5\n')

# 13. one provider on two supports, tags on the second only, and another provider in between
src = open(os.path.join(HERE, "deals", "provider.toml"), encoding="utf-8").read().replace('name = "hand provider deal"', 'name = "hand provider order deal"')
src = src.replace('''[[supports]]
name = "undertaking"
provider = "甲集团"
kind = "shortfall_undertaking"
covers = ["senior_interest", "senior_principal"]
tags = { rating = "AA", region = "广州", industry = "construction" }
''', '''[[supports]]
name = "undertaking"
provider = "甲集团"
kind = "shortfall_undertaking"
covers = ["senior_interest", "senior_principal"]
''')
src = src.replace('\n[waterfalls]', '''
[[supports]]
name = "undertaking2"
provider = " 甲集团 "
kind = "shortfall_undertaking"
covers = ["mezzanine_interest"]
tags = { rating = "AA", region = "广州", industry = "construction" }

[waterfalls]''')
open(os.path.join(HERE, "deals", "provider_order.toml"), "w", encoding="utf-8").write(src)
