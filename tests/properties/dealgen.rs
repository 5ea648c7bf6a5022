//! Random valid deals, written as TOML text so that the whole loader is exercised.
//!
//! A [`DealSpec`] holds only *relative* choices (day and month offsets, fractions, weights,
//! indices). [`DealSpec::render`] resolves them against the deal's dates into a TOML file that
//! is valid by construction: every date it writes lies where `docs/deal-format.md` requires,
//! every name it refers to exists, every amount is whole fen below 10^15. Because the choices
//! are relative, proptest shrinks them towards small, early, simple deals without ever
//! leaving the valid space.

#![allow(dead_code)]

use std::fmt::Write as _;

use chrono::{Datelike, Days, Months, NaiveDate};
use proptest::prelude::*;
use proptest::sample::Index;

/// What a property needs its deals to look like.
#[derive(Debug, Clone, Copy)]
pub struct Opts {
    /// Largest number of obligors (1..=this).
    pub max_obligors: usize,
    /// Largest number of payment dates generated from the frequency.
    pub max_periods: u32,
    /// Triggers may be generated.
    pub triggers: bool,
    /// Every waterfall is "standard" (see docs/robustness.md): seniors first, one class per
    /// interest step, and the reserve's and each support's `covers` are senior-closed.
    pub standard: bool,
    /// Every support is switched off by the scenario, recoveries are zero, no fee or tax is
    /// based on the pool's balance or cash, and the reserve target is fixed (the monotonicity
    /// property, see docs/robustness.md).
    pub monotone: bool,
}

impl Opts {
    pub const FULL: Opts = Opts {
        max_obligors: 200,
        max_periods: 16,
        triggers: true,
        standard: false,
        monotone: false,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Monthly,
    Quarterly,
    Semiannual,
    Annual,
}

impl Freq {
    fn months(self) -> u32 {
        match self {
            Freq::Monthly => 1,
            Freq::Quarterly => 3,
            Freq::Semiannual => 6,
            Freq::Annual => 12,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Freq::Monthly => "monthly",
            Freq::Quarterly => "quarterly",
            Freq::Semiannual => "semiannual",
            Freq::Annual => "annual",
        }
    }
}

fn freq() -> impl Strategy<Value = Freq> {
    prop_oneof![
        Just(Freq::Monthly),
        Just(Freq::Quarterly),
        Just(Freq::Semiannual),
        Just(Freq::Annual)
    ]
}

/// Money in fen: mostly everyday sizes, sometimes tiny, sometimes huge.
fn fen_amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => 100_000i64..10_000_000_000,          // 1 000 .. 100 million yuan
        2 => 1i64..100_000,                        // a fen .. 1 000 yuan
        // 100 million .. 10^11 yuan. Larger pools (up to 200 × 3 assets) would reach the
        // pro_rata overflow (cash × amount > 7.9e28, tests/regressions.rs
        // huge_pro_rata_*); raise to 10^13 once it is fixed.
        1 => 10_000_000_000i64..10_000_000_000_000,
    ]
}

#[derive(Debug, Clone)]
pub enum Entry {
    Amount(i64),
    PrincipalInterest(i64, i64),
}

#[derive(Debug, Clone)]
pub enum AssetSpec {
    /// Licence fees: (gap in days from the previous entry, amounts). The first date is
    /// `back` days before the cutoff plus the first gap.
    Licence {
        back: u32,
        entries: Vec<(u32, Entry)>,
    },
    /// A loan or lease given by its generation keys.
    Generated {
        lease: bool,
        balance: i64,
        rate_bp: u32,
        start_back_months: u32,
        start_day: u32,
        first_days: Option<u32>,
        term: Index,
        freq: Freq,
        repayment: u8,
        accrual: u8,
        prepayable: Option<bool>,
    },
    /// A loan or lease with an explicit schedule.
    Explicit {
        lease: bool,
        back: u32,
        entries: Vec<(u32, i64, i64)>,
        prepayable: Option<bool>,
    },
    Receivable {
        amount: i64,
        due: Index,
    },
    /// A licence with a generated fee schedule (issue #12 item 10): the first instalment
    /// `first_days` after the cutoff, `periods` of them (cut to fit the legal maturity), the
    /// first year's `amount`, annual `growth_bp` basis points.
    FeeSchedule {
        first_days: u32,
        freq: Freq,
        periods: u32,
        amount: i64,
        growth_bp: u32,
    },
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        3 => fen_amount().prop_map(Entry::Amount),
        2 => (fen_amount(), 0i64..5_000_000).prop_map(|(p, i)| Entry::PrincipalInterest(p, i)),
        1 => Just(Entry::PrincipalInterest(0, 0)),
    ]
}

fn asset() -> impl Strategy<Value = AssetSpec> {
    let licence = (0u32..90, prop::collection::vec((1u32..200, entry()), 1..5))
        .prop_map(|(back, entries)| AssetSpec::Licence { back, entries });
    let generated = (
        any::<bool>(),
        fen_amount(),
        prop_oneof![3 => 0u32..2000, 1 => Just(0u32), 1 => 9000u32..9999],
        0u32..36,
        1u32..=27,
        prop::option::weighted(0.3, 1u32..60),
        any::<Index>(),
        freq(),
        0u8..5,
        0u8..3,
        prop::option::of(any::<bool>()),
    )
        .prop_map(
            |(
                lease,
                balance,
                rate_bp,
                start_back_months,
                start_day,
                first_days,
                term,
                freq,
                repayment,
                accrual,
                prepayable,
            )| AssetSpec::Generated {
                lease,
                balance,
                rate_bp,
                start_back_months,
                start_day,
                first_days,
                term,
                freq,
                repayment,
                accrual,
                prepayable,
            },
        );
    let explicit = (
        any::<bool>(),
        0u32..90,
        prop::collection::vec((1u32..200, fen_amount(), 0i64..5_000_000), 1..5),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(lease, back, entries, prepayable)| AssetSpec::Explicit {
            lease,
            back,
            entries,
            prepayable,
        });
    let receivable = (fen_amount(), any::<Index>())
        .prop_map(|(amount, due)| AssetSpec::Receivable { amount, due });
    // Generated licence-fee schedules (docs/deal-format.md): a separate block.
    let fee_schedule = (
        0u32..120,
        freq(),
        1u32..25,
        fen_amount(),
        prop_oneof![2 => Just(0u32), 3 => 0u32..3000],
    )
        .prop_map(
            |(first_days, freq, periods, amount, growth_bp)| AssetSpec::FeeSchedule {
                first_days,
                freq,
                periods,
                amount,
                growth_bp,
            },
        );
    prop_oneof![licence, generated, explicit, receivable, fee_schedule]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Senior,
    Mezzanine,
    Subordinated,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Senior => "senior",
            Class::Mezzanine => "mezzanine",
            Class::Subordinated => "subordinated",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TrancheSpec {
    pub class: Class,
    pub weight: u32,
    pub coupon_bp: Option<u32>,
    /// 0 pass-through (written), 1 pass-through (default), 2 bullet, 3 scheduled.
    pub amortization: u8,
    /// Scheduled: (payment index, remaining fraction in per mille) entries.
    pub targets: Vec<(Index, u32)>,
    pub expected_maturity: Option<Index>,
    pub rating: bool,
    /// Position in the file (tranches are written sorted by this key, not by seniority).
    pub file_key: u8,
}

fn tranche(class: BoxedStrategy<Class>) -> impl Strategy<Value = TrancheSpec> {
    (
        class,
        1u32..100,
        prop::option::weighted(0.9, 0u32..1500),
        0u8..4,
        prop::collection::vec((any::<Index>(), 0u32..=1000), 1..4),
        prop::option::weighted(0.3, any::<Index>()),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(
            |(
                class,
                weight,
                coupon_bp,
                amortization,
                targets,
                expected_maturity,
                rating,
                file_key,
            )| {
                TrancheSpec {
                    class,
                    weight,
                    coupon_bp,
                    amortization,
                    targets,
                    expected_maturity,
                    rating,
                    file_key,
                }
            },
        )
}

#[derive(Debug, Clone)]
pub enum FeeKindSpec {
    Fixed(i64),
    /// rate in units of 0.0001, base index.
    AnnualRate(u32, Index),
    OneOff(i64, Option<Index>),
}

#[derive(Debug, Clone)]
pub struct FeeSpec {
    pub kind: FeeKindSpec,
    pub cap_per_period: Option<i64>,
    pub cap_total: Option<i64>,
}

fn small_amount() -> impl Strategy<Value = i64> {
    prop_oneof![4 => 1i64..10_000_000, 1 => 10_000_000i64..10_000_000_000]
}

fn fee() -> impl Strategy<Value = FeeSpec> {
    let kind = prop_oneof![
        small_amount().prop_map(FeeKindSpec::Fixed),
        (0u32..200, any::<Index>()).prop_map(|(r, b)| FeeKindSpec::AnnualRate(r, b)),
        (small_amount(), prop::option::of(any::<Index>()))
            .prop_map(|(a, d)| FeeKindSpec::OneOff(a, d)),
    ];
    (
        kind,
        prop::option::weighted(0.3, 0i64..5_000_000),
        prop::option::weighted(0.3, 0i64..50_000_000),
    )
        .prop_map(|(kind, cap_per_period, cap_total)| FeeSpec {
            kind,
            cap_per_period,
            cap_total,
        })
}

#[derive(Debug, Clone)]
pub struct TaxSpec {
    pub rate_bp: u32,
    pub base: Index,
}

#[derive(Debug, Clone)]
pub enum TargetSpec {
    Fixed(i64),
    /// Multiple in tenths.
    Multiple(u32),
}

#[derive(Debug, Clone)]
pub struct ReserveSpec {
    pub target: TargetSpec,
    pub initial: Option<i64>,
    /// Bit set over the six cover items; None = the default list.
    pub covers: Option<u8>,
}

#[derive(Debug, Clone)]
pub struct SupportSpec {
    pub guarantee: bool,
    pub covers: u8,
    pub cap_per_period: Option<i64>,
    pub cap_total: Option<i64>,
}

impl SupportSpec {
    /// The first support is an asset guarantee (`asset_guarantee`, no covers) when it is a
    /// guarantee whose covers choice is a multiple of 3: about one deal in six with supports.
    pub fn is_asset_guarantee(&self, j: usize) -> bool {
        j == 0 && self.guarantee && self.covers.is_multiple_of(3)
    }
}

#[derive(Debug, Clone)]
pub struct TriggerSpec {
    /// 0 cumulative default ratio, 1 coverage, 2 senior interest shortfall, 3 legal maturity.
    pub condition: u8,
    pub threshold: u32,
    pub event_of_default: bool,
    /// Switch to the accelerated waterfall (else to `normal`).
    pub to_accelerated: bool,
    pub curable: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct ScenarioSpec {
    pub named: Vec<(Index, u32)>,
    pub cdr_bp: u32,
    pub recovery_pct: u32,
    pub recovery_lag: u32,
    pub delay: Option<(u32, u32)>,
    pub cpr_bp: u32,
    pub supports_off: u8,
    /// Default curve (per mille), set on the loaded scenario (the deal file has no key for it).
    pub default_rate_pm: u32,
    /// `overrides` rules (issue #12 item 9).
    pub overrides: Vec<OverrideSpec>,
}

/// One scenario `overrides` rule: by the `industry:biotech` tag (when some obligor has it) or
/// by an obligor's name, setting some of CDR, recovery, delay and CPR.
#[derive(Debug, Clone)]
pub struct OverrideSpec {
    pub by_tag: bool,
    pub obligor: Index,
    pub cdr_bp: Option<u32>,
    /// (percent, lag months); never generated for the monotonicity property.
    pub recovery: Option<(u32, u32)>,
    /// (percent, months).
    pub delay: Option<(u32, u32)>,
    pub cpr_bp: Option<u32>,
}

/// Scenario `overrides` (docs/scenarios.md): a separate generator block.
fn overrides(opts: Opts) -> impl Strategy<Value = Vec<OverrideSpec>> {
    let recovery = if opts.monotone {
        Just(None).boxed()
    } else {
        prop::option::weighted(0.5, (0u32..=100, 0u32..=14)).boxed()
    };
    let rule = (
        any::<bool>(),
        any::<Index>(),
        prop::option::weighted(0.5, prop_oneof![0u32..3000, 9000u32..9999]),
        recovery,
        prop::option::weighted(0.4, (0u32..=100, 0u32..=14)),
        prop::option::weighted(0.3, 0u32..4000),
    )
        .prop_map(
            |(by_tag, obligor, cdr_bp, recovery, delay, cpr_bp)| OverrideSpec {
                by_tag,
                obligor,
                cdr_bp,
                recovery,
                delay,
                cpr_bp,
            },
        );
    prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec(rule, 1..4)]
}

#[derive(Debug, Clone)]
pub struct DealSpec {
    pub opts: Opts,
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub closing_gap: u32,
    pub freq: Freq,
    pub first_extra_days: u32,
    pub n_periods: u32,
    pub legal_extra_days: u32,
    pub explicit_dates: bool,
    pub day_count: u8,
    pub business_day: u8,
    pub cn_calendar: bool,
    /// 0 none, 1 calendar days, 2 business days.
    pub lag_kind: u8,
    pub lag: u32,
    pub obligors: Vec<Vec<AssetSpec>>,
    pub tranches: Vec<TrancheSpec>,
    pub issue_pct: u32,
    pub fees: Vec<FeeSpec>,
    pub taxes: Vec<TaxSpec>,
    pub reserve: Option<ReserveSpec>,
    pub supports: Vec<SupportSpec>,
    pub triggers: Vec<TriggerSpec>,
    /// Shuffle of the normal waterfall's steps (non-standard deals only).
    pub shuffle: Option<Vec<Index>>,
    /// Senior principal paid pro rata (else sequential).
    pub senior_pro_rata: bool,
    pub accelerated_extra: bool,
    pub scenario: ScenarioSpec,
    /// A revolving purchase period (issue #12 item 3), never in standard or monotone deals.
    pub revolving: Option<RevolvingSpec>,
}

/// `[revolving]` and a `buy_assets` step in `normal` (docs/deal-format.md).
#[derive(Debug, Clone)]
pub struct RevolvingSpec {
    /// Which payment date (unadjusted) the period ends 10 days after.
    pub end: Index,
    /// Price in basis points of par (9000 = 0.90).
    pub price_bp: u32,
    pub rate_bp: u32,
    pub term: Index,
    pub freq: Freq,
    pub repayment: u8,
    pub lease: bool,
    pub spend_available: bool,
    pub tagged: bool,
    /// `end_triggers = []` (else every trigger ends it).
    pub no_end_triggers: bool,
}

/// The revolving block: a separate generator.
fn revolving_spec(opts: Opts) -> BoxedStrategy<Option<RevolvingSpec>> {
    if opts.standard || opts.monotone {
        return Just(None).boxed();
    }
    let spec = (
        any::<Index>(),
        9000u32..10500,
        0u32..2000,
        any::<Index>(),
        freq(),
        0u8..4,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                end,
                price_bp,
                rate_bp,
                term,
                freq,
                repayment,
                lease,
                spend_available,
                tagged,
                no_end,
            )| {
                RevolvingSpec {
                    end,
                    price_bp,
                    rate_bp,
                    term,
                    freq,
                    repayment,
                    lease,
                    spend_available,
                    tagged,
                    no_end_triggers: no_end,
                }
            },
        );
    prop::option::weighted(0.3, spec).boxed()
}

fn scenario(opts: Opts) -> impl Strategy<Value = ScenarioSpec> {
    let recovery = if opts.monotone {
        Just(0u32).boxed()
    } else {
        prop_oneof![Just(0u32), 0u32..=100].boxed()
    };
    (
        prop::collection::vec((any::<Index>(), 0u32..2000), 0..4),
        prop_oneof![Just(0u32), 0u32..3000, 9000u32..9999],
        recovery,
        0u32..30,
        prop::option::weighted(0.3, (0u32..=100, 0u32..=14)),
        prop_oneof![Just(0u32), 0u32..4000],
        any::<u8>(),
        prop_oneof![Just(0u32), 0u32..=1000],
        overrides(opts),
    )
        .prop_map(
            |(
                named,
                cdr_bp,
                recovery_pct,
                recovery_lag,
                delay,
                cpr_bp,
                supports_off,
                default_rate_pm,
                overrides,
            )| {
                ScenarioSpec {
                    overrides,
                    named,
                    cdr_bp,
                    recovery_pct,
                    recovery_lag,
                    delay,
                    cpr_bp,
                    supports_off,
                    default_rate_pm,
                }
            },
        )
}

/// Random deals shaped by `opts`.
pub fn deal(opts: Opts) -> impl Strategy<Value = DealSpec> {
    let n_obligors = if opts.max_obligors > 10 {
        prop_oneof![
            8 => 1usize..=10,
            2 => 1usize..=opts.max_obligors.min(50),
            1 => 1usize..=opts.max_obligors,
        ]
        .boxed()
    } else {
        (1usize..=opts.max_obligors).boxed()
    };
    let obligors = n_obligors
        .prop_flat_map(|n| prop::collection::vec(prop::collection::vec(asset(), 1..=3), n));
    let junior = prop_oneof![
        Just(Class::Senior),
        Just(Class::Mezzanine),
        Just(Class::Subordinated)
    ]
    .boxed();
    let tranches = (
        tranche(Just(Class::Senior).boxed()),
        prop::collection::vec(tranche(junior), 0..=4),
    )
        .prop_map(|(first, mut rest)| {
            rest.insert(0, first);
            rest
        });
    let dates = (
        prop_oneof![8 => 2005i32..2030, 1 => 1991i32..2005, 1 => 2030i32..2090],
        1u32..=12,
        1u32..=27,
        0u32..40,
        freq(),
        0u32..10,
        1u32..=opts.max_periods,
        0u32..25,
        prop::bool::weighted(0.2),
        0u8..4,
        0u8..4,
        any::<bool>(),
    );
    let lag = (0u8..3, 0u32..6);
    let liabilities = (
        tranches,
        50u32..=130,
        prop::collection::vec(fee(), 0..=4),
        prop::collection::vec(
            (1u32..1000, any::<Index>()).prop_map(|(rate_bp, base)| TaxSpec { rate_bp, base }),
            0..=2,
        ),
        prop::option::of(
            (
                prop_oneof![
                    (0i64..50_000_000).prop_map(TargetSpec::Fixed),
                    (0u32..40).prop_map(TargetSpec::Multiple)
                ],
                prop::option::of(0i64..50_000_000),
                prop::option::of(1u8..64),
            )
                .prop_map(|(target, initial, covers)| ReserveSpec {
                    target,
                    initial,
                    covers,
                }),
        ),
        prop::collection::vec(
            (
                any::<bool>(),
                1u8..64,
                prop::option::weighted(0.4, 0i64..20_000_000),
                prop::option::weighted(0.4, 0i64..100_000_000),
            )
                .prop_map(|(guarantee, covers, cap_per_period, cap_total)| {
                    SupportSpec {
                        guarantee,
                        covers,
                        cap_per_period,
                        cap_total,
                    }
                }),
            0..=2,
        ),
    );
    let max_triggers = if opts.triggers { 4 } else { 0 };
    let waterfall = (
        prop::collection::vec(
            (
                0u8..4,
                0u32..3000,
                any::<bool>(),
                prop::bool::weighted(0.8),
                prop::option::of(any::<bool>()),
            )
                .prop_map(
                    |(condition, threshold, event_of_default, to_accelerated, curable)| {
                        TriggerSpec {
                            condition,
                            threshold,
                            event_of_default,
                            to_accelerated,
                            curable,
                        }
                    },
                ),
            0..=max_triggers,
        ),
        if opts.standard {
            Just(None).boxed()
        } else {
            prop::option::weighted(0.3, prop::collection::vec(any::<Index>(), 12)).boxed()
        },
        any::<bool>(),
        any::<bool>(),
    );
    (
        dates,
        lag,
        obligors,
        liabilities,
        waterfall,
        scenario(opts),
        revolving_spec(opts),
    )
        .prop_map(
            move |(dates, lag, obligors, liabilities, waterfall, scenario, revolving)| {
                let (
                    year,
                    month,
                    day,
                    closing_gap,
                    freq,
                    first_extra_days,
                    n_periods,
                    legal_extra_days,
                    explicit_dates,
                    day_count,
                    business_day,
                    cn_calendar,
                ) = dates;
                let (tranches, issue_pct, fees, taxes, reserve, supports) = liabilities;
                let (triggers, shuffle, senior_pro_rata, accelerated_extra) = waterfall;
                DealSpec {
                    opts,
                    year,
                    month,
                    day,
                    closing_gap,
                    freq,
                    first_extra_days,
                    n_periods,
                    legal_extra_days,
                    explicit_dates,
                    day_count,
                    business_day,
                    cn_calendar,
                    lag_kind: lag.0,
                    lag: lag.1,
                    obligors,
                    tranches,
                    issue_pct,
                    fees,
                    taxes,
                    reserve,
                    supports,
                    triggers,
                    shuffle,
                    senior_pro_rata,
                    accelerated_extra,
                    scenario,
                    revolving,
                }
            },
        )
}

/// A rendered deal: the spec and its TOML text. `Debug` prints the TOML, so a failing case
/// shows the file to reproduce it with.
#[derive(Clone)]
pub struct Case {
    pub spec: DealSpec,
    pub toml: String,
    /// Tranche names by class, in seniority order.
    pub tranche_classes: Vec<(String, Class)>,
    /// The default curve to set on the loaded scenario.
    pub default_rate: rust_decimal::Decimal,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "default_rate = {} (set on the loaded scenario)\n----- deal.toml -----\n{}---------------------",
            self.default_rate, self.toml
        )
    }
}

pub fn case(opts: Opts) -> impl Strategy<Value = Case> {
    deal(opts).prop_map(|spec| spec.render())
}

// ---------------------------------------------------------------------------------------
// Rendering.

fn money(fen: i64) -> String {
    let fen = fen.clamp(0, 99_999_999_999_999_999); // below 10^15 yuan
    if fen % 100 == 0 {
        format!("{}", fen / 100)
    } else {
        format!("\"{}.{:02}\"", fen / 100, fen % 100)
    }
}

/// A fraction written as a TOML float, e.g. 435 with scale 4 → 0.0435.
fn frac(units: u32, scale: u32) -> String {
    let d = rust_decimal::Decimal::new(i64::from(units), scale).normalize();
    let s = d.to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn add_months(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_add_months(Months::new(m)).expect("date in range")
}

fn add_days(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_days(Days::new(u64::from(n)))
        .expect("date in range")
}

fn sub_days(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_days(Days::new(u64::from(n)))
        .expect("date in range")
}

const COVERS: [&str; 6] = [
    "taxes",
    "fees",
    "senior_interest",
    "senior_principal",
    "mezzanine_interest",
    "mezzanine_principal",
];

/// Bit set → covers list. In standard deals the set is made senior-closed: a mezzanine item
/// brings the senior items that rank before it with it.
fn covers(mut bits: u8, standard: bool) -> Vec<&'static str> {
    bits &= 0b11_1111;
    if bits == 0 {
        bits = 0b100;
    }
    if standard {
        // mezzanine_interest → senior_interest; mezzanine_principal → senior_interest and
        // senior_principal (the items that rank before it in a standard waterfall).
        if bits & 0b1_0000 != 0 {
            bits |= 0b100;
        }
        if bits & 0b10_0000 != 0 {
            bits |= 0b1100;
        }
    }
    (0..6)
        .filter(|i| bits & (1 << i) != 0)
        .map(|i| COVERS[i])
        .collect()
}

fn list(names: &[String]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("[{}]", q.join(", "))
}

impl DealSpec {
    pub fn render(&self) -> Case {
        let opts = self.opts;
        let mut t = String::new();
        let cutoff = NaiveDate::from_ymd_opt(self.year, self.month, self.day).expect("day <= 28");
        let closing = add_days(cutoff, self.closing_gap);
        let m = self.freq.months();
        // First payment at least a month after closing, on a day <= 28.
        let mut first = add_days(add_months(closing, m), self.first_extra_days);
        // Day <= 27: never a month end, so the engine's dates are exactly these.
        if first.day() > 27 {
            first = first.with_day(27).expect("day 27");
        }
        // Keep the whole deal inside 2100.
        let mut n = self.n_periods.max(1);
        let limit = NaiveDate::from_ymd_opt(2100, 10, 1).expect("date");
        while n > 1 && add_months(first, m * (n - 1)) > limit {
            n -= 1;
        }
        let pay: Vec<NaiveDate> = (0..n).map(|k| add_months(first, m * k)).collect();
        let last = *pay.last().expect("n >= 1");
        // Legal maturity: the last payment date plus less than one period (so no date is
        // added), capped at 2100-12-31.
        let legal = add_days(last, self.legal_extra_days.min(27))
            .min(NaiveDate::from_ymd_opt(2100, 12, 31).expect("date"));

        writeln!(t, "[deal]\nname = \"prop deal\"").ok();
        writeln!(t, "cutoff_date = {}", date(cutoff)).ok();
        writeln!(t, "closing_date = \"{}\"", date(closing)).ok();
        if self.explicit_dates {
            let ds: Vec<String> = pay.iter().map(|d| date(*d)).collect();
            writeln!(t, "payment_dates = [{}]", ds.join(", ")).ok();
        } else {
            writeln!(t, "first_payment_date = {}", date(first)).ok();
            writeln!(t, "frequency = \"{}\"", self.freq.name()).ok();
        }
        writeln!(t, "legal_maturity = {}", date(legal)).ok();
        let dc =
            ["ACT/365F", "ACT/360", "30/360", "act/act", "nl/365"][usize::from(self.day_count % 5)];
        writeln!(t, "day_count = \"{dc}\"").ok();
        let bdc = ["unadjusted", "following", "modified_following", "preceding"]
            [usize::from(self.business_day % 4)];
        writeln!(t, "business_day = \"{bdc}\"").ok();
        writeln!(
            t,
            "calendar = \"{}\"",
            if self.cn_calendar { "CN" } else { "weekends" }
        )
        .ok();
        match self.lag_kind % 3 {
            1 => writeln!(t, "collection_lag_days = {}", self.lag * 2).ok(),
            2 => writeln!(t, "collection_lag_business_days = {}", self.lag).ok(),
            _ => None,
        };
        // Income on cash held (since session 29) in about one deal in four.
        if self.business_day % 4 == 1 {
            writeln!(t, "reinvestment_rate = 0.0{}", 1 + self.lag % 5).ok();
        }
        // The plan's end on full repayment (since session 31) in about one deal in three.
        if self.lag % 3 == 2 {
            writeln!(t, "end_when_repaid = true").ok();
        }

        // Obligors.
        let life_days = u32::try_from((legal - cutoff).num_days())
            .unwrap_or(1)
            .max(1);
        let mut nominal: i128 = 0;
        let mut obligor_names = Vec::new();
        for (o, assets) in self.obligors.iter().enumerate() {
            let name = format!("O{o}");
            writeln!(t, "\n[[obligors]]\nname = \"{name}\"").ok();
            if o % 3 == 1 {
                writeln!(
                    t,
                    "tags = {{ industry = \"biotech\", \"区域\" = \"黄埔\" }}"
                )
                .ok();
            }
            obligor_names.push(name);
            for a in assets {
                nominal += self.render_asset(&mut t, a, cutoff, legal, life_days);
            }
        }

        // Tranches: names by seniority (class, then spec order), written in file_key order.
        let mut order: Vec<usize> = (0..self.tranches.len()).collect();
        order.sort_by_key(|&i| self.tranches[i].class); // stable: spec order within a class
        let names: Vec<String> = (0..self.tranches.len())
            .map(|i| {
                let c = self.tranches[i].class;
                let prefix = match c {
                    Class::Senior => "A",
                    Class::Mezzanine => "M",
                    Class::Subordinated => "Sub",
                };
                format!("{prefix}{i}")
            })
            .collect();
        let total_weight: i128 = self.tranches.iter().map(|x| i128::from(x.weight)).sum();
        let issue = (nominal.max(100) * i128::from(self.issue_pct)) / 100;
        let mut file_order: Vec<usize> = (0..self.tranches.len()).collect();
        file_order.sort_by_key(|&i| (self.tranches[i].file_key, i));
        // File order must keep spec order within a class (the engine sorts stably by class).
        let mut within: Vec<Vec<usize>> = vec![Vec::new(); 3];
        for &i in &order {
            within[self.tranches[i].class as usize].push(i);
        }
        let mut next = [0usize; 3];
        let file_order: Vec<usize> = file_order
            .iter()
            .map(|&i| {
                let c = self.tranches[i].class as usize;
                let j = within[c][next[c]];
                next[c] += 1;
                j
            })
            .collect();
        for &i in &file_order {
            let tr = &self.tranches[i];
            let bal = ((issue * i128::from(tr.weight)) / total_weight.max(1))
                .clamp(1, 99_999_999_999_999_999) as i64;
            writeln!(t, "\n[[tranches]]\nname = \"{}\"", names[i]).ok();
            writeln!(t, "class = \"{}\"", tr.class.name()).ok();
            writeln!(t, "balance = {}", money(bal)).ok();
            match (tr.coupon_bp, tr.class) {
                (Some(c), _) => {
                    writeln!(t, "coupon = {}", frac(c, 4)).ok();
                }
                (None, Class::Subordinated) => {}
                (None, _) => {
                    writeln!(t, "coupon = 0.035").ok();
                }
            }
            match tr.amortization % 4 {
                0 => {
                    writeln!(t, "amortization = \"pass_through\"").ok();
                }
                2 => {
                    writeln!(t, "amortization = \"bullet\"").ok();
                }
                3 => {
                    writeln!(t, "amortization = \"scheduled\"").ok();
                    let mut ks: Vec<(usize, u32)> = tr
                        .targets
                        .iter()
                        .map(|(ix, pm)| (ix.index(pay.len()), *pm))
                        .collect();
                    ks.sort();
                    ks.dedup_by_key(|x| x.0);
                    let mut pms: Vec<u32> = ks.iter().map(|x| x.1).collect();
                    pms.sort_unstable_by(|a, b| b.cmp(a));
                    let entries: Vec<String> = ks
                        .iter()
                        .zip(&pms)
                        .map(|((k, _), pm)| {
                            let b = (i128::from(bal) * i128::from(*pm) / 1000) as i64;
                            format!("{{ date = {}, balance = {} }}", date(pay[*k]), money(b))
                        })
                        .collect();
                    writeln!(t, "target_balances = [{}]", entries.join(", ")).ok();
                }
                _ => {}
            }
            if let Some(ix) = &tr.expected_maturity {
                // A payment date (unadjusted) or the legal maturity.
                let k = ix.index(pay.len() + 1);
                let d = if k == pay.len() { legal } else { pay[k] };
                writeln!(t, "expected_maturity = {}", date(d)).ok();
            }
            if tr.rating {
                writeln!(t, "rating = \"AAA\"").ok();
            }
        }

        // Fees.
        let mut bases: Vec<String> = vec![
            "senior_balance".into(),
            "pool_balance".into(),
            "issue_size".into(),
            "interest_collections".into(),
            "collections".into(),
        ];
        bases.extend(names.iter().map(|n| format!("tranche:{n}")));
        let base_of = |ix: &Index| -> String {
            let mut b = bases[ix.index(bases.len())].clone();
            // Bases that shrink when defaults rise make fees and taxes fall with more defaults
            // (docs/robustness.md): not in the monotonicity property's deals.
            if opts.monotone
                && matches!(
                    b.as_str(),
                    "pool_balance" | "collections" | "interest_collections"
                )
            {
                b = "issue_size".into();
            }
            b
        };
        let fee_names: Vec<String> = (0..self.fees.len()).map(|j| format!("fee{j}")).collect();
        for (j, f) in self.fees.iter().enumerate() {
            writeln!(t, "\n[[fees]]\nname = \"{}\"", fee_names[j]).ok();
            match &f.kind {
                FeeKindSpec::Fixed(a) => {
                    writeln!(t, "kind = \"fixed\"\namount = {}", money((*a).max(1))).ok();
                }
                FeeKindSpec::AnnualRate(r, b) => {
                    writeln!(
                        t,
                        "kind = \"annual_rate\"\nrate = {}\nbase = \"{}\"",
                        frac(*r, 4),
                        base_of(b)
                    )
                    .ok();
                }
                FeeKindSpec::OneOff(a, d) => {
                    writeln!(t, "kind = \"one_off\"\namount = {}", money((*a).max(1))).ok();
                    if let Some(ix) = d {
                        // On or before the last payment date, even after `preceding`.
                        let k = ix.index(pay.len());
                        let d = sub_days(pay[k], 12).max(add_days(closing, 1));
                        writeln!(t, "date = {}", date(d)).ok();
                    }
                }
            }
            if let Some(c) = f.cap_per_period {
                writeln!(t, "cap_per_period = {}", money(c)).ok();
            }
            if let Some(c) = f.cap_total {
                writeln!(t, "cap_total = {}", money(c)).ok();
            }
        }
        let tax_names: Vec<String> = (0..self.taxes.len()).map(|j| format!("tax{j}")).collect();
        for (j, x) in self.taxes.iter().enumerate() {
            writeln!(
                t,
                "\n[[taxes]]\nname = \"{}\"\nrate = {}\nbase = \"{}\"",
                tax_names[j],
                frac(x.rate_bp.max(1), 4),
                base_of(&x.base)
            )
            .ok();
        }
        // Covers only items the deal has (a `covers` item the deal lacks is an error,
        // docs/errors.md).
        let has_class = |c: Class| self.tranches.iter().any(|t| t.class == c);
        let exists = |item: &&str| match *item {
            "taxes" => !tax_names.is_empty(),
            "fees" => !fee_names.is_empty(),
            "senior_interest" | "senior_principal" => has_class(Class::Senior),
            _ => has_class(Class::Mezzanine),
        };
        let covers = |bits: u8, standard: bool| -> Vec<&'static str> {
            let mut cs: Vec<&'static str> = covers(bits, standard);
            cs.retain(|c| exists(c));
            if cs.is_empty() {
                cs.push("senior_interest");
            }
            cs
        };
        if let Some(r) = &self.reserve {
            writeln!(t, "\n[reserve]").ok();
            match r.target {
                TargetSpec::Fixed(x) => writeln!(t, "target = {}", money(x)).ok(),
                // A target that grows with the senior balance traps more cash from the juniors
                // when defaults rise (docs/robustness.md): fixed targets only in the
                // monotonicity property's deals.
                TargetSpec::Multiple(m) if opts.monotone => {
                    writeln!(t, "target = {}", money(i64::from(m) * 1_000_000)).ok()
                }
                TargetSpec::Multiple(m) => writeln!(t, "target_multiple = {}", frac(m, 1)).ok(),
            };
            if let Some(i) = r.initial {
                writeln!(t, "initial = {}", money(i)).ok();
            }
            if let Some(c) = r.covers {
                let cs: Vec<String> = covers(c, opts.standard)
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                writeln!(t, "covers = {}", list(&cs)).ok();
            }
        }
        let support_names: Vec<String> = (0..self.supports.len())
            .map(|j| format!("sup{j}"))
            .collect();
        for (j, s) in self.supports.iter().enumerate() {
            if s.is_asset_guarantee(j) {
                // 基础资产保证 (since session 29): no covers.
                writeln!(
                    t,
                    "\n[[supports]]\nname = \"{}\"\nprovider = \"担保方 {j}\"\nkind = \"asset_guarantee\"",
                    support_names[j]
                )
                .ok();
            } else {
                let cs: Vec<String> = covers(s.covers, opts.standard)
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                writeln!(
                    t,
                    "\n[[supports]]\nname = \"{}\"\nprovider = \"担保方 {j}\"\nkind = \"{}\"\ncovers = {}",
                    support_names[j],
                    if s.guarantee { "guarantee" } else { "shortfall_undertaking" },
                    list(&cs)
                )
                .ok();
            }
            if let Some(c) = s.cap_per_period {
                writeln!(t, "cap_per_period = {}", money(c)).ok();
            }
            if let Some(c) = s.cap_total {
                writeln!(t, "cap_total = {}", money(c)).ok();
            }
        }

        // Waterfalls.
        let by_class = |c: Class| -> Vec<String> {
            order
                .iter()
                .filter(|&&i| self.tranches[i].class == c)
                .map(|&i| names[i].clone())
                .collect()
        };
        let seniors = by_class(Class::Senior);
        let mezz = by_class(Class::Mezzanine);
        let subs = by_class(Class::Subordinated);
        let mut normal: Vec<String> = Vec::new();
        if !tax_names.is_empty() {
            normal.push(format!(
                "{{ action = \"pay_tax\", taxes = {} }}",
                list(&tax_names)
            ));
        }
        if !fee_names.is_empty() {
            normal.push(format!(
                "{{ action = \"pay_fee\", fees = {} }}",
                list(&fee_names)
            ));
        }
        normal.push(format!(
            "{{ action = \"pay_interest\", tranches = {} }}",
            list(&seniors)
        ));
        if !mezz.is_empty() {
            normal.push(format!(
                "{{ action = \"pay_interest\", tranches = {} }}",
                list(&mezz)
            ));
        }
        if self.reserve.is_some() {
            // In a standard deal the reserve is topped up (or released) before any interest, so
            // that released cash runs down the whole waterfall (docs/robustness.md).
            let at = if opts.standard { 0 } else { normal.len() };
            normal.insert(at, "{ action = \"top_up_reserve\" }".into());
        }
        normal.push(format!(
            "{{ action = \"pay_principal\", tranches = {}, order = \"{}\", amount = \"scheduled\" }}",
            list(&seniors),
            // Pro rata senior principal is left out of standard deals: a support draw sized to
            // the scheduled tranches' due is shared with pass-through tranches, and the
            // seniority property fails (tests/regressions.rs, BUG pro_rata_dilutes_support).
            if self.senior_pro_rata && !opts.standard { "pro_rata" } else { "sequential" }
        ));
        if !mezz.is_empty() {
            normal.push(format!(
                "{{ action = \"pay_principal\", tranches = {} }}",
                list(&mezz)
            ));
        }
        // The supports whose covers choice is odd are repaid their draws after the senior and
        // mezzanine principal (`repay_support`, since session 32): about half of them.
        let repaid: Vec<String> = self
            .supports
            .iter()
            .enumerate()
            .filter(|&(j, s)| !s.is_asset_guarantee(j) && s.covers % 2 == 1)
            .map(|(j, _)| support_names[j].clone())
            .collect();
        if !repaid.is_empty() {
            normal.push(format!(
                "{{ action = \"repay_support\", supports = {} }}",
                list(&repaid)
            ));
        }
        for s in &subs {
            normal.push(format!(
                "{{ action = \"pay_sub_return\", tranche = \"{s}\" }}"
            ));
        }
        if !subs.is_empty() {
            normal.push(format!(
                "{{ action = \"pay_principal\", tranches = {}, when = \"senior_paid_off\" }}",
                list(&subs)
            ));
            normal.push(format!(
                "{{ action = \"pay_residual\", tranche = \"{}\", when = \"{}\" }}",
                subs[0],
                if self.accelerated_extra {
                    "final_period"
                } else {
                    "senior_paid_off"
                }
            ));
        }
        // The revolving block: `[revolving]` (rendered after the waterfalls) and its step,
        // before the first principal step.
        let revolving = self.revolving.as_ref().and_then(|r| {
            // End 10 days after an unadjusted payment date before the last one (after any
            // business-day move of it); a term that ends by the legal maturity.
            if pay.len() < 2 {
                return None;
            }
            let e = r.end.index(pay.len() - 1);
            let end = add_days(pay[e], 10);
            let tm = r.freq.months();
            let mut max_term = 0u32;
            while max_term < 600 && add_months(end, tm * (max_term + 1)) <= legal {
                max_term += 1;
            }
            if max_term == 0 {
                return None;
            }
            let term = 1 + r.term.index(max_term as usize) as u32;
            let rep = ["level", "equal_principal", "interest_only", "bullet"];
            let mut text = format!(
                "\n[revolving]\nend_date = {}\nprice = {}\n",
                date(end),
                frac(r.price_bp, 4)
            );
            if r.no_end_triggers {
                text.push_str("end_triggers = []\n");
            }
            if r.tagged {
                text.push_str("tags = { industry = \"biotech\" }\n");
            }
            text.push_str(&format!(
                "asset = {{ kind = \"{}\", rate = {}, term = {term}, frequency = \"{}\", repayment = \"{}\" }}\n",
                if r.lease { "lease" } else { "loan" },
                frac(r.rate_bp, 4),
                r.freq.name(),
                rep[usize::from(r.repayment % 4)]
            ));
            let step = format!(
                "{{ action = \"buy_assets\", spend = \"{}\" }}",
                if r.spend_available { "available" } else { "principal_collected" }
            );
            let at = normal
                .iter()
                .position(|s| s.contains("pay_principal"))
                .unwrap_or(normal.len());
            normal.insert(at, step);
            Some(text)
        });
        if let Some(sh) = &self.shuffle {
            // A non-standard waterfall: a random permutation of the steps, and all interest
            // in one (pro rata) step.
            let mut steps = normal.clone();
            let mut perm: Vec<(usize, usize)> = steps
                .iter()
                .enumerate()
                .map(|(i, _)| (sh[i % sh.len()].index(1000), i))
                .collect();
            perm.sort();
            steps = perm.iter().map(|&(_, i)| normal[i].clone()).collect();
            if !mezz.is_empty() {
                let all: Vec<String> = seniors.iter().chain(&mezz).cloned().collect();
                steps.retain(|s| !s.contains("pay_interest"));
                steps.insert(
                    0,
                    format!("{{ action = \"pay_interest\", tranches = {} }}", list(&all)),
                );
            }
            normal = steps;
        }
        let mut accelerated: Vec<String> = Vec::new();
        if !tax_names.is_empty() {
            accelerated.push(format!(
                "{{ action = \"pay_tax\", taxes = {} }}",
                list(&tax_names)
            ));
        }
        if !fee_names.is_empty() {
            accelerated.push(format!(
                "{{ action = \"pay_fee\", fees = {} }}",
                list(&fee_names)
            ));
        }
        accelerated.push(format!(
            "{{ action = \"pay_interest\", tranches = {} }}",
            list(&seniors)
        ));
        accelerated.push(format!(
            "{{ action = \"pay_principal\", tranches = {}, amount = \"available\" }}",
            list(&seniors)
        ));
        if !mezz.is_empty() {
            accelerated.push(format!(
                "{{ action = \"pay_interest\", tranches = {} }}",
                list(&mezz)
            ));
            accelerated.push(format!(
                "{{ action = \"pay_principal\", tranches = {}, amount = \"available\" }}",
                list(&mezz)
            ));
        }
        if !subs.is_empty() {
            accelerated.push(format!(
                "{{ action = \"pay_residual\", tranche = \"{}\" }}",
                subs[0]
            ));
        }
        let has_accel = !self.triggers.is_empty() || self.accelerated_extra;
        writeln!(
            t,
            "\n[waterfalls]\nnormal = [\n  {},\n]",
            normal.join(",\n  ")
        )
        .ok();
        if has_accel {
            writeln!(t, "accelerated = [\n  {},\n]", accelerated.join(",\n  ")).ok();
        }
        if let Some(text) = &revolving {
            t.push_str(text);
        }
        for (j, tr) in self.triggers.iter().enumerate() {
            let (cond, thr) = match tr.condition % 5 {
                0 => (
                    "cumulative_default_ratio_above",
                    Some(frac(tr.threshold % 1001, 3)),
                ),
                1 => ("coverage_below", Some(frac(tr.threshold.max(1), 3))),
                2 => ("senior_interest_shortfall", None),
                3 => ("top_class_interest_shortfall", None),
                _ => ("senior_outstanding_after_legal_maturity", None),
            };
            writeln!(
                t,
                "\n[[triggers]]\nname = \"trig{j}\"\nkind = \"{}\"\ncondition = \"{cond}\"",
                if tr.event_of_default {
                    "event_of_default"
                } else {
                    "acceleration"
                }
            )
            .ok();
            if let Some(x) = thr {
                writeln!(t, "threshold = {x}").ok();
                // Half the thresholded triggers step to another level from the middle payment
                // date (`threshold_steps`, since session 34), derived from the same draw.
                if tr.threshold >= 1500 && pay.len() >= 2 {
                    let stepped = tr.threshold * 7 % 3000;
                    let y = if tr.condition % 5 == 0 {
                        frac(stepped % 1001, 3)
                    } else {
                        frac(stepped.max(1), 3)
                    };
                    writeln!(
                        t,
                        "threshold_steps = [ {{ from = {}, threshold = {y} }} ]",
                        date(pay[pay.len() / 2])
                    )
                    .ok();
                }
            }
            writeln!(
                t,
                "waterfall = \"{}\"",
                if tr.to_accelerated {
                    "accelerated"
                } else {
                    "normal"
                }
            )
            .ok();
            if let Some(c) = tr.curable {
                writeln!(t, "curable = {c}").ok();
            }
        }

        // Scenario.
        let sc = &self.scenario;
        writeln!(t, "\n[scenario]\nname = \"random\"").ok();
        let mut seen = Vec::new();
        let mut defaults = Vec::new();
        for (ix, days) in &sc.named {
            let o = ix.index(obligor_names.len());
            if seen.contains(&o) {
                continue;
            }
            seen.push(o);
            let d = add_days(sub_days(cutoff, 30), days % (life_days + 60));
            defaults.push(format!(
                "{{ obligor = \"{}\", date = {} }}",
                obligor_names[o],
                date(d.min(NaiveDate::from_ymd_opt(2100, 12, 31).expect("date")))
            ));
        }
        if !defaults.is_empty() {
            writeln!(t, "defaults = [{}]", defaults.join(", ")).ok();
        }
        if sc.cdr_bp > 0 {
            writeln!(t, "cdr = {}", frac(sc.cdr_bp, 4)).ok();
        }
        if sc.recovery_pct > 0 {
            writeln!(t, "recovery_rate = {}", frac(sc.recovery_pct, 2)).ok();
            writeln!(t, "recovery_lag_months = {}", sc.recovery_lag).ok();
        }
        if let Some((f, mo)) = sc.delay {
            writeln!(t, "delay = {{ fraction = {}, months = {mo} }}", frac(f, 2)).ok();
        }
        if sc.cpr_bp > 0 {
            writeln!(t, "cpr = {}", frac(sc.cpr_bp, 4)).ok();
        }
        let off: Vec<String> = if opts.monotone {
            support_names.clone()
        } else {
            support_names
                .iter()
                .enumerate()
                .filter(|(j, _)| sc.supports_off & (1 << j) != 0)
                .map(|(_, n)| n.clone())
                .collect()
        };
        if !off.is_empty() {
            writeln!(t, "supports_off = {}", list(&off)).ok();
        }
        // Overrides: by tag when an obligor has `industry = "biotech"` (O1, O4, …), else by name.
        let mut rules = Vec::new();
        for r in &sc.overrides {
            let selector = if r.by_tag && obligor_names.len() > 1 {
                "tag = \"industry:biotech\"".to_string()
            } else {
                format!(
                    "obligor = \"{}\"",
                    obligor_names[r.obligor.index(obligor_names.len())]
                )
            };
            let mut keys = vec![selector];
            if let Some(c) = r.cdr_bp {
                keys.push(format!("cdr = {}", frac(c, 4)));
            }
            if let Some((pct, lag)) = r.recovery {
                keys.push(format!(
                    "recovery_rate = {}, recovery_lag_months = {lag}",
                    frac(pct, 2)
                ));
            }
            if let Some((f, mo)) = r.delay {
                keys.push(format!(
                    "delay = {{ fraction = {}, months = {mo} }}",
                    frac(f, 2)
                ));
            }
            if let Some(c) = r.cpr_bp {
                keys.push(format!("cpr = {}", frac(c, 4)));
            }
            if keys.len() == 1 {
                keys.push("cdr = 0.01".to_string());
            }
            rules.push(format!("{{ {} }}", keys.join(", ")));
        }
        if !rules.is_empty() {
            writeln!(t, "overrides = [\n  {},\n]", rules.join(",\n  ")).ok();
        }

        let tranche_classes = order
            .iter()
            .map(|&i| (names[i].clone(), self.tranches[i].class))
            .collect();
        Case {
            spec: self.clone(),
            toml: t,
            tranche_classes,
            default_rate: rust_decimal::Decimal::new(i64::from(sc.default_rate_pm), 3),
        }
    }

    /// Writes one asset; returns its nominal principal in fen.
    fn render_asset(
        &self,
        t: &mut String,
        a: &AssetSpec,
        cutoff: NaiveDate,
        legal: NaiveDate,
        life_days: u32,
    ) -> i128 {
        writeln!(t, "[[obligors.assets]]").ok();
        // Dates of an explicit schedule: cumulative gaps from `back` days before the cutoff,
        // kept while on or before the legal maturity; at least one after the cutoff.
        let sched_dates = |back: u32, gaps: &[u32]| -> Vec<NaiveDate> {
            let mut d = sub_days(cutoff, back);
            let mut out = Vec::new();
            for g in gaps {
                d = add_days(d, (*g).max(1));
                if d > legal {
                    break;
                }
                out.push(d);
            }
            if !out.iter().any(|x| *x > cutoff) {
                let x = add_days(cutoff, 1 + (life_days / 2).min(45)).min(legal);
                out.retain(|d| *d < x);
                out.push(x);
            }
            out
        };
        match a {
            AssetSpec::Licence { back, entries } => {
                let gaps: Vec<u32> = entries.iter().map(|e| e.0).collect();
                let ds = sched_dates(*back, &gaps);
                let mut total: i128 = 0;
                let mut items = Vec::new();
                for (k, d) in ds.iter().enumerate() {
                    let e = entries
                        .get(k)
                        .map_or(Entry::Amount(100_000), |e| e.1.clone());
                    match e {
                        Entry::Amount(a) => {
                            total += i128::from(a);
                            items.push(format!("{{ date = {}, amount = {} }}", date(*d), money(a)));
                        }
                        Entry::PrincipalInterest(p, i) => {
                            total += i128::from(p) + i128::from(i);
                            items.push(format!(
                                "{{ date = {}, principal = {}, interest = {} }}",
                                date(*d),
                                money(p),
                                money(i)
                            ));
                        }
                    }
                }
                if total == 0 {
                    let last = items.len() - 1;
                    items[last] = format!("{{ date = {}, amount = 1000 }}", date(ds[last]));
                    total = 100_000;
                }
                writeln!(
                    t,
                    "kind = \"licence\"\nschedule = [\n  {},\n]",
                    items.join(",\n  ")
                )
                .ok();
                total
            }
            AssetSpec::Explicit {
                lease,
                back,
                entries,
                prepayable,
            } => {
                let gaps: Vec<u32> = entries.iter().map(|e| e.0).collect();
                let ds = sched_dates(*back, &gaps);
                let mut total: i128 = 0;
                let items: Vec<String> = ds
                    .iter()
                    .enumerate()
                    .map(|(k, d)| {
                        let (p, i) = entries.get(k).map_or((100_000, 0), |e| (e.1, e.2));
                        total += i128::from(p);
                        format!(
                            "{{ date = {}, principal = {}, interest = {} }}",
                            date(*d),
                            money(p),
                            money(i)
                        )
                    })
                    .collect();
                writeln!(
                    t,
                    "kind = \"{}\"\nschedule = [\n  {},\n]",
                    if *lease { "lease" } else { "loan" },
                    items.join(",\n  ")
                )
                .ok();
                if let Some(p) = prepayable {
                    writeln!(t, "prepayable = {p}").ok();
                }
                total
            }
            AssetSpec::Receivable { amount, due } => {
                let d = add_days(cutoff, 1 + due.index(life_days as usize) as u32).min(legal);
                writeln!(
                    t,
                    "kind = \"receivable\"\namount = {}\ndue_date = {}",
                    money((*amount).max(1)),
                    date(d)
                )
                .ok();
                i128::from((*amount).max(1))
            }
            AssetSpec::FeeSchedule {
                first_days,
                freq,
                periods,
                amount,
                growth_bp,
            } => {
                let first = add_days(cutoff, 1 + first_days).min(legal);
                let m = freq.months();
                // Keep every instalment on or before the legal maturity (the generator counts
                // months from `first`, keeping month ends; checked_add_months clamps the same
                // way or earlier, and the engine's own check rejects any that does not fit).
                let mut n = 1u32;
                while n < *periods
                    && ipabs::calendar::schedule::add_months(
                        first,
                        i32::try_from(m * n).expect("small"),
                        ipabs::calendar::schedule::is_month_end(first),
                    )
                    .is_some_and(|d| d <= legal)
                {
                    n += 1;
                }
                // The drawn amount spread over the instalments, so that a pool's size stays in
                // the range of the other asset forms.
                let each = (*amount / i64::from(n)).max(1);
                writeln!(
                    t,
                    "kind = \"licence\"\nschedule = {{ first = {}, frequency = \"{}\", periods = {n}, amount = {}, growth = {} }}",
                    date(first),
                    freq.name(),
                    money(each),
                    frac(*growth_bp, 4)
                )
                .ok();
                // Nominal: the level amount over the instalments (growth ignored).
                i128::from(each) * i128::from(n)
            }
            AssetSpec::Generated {
                lease,
                balance,
                rate_bp,
                start_back_months,
                start_day,
                first_days,
                term,
                freq,
                repayment,
                accrual,
                prepayable,
            } => {
                let m = freq.months();
                let start0 = cutoff
                    .with_day(1)
                    .and_then(|d| d.checked_sub_months(Months::new(*start_back_months)))
                    .and_then(|d| d.with_day(*start_day))
                    .expect("date")
                    .max(NaiveDate::from_ymd_opt(1990, 1, 1).expect("date"))
                    // An asset starting after the cutoff is refused (docs/deal-format.md).
                    .min(cutoff);
                // The first instalment: start + one period, or an explicit date (day <= 28).
                let first = match first_days {
                    Some(fd) => {
                        let f = add_days(start0, *fd);
                        if f.day() > 27 {
                            f.with_day(27).expect("27")
                        } else {
                            f
                        }
                    }
                    None => add_months(start0, m),
                };
                let first = if first <= start0 {
                    add_days(start0, 1)
                } else {
                    first
                };
                // Past the 27th the day may be its month's last (2003-02-28), which the
                // schedule keeps at month end (05-31, 08-31, 11-30): the first of the next
                // month instead, still after the start (a CI run drew start 2003-02-27, first
                // 02-28, and an instalment on 2005-11-30 past a legal maturity of 11-28).
                let first = if first.day() > 27 {
                    first
                        .with_day(1)
                        .and_then(|d| d.checked_add_months(Months::new(1)))
                        .expect("date")
                } else {
                    first
                };
                // Instalment k falls on first + k·m months (day <= 27, so exactly). Terms
                // whose last instalment is after the cutoff and on or before legal maturity.
                let date_k = |k: u32| first.checked_add_months(Months::new(m * k));
                let mut max_term = 0u32;
                while max_term < 600 && date_k(max_term).is_some_and(|d| d <= legal) {
                    max_term += 1;
                }
                let mut min_term = 1u32;
                while date_k(min_term - 1).is_some_and(|d| d <= cutoff) {
                    min_term += 1;
                }
                if max_term < min_term || max_term == 0 {
                    // No term fits: a receivable instead.
                    let d = add_days(cutoff, 1).min(legal);
                    writeln!(
                        t,
                        "kind = \"receivable\"\namount = {}\ndue_date = {}",
                        money((*balance).max(1)),
                        date(d)
                    )
                    .ok();
                    return i128::from((*balance).max(1));
                }
                let term = min_term + term.index((max_term - min_term + 1) as usize) as u32;
                writeln!(
                    t,
                    "kind = \"{}\"\nbalance = {}\nrate = {}\nstart_date = {}\nterm = {term}\nfrequency = \"{}\"",
                    if *lease { "lease" } else { "loan" },
                    money((*balance).max(1)),
                    frac(*rate_bp, 4),
                    date(start0),
                    freq.name()
                )
                .ok();
                if first_days.is_some() {
                    writeln!(t, "first_payment_date = {}", date(first)).ok();
                }
                let rep = ["level", "equal_principal", "interest_only", "bullet"];
                match (*lease, repayment % 5) {
                    (false, r) => {
                        writeln!(t, "repayment = \"{}\"", rep[usize::from(r % 4)]).ok();
                    }
                    (true, 4) => {}
                    (true, r) => {
                        writeln!(t, "repayment = \"{}\"", rep[usize::from(r)]).ok();
                    }
                }
                match accrual % 3 {
                    1 => writeln!(t, "accrual = \"periodic\"").ok(),
                    2 => writeln!(t, "accrual = \"day_count\"").ok(),
                    _ => None,
                };
                if let Some(p) = prepayable {
                    writeln!(t, "prepayable = {p}").ok();
                }
                i128::from((*balance).max(1))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Issue 12: income and principal accounts, a PDL, transfers, condition tables, the clean-up
// call and supports limited by waterfall. A separate block: the deals above, rendered, then
// rewritten through `toml::Table` so that every earlier property keeps its exact cases.

/// The deals of [`case`] rewritten with named accounts, a PDL, transfers, condition tables,
/// a clean-up call and supports limited to `normal` (each chosen by `seed`).
pub fn accounts_case(opts: Opts) -> impl Strategy<Value = Case> {
    (deal(opts), any::<u64>()).prop_map(|(spec, seed)| {
        let mut c = spec.render();
        c.toml = with_accounts(&c.toml, seed);
        c
    })
}

/// splitmix64: the choices of [`with_accounts`], from one seed.
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

fn tv(s: &str) -> toml::Value {
    toml::Value::String(s.to_string())
}

fn datev(s: &str) -> toml::Value {
    toml::Value::Datetime(s.parse().expect("a date"))
}

/// A random condition table (depth at most `depth`).
fn condition(
    ch: &mut Choices,
    tranches: &[String],
    triggers: &[String],
    year: u16,
    depth: u32,
) -> toml::Value {
    let mut t = toml::Table::new();
    let kinds = if depth == 0 { 6 } else { 9 };
    match ch.below(kinds) {
        0 => {
            t.insert("paid_off".into(), tv(&tranches[ch.below(tranches.len())]));
        }
        1 | 2 => {
            let y = year + ch.below(4) as u16;
            let m = 1 + ch.below(12);
            let key = if ch.one_in(2) {
                "on_or_after"
            } else {
                "before"
            };
            t.insert(key.into(), datev(&format!("{y}-{m:02}-15")));
        }
        3 => {
            let x = [0.05, 0.1, 0.3, 0.5, 0.9][ch.below(5)];
            t.insert("pool_factor_below".into(), toml::Value::Float(x));
        }
        4 => {
            let x = [0.0, 0.01, 0.05, 0.2][ch.below(4)];
            t.insert(
                "cumulative_default_ratio_above".into(),
                toml::Value::Float(x),
            );
        }
        5 => {
            if triggers.is_empty() {
                return tv("final_period");
            }
            t.insert("trigger".into(), tv(&triggers[ch.below(triggers.len())]));
        }
        6 => {
            let c = condition(ch, tranches, triggers, year, depth - 1);
            t.insert("not".into(), c);
        }
        k => {
            let n = 1 + ch.below(3);
            let v = (0..n)
                .map(|_| condition(ch, tranches, triggers, year, depth - 1))
                .collect();
            t.insert(
                (if k == 7 { "all" } else { "any" }).into(),
                toml::Value::Array(v),
            );
        }
    }
    toml::Value::Table(t)
}

fn step(pairs: &[(&str, toml::Value)]) -> toml::Value {
    toml::Value::Table(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// Rewrites a rendered deal (see [`accounts_case`]).
pub fn with_accounts(text: &str, seed: u64) -> String {
    let mut ch = Choices(seed);
    let mut d: toml::Table = text.parse().expect("the rendered deal is TOML");
    let names = |d: &toml::Table, key: &str| -> Vec<String> {
        d.get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.get("name").and_then(|n| n.as_str()).map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let tranches = names(&d, "tranches");
    let triggers = names(&d, "triggers");
    let has = |d: &toml::Table, key: &str| !names(d, key).is_empty();
    let senior = d["tranches"].as_array().is_some_and(|a| {
        a.iter()
            .any(|t| t.get("class").and_then(|c| c.as_str()) == Some("senior"))
    });
    let year = d["deal"]["cutoff_date"]
        .as_datetime()
        .and_then(|x| x.date)
        .map_or(2024, |x| x.year);
    // Accounts: income collects interest (and recoveries half the time); principal collects
    // principal, and prepayments unless they stay in the collection account.
    let recov_income = ch.one_in(2);
    let mut income = vec![tv("interest")];
    let mut principal = vec![tv("principal")];
    if !ch.one_in(4) {
        principal.push(tv("prepayments"));
    }
    if recov_income {
        income.push(tv("recoveries"));
    } else {
        principal.push(tv("recoveries"));
    }
    let acct = |n: &str, c: Vec<toml::Value>| {
        step(&[("name", tv(n)), ("collects", toml::Value::Array(c))])
    };
    d.insert(
        "accounts".into(),
        toml::Value::Array(vec![acct("income", income), acct("principal", principal)]),
    );
    let mut pdl = toml::Table::new();
    if ch.one_in(3) {
        pdl.insert("defaults".into(), toml::Value::Boolean(false));
    }
    d.insert("pdl".into(), toml::Value::Table(pdl));
    let mut covers = Vec::new();
    if has(&d, "fees") {
        covers.push(tv("fees"));
    }
    if has(&d, "taxes") && ch.one_in(2) {
        covers.push(tv("taxes"));
    }
    if senior {
        covers.push(tv("senior_interest"));
    }
    let accounts = ["collection", "income", "principal"];
    let mut waterfalls = d["waterfalls"].as_table().cloned().unwrap_or_default();
    for (_, steps) in waterfalls.iter_mut() {
        let old = steps.as_array().cloned().unwrap_or_default();
        let mut out = Vec::new();
        if !covers.is_empty() && !ch.one_in(3) {
            out.push(step(&[
                ("action", tv("transfer")),
                ("from", tv("principal")),
                ("to", tv(accounts[ch.below(2)])),
                ("covers", toml::Value::Array(covers.clone())),
            ]));
        }
        let mut residuals = Vec::new();
        for s in old {
            let mut s = s.as_table().cloned().unwrap_or_default();
            if s.get("action").and_then(|a| a.as_str()) == Some("pay_residual") {
                residuals.push(toml::Value::Table(s));
                continue;
            }
            // `release_reserve` releases into the collection account and takes no `from`.
            if s.get("action").and_then(|a| a.as_str()) != Some("release_reserve") {
                s.insert("from".into(), tv(accounts[ch.below(3)]));
            }
            if !s.contains_key("when") && ch.one_in(4) {
                s.insert(
                    "when".into(),
                    condition(&mut ch, &tranches, &triggers, year, 2),
                );
            }
            out.push(toml::Value::Table(s));
            if ch.one_in(5) {
                out.push(step(&[
                    ("action", tv("transfer")),
                    ("from", tv("income")),
                    ("to", tv("principal")),
                    ("up_to", tv("pdl")),
                ]));
            }
        }
        // Whatever the named accounts hold ends in the collection account, where the
        // residual steps pay from.
        for a in ["income", "principal"] {
            out.push(step(&[
                ("action", tv("transfer")),
                ("from", tv(a)),
                ("to", tv("collection")),
            ]));
        }
        out.extend(residuals);
        *steps = toml::Value::Array(out);
    }
    if ch.one_in(2) {
        let mut call = toml::Table::new();
        if ch.one_in(3) {
            call.insert(
                "on_or_after".into(),
                datev(&format!("{}-06-30", year + 1 + ch.below(3) as u16)),
            );
        } else {
            let x = [0.05, 0.1, 0.2, 0.3][ch.below(4)];
            call.insert("pool_factor_below".into(), toml::Value::Float(x));
        }
        if ch.one_in(3) {
            call.insert("price_share".into(), toml::Value::Float(0.95));
        }
        if ch.one_in(2) {
            call.insert("accrued_interest".into(), toml::Value::Boolean(true));
        }
        call.insert("waterfall".into(), tv("clean_up"));
        let normal = waterfalls["normal"].clone();
        waterfalls.insert("clean_up".into(), normal);
        d.insert("clean_up_call".into(), toml::Value::Table(call));
        if let Some(s) = d.get_mut("scenario").and_then(|s| s.as_table_mut()) {
            s.insert("clean_up_call".into(), toml::Value::Boolean(!ch.one_in(4)));
        }
    }
    d.insert("waterfalls".into(), toml::Value::Table(waterfalls));
    if let Some(sups) = d.get_mut("supports").and_then(|s| s.as_array_mut()) {
        for s in sups {
            if ch.one_in(2)
                && let Some(t) = s.as_table_mut()
                && t.get("kind").and_then(|k| k.as_str()) != Some("asset_guarantee")
            {
                t.insert("waterfalls".into(), toml::Value::Array(vec![tv("normal")]));
            }
        }
    }
    toml::to_string(&d).expect("the rewritten deal serializes")
}
