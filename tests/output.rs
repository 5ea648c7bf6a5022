//! Output layer: Parquet tables written atomically, read back with polars; the terminal table.

use std::fs::{self, File};
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use ipabs::analytics::measures::{PricedRun, TranchePricing};
use ipabs::engine::result::{
    Account, AccountNames, ChargeRow, Conservation, LedgerEntry, Movement, NoticeRow, PeriodRow,
    PoolFlowRow, PoolFlows, RunResult, SupportDrawTotal, TrancheFlowRow, TrancheSummary,
};
use ipabs::error::Error;
use ipabs::output::table::{display_width, summary_table};
use ipabs::output::{RUN_FILES, write_run_tables};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn flow(
    period: u32,
    tranche: &str,
    class: &str,
    balance_start: Decimal,
    interest_due: Decimal,
    interest_paid: Decimal,
    principal_paid: Decimal,
    residual_paid: Decimal,
    coverage_multiple: Option<Decimal>,
) -> TrancheFlowRow {
    TrancheFlowRow {
        period,
        payment_date: if period == 1 {
            date(2026, 6, 26)
        } else {
            date(2026, 9, 26)
        },
        tranche: tranche.to_string().into(),
        class: class.to_string().into(),
        balance_start,
        interest_due,
        interest_paid,
        interest_shortfall: interest_due - interest_paid,
        interest_residual: Decimal::ZERO,
        principal_due: principal_paid,
        principal_paid,
        residual_paid,
        balance_end: balance_start - principal_paid,
        coverage_multiple,
    }
}

fn pool(period: u32, obligor: &str, collected: Decimal, balance_end: Decimal) -> PoolFlowRow {
    PoolFlowRow {
        period,
        payment_date: if period == 1 {
            date(2026, 6, 26)
        } else {
            date(2026, 9, 26)
        },
        obligor: obligor.to_string().into(),
        scheduled: collected,
        collected,
        principal_collected: collected - dec!(1000.00),
        interest_collected: dec!(1000.00),
        prepaid: dec!(0),
        defaulted: dec!(0),
        recovered: dec!(0),
        delayed: dec!(0),
        balance_end,
    }
}

fn period(n: u32, pool_cash: Decimal, brought_forward: Decimal) -> PeriodRow {
    let (start, end, pay) = if n == 1 {
        (date(2026, 3, 31), date(2026, 5, 31), date(2026, 6, 26))
    } else {
        (date(2026, 6, 1), date(2026, 8, 31), date(2026, 9, 26))
    };
    PeriodRow {
        period: n,
        payment_date: pay,
        collection_start: start,
        collection_end: end,
        pool_cash,
        cash_brought_forward: brought_forward,
        available_funds: pool_cash + brought_forward,
        // The date's cash adds up (docs/output.md): period 1, 700,000.00 + 1,620.12 drawn =
        // 321.09 + 1,500.00 + 10,123.45 + 617,283.94 − 200.50 + 72,592.14 = 701,620.12;
        // period 2, 1,272,592.14 + 5,000.00 = 629,228.48 + the residual 575,771.52 + 72,592.14.
        reserve_draws: if n == 1 { dec!(1620.12) } else { dec!(0) },
        support_draws: if n == 2 { dec!(5000.00) } else { dec!(0) },
        taxes_paid: dec!(321.09),
        fees_paid: dec!(1500.00),
        interest_paid: dec!(10123.45),
        principal_paid: dec!(617283.94),
        residual_paid: if n == 2 { dec!(575771.52) } else { dec!(0) },
        reserve_deposit: if n == 1 { dec!(-200.50) } else { dec!(0) },
        coverage_multiple: if n == 1 { Some(dec!(1.234567)) } else { None },
        cumulative_default_ratio: dec!(0.012345),
        waterfall: "pre_default".to_string().into(),
        triggers_tripped: if n == 2 {
            "加速清偿,违约事件".to_string()
        } else {
            String::new()
        },
        collection_balance_end: dec!(72592.14),
        reserve_balance_end: dec!(10000.00),
        pool_balance_end: dec!(900000.00),
        senior_balance_end: dec!(617283.95),
        guarantee_payment: dec!(0),
        support_repaid: dec!(0),
        support_interest_paid: dec!(0),
        purchases: dec!(0),
        restated: dec!(0),
        commingled: dec!(0),
        accounts_balance_end: None,
        pdl_balance_end: None,
        reserve_target: None,
    }
}

/// A tax or fee row: `due` and `paid`, the rest carried as arrears.
fn charge(n: u32, kind: &'static str, name: &str, due: Decimal, paid: Decimal) -> ChargeRow {
    ChargeRow {
        period: n,
        payment_date: if n == 1 {
            date(2026, 6, 26)
        } else {
            date(2026, 9, 26)
        },
        kind: kind.into(),
        name: name.to_string().into(),
        charged: due,
        due,
        paid,
        arrears: due - paid,
    }
}

/// A ledger entry paying `item` (tranche 0 is the senior, 1 the subordinated) out of the
/// collection account.
fn entry(n: u32, step: u32, action: Movement, item: &str, amount: Decimal) -> LedgerEntry {
    LedgerEntry {
        period: n,
        date: if n == 1 {
            date(2026, 6, 26)
        } else {
            date(2026, 9, 26)
        },
        step,
        action,
        item: item.to_string().into(),
        source: Account::Collection,
        destination: Account::Tranche(usize::from(item == "Sub")),
        amount,
        reason: "a reason",
    }
}

/// 2 tranches × 2 periods, 2 obligors, 5 ledger entries; a Chinese tranche name, a `None`
/// coverage multiple, a `None` rating, yield and WAL.
fn sample_run(scenario: &str) -> PricedRun {
    let run = sample_engine_run(scenario);
    PricedRun {
        run,
        pricing: vec![
            TranchePricing {
                wal_years: Some(0.365_753_424_657),
                yield_at_par: Some(0.035_123),
                settlement_date: Some(date(2026, 1, 1)),
                price: Some(100.0),
                yield_: Some(0.035_123),
                macaulay_duration: Some(0.36),
                modified_duration: Some(0.35),
                convexity: Some(0.5),
                spread: None,
            },
            TranchePricing::default(),
        ],
        paid_in_full: vec![true, false],
    }
}

/// The engine tables of [`sample_run`].
fn sample_engine_run(scenario: &str) -> RunResult {
    let senior = "优先A级";
    let sub = "Sub";
    RunResult {
        deal: "某知识产权ABS".to_string(),
        scenario: scenario.to_string(),
        periods: vec![
            period(1, dec!(700000.00), dec!(0)),
            period(2, dec!(1200000.00), dec!(72592.14)),
        ],
        tranche_flows: vec![
            flow(
                1,
                senior,
                "senior",
                dec!(1234567.89),
                dec!(10802.47),
                dec!(10000.00),
                dec!(617283.94),
                dec!(0),
                Some(dec!(1.234567)),
            ),
            flow(
                1,
                sub,
                "subordinated",
                dec!(500000.00),
                dec!(123.45),
                dec!(123.45),
                dec!(0),
                dec!(0),
                None,
            ),
            flow(
                2,
                senior,
                "senior",
                dec!(617283.95),
                dec!(6203.71),
                dec!(6203.71),
                dec!(617283.95),
                dec!(0),
                Some(dec!(1.5)),
            ),
            flow(
                2,
                sub,
                "subordinated",
                dec!(500000.00),
                dec!(0),
                dec!(0),
                dec!(500000.00),
                dec!(1000.00),
                Some(dec!(1.02)),
            ),
        ],
        pool_flows: PoolFlows::from_rows(&[
            pool(1, "北京某影视公司", dec!(400000.00), dec!(700000.00)),
            pool(1, "Obligor B", dec!(300000.00), dec!(500000.00)),
            pool(2, "北京某影视公司", dec!(700000.00), dec!(0)),
            pool(2, "Obligor B", dec!(500000.00), dec!(0)),
        ])
        .unwrap(),
        ledger: vec![
            entry(1, 0, Movement::Deposit, "pool", dec!(700000.00)),
            entry(1, 3, Movement::PayInterest, senior, dec!(10000.00)),
            entry(1, 3, Movement::PayInterest, sub, dec!(123.45)),
            entry(1, 5, Movement::PayPrincipal, senior, dec!(617283.94)),
            entry(2, 7, Movement::PayResidual, sub, dec!(1000.00)),
        ],
        accounts: AccountNames::from_names(&[], &[senior, sub], &[], &[]),
        summary: vec![
            TrancheSummary {
                tranche: senior.to_string(),
                class: "senior".to_string(),
                rating: Some("AAA".to_string()),
                initial_balance: dec!(1234567.89),
                coupon: dec!(0.035),
                total_interest: dec!(16203.71),
                total_principal: dec!(1234567.89),
                total_residual: dec!(0),
                principal_loss: dec!(0),
                interest_shortfall: dec!(0),
                final_payment_date: Some(date(2026, 9, 26)),
                min_coverage_multiple: Some(dec!(1.234567)),
                paid: None,
            },
            TrancheSummary {
                tranche: sub.to_string(),
                class: "subordinated".to_string(),
                rating: None,
                initial_balance: dec!(500000.00),
                coupon: dec!(0),
                total_interest: dec!(123.45),
                total_principal: dec!(500000.00),
                total_residual: dec!(1000.00),
                principal_loss: dec!(0),
                interest_shortfall: dec!(0),
                final_payment_date: Some(date(2026, 9, 26)),
                min_coverage_multiple: None,
                paid: None,
            },
        ],
        support_draws: vec![SupportDrawTotal {
            support: "差额支付".to_string(),
            provider: "原始权益人".to_string(),
            total: dec!(5000.00),
            repaid: dec!(0),
            interest_paid: dec!(0),
            interest_unpaid: dec!(0),
            failure: None,
        }],
        // The period rows' taxes_paid 321.09 and fees_paid 1,500.00: in period 2 the manager
        // fee is 200.00 short, carried as arrears (1,700.00 due, 1,500.00 paid).
        notices: vec![NoticeRow {
            period: 1,
            payment_date: NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
            tranche: senior.to_string().into(),
            record_date: NaiveDate::from_ymd_opt(2024, 3, 29).unwrap(),
            units: 12345,
            // The senior's flow row pays 10,000.00 of interest: 0.8100 per 100 × 12,345 units
            // = 9,999.45 to holders, 0.55 of interest 尾差 (review 38b item 3: the sample's
            // notice paid more than its tranche, which the check now reads).
            interest_per_100: dec!(0.8100),
            principal_per_100: dec!(50.0000),
            total_per_100: dec!(50.8100),
            interest_paid: dec!(9999.45),
            principal_paid: dec!(617250.00),
            // 0.55 of interest and 617,283.94 − 617,250.00 = 33.94 of principal.
            residual: dec!(34.49),
            face_per_100_after: dec!(50.0000),
            // 0.00005 × (9,999.45 + 617,250.00) = 31.3624725 → 31.36.
            csdc_fee: dec!(31.36),
            // 9,999.45 + 617,250.00 + 31.36 = 627,280.81; per 100 of the initial 1,234,500
            // it is 50.8125…, past the fen: the 1,000.00 长款, transfer 628,280.81.
            csdc_buffer: dec!(1000.00),
            transfer: dec!(628280.81),
            // The senior's flow row: 10,802.47 due, 10,000.00 paid: 802.47 unpaid (the check
            // of tests/python/check_parquet.py, the_sample_runs_pass_the_python_check).
            interest_unpaid: dec!(802.47),
            interest_residual: dec!(0.55),
            // 2024-01-01 → 2024-04-01: 31 + 29 + 31 = 91 days; 3.5% a year (a quarter of it
            // is 0.875 per 100; the sample's figure is lower, as the tranche was paid short).
            accrual_start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            accrual_end: NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
            coupon: dec!(0.035),
        }],
        charges: vec![
            charge(1, "tax", "vat", dec!(321.09), dec!(321.09)),
            charge(1, "fee", "管理费", dec!(1500.00), dec!(1500.00)),
            charge(2, "tax", "vat", dec!(321.09), dec!(321.09)),
            charge(2, "fee", "管理费", dec!(1700.00), dec!(1500.00)),
        ],
        cumulative_default_ratio: dec!(0.012345),
        beyond_horizon: dec!(0),
        first_trigger: None,
        first_unplanned_trigger: None,
        support_drawn: dec!(5000.00),
        regime: 0,
        conservation: Conservation {
            pool_cash: dec!(1900000.00),
            support_draws: dec!(5000.00),
            reserve_funding: dec!(10000.00),
            restated: dec!(0),
            payments: dec!(1822407.86),
            commingled: dec!(0),
            purchases: dec!(0),
            collection_end: dec!(72592.14),
            reserve_end: dec!(20000.00),
            call_price: dec!(0),
            accounts_end: dec!(0),
            subrogation: dec!(0),
            investment_income: dec!(0),
            support_repaid: dec!(0),
            support_interest: dec!(0),
        },
        warnings: Vec::new(),
    }
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn names(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn money_at(df: &DataFrame, col: &str, row: usize) -> Decimal {
    let c = df.column(col).unwrap().decimal().unwrap();
    assert_eq!(c.precision(), 18, "{col}");
    assert_eq!(c.scale(), 2, "{col}");
    Decimal::from_i128_with_scale(c.physical().get(row).unwrap(), 2)
}

fn str_at(df: &DataFrame, col: &str, row: usize) -> Option<String> {
    df.column(col)
        .unwrap()
        .str()
        .unwrap()
        .get(row)
        .map(str::to_string)
}

fn date_at(df: &DataFrame, col: &str, row: usize) -> Option<NaiveDate> {
    let days = df
        .column(col)
        .unwrap()
        .date()
        .unwrap()
        .physical()
        .get(row)?;
    NaiveDate::from_num_days_from_ce_opt(days + 719_163)
}

/// Files and directories in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const MONEY: DataType = DataType::Decimal(18, 2);
const RATIO: DataType = DataType::Decimal(18, 6);

/// (file, [(column, dtype)]) for every table.
fn expected_schema() -> Vec<(&'static str, Vec<(&'static str, DataType)>)> {
    use DataType::{Boolean, Date, Float64, Int32, String as Str};
    let key = || vec![("deal", Str), ("scenario", Str)];
    let with_key = |cols: Vec<(&'static str, DataType)>| {
        let mut v = key();
        v.extend(cols);
        v
    };
    vec![
        (
            "tranche_flows.parquet",
            with_key(vec![
                ("period", Int32),
                ("payment_date", Date),
                ("tranche", Str),
                ("class", Str),
                ("balance_start", MONEY),
                ("interest_due", MONEY),
                ("interest_paid", MONEY),
                ("interest_shortfall", MONEY),
                ("principal_due", MONEY),
                ("principal_paid", MONEY),
                ("residual_paid", MONEY),
                ("balance_end", MONEY),
                ("coverage_multiple", RATIO),
            ]),
        ),
        (
            "pool_flows.parquet",
            with_key(vec![
                ("period", Int32),
                ("payment_date", Date),
                ("obligor", Str),
                ("scheduled", MONEY),
                ("collected", MONEY),
                ("principal_collected", MONEY),
                ("interest_collected", MONEY),
                ("prepaid", MONEY),
                ("defaulted", MONEY),
                ("recovered", MONEY),
                ("delayed", MONEY),
                ("balance_end", MONEY),
            ]),
        ),
        (
            "ledger.parquet",
            with_key(vec![
                ("period", Int32),
                ("date", Date),
                ("step", Int32),
                ("action", Str),
                ("item", Str),
                ("source", Str),
                ("destination", Str),
                ("amount", MONEY),
                ("reason", Str),
            ]),
        ),
        (
            "periods.parquet",
            with_key(vec![
                ("period", Int32),
                ("payment_date", Date),
                ("collection_start", Date),
                ("collection_end", Date),
                ("pool_cash", MONEY),
                ("cash_brought_forward", MONEY),
                ("available_funds", MONEY),
                ("reserve_draws", MONEY),
                ("support_draws", MONEY),
                ("taxes_paid", MONEY),
                ("fees_paid", MONEY),
                ("interest_paid", MONEY),
                ("principal_paid", MONEY),
                ("residual_paid", MONEY),
                ("reserve_deposit", MONEY),
                ("coverage_multiple", RATIO),
                ("cumulative_default_ratio", RATIO),
                ("waterfall", Str),
                ("triggers_tripped", Str),
                ("collection_balance_end", MONEY),
                ("reserve_balance_end", MONEY),
                ("pool_balance_end", MONEY),
                ("senior_balance_end", MONEY),
                ("guarantee_payment", MONEY),
                ("support_repaid", MONEY),
                ("support_interest_paid", MONEY),
                ("purchases", MONEY),
                ("restated", MONEY),
                ("commingled", MONEY),
            ]),
        ),
        (
            "summary.parquet",
            with_key(vec![
                ("tranche", Str),
                ("class", Str),
                ("rating", Str),
                ("initial_balance", MONEY),
                ("coupon", RATIO),
                ("total_interest", MONEY),
                ("total_principal", MONEY),
                ("total_residual", MONEY),
                ("principal_loss", MONEY),
                ("interest_shortfall", MONEY),
                ("final_payment_date", Date),
                ("wal_years", Float64),
                ("min_coverage_multiple", RATIO),
                ("yield_at_par", Float64),
                ("settlement_date", Date),
                ("price", Float64),
                ("yield", Float64),
                ("macaulay_duration", Float64),
                ("modified_duration", Float64),
                ("convexity", Float64),
                ("spread", Float64),
                ("support_drawn", MONEY),
                ("cumulative_default_ratio", RATIO),
                ("first_trigger", Str),
                ("first_trigger_date", Date),
                ("paid_in_full", Boolean),
            ]),
        ),
        (
            "support.parquet",
            with_key(vec![
                ("support", Str),
                ("provider", Str),
                ("total", MONEY),
                ("repaid", MONEY),
                ("failed_from", Date),
                ("interest_paid", MONEY),
                ("interest_unpaid", MONEY),
            ]),
        ),
        (
            "fees.parquet",
            with_key(vec![
                ("period", Int32),
                ("payment_date", Date),
                ("kind", Str),
                ("name", Str),
                ("due", MONEY),
                ("paid", MONEY),
                ("arrears", MONEY),
                ("charged", MONEY),
            ]),
        ),
        (
            "payment_notices.parquet",
            with_key(vec![
                ("tranche", Str),
                ("period", Int32),
                ("payment_date", Date),
                ("record_date", Date),
                ("units", DataType::Int64),
                ("interest_per_100", DataType::Decimal(18, 4)),
                ("principal_per_100", DataType::Decimal(18, 4)),
                ("total_per_100", DataType::Decimal(18, 4)),
                ("interest_paid", MONEY),
                ("principal_paid", MONEY),
                ("residual", MONEY),
                ("face_per_100_after", DataType::Decimal(18, 4)),
                ("csdc_fee", MONEY),
                ("csdc_buffer", MONEY),
                ("transfer", MONEY),
                ("interest_unpaid", MONEY),
                ("interest_residual", MONEY),
                ("accrual_start", Date),
                ("accrual_end", Date),
                ("accrual_days", DataType::Int64),
                ("coupon", RATIO),
            ]),
        ),
    ]
}

#[test]
fn writes_every_table_with_its_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out").join("nested");
    let paths = write_run_tables(&dir, &[sample_run("base")]).unwrap();
    let expected: Vec<_> = RUN_FILES.iter().map(|f| dir.join(f)).collect();
    assert_eq!(paths, expected);
    assert_eq!(listing(&dir), {
        let mut v: Vec<String> = RUN_FILES.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    });

    let schema = expected_schema();
    assert_eq!(
        schema.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        RUN_FILES.to_vec()
    );
    let run = sample_run("base");
    let heights = [
        run.tranche_flows.len(),
        run.pool_flows.len(),
        run.ledger.len(),
        run.periods.len(),
        run.summary.len(),
        run.support_draws.len(),
        run.charges.len(),
        run.notices.len(),
    ];
    for ((file, cols), height) in schema.iter().zip(heights) {
        let df = read(&dir.join(file));
        let want: Vec<String> = cols.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(names(&df), want, "{file}");
        for (name, dtype) in cols {
            assert_eq!(df.column(name).unwrap().dtype(), dtype, "{file}: {name}");
        }
        assert_eq!(df.height(), height, "{file}");
        assert_eq!(str_at(&df, "deal", 0).as_deref(), Some("某知识产权ABS"));
        assert_eq!(str_at(&df, "scenario", 0).as_deref(), Some("base"));
    }
}

/// fees.parquet: one row per tax and fee per date, the arrears carried (1,700.00 − 1,500.00).
#[test]
fn fee_arrears_are_in_the_fee_table() {
    let tmp = tempfile::tempdir().unwrap();
    write_run_tables(tmp.path(), &[sample_run("base")]).unwrap();
    let df = read(&tmp.path().join("fees.parquet"));
    assert_eq!(df.height(), 4);
    assert_eq!(str_at(&df, "kind", 3).as_deref(), Some("fee"));
    assert_eq!(str_at(&df, "name", 3).as_deref(), Some("管理费"));
    assert_eq!(money_at(&df, "due", 3), dec!(1700.00));
    assert_eq!(money_at(&df, "paid", 3), dec!(1500.00));
    assert_eq!(money_at(&df, "arrears", 3), dec!(200.00));
    assert_eq!(money_at(&df, "arrears", 2), dec!(0));
}

#[test]
fn values_round_trip_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let run = sample_run("base");
    write_run_tables(tmp.path(), std::slice::from_ref(&run)).unwrap();

    let tf = read(&tmp.path().join("tranche_flows.parquet"));
    // 123.45 is stored as mantissa 12345 at scale 2.
    let interest = tf.column("interest_paid").unwrap().decimal().unwrap();
    assert_eq!(interest.physical().get(1), Some(12345));
    assert_eq!(interest.scale(), 2);
    assert_eq!(str_at(&tf, "tranche", 0).as_deref(), Some("优先A级"));
    assert_eq!(tf.column("period").unwrap().i32().unwrap().get(2), Some(2));
    assert_eq!(date_at(&tf, "payment_date", 0), Some(date(2026, 6, 26)));
    let cov = tf.column("coverage_multiple").unwrap().decimal().unwrap();
    assert_eq!(cov.physical().get(0), Some(1_234_567));
    assert_eq!(cov.physical().get(1), None, "None coverage is null");
    assert_eq!(cov.physical().get(2), Some(1_500_000));
    assert_eq!(cov.null_count(), 1);
    for (i, row) in run.tranche_flows.iter().enumerate() {
        assert_eq!(money_at(&tf, "balance_start", i), row.balance_start);
        assert_eq!(
            money_at(&tf, "interest_shortfall", i),
            row.interest_shortfall
        );
        assert_eq!(money_at(&tf, "principal_paid", i), row.principal_paid);
        assert_eq!(money_at(&tf, "residual_paid", i), row.residual_paid);
        assert_eq!(money_at(&tf, "balance_end", i), row.balance_end);
    }

    let pf = read(&tmp.path().join("pool_flows.parquet"));
    assert_eq!(str_at(&pf, "obligor", 0).as_deref(), Some("北京某影视公司"));
    assert_eq!(money_at(&pf, "collected", 3), dec!(500000.00));

    let ledger = read(&tmp.path().join("ledger.parquet"));
    assert_eq!(
        ledger.column("step").unwrap().i32().unwrap().get(3),
        Some(5)
    );
    assert_eq!(money_at(&ledger, "amount", 3), dec!(617283.94));
    assert_eq!(
        str_at(&ledger, "destination", 1).as_deref(),
        Some("tranche:优先A级")
    );

    let periods = read(&tmp.path().join("periods.parquet"));
    assert_eq!(money_at(&periods, "reserve_deposit", 0), dec!(-200.50));
    assert_eq!(money_at(&periods, "available_funds", 1), dec!(1272592.14));
    assert_eq!(
        date_at(&periods, "collection_start", 1),
        Some(date(2026, 6, 1))
    );
    assert_eq!(str_at(&periods, "triggers_tripped", 0).as_deref(), Some(""));
    assert_eq!(
        str_at(&periods, "triggers_tripped", 1).as_deref(),
        Some("加速清偿,违约事件")
    );
    let cdr = periods
        .column("cumulative_default_ratio")
        .unwrap()
        .decimal()
        .unwrap();
    assert_eq!(cdr.physical().get(1), Some(12_345));

    let summary = read(&tmp.path().join("summary.parquet"));
    assert_eq!(str_at(&summary, "rating", 0).as_deref(), Some("AAA"));
    assert_eq!(str_at(&summary, "rating", 1), None);
    let wal = summary.column("wal_years").unwrap().f64().unwrap();
    assert_eq!(wal.get(0), Some(0.365_753_424_657));
    assert_eq!(wal.get(1), None);
    let coupon = summary.column("coupon").unwrap().decimal().unwrap();
    assert_eq!(coupon.physical().get(0), Some(35_000));
    assert_eq!(
        date_at(&summary, "final_payment_date", 1),
        Some(date(2026, 9, 26))
    );
    assert_eq!(money_at(&summary, "initial_balance", 0), dec!(1234567.89));

    let support = read(&tmp.path().join("support.parquet"));
    assert_eq!(
        str_at(&support, "provider", 0).as_deref(),
        Some("原始权益人")
    );
    assert_eq!(money_at(&support, "total", 0), dec!(5000.00));
}

#[test]
fn runs_are_stacked_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = [sample_run("base"), sample_run("stress")];
    write_run_tables(tmp.path(), &runs).unwrap();
    let tf = read(&tmp.path().join("tranche_flows.parquet"));
    assert_eq!(tf.height(), 8);
    let scenarios: Vec<Option<String>> = (0..8).map(|i| str_at(&tf, "scenario", i)).collect();
    let want: Vec<Option<String>> = ["base"; 4]
        .iter()
        .chain(["stress"; 4].iter())
        .map(|s| Some(s.to_string()))
        .collect();
    assert_eq!(scenarios, want);
    assert_eq!(money_at(&tf, "balance_start", 4), dec!(1234567.89));
}

#[test]
fn no_runs_give_empty_tables_with_the_full_schema() {
    let tmp = tempfile::tempdir().unwrap();
    write_run_tables(tmp.path(), &[]).unwrap();
    for (file, cols) in expected_schema() {
        let df = read(&tmp.path().join(file));
        assert_eq!(df.height(), 0);
        for (name, dtype) in &cols {
            assert_eq!(df.column(name).unwrap().dtype(), dtype, "{file}: {name}");
        }
    }
}

#[test]
fn output_is_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let runs = [sample_run("base"), sample_run("stress")];
    write_run_tables(a.path(), &runs).unwrap();
    write_run_tables(b.path(), &runs).unwrap();
    for f in RUN_FILES {
        let x = fs::read(a.path().join(f)).unwrap();
        let y = fs::read(b.path().join(f)).unwrap();
        assert!(!x.is_empty());
        assert!(x == y, "{f} differs between two writes");
    }
    // Overwriting in place gives the same bytes too.
    write_run_tables(a.path(), &runs).unwrap();
    for f in RUN_FILES {
        assert!(fs::read(a.path().join(f)).unwrap() == fs::read(b.path().join(f)).unwrap());
    }
    assert_eq!(listing(a.path()).len(), RUN_FILES.len());
}

fn assert_write_error(result: Result<Vec<std::path::PathBuf>, Error>, file: &str, needle: &str) {
    match result {
        Err(Error::Write { path, message }) => {
            assert!(
                path.ends_with(file),
                "path {} should end in {file}",
                path.display()
            );
            assert!(message.contains(needle), "message: {message}");
        }
        other => panic!("expected a write error, got {other:?}"),
    }
}

#[test]
fn an_amount_with_three_decimals_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let mut run = sample_run("base");
    run.tranche_flows[2].interest_paid = dec!(6203.705);
    let result = write_run_tables(tmp.path(), &[run]);
    assert_write_error(result, "tranche_flows.parquet", "interest_paid");
    assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));

    // A later table failing leaves nothing either (and the message names the row): fees,
    // after the summary (whose `support_drawn` sums the supports, so a bad support total
    // now fails there first).
    let mut run = sample_run("base");
    run.charges[0].paid = dec!(0.001);
    let err = write_run_tables(tmp.path(), &[run]);
    assert_write_error(err, "fees.parquet", "row 0");
    assert!(listing(tmp.path()).is_empty());
}

#[test]
fn values_that_do_not_fit_are_refused() {
    let tmp = tempfile::tempdir().unwrap();

    let mut run = sample_run("base");
    run.periods[0].coverage_multiple = Some(dec!(1.2345678));
    assert_write_error(
        write_run_tables(tmp.path(), &[run]),
        "periods.parquet",
        "coverage_multiple",
    );

    // Too large for its column: the deal's amounts, exit code 2 (review 27b item M1), with
    // the file, the column and what to check.
    let mut run = sample_run("base");
    run.ledger[0].amount = dec!(10000000000000000.00); // 10^16
    match write_run_tables(tmp.path(), &[run]) {
        Err(e @ Error::Usage(_)) => {
            assert_eq!(e.exit_code(), 2);
            let m = e.to_string();
            for part in [
                "ledger.parquet",
                "column `amount`",
                "too large",
                "yuan, not fen",
            ] {
                assert!(m.contains(part), "{m}");
            }
        }
        other => panic!("expected a usage error, got {other:?}"),
    }
    assert!(listing(tmp.path()).is_empty());

    // Just below the limit is fine.
    let mut run = sample_run("base");
    run.ledger[0].amount = dec!(9999999999999999.99);
    run.ledger[1].amount = dec!(-9999999999999999.99);
    write_run_tables(tmp.path(), &[run]).unwrap();
    let ledger = read(&tmp.path().join("ledger.parquet"));
    assert_eq!(money_at(&ledger, "amount", 0), dec!(9999999999999999.99));
    assert_eq!(money_at(&ledger, "amount", 1), dec!(-9999999999999999.99));

    let dir = tmp.path().join("nan");
    let mut run = sample_run("base");
    run.pricing[0].wal_years = Some(f64::NAN);
    assert_write_error(
        write_run_tables(&dir, &[run]),
        "summary.parquet",
        "wal_years",
    );
    assert!(
        !dir.exists(),
        "nothing is created when a table cannot be built"
    );
}

#[test]
fn a_parent_that_is_a_file_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not_a_dir");
    fs::write(&file, b"x").unwrap();
    let dir = file.join("out");
    match write_run_tables(&dir, &[sample_run("base")]) {
        Err(e @ Error::Write { .. }) => {
            assert_eq!(e.exit_code(), 1);
            assert!(e.to_string().contains("not_a_dir"), "{e}");
        }
        other => panic!("expected a write error, got {other:?}"),
    }
    assert_eq!(listing(tmp.path()), vec!["not_a_dir".to_string()]);
    assert_eq!(fs::read(&file).unwrap(), b"x");
}

#[test]
fn a_failed_rename_rolls_back_and_restores_replaced_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // An old file that will be replaced first, and a directory where a later file must go.
    fs::write(dir.join("tranche_flows.parquet"), b"old").unwrap();
    fs::create_dir(dir.join("summary.parquet")).unwrap();
    let result = write_run_tables(dir, &[sample_run("base")]);
    assert_write_error(result, "summary.parquet", "not a regular file");
    assert_eq!(
        listing(dir),
        vec![
            "summary.parquet".to_string(),
            "tranche_flows.parquet".to_string()
        ]
    );
    assert_eq!(fs::read(dir.join("tranche_flows.parquet")).unwrap(), b"old");

    // Once the obstacle is gone the same call succeeds and replaces the old file.
    fs::remove_dir(dir.join("summary.parquet")).unwrap();
    write_run_tables(dir, &[sample_run("base")]).unwrap();
    assert_eq!(listing(dir).len(), RUN_FILES.len());
    assert_eq!(read(&dir.join("tranche_flows.parquet")).height(), 4);
}

#[test]
fn summary_table_is_readable_and_aligned() {
    let run = sample_run("base");
    let text = summary_table(&run);
    println!("{text}");
    for needle in [
        "某知识产权ABS",
        "优先A级",
        "1,234,567.89",
        "16,203.71",
        "500,000.00",
        "0.37",
        "3.512%",
        // The senior's minimum multiple 1.234567 is period 1's, paid on 2026-06-26.
        "1.23x (2026-06-26)",
        "2026-09-26",
        "conservation: pool cash 1,900,000.00 + support draws 5,000.00 + reserve funding 10,000.00 = 1,915,000.00",
        "payments 1,822,407.86 + collection end 72,592.14 + reserve end 20,000.00 = 1,915,000.00; difference 0.00",
        "support draws: 差额支付 (原始权益人) 5,000.00",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let lines: Vec<&str> = text.lines().collect();
    // deal line, header, rule, two tranches, conservation, support.
    assert_eq!(lines.len(), 7, "{text}");
    let rule = display_width(lines[2]);
    assert!(lines[2].chars().all(|c| c == '-'));
    for line in &lines[1..5] {
        assert_eq!(display_width(line), rule, "misaligned: {line:?}");
    }
    // The Chinese name takes 7 cells, "Sub" 3: the class column starts at the same cell.
    let class_at = |line: &str, word: &str| display_width(&line[..line.find(word).unwrap()]);
    assert_eq!(
        class_at(lines[3], "senior"),
        class_at(lines[4], "subordinated")
    );
    assert_eq!(class_at(lines[1], "Class"), class_at(lines[3], "senior"));
    // Missing values show as "-".
    assert!(lines[4].contains(" - "), "{}", lines[4]);
}

#[test]
fn summary_table_without_tranches_or_support() {
    let mut run = sample_run("base");
    run.summary.clear();
    run.support_draws.clear();
    let text = summary_table(&run);
    assert!(text.contains("(no tranches)"));
    assert!(text.contains("support draws: none"));
}

/// The hand-built sample runs pass tests/python/check_parquet.py's independent checks (its
/// identities: pool cash, keys, balances, arrears and `charged`, fees against periods). Written
/// into `$IPABS_SAMPLE_DIR` when set (to look at them), else a temporary directory. (Until
/// session 32 this was an ignored writer that checked nothing, review 32d item 9.)
#[test]
fn the_sample_runs_pass_the_python_check() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("IPABS_SAMPLE_DIR")
        .map_or_else(|| tmp.path().to_path_buf(), std::path::PathBuf::from);
    let runs = [sample_run("base"), sample_run("stress")];
    // The sample notice's accrual period, 2024-01-01 → 2024-04-01: 31 + 29 + 31 = 91 days.
    assert_eq!(runs[0].run.notices[0].accrual_days(), 91);
    write_run_tables(&dir, &runs).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_parquet.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .output()
        .expect("python3 runs (with pyarrow: bash .ci/run installs it)");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn write_parquet_writes_one_frame_and_reports_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let run = sample_run("base");
    let mut df = ipabs::output::parquet::ledger_frame(std::slice::from_ref(&run)).unwrap();
    let path = tmp.path().join("ledger.parquet");
    ipabs::output::parquet::write_parquet(&path, &mut df).unwrap();
    assert!(read(&path).equals_missing(&df));

    let missing = tmp.path().join("no_such_dir").join("x.parquet");
    match ipabs::output::parquet::write_parquet(&missing, &mut df) {
        Err(Error::Write { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected a write error, got {other:?}"),
    }
}

/// More files than the fsync thread holds at once (16), in hive-style subdirectories: every
/// one is written and readable, in the order given, and the temporary directory is gone.
/// Then the same files with one bad frame last: nothing new is left, and the files the first
/// write made are untouched.
#[test]
fn many_files_are_all_synced_and_renamed_or_none_is() {
    use ipabs::output::{Frame, write_tables};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let frame = |i: i32| df!("i" => [i, i + 1]).unwrap();
    let names: Vec<String> = (0..40)
        .map(|i| format!("t/deal=d{}/part-0.parquet", i))
        .collect();
    let frames: Vec<(String, Frame<'_>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), Frame::Ready(frame(i as i32))))
        .collect();
    let paths = write_tables(&dir, frames).unwrap();
    assert_eq!(paths.len(), 40);
    for (i, (p, n)) in paths.iter().zip(&names).enumerate() {
        assert_eq!(p, &dir.join(n));
        let back = read(p);
        let col = back.column("i").unwrap().i32().unwrap();
        // Frame i holds i and i + 1.
        assert_eq!(col.get(0), Some(i as i32));
        assert_eq!(col.get(1), Some(i as i32 + 1));
    }
    let hidden: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ipabs-tmp-"))
        .collect();
    assert!(hidden.is_empty(), "temporary directory left: {hidden:?}");

    // 40 good frames into new names, then a chunked frame whose second chunk fails.
    let mut frames: Vec<(String, Frame<'_>)> = (0..40)
        .map(|i| {
            (
                format!("u/deal=d{i}/part-0.parquet"),
                Frame::Ready(frame(100 + i)),
            )
        })
        .collect();
    let chunks = vec![
        Ok(frame(7)),
        Err(Error::Internal("a frame that cannot be built".to_string())),
    ];
    // A new directory under one the first write made: it goes, its parent stays.
    frames.push((
        "t/deal=d0/extra/part-0.parquet".to_string(),
        Frame::Ready(frame(200)),
    ));
    frames.push((
        "u/last.parquet".to_string(),
        Frame::Chunks(Box::new(chunks.into_iter())),
    ));
    let err = write_tables(&dir, frames).unwrap_err();
    assert!(err.to_string().contains("cannot be built"), "{err}");
    assert!(!dir.join("u").exists(), "a failed write left files");
    assert!(
        !dir.join("t/deal=d0/extra").exists(),
        "a failed write left a directory"
    );
    assert!(dir.join("t/deal=d0/part-0.parquet").is_file());
    assert_eq!(
        read(&paths[3]).column("i").unwrap().i32().unwrap().get(0),
        Some(3)
    );
}

/// `support.parquet` has one row per support arrangement of the deal, `0.00` when nothing was
/// drawn (docs/output.md, "support.parquet"), and no row for a deal without supports. 南山5号
/// (deals/nanshan_gaoxintou_5_2022.toml) has two supports, a guarantee and a shortfall
/// undertaking; in its base case every loan pays as scheduled, so neither is drawn. The
/// auditing fixture has no `[[supports]]`.
#[test]
fn support_rows_are_one_per_arrangement_even_undrawn() {
    let load = |p: &str| {
        ipabs::validate::load_deal(&Path::new(env!("CARGO_MANIFEST_DIR")).join(p))
            .unwrap_or_else(|e| panic!("{e}"))
            .deal
    };
    let d = load("deals/nanshan_gaoxintou_5_2022.toml");
    let run = ipabs::engine::run(&d, &ipabs::scenario::Scenario::base()).expect("runs");
    let names: Vec<&str> = run
        .support_draws
        .iter()
        .map(|s| s.support.as_str())
        .collect();
    let want: Vec<&str> = d.supports.iter().map(|s| s.name.as_str()).collect();
    assert_eq!((names, want.len()), (want, 2));
    assert!(run.support_draws.iter().all(|s| s.total.is_zero()));
    let d = load("tests/fixtures/auditing.toml");
    assert!(d.supports.is_empty());
    let run = ipabs::engine::run(&d, &ipabs::scenario::Scenario::base()).expect("runs");
    assert!(run.support_draws.is_empty());
}

/// `scenarios.parquet`'s text columns state each value exactly and without trailing zeros, so
/// that equal values have equal text (found by a review: a stressed curve read
/// `0.30,0.30,0.20,0.20` and a stressed override `recovery_rate = 0.400`). Checked on every
/// scenario of the `all` suite of two example deals: each `default_timing` share parses back
/// to the scenario's own Decimal, and no number in the text columns ends in a 0 after its
/// decimal point.
#[test]
fn scenario_text_columns_have_no_trailing_zeros() {
    use ipabs::analytics::stress::StressSuite;
    for file in ["nanshan_gaoxintou_5_2022", "yongxing_guofu_ningbo_2024"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("deals/{file}.toml"));
        let d = ipabs::validate::load_deal(&path).expect("loads").deal;
        let scenarios = StressSuite::All.scenarios(&d, &d.scenario).expect("suite");
        let df = ipabs::output::scenarios::scenarios_frame(&d, &scenarios).expect("frame");
        let text = |c: &str| {
            let col = df.column(c).expect("column").str().expect("str").clone();
            (0..col.len())
                .map(|i| col.get(i).unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        for (s, timing) in scenarios.iter().zip(text("default_timing")) {
            let back: Vec<Decimal> = timing
                .split(',')
                .filter(|x| !x.is_empty())
                .map(|x| x.parse().expect("a decimal"))
                .collect();
            assert_eq!(back, s.default_timing, "{}", s.name);
        }
        for col in ["default_timing", "overrides", "index_paths"] {
            for v in text(col) {
                let numbers = v.split(|c: char| !(c.is_ascii_digit() || c == '.'));
                for n in numbers.filter(|n| n.contains('.')) {
                    assert!(!n.ends_with('0') && !n.ends_with('.'), "{col}: {n} in {v}");
                }
            }
        }
    }
}

/// `scenarios.parquet`'s `support_failures` (since session 28): `support@date`, `;`-separated,
/// in the scenario's order; empty for a scenario without failures.
#[test]
fn scenarios_table_states_support_failures() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hand_worked.toml");
    let src = std::fs::read_to_string(path).expect("fixture").replace(
        "recovery_lag_months = 3\n",
        "recovery_lag_months = 3\nsupport_failures = [ { support = \"undertaking\", date = 2024-06-01 } ]\n",
    );
    let d = ipabs::validate::deal_from_str("hand_worked.toml", &src)
        .expect("loads")
        .deal;
    let scenarios = [d.scenario.clone(), ipabs::scenario::Scenario::base()];
    let df = ipabs::output::scenarios::scenarios_frame(&d, &scenarios).expect("frame");
    let col = df
        .column("support_failures")
        .expect("column")
        .str()
        .expect("str")
        .clone();
    assert_eq!(col.get(0), Some("undertaking@2024-06-01"));
    assert_eq!(col.get(1), Some(""));
}

/// `scenarios.parquet`'s `events` (since session 30, the last column until `coupon_shift` was
/// appended in session 35): `name@date` of the
/// events a trigger of the deal watches, `;`-separated in the scenario's order; empty without;
/// an event with `until` (since session 31) is `name@date..until`. The fixture with two event
/// triggers and its scenario dating both (in the other order), the first until 2024-09-01,
/// and a `coupon_shift` of 0.0025 (0 in the base case).
#[test]
fn scenarios_table_states_events() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hand_worked.toml");
    let trigger = |name: &str| {
        format!(
            "[[triggers]]\nname = \"{name}\"\nkind = \"acceleration\"\ncondition = \"event\"\n\
             event = \"{name}\"\nwaterfall = \"normal\"\n\n"
        )
    };
    let src = std::fs::read_to_string(path)
        .expect("fixture")
        .replace(
            "[scenario]",
            &format!(
                "{}{}[scenario]",
                trigger("downgrade"),
                trigger("servicer_out")
            ),
        )
        .replace(
            "recovery_lag_months = 3\n",
            "recovery_lag_months = 3\ncoupon_shift = 0.0025\ncommingling = { date = 2024-08-10, share = 0.25 }\nevents = [ { name = \"servicer_out\", date = 2024-08-01, \
             until = 2024-09-01 }, \
             { name = \"downgrade\", date = 2024-06-01 } ]\n",
        );
    let d = ipabs::validate::deal_from_str("hand_worked.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    assert_eq!(d.events, ["downgrade", "servicer_out"]);
    let scenarios = [d.scenario.clone(), ipabs::scenario::Scenario::base()];
    let df = ipabs::output::scenarios::scenarios_frame(&d, &scenarios).expect("frame");
    let col = df
        .column("events")
        .expect("column")
        .str()
        .expect("str")
        .clone();
    assert_eq!(
        col.get(0),
        Some("servicer_out@2024-08-01..2024-09-01;downgrade@2024-06-01")
    );
    assert_eq!(col.get(1), Some(""));
    let names = df.get_column_names();
    assert_eq!(
        names[names.len() - 6..]
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        [
            "events",
            "coupon_shift",
            "revolving_yield_cut",
            "purchase_cut",
            "commingling_date",
            "commingling_share"
        ]
    );
    let shift = df
        .column("coupon_shift")
        .expect("column")
        .f64()
        .expect("doubles");
    assert_eq!([shift.get(0), shift.get(1)], [Some(0.0025), Some(0.0)]);
    let share = df
        .column("commingling_share")
        .expect("column")
        .f64()
        .expect("doubles");
    assert_eq!([share.get(0), share.get(1)], [Some(0.25), Some(0.0)]);
    let date = df
        .column("commingling_date")
        .expect("column")
        .date()
        .expect("dates")
        .physical()
        .clone();
    // Days since 1970-01-01: 2024-08-10 is 19,945 (2024-01-01 is 19,723; + 31 + 29 + 31 + 30
    // + 31 + 30 + 31 + 9 = 222).
    assert_eq!([date.get(0), date.get(1)], [Some(19945), None]);
}
