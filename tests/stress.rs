//! The built-in stress suites: every generated field against hand-computed values, the
//! default-timing shift rule, the obligor ranking, and the worst default date checked by
//! running the deal at every date.

use chrono::NaiveDate;
use ipabs::analytics::stress::{
    StressBase, StressSuite, base_timing, concentration_suite, pool_periods, scaled_cpr,
    shift_timing, standard_suite, stress_by_name, worst_default_date,
};
use ipabs::deal::Deal;
use ipabs::engine;
use ipabs::scenario::Scenario;
use ipabs::validate::deal_from_str;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// Five obligors in file order Delta (300,000), Alpha (500,000), Charlie (500,000), Bravo
/// (500,000 + 300,000 in two loans) and Echo (100,000): pool 2,200,000. By balance: Bravo,
/// then Alpha and Charlie tied (Alpha first by name), Delta, Echo. Collection periods start
/// 2024-01-02, 04-02, 07-02 and 10-02.
const DEAL: &str = r#"[deal]
name = "stress-test"
cutoff_date = 2024-01-01
closing_date = 2024-01-01
payment_dates = [2024-04-01, 2024-07-01, 2024-10-01, 2025-01-01]
legal_maturity = 2025-01-01
day_count = "ACT/365F"
business_day = "unadjusted"
calendar = "weekends"
collection_lag_days = 0

[[obligors]]
name = "Delta"
[[obligors.assets]]
kind = "loan"
schedule = [
  { date = 2024-03-15, principal = 75000, interest = 3000 },
  { date = 2024-06-15, principal = 75000, interest = 2000 },
  { date = 2024-09-15, principal = 75000, interest = 1500 },
  { date = 2024-12-15, principal = 75000, interest = 500 },
]

[[obligors]]
name = "Alpha"
[[obligors.assets]]
kind = "loan"
schedule = [
  { date = 2024-03-15, principal = 125000, interest = 5000 },
  { date = 2024-06-15, principal = 125000, interest = 4000 },
  { date = 2024-09-15, principal = 125000, interest = 3000 },
  { date = 2024-12-15, principal = 125000, interest = 1000 },
]

[[obligors]]
name = "Charlie"
[[obligors.assets]]
kind = "loan"
schedule = [
  { date = 2024-06-15, principal = 250000, interest = 10000 },
  { date = 2024-12-15, principal = 250000, interest = 5000 },
]

[[obligors]]
name = "Bravo"
[[obligors.assets]]
kind = "loan"
schedule = [
  { date = 2024-03-15, principal = 125000, interest = 5000 },
  { date = 2024-06-15, principal = 125000, interest = 4000 },
  { date = 2024-09-15, principal = 125000, interest = 3000 },
  { date = 2024-12-15, principal = 125000, interest = 1000 },
]
[[obligors.assets]]
kind = "loan"
schedule = [
  { date = 2024-06-15, principal = 150000, interest = 6000 },
  { date = 2024-12-15, principal = 150000, interest = 3000 },
]

[[obligors]]
name = "Echo"
[[obligors.assets]]
kind = "receivable"
amount = 100000
due_date = 2024-12-15

[[tranches]]
name = "A"
class = "senior"
balance = 2000000
coupon = 0.03

[[tranches]]
name = "B"
class = "subordinated"
balance = 200000

[waterfalls]
normal = [
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"] },
  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },
  { action = "pay_residual", tranche = "B", when = "final_period" },
]
"#;

const SUPPORTS: &str = r#"
[[supports]]
name = "undertaking"
provider = "Originator"
kind = "shortfall_undertaking"
covers = ["senior_interest", "senior_principal"]

[[supports]]
name = "guarantee"
provider = "Guarantor"
kind = "guarantee"
covers = ["senior_interest"]
"#;

fn load(src: &str) -> Deal {
    deal_from_str("deal.toml", src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn base() -> Scenario {
    Scenario {
        name: "base".into(),
        recovery_rate: dec!(0.5),
        recovery_lag_months: 3,
        cpr: dec!(0.2),
        default_rate: dec!(0.1),
        cdr: dec!(0.01),
        ..Scenario::base()
    }
}

fn find<'a>(v: &'a [Scenario], name: &str) -> &'a Scenario {
    v.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

const EVEN: [Decimal; 4] = [dec!(0.25), dec!(0.25), dec!(0.25), dec!(0.25)];
// Front-loading 10 points of four even shares: the second half (0.25 + 0.25 = 0.5) gives
// 0.1 × 0.25 / 0.5 = 0.05 from each share, the first half takes 0.05 into each: 0.30, 0.30,
// 0.20, 0.20. By 20 points: 0.1 each way, 0.35, 0.35, 0.15, 0.15. Back-loading mirrors.
const FRONT10: [Decimal; 4] = [dec!(0.30), dec!(0.30), dec!(0.20), dec!(0.20)];
const FRONT20: [Decimal; 4] = [dec!(0.35), dec!(0.35), dec!(0.15), dec!(0.15)];
const BACK10: [Decimal; 4] = [dec!(0.20), dec!(0.20), dec!(0.30), dec!(0.30)];
const BACK20: [Decimal; 4] = [dec!(0.15), dec!(0.15), dec!(0.35), dec!(0.35)];

#[test]
fn standard_suite_names_and_fields() {
    let deal = load(&format!("{DEAL}{SUPPORTS}"));
    let b = base();
    let suite = standard_suite(&deal, &b);
    let names: Vec<&str> = suite.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "recovery-10%",
            "recovery-20%",
            "recovery-30%",
            "recovery-50%",
            "recovery-100%",
            "front-loaded-10%",
            "back-loaded-10%",
            "front-loaded-20%",
            "back-loaded-20%",
            "cpr+25%",
            "cpr-25%",
            "cpr+50%",
            "cpr-50%",
            "delay-30%-6m",
            "recovery-20%+cpr-25%+front-loaded-10%",
            "recovery-50%+delay-30%-6m",
            "front-loaded-20%+recovery-30%+delay-30%-6m",
            "supports-off",
            "recovery-20%+cpr-25%+front-loaded-10%+supports-off",
            "recovery-50%+delay-30%-6m+supports-off",
            "front-loaded-20%+recovery-30%+delay-30%-6m+supports-off",
        ]
    );
    // Each scenario is the base with only the named fields changed.
    let expect = |name: &str, f: &dyn Fn(&mut Scenario)| {
        let mut e = b.clone();
        e.name = name.to_string();
        f(&mut e);
        assert_eq!(find(&suite, name), &e, "{name}");
    };
    // Recovery 0.5 × (1 − x).
    expect("recovery-10%", &|s| s.recovery_rate = dec!(0.45));
    expect("recovery-20%", &|s| s.recovery_rate = dec!(0.40));
    expect("recovery-30%", &|s| s.recovery_rate = dec!(0.35));
    expect("recovery-50%", &|s| s.recovery_rate = dec!(0.25));
    expect("recovery-100%", &|s| s.recovery_rate = dec!(0));
    // The base has no timing: four even shares (the pool's last instalment, 2024-12-15, is in
    // period 4).
    expect("front-loaded-10%", &|s| s.default_timing = FRONT10.to_vec());
    expect("back-loaded-10%", &|s| s.default_timing = BACK10.to_vec());
    expect("front-loaded-20%", &|s| s.default_timing = FRONT20.to_vec());
    expect("back-loaded-20%", &|s| s.default_timing = BACK20.to_vec());
    // CPR 0.2 × 1.25, × 0.75, × 1.5, × 0.5.
    expect("cpr+25%", &|s| s.cpr = dec!(0.25));
    expect("cpr-25%", &|s| s.cpr = dec!(0.15));
    expect("cpr+50%", &|s| s.cpr = dec!(0.30));
    expect("cpr-50%", &|s| s.cpr = dec!(0.10));
    let delay = |s: &mut Scenario| {
        s.delay_fraction = dec!(0.3);
        s.delay_months = 6;
    };
    expect("delay-30%-6m", &delay);
    let combo1 = |s: &mut Scenario| {
        s.recovery_rate = dec!(0.40);
        s.cpr = dec!(0.15);
        s.default_timing = FRONT10.to_vec();
    };
    let combo2 = |s: &mut Scenario| {
        s.recovery_rate = dec!(0.25);
        delay(s);
    };
    let combo3 = |s: &mut Scenario| {
        s.default_timing = FRONT20.to_vec();
        s.recovery_rate = dec!(0.35);
        delay(s);
    };
    expect("recovery-20%+cpr-25%+front-loaded-10%", &combo1);
    expect("recovery-50%+delay-30%-6m", &combo2);
    expect("front-loaded-20%+recovery-30%+delay-30%-6m", &combo3);
    let off = |s: &mut Scenario| s.supports_off = vec![0, 1];
    expect("supports-off", &off);
    expect("recovery-20%+cpr-25%+front-loaded-10%+supports-off", &|s| {
        combo1(s);
        off(s);
    });
    expect("recovery-50%+delay-30%-6m+supports-off", &|s| {
        combo2(s);
        off(s);
    });
    expect(
        "front-loaded-20%+recovery-30%+delay-30%-6m+supports-off",
        &|s| {
            combo3(s);
            off(s);
        },
    );
    // Every scenario runs.
    for s in &suite {
        engine::run(&deal, s).unwrap_or_else(|e| panic!("{}: {e}", s.name));
    }
}

#[test]
fn standard_suite_without_supports_and_with_given_timing() {
    let deal = load(DEAL);
    let mut b = base();
    b.default_timing = vec![dec!(0.4), dec!(0.1), dec!(0.3), dec!(0.2)];
    let suite = standard_suite(&deal, &b);
    // No support providers: no supports-off scenarios.
    assert_eq!(suite.len(), 17);
    assert!(suite.iter().all(|s| !s.name.contains("supports-off")));
    // Second half 0.3 + 0.2 = 0.5 gives 0.1 × 0.3/0.5 = 0.06 and 0.1 × 0.2/0.5 = 0.04; the
    // first half (0.4 + 0.1 = 0.5) takes 0.1 × 0.4/0.5 = 0.08 and 0.1 × 0.1/0.5 = 0.02.
    assert_eq!(
        find(&suite, "front-loaded-10%").default_timing,
        [dec!(0.48), dec!(0.12), dec!(0.24), dec!(0.16)]
    );
    // Back: the first half gives 0.08 and 0.02, the second takes 0.06 and 0.04.
    assert_eq!(
        find(&suite, "back-loaded-10%").default_timing,
        [dec!(0.32), dec!(0.08), dec!(0.36), dec!(0.24)]
    );
}

#[test]
fn timing_shift_rule() {
    // Odd count: the middle period keeps its share. h = 2; each outer share moves 0.05.
    let five = vec![dec!(0.2); 5];
    assert_eq!(
        shift_timing(&five, dec!(0.1), true),
        [dec!(0.25), dec!(0.25), dec!(0.2), dec!(0.15), dec!(0.15)]
    );
    // A single period: nothing to move.
    assert_eq!(shift_timing(&[dec!(1)], dec!(0.2), true), [dec!(1)]);
    assert_eq!(shift_timing(&[], dec!(0.2), true), Vec::<Decimal>::new());
    // The first half empty: the moved 0.1 is given evenly, 0.05 each.
    assert_eq!(
        shift_timing(&[dec!(0), dec!(0), dec!(0.5), dec!(0.5)], dec!(0.1), true),
        [dec!(0.05), dec!(0.05), dec!(0.45), dec!(0.45)]
    );
    // More asked than the second half holds (0.1): all of it moves, 0.7 : 0.2 into the first
    // half, 0.1 × 7/9 and 0.1 × 2/9.
    let t = shift_timing(&[dec!(0.7), dec!(0.2), dec!(0.1), dec!(0)], dec!(0.2), true);
    assert_eq!(&t[2..], [dec!(0), dec!(0)]);
    assert_eq!(t.iter().copied().sum::<Decimal>(), Decimal::ONE);
    assert!((t[0] - (dec!(0.7) + dec!(0.7) / dec!(9))).abs() < dec!(1e-25));
    assert!((t[1] - (dec!(0.2) + dec!(0.2) / dec!(9))).abs() < dec!(1e-25));
    // Three even shares of 1/3: h = 1, 0.1 moves from the third to the first; total kept.
    let third = Decimal::ONE / dec!(3);
    let t = shift_timing(&[third, third, third], dec!(0.1), true);
    assert_eq!(t, [third + dec!(0.1), third, third - dec!(0.1)]);
    let t = shift_timing(&[third, third, third], dec!(0.1), false);
    assert_eq!(t, [third - dec!(0.1), third, third + dec!(0.1)]);
    assert_eq!(shift_timing(&EVEN, dec!(0.1), false), BACK10);
}

#[test]
fn even_timing_spans_the_pool() {
    // Moving every 2024-12-15 instalment to 2024-09-30 puts the pool's last instalment in
    // period 3 (2024-07-02..=2024-10-01) of 4: three even shares of 1/3.
    let short = DEAL.replace("2024-12-15", "2024-09-30");
    let deal = load(&short);
    assert_eq!(pool_periods(&deal), 3);
    let third = Decimal::ONE / dec!(3);
    assert_eq!(base_timing(&deal, &base()), [third, third, third]);
    // h = 1: front-loading 10 points moves 0.1 from period 3 to period 1.
    let suite = standard_suite(&deal, &base());
    assert_eq!(
        find(&suite, "front-loaded-10%").default_timing,
        [third + dec!(0.1), third, third - dec!(0.1)]
    );
    let full = load(DEAL);
    assert_eq!(pool_periods(&full), 4);
    assert_eq!(base_timing(&full, &base()), EVEN);
}

#[test]
fn cpr_stays_below_one() {
    assert_eq!(scaled_cpr(dec!(0.7), dec!(1.25)), dec!(0.875));
    // 0.8 × 1.25 = 1: replaced by 0.99.
    assert_eq!(scaled_cpr(dec!(0.8), dec!(1.25)), dec!(0.99));
    // 0.995 × 1.5 ≥ 1 and the base is above 0.99: the base.
    assert_eq!(scaled_cpr(dec!(0.995), dec!(1.5)), dec!(0.995));
    assert_eq!(scaled_cpr(dec!(0.995), dec!(0.5)), dec!(0.4975));
}

#[test]
fn ranking_by_cutoff_balance_with_ties_by_name() {
    let deal = load(DEAL);
    // Indices: Delta 0, Alpha 1, Charlie 2, Bravo 3, Echo 4.
    // Bravo 800,000; Alpha 500,000 = Charlie 500,000 (Alpha first); Delta 300,000; Echo 100,000.
    assert_eq!(deal.credit_groups_by_balance(), [[3], [1], [2], [0], [4]]);
}

/// Senior damage as the suite defines it, computed here from the run's summary.
fn damage(deal: &Deal, s: &Scenario) -> (Decimal, Option<Decimal>) {
    let r = engine::run(deal, s).unwrap();
    let a = r.summary.iter().find(|t| t.tranche == "A").unwrap();
    (
        a.principal_loss + a.interest_shortfall,
        a.min_coverage_multiple,
    )
}

const STARTS: [&str; 4] = ["2024-01-02", "2024-04-02", "2024-07-02", "2024-10-02"];

/// The worst date by running the deal with `obligors` defaulting on every collection-period
/// start: most senior loss, then lowest minimum coverage (none counts as highest), then
/// earliest.
fn worst_by_running(
    deal: &Deal,
    b: &Scenario,
    obligors: &[usize],
) -> (NaiveDate, (Decimal, Option<Decimal>)) {
    let mut best: Option<(NaiveDate, (Decimal, Option<Decimal>))> = None;
    for date in STARTS.map(d) {
        let s = Scenario {
            obligor_defaults: obligors.iter().map(|&o| (o, date)).collect(),
            ..b.clone()
        };
        let dm = damage(deal, &s);
        let better = match &best {
            None => true,
            Some((_, (loss, cov))) => {
                dm.0 > *loss
                    || (dm.0 == *loss
                        && match (dm.1, cov) {
                            (Some(x), Some(y)) => x < *y,
                            (Some(_), None) => true,
                            _ => false,
                        })
            }
        };
        if better {
            best = Some((date, dm));
        }
    }
    best.unwrap()
}

#[test]
fn concentration_suite_picks_the_largest_and_the_worst_date() {
    let deal = load(DEAL);
    // Full recovery 6 months after default: a default on 2024-01-02 or 04-02 is recovered
    // inside the deal (07-02, 10-02), one on 07-02 or 10-02 is recovered after the last
    // collection period ends (2025-01-01) and is lost.
    let b = Scenario {
        name: "full-recovery".into(),
        recovery_rate: dec!(1),
        recovery_lag_months: 6,
        ..Scenario::base()
    };
    let suite = concentration_suite(&deal, &b).unwrap();
    let names: Vec<&str> = suite.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "top1-first",
            "top2-first",
            "top3-first",
            "top1-worst",
            "top2-worst",
            "top3-worst",
            "single:Delta",
            "single:Alpha",
            "single:Charlie",
            "single:Bravo",
            "single:Echo",
        ]
    );
    let first = d("2024-01-02");
    let top = [3usize, 1, 2];
    for k in 1..=3 {
        let s = find(&suite, &format!("top{k}-first"));
        let want: Vec<(usize, NaiveDate)> = top[..k].iter().map(|&o| (o, first)).collect();
        assert_eq!(s.obligor_defaults, want);
        // The base's recovery assumptions are kept.
        assert_eq!((s.recovery_rate, s.recovery_lag_months), (dec!(1), 6));
    }
    for (o, name) in ["Delta", "Alpha", "Charlie", "Bravo", "Echo"]
        .iter()
        .enumerate()
    {
        let s = find(&suite, &format!("single:{name}"));
        assert_eq!(s.obligor_defaults, [(o, first)]);
        assert_eq!(s.recovery_rate, dec!(1));
    }

    // The worst date, found here by running every collection-period start.
    for k in 1..=3 {
        let (date, dm) = worst_by_running(&deal, &b, &top[..k]);
        let s = find(&suite, &format!("top{k}-worst"));
        let want: Vec<(usize, NaiveDate)> = top[..k].iter().map(|&o| (o, date)).collect();
        assert_eq!(s.obligor_defaults, want, "top{k}");
        assert_eq!(
            worst_default_date(&deal, &b, &top[..k]).unwrap(),
            Some(date)
        );
        // By hand: on 07-02 Bravo's unpaid 400,000 (125,000 + 125,000 + 150,000) is lost
        // against a 200,000 subordinated tranche; on 10-02 only 275,000. The senior loses
        // most on 07-02, and loses nothing when the recovery arrives in time.
        assert_eq!(date, d("2024-07-02"), "top{k}");
        assert!(dm.0 > Decimal::ZERO);
    }
    let early = Scenario {
        obligor_defaults: vec![(3, first)],
        ..b.clone()
    };
    assert_eq!(damage(&deal, &early).0, Decimal::ZERO);
}

#[test]
fn suites_by_name() {
    assert_eq!(stress_by_name("standard"), Some(StressSuite::Standard));
    assert_eq!(
        "concentration".parse::<StressSuite>(),
        Ok(StressSuite::Concentration)
    );
    assert_eq!("all".parse::<StressSuite>(), Ok(StressSuite::All));
    let e = "severe".parse::<StressSuite>().unwrap_err();
    assert!(
        e.contains("`severe`") && e.contains("standard, concentration, all"),
        "{e}"
    );
    assert_eq!(StressSuite::All.to_string(), "all");

    let deal = load(DEAL);
    let b = base();
    let std = StressSuite::Standard.scenarios(&deal, &b).unwrap();
    let conc = StressSuite::Concentration.scenarios(&deal, &b).unwrap();
    let all = StressSuite::All.scenarios(&deal, &b).unwrap();
    assert_eq!(all.len(), std.len() + conc.len());
    assert_eq!(all[..std.len()], std[..]);
    assert_eq!(all[std.len()..], conc[..]);
}

/// `add_to`, as `sweep`, `breakeven` and `portfolio` add `--stress`: on the deal, the suite
/// follows the file's scenarios; on every scenario, each is followed by its own stresses,
/// named `SCENARIO×STRESS`; a name that would appear twice is a usage error naming it, and
/// leaves the scenarios as they were.
#[test]
fn a_suite_is_added_to_a_scenario_file_without_repeating_a_name() {
    let deal = load(DEAL);
    let file = vec![
        base(),
        Scenario {
            name: "other".into(),
            ..base()
        },
    ];
    let suite = StressSuite::Standard
        .scenarios(&deal, &deal.scenario)
        .unwrap();
    assert!(suite.len() > 3);

    let mut scenarios = file.clone();
    StressSuite::Standard
        .add_to(&deal, &mut scenarios, StressBase::Deal)
        .unwrap();
    assert_eq!(scenarios[..2], file[..]);
    assert_eq!(scenarios[2..], suite[..]);

    let mut scenarios = file.clone();
    StressSuite::Standard
        .add_to(&deal, &mut scenarios, StressBase::Scenarios)
        .unwrap();
    assert_eq!(
        scenarios,
        StressSuite::Standard.on_every(&deal, &file).unwrap()
    );
    let per_scenario = StressSuite::Standard.scenarios(&deal, &file[0]).unwrap();
    assert_eq!(scenarios.len(), 2 * (1 + per_scenario.len()));
    assert_eq!(scenarios[1].name, format!("base×{}", per_scenario[0].name));

    // A file scenario named as one the suite generates (its third).
    let clash = suite[2].name.clone();
    let mut scenarios = vec![
        base(),
        Scenario {
            name: clash.clone(),
            ..base()
        },
    ];
    let before = scenarios.clone();
    let e = StressSuite::Standard
        .add_to(&deal, &mut scenarios, StressBase::Deal)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("already has a scenario named `{clash}`")),
        "{e}"
    );
    assert_eq!(scenarios, before);

    // On every scenario: `base×X` in the file clashes with the stress X built on `base`.
    let composed = format!("base×{}", per_scenario[0].name);
    let mut scenarios = vec![
        base(),
        Scenario {
            name: composed.clone(),
            ..base()
        },
    ];
    let e = StressSuite::Standard
        .add_to(&deal, &mut scenarios, StressBase::Scenarios)
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("`{composed}` appears twice")), "{e}");
}

/// The notes of a suite built on the deal's own scenario (since session 34, review 34e item
/// M1). The deal's scenario `own` has a default rate of 10%, no recovery and no CPR, and the
/// deal no support and no floating rate: of the standard suite, the five recovery cuts
/// (0 × (1 − x) = 0) and the four CPR stresses (0 × (1 ± x) = 0) leave it unchanged, nine in
/// all, the timing shifts, the delay and the combinations (each with a timing shift or the
/// delay) change it. Given a file of two scenarios, the first note says the suite is not
/// built on them.
#[test]
fn a_suite_on_the_deals_scenario_says_what_it_leaves_unchanged() {
    let mut deal = load(DEAL);
    deal.scenario = Scenario {
        name: "own".into(),
        default_rate: dec!(0.1),
        recovery_rate: dec!(0),
        cpr: dec!(0),
        ..Scenario::base()
    };
    let mut scenarios = vec![deal.scenario.clone()];
    let notes = StressSuite::Standard
        .add_to(&deal, &mut scenarios, StressBase::Deal)
        .unwrap();
    let n = scenarios.len() - 1;
    assert_eq!(
        notes,
        [format!(
            "note: 9 of the {n} stresses leave `own` unchanged (a stress of a rate that is 0 \
             there changes nothing): recovery-10%, recovery-20%, recovery-30%, recovery-50%, \
             recovery-100%, cpr+25% and 3 more"
        )]
    );
    let mut file = vec![
        base(),
        Scenario {
            name: "other".into(),
            ..base()
        },
    ];
    let notes = StressSuite::Standard
        .add_to(&deal, &mut file, StressBase::Deal)
        .unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(
        notes[0],
        "note: the standard stress suite is built on the deal's own [scenario] `own` \
         (--stress-on deal, the default), not on the 2 scenario(s) given; --stress-on scenarios \
         builds it on each of them (docs/scenarios.md)"
    );
    // Built on each scenario, no note.
    let mut file = vec![base()];
    assert!(
        StressSuite::Standard
            .add_to(&deal, &mut file, StressBase::Scenarios)
            .unwrap()
            .is_empty()
    );
}

/// With immediate full recovery no date costs the senior anything: the lowest minimum
/// coverage decides.
#[test]
fn worst_date_ties_on_loss_are_broken_by_coverage() {
    let deal = load(DEAL);
    let b = Scenario {
        name: "instant-recovery".into(),
        recovery_rate: dec!(1),
        ..Scenario::base()
    };
    let suite = concentration_suite(&deal, &b).unwrap();
    let (date, dm) = worst_by_running(&deal, &b, &[3]);
    assert_eq!(dm.0, Decimal::ZERO);
    assert_eq!(find(&suite, "top1-worst").obligor_defaults, [(3, date)]);
    // The coverages differ between dates, so the choice is not just the earliest date.
    let covs: Vec<Option<Decimal>> = STARTS
        .map(d)
        .iter()
        .map(|&day| {
            damage(
                &deal,
                &Scenario {
                    obligor_defaults: vec![(3, day)],
                    ..b.clone()
                },
            )
            .1
        })
        .collect();
    assert!(covs.iter().any(|c| *c != covs[0]), "{covs:?}");
    assert_eq!(
        Some(dm.1),
        covs.iter().copied().min_by(|x, y| match (x, y) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
    );
}

/// An obligor group (the `group` tag, docs/rating.md "Obligor groups") is one obligor to the
/// concentration stresses. Alpha (500,000) and Charlie (500,000) as group `AC` hold
/// 1,000,000, more than Bravo's 800,000: the largest credit is the group, so `top1-first`
/// defaults both, `top2-first` adds Bravo and `top3-first` Delta (300,000); the singles become
/// `group:AC` at Alpha's place.
#[test]
fn an_obligor_group_is_one_obligor_to_the_concentration_stresses() {
    let src = DEAL
        .replacen(
            "name = \"Alpha\"\n",
            "name = \"Alpha\"\ntags = { group = \"AC\" }\n",
            1,
        )
        .replacen(
            "name = \"Charlie\"\n",
            "name = \"Charlie\"\ntags = { group = \"AC\" }\n",
            1,
        );
    let deal = load(&src);
    assert_eq!(
        deal.credit_groups_by_balance(),
        [vec![1, 2], vec![3], vec![0], vec![4]]
    );
    let suite = concentration_suite(&deal, &Scenario::base()).unwrap();
    let names: Vec<&str> = suite.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names[6..],
        ["single:Delta", "group:AC", "single:Bravo", "single:Echo"]
    );
    let first = d("2024-01-02");
    for (k, want) in [(1, vec![1, 2]), (2, vec![1, 2, 3]), (3, vec![1, 2, 3, 0])] {
        let s = find(&suite, &format!("top{k}-first"));
        let want: Vec<(usize, NaiveDate)> = want.into_iter().map(|o| (o, first)).collect();
        assert_eq!(s.obligor_defaults, want, "top{k}-first");
    }
    let g = find(&suite, "group:AC");
    assert_eq!(g.obligor_defaults, [(1, first), (2, first)]);
}
