//! A separate generator block for the mechanics of issue #12 items 4–6: it takes a random
//! deal of [`super::dealgen`] and rewrites its TOML (with `toml_edit`) to use floating tranche
//! coupons and floating loans with index paths and shifts. The rewritten deal is valid by
//! construction (every date it adds lies where docs/deal-format.md requires).

use chrono::{Months, NaiveDate};
use proptest::prelude::*;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Value};

use super::dealgen::{self, Case, Opts};

/// One floating-rate choice, applied to a tranche or a loan.
#[derive(Debug, Clone)]
pub struct FloatChoice {
    on: bool,
    lpr5: bool,
    spread_bp: i32,
    floor_bp: Option<u32>,
    cap_extra_bp: Option<u32>,
    /// 0: every period; 1: every 12 months; 2: every 3 months; 3: listed dates.
    reset: u8,
    reset_offset_months: u32,
}

fn float_choice() -> impl Strategy<Value = FloatChoice> {
    (
        any::<bool>(),
        any::<bool>(),
        -100i32..300,
        prop::option::of(0u32..400),
        prop::option::of(0u32..600),
        0u8..4,
        1u32..24,
    )
        .prop_map(
            |(on, lpr5, spread_bp, floor_bp, cap_extra_bp, reset, reset_offset_months)| {
                FloatChoice {
                    on,
                    lpr5,
                    spread_bp,
                    floor_bp,
                    cap_extra_bp,
                    reset,
                    reset_offset_months,
                }
            },
        )
}

/// The floating block of a generated deal.
#[derive(Debug, Clone)]
pub struct FloatingSpec {
    choices: Vec<FloatChoice>,
    /// lpr_1y path: (days after cutoff − 400, value in bp).
    steps: Vec<(u32, u32)>,
    lpr5_bp: u32,
    shift_bp: i32,
}

pub fn floating_spec() -> impl Strategy<Value = FloatingSpec> {
    (
        prop::collection::vec(float_choice(), 16),
        prop::collection::vec((0u32..3000, 100u32..600), 1..=4),
        200u32..700,
        -200i32..200,
    )
        .prop_map(|(choices, steps, lpr5_bp, shift_bp)| FloatingSpec {
            choices,
            steps,
            lpr5_bp,
            shift_bp,
        })
}

fn frac_bp(bp: i64) -> Value {
    let d = rust_decimal::Decimal::new(bp, 4);
    Value::from(d.to_string().parse::<f64>().expect("a number"))
}

fn date_of(item: &Item) -> NaiveDate {
    let s = match item.as_value() {
        Some(Value::String(s)) => s.value().clone(),
        Some(v) => v.to_string().trim().to_string(),
        None => String::new(),
    };
    NaiveDate::parse_from_str(s.trim().trim_matches('"'), "%Y-%m-%d").expect("a date")
}

fn toml_date(d: NaiveDate) -> Value {
    d.format("%Y-%m-%d")
        .to_string()
        .parse::<toml_edit::Datetime>()
        .expect("date")
        .into()
}

/// The inline `floating` table of `c`, first fixed on `origin`, resets on or before `legal`.
fn floating_table(c: &FloatChoice, origin: NaiveDate, legal: NaiveDate) -> InlineTable {
    let mut t = InlineTable::new();
    t.insert(
        "index",
        Value::from(if c.lpr5 { "lpr_5y" } else { "lpr_1y" }),
    );
    t.insert("spread", frac_bp(i64::from(c.spread_bp)));
    if let Some(f) = c.floor_bp {
        t.insert("floor", frac_bp(i64::from(f)));
    }
    if let Some(x) = c.cap_extra_bp {
        t.insert("cap", frac_bp(i64::from(c.floor_bp.unwrap_or(0) + x + 1)));
    }
    let after = |m: u32| origin.checked_add_months(Months::new(m));
    match c.reset {
        1 | 2 => {
            if let Some(from) = after(c.reset_offset_months).filter(|d| *d <= legal) {
                let every = if c.reset == 1 { 12 } else { 3 };
                t.insert("reset_every_months", Value::from(every));
                t.insert("reset_from", toml_date(from));
            }
        }
        3 => {
            let dates: Vec<NaiveDate> = (1..=3)
                .filter_map(|k| after(k * c.reset_offset_months))
                .filter(|d| *d <= legal)
                .collect();
            if !dates.is_empty() {
                let mut a = Array::new();
                for d in dates {
                    a.push(toml_date(d));
                }
                t.insert("reset_dates", Value::Array(a));
            }
        }
        _ => {}
    }
    t
}

impl FloatingSpec {
    /// Rewrites `case`'s TOML: floating coupons on some tranches, floating rates on some
    /// generated loans (periodic or day-count accrual, not bullets), and index paths in
    /// `[scenario]`.
    pub fn apply(&self, case: &Case) -> String {
        let mut doc: DocumentMut = case.toml.parse().expect("generated TOML parses");
        let cutoff = date_of(&doc["deal"]["cutoff_date"]);
        let closing = date_of(&doc["deal"]["closing_date"]);
        let legal = date_of(&doc["deal"]["legal_maturity"]);
        let mut next = self.choices.iter().cycle();
        if let Some(tranches) = doc["tranches"].as_array_of_tables_mut() {
            for t in tranches.iter_mut() {
                let c = next.next().expect("cycle");
                if c.on && t.contains_key("coupon") {
                    t.remove("coupon");
                    let f = floating_table(c, closing, legal);
                    t.insert("floating", Item::Value(Value::InlineTable(f)));
                }
            }
        }
        if let Some(obligors) = doc["obligors"].as_array_of_tables_mut() {
            for o in obligors.iter_mut() {
                let Some(assets) = o.get_mut("assets").and_then(Item::as_array_of_tables_mut)
                else {
                    continue;
                };
                for a in assets.iter_mut() {
                    let c = next.next().expect("cycle");
                    let is_loan = a.get("kind").and_then(Item::as_str) == Some("loan");
                    // Any generated loan, bullets included (schedule::floating_loan::bullet).
                    if c.on && is_loan && a.contains_key("rate") {
                        a.remove("rate");
                        let start = date_of(&a["start_date"]);
                        let f = floating_table(c, start, legal);
                        a.insert("floating", Item::Value(Value::InlineTable(f)));
                    }
                }
            }
        }
        let sc = doc["scenario"].as_table_mut().expect("[scenario]");
        let mut steps = self.steps.clone();
        steps.sort_by_key(|s| s.0);
        steps.dedup_by_key(|s| s.0);
        let mut path = Array::new();
        // Index dates must lie in 1990..2100 like every date (docs/deal-format.md): a
        // generated cutoff near 1990 starts the path on 1990-01-01.
        let base = (cutoff - chrono::Days::new(400))
            .max(NaiveDate::from_ymd_opt(1990, 1, 1).expect("date"));
        for (days, bp) in steps {
            let mut e = InlineTable::new();
            e.insert("date", toml_date(base + chrono::Days::new(u64::from(days))));
            e.insert("rate", frac_bp(i64::from(bp)));
            path.push(Value::InlineTable(e));
        }
        let mut paths = InlineTable::new();
        paths.insert("lpr_1y", Value::Array(path));
        sc.insert("index_paths", Item::Value(Value::InlineTable(paths)));
        let mut flat = InlineTable::new();
        flat.insert("lpr_5y", frac_bp(i64::from(self.lpr5_bp)));
        sc.insert("indices", Item::Value(Value::InlineTable(flat)));
        if self.shift_bp != 0 {
            sc.insert(
                "index_shift",
                Item::Value(frac_bp(i64::from(self.shift_bp))),
            );
        }
        doc.to_string()
    }
}

/// A random deal with floating rates: the deal's TOML and the base case it came from.
pub fn floating_case(opts: Opts) -> impl Strategy<Value = (String, Case)> {
    (dealgen::case(opts), floating_spec()).prop_map(|(case, spec)| (spec.apply(&case), case))
}

/// A reserve target formula (item 5).
#[derive(Debug, Clone)]
pub enum FormulaSpec {
    Fixed(i64),
    Multiple(u32),
    Share(u32, u8),
    Max(Vec<FormulaSpec>),
    Min(Vec<FormulaSpec>),
}

fn formula_spec() -> impl Strategy<Value = FormulaSpec> {
    let leaf = prop_oneof![
        (0i64..50_000_000).prop_map(FormulaSpec::Fixed),
        (0u32..40).prop_map(FormulaSpec::Multiple),
        (0u32..1000, 0u8..3).prop_map(|(s, b)| FormulaSpec::Share(s, b)),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(FormulaSpec::Max),
            prop::collection::vec(inner, 1..3).prop_map(FormulaSpec::Min),
        ]
    })
}

fn money_value(fen: i64) -> Value {
    let d = rust_decimal::Decimal::new(fen, 2);
    Value::from(d.to_string().parse::<f64>().expect("a number"))
}

impl FormulaSpec {
    fn table(&self) -> InlineTable {
        let mut t = InlineTable::new();
        match self {
            FormulaSpec::Fixed(x) => {
                t.insert("fixed", money_value(*x));
            }
            FormulaSpec::Multiple(m) => {
                t.insert("multiple", frac_bp(i64::from(*m) * 1000));
            }
            FormulaSpec::Share(s, b) => {
                t.insert("share", frac_bp(i64::from(*s)));
                let of = ["senior_balance", "pool_balance", "issue_size"][usize::from(*b % 3)];
                t.insert("of", Value::from(of));
            }
            FormulaSpec::Max(parts) | FormulaSpec::Min(parts) => {
                let mut a = Array::new();
                for p in parts {
                    a.push(Value::InlineTable(p.table()));
                }
                let key = if matches!(self, FormulaSpec::Max(_)) {
                    "max"
                } else {
                    "min"
                };
                t.insert(key, Value::Array(a));
            }
        }
        t
    }
}

/// The reserve block of a generated deal: a formula, a step-down, and a separate release step.
#[derive(Debug, Clone)]
pub struct ReserveMech {
    formula: Option<FormulaSpec>,
    step_down: Option<(u32, Option<u32>, FormulaSpec)>,
    release_at: Option<u8>,
}

pub fn reserve_mech() -> impl Strategy<Value = ReserveMech> {
    (
        prop::option::weighted(0.7, formula_spec()),
        prop::option::weighted(
            0.5,
            (1u32..36, prop::option::of(0u32..=1000), formula_spec()),
        ),
        prop::option::weighted(0.5, any::<u8>()),
    )
        .prop_map(|(formula, step_down, release_at)| ReserveMech {
            formula,
            step_down,
            release_at,
        })
}

impl ReserveMech {
    /// Rewrites the `[reserve]` of `toml` (if any) and its `top_up_reserve` steps.
    pub fn apply(&self, toml: &str) -> String {
        let mut doc: DocumentMut = toml.parse().expect("TOML parses");
        let closing = date_of(&doc["deal"]["closing_date"]);
        let legal = date_of(&doc["deal"]["legal_maturity"]);
        let Some(r) = doc.get_mut("reserve").and_then(Item::as_table_mut) else {
            return toml.to_string();
        };
        if let Some(f) = &self.formula {
            r.remove("target");
            r.remove("target_multiple");
            r.insert("formula", Item::Value(Value::InlineTable(f.table())));
        }
        if let Some((months, ratio, f)) = &self.step_down
            && let Some(after) = closing
                .checked_add_months(Months::new(*months))
                .filter(|d| *d <= legal)
        {
            let mut s = InlineTable::new();
            s.insert("after", toml_date(after));
            if let Some(x) = ratio {
                s.insert("default_ratio_below", frac_bp(i64::from(*x) * 10));
            }
            s.insert("formula", Value::InlineTable(f.table()));
            r.insert("step_down", Item::Value(Value::InlineTable(s)));
        }
        if let Some(pos) = self.release_at
            && let Some(ws) = doc.get_mut("waterfalls").and_then(Item::as_table_like_mut)
        {
            for (_, w) in ws.iter_mut() {
                let Some(steps) = w.as_array_mut() else {
                    continue;
                };
                let top = steps.iter().position(|s| {
                    s.as_inline_table()
                        .and_then(|t| t.get("action"))
                        .and_then(Value::as_str)
                        == Some("top_up_reserve")
                });
                let Some(top) = top else {
                    continue;
                };
                if let Some(t) = steps.get_mut(top).and_then(Value::as_inline_table_mut) {
                    t.insert("release", Value::from(false));
                }
                // Before the residual step (a step after it is an error).
                let end = residual_index(steps).max(top + 1);
                let at = top + 1 + usize::from(pos) % (end - top);
                let mut rel = InlineTable::new();
                rel.insert("action", Value::from("release_reserve"));
                steps.insert(at, Value::InlineTable(rel));
            }
        }
        doc.to_string()
    }
}

/// A random deal with floating rates and reserve formulas.
pub fn mechanics_case(opts: Opts) -> impl Strategy<Value = (String, Case)> {
    (floating_case(opts), reserve_mech())
        .prop_map(|((toml, case), reserve)| (reserve.apply(&toml), case))
}

/// One fee's choices: cap in fen, start and end (indices into the payment dates), and
/// whether an annual-rate fee is based on the interest paid to the first tranche.
type FeeChoice = (Option<i64>, Option<u8>, Option<u8>, bool);

/// The fee block of a generated deal (item 4): caps with excess steps, start and end dates,
/// fees on interest paid, and fees paid in two parts.
#[derive(Debug, Clone)]
pub struct FeeMech {
    /// Per fee (cyclic): (cap in fen, start index, end index, interest_paid base).
    fees: Vec<FeeChoice>,
    /// Per `pay_fee` step (cyclic): split with this share in thousandths.
    shares: Vec<Option<u32>>,
    excess_at: u8,
}

pub fn fee_mech() -> impl Strategy<Value = FeeMech> {
    (
        prop::collection::vec(
            (
                prop::option::weighted(0.4, 0i64..5_000_000),
                prop::option::weighted(0.3, any::<u8>()),
                prop::option::weighted(0.3, any::<u8>()),
                prop::bool::weighted(0.2),
            ),
            4,
        ),
        prop::collection::vec(prop::option::weighted(0.4, 1u32..=1000), 4),
        any::<u8>(),
    )
        .prop_map(|(fees, shares, excess_at)| FeeMech {
            fees,
            shares,
            excess_at,
        })
}

impl FeeMech {
    /// Rewrites the fees and `pay_fee` steps of `toml`, whose payment dates are `dates`.
    pub fn apply(&self, toml: &str, dates: &[NaiveDate]) -> String {
        let mut doc: DocumentMut = toml.parse().expect("TOML parses");
        let first_tranche = doc["tranches"]
            .as_array_of_tables()
            .and_then(|t| t.iter().next())
            .and_then(|t| t.get("name"))
            .and_then(Item::as_str)
            .map(str::to_string);
        let mut capped: Vec<String> = Vec::new();
        if let Some(fees) = doc.get_mut("fees").and_then(Item::as_array_of_tables_mut) {
            for (f, (cap, start, end, on_paid)) in fees.iter_mut().zip(self.fees.iter().cycle()) {
                let kind = f
                    .get("kind")
                    .and_then(Item::as_str)
                    .unwrap_or("")
                    .to_string();
                if let Some(c) = cap {
                    f.insert("cap", Item::Value(money_value(*c)));
                    if let Some(n) = f.get("name").and_then(Item::as_str) {
                        capped.push(n.to_string());
                    }
                }
                if kind == "one_off" || dates.is_empty() {
                    continue;
                }
                let s = start.map(|i| usize::from(i) % dates.len());
                let e =
                    end.map(|i| s.unwrap_or(0) + usize::from(i) % (dates.len() - s.unwrap_or(0)));
                if let Some(s) = s {
                    f.insert("start", Item::Value(toml_date(dates[s])));
                }
                if let Some(e) = e {
                    f.insert("end", Item::Value(toml_date(dates[e])));
                }
                if *on_paid
                    && kind == "annual_rate"
                    && let Some(t) = &first_tranche
                {
                    f.insert(
                        "base",
                        Item::Value(Value::from(format!("interest_paid:{t}"))),
                    );
                }
            }
        }
        if let Some(ws) = doc.get_mut("waterfalls").and_then(Item::as_table_like_mut) {
            for (_, w) in ws.iter_mut() {
                let Some(steps) = w.as_array_mut() else {
                    continue;
                };
                let fee_steps: Vec<usize> = (0..steps.len())
                    .filter(|&i| {
                        steps
                            .get(i)
                            .and_then(Value::as_inline_table)
                            .and_then(|t| t.get("action"))
                            .and_then(Value::as_str)
                            == Some("pay_fee")
                    })
                    .collect();
                // Split steps from the last so earlier indices stay valid.
                for (n, &i) in fee_steps.iter().enumerate().rev() {
                    if let Some(Some(share)) = self.shares.get(n % self.shares.len()) {
                        let mut first = steps
                            .get(i)
                            .and_then(Value::as_inline_table)
                            .cloned()
                            .expect("step");
                        first.insert("share", frac_bp(i64::from(*share) * 10));
                        steps.insert(i, Value::InlineTable(first));
                    }
                }
                if !capped.is_empty() {
                    let at = usize::from(self.excess_at) % (residual_index(steps) + 1);
                    let mut t = InlineTable::new();
                    t.insert("action", Value::from("pay_fee"));
                    let mut names = Array::new();
                    for c in &capped {
                        names.push(c.as_str());
                    }
                    t.insert("fees", Value::Array(names));
                    t.insert("part", Value::from("excess"));
                    steps.insert(at, Value::InlineTable(t));
                }
            }
        }
        doc.to_string()
    }
}

/// A random deal with floating rates, reserve formulas and fee mechanics.
pub fn all_mechanics_case(opts: Opts) -> impl Strategy<Value = (String, Case)> {
    (mechanics_case(opts), fee_mech()).prop_map(|((toml, case), fees)| {
        let dates: Vec<NaiveDate> = ipabs::validate::deal_from_str("base.toml", &case.toml)
            .map(|l| l.deal.periods.iter().map(|p| p.date()).collect())
            .unwrap_or_default();
        (fees.apply(&toml, &dates), case)
    })
}

/// The index of the first `pay_residual` step, or the number of steps.
fn residual_index(steps: &Array) -> usize {
    steps
        .iter()
        .position(|s| {
            s.as_inline_table()
                .and_then(|t| t.get("action"))
                .and_then(Value::as_str)
                == Some("pay_residual")
        })
        .unwrap_or(steps.len())
}
