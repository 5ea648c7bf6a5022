//! `reconciliation.parquet` and `in_life.parquet` (docs/output.md), and the terminal listing
//! of the lines that differ.

use std::path::PathBuf;

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;

use super::parquet::{MONEY_SCALE, decimal_column};
use crate::analytics::reconcile::{InLifeRow, ReconLine, ReconNote, Reconciliation};
use crate::error::Error;

/// The file of every reconciled line.
pub const RECONCILIATION_FILE: &str = "reconciliation.parquet";
/// The file of every payment date's `actual` flag and CSRC Art. 39 flags.
pub const IN_LIFE_FILE: &str = "in_life.parquet";

fn money(file: &'static str, name: &str, values: Vec<Decimal>) -> Result<Column, Error> {
    decimal_column(file, name, MONEY_SCALE, values.into_iter().map(Some), |i| {
        format!("row {i}")
    })
}

fn frame(file: &'static str, height: usize, columns: Vec<Column>) -> Result<DataFrame, Error> {
    DataFrame::new(height, columns).map_err(|e| Error::Write {
        path: PathBuf::from(file),
        message: e.to_string(),
    })
}

fn ints(name: &str, v: impl Iterator<Item = u32>) -> Column {
    Column::new(name.into(), v.map(|x| x as i32).collect::<Vec<i32>>())
}

fn dates(name: &str, v: impl Iterator<Item = NaiveDate>) -> Column {
    Column::new(name.into(), v.collect::<Vec<NaiveDate>>())
}

/// The notes on a line that differs, in words (docs/auditing.md, "Notes on a difference");
/// None without one.
pub fn note_text(notes: &[ReconNote]) -> Option<String> {
    let words: Vec<String> = notes
        .iter()
        .map(|n| match n {
            ReconNote::PerUnit {
                per_100,
                other_rule: None,
            } => format!(
                "the report states the payment notice's amount ({per_100} per 100 × units), not \
                 the waterfall's: set `[notices] per_unit = true` in the deal"
            ),
            ReconNote::PerUnit {
                per_100,
                other_rule: Some(r),
            } => format!(
                "the report states the payment notice's amount with its figure rounded `{}` \
                 ({per_100} per 100 × units), not as the deal's `[notices] rounding`: the \
                 trustee rounds its figures another way",
                r.name()
            ),
            ReconNote::NotAFigure { per_100, pays } => format!(
                "no figure per 100 pays the reported amount on a deal with `[notices] per_unit`: \
                 {per_100} per 100 × units pays {}, the next figure more; a typo, or a payment \
                 other than the notice's?",
                super::table::format_money(*pays)
            ),
            ReconNote::Ticks {
                ticks,
                tick,
                units,
                earlier,
            } => {
                let mut s = format!(
                    "the difference is {ticks} tick(s) of a figure per 100 ({} yuan per unit × \
                     {units} units = {} each): a figure per 100 stated a place off or rounded \
                     another way",
                    tick / Decimal::from(*units),
                    super::table::format_money(*tick)
                );
                if let Some(p) = earlier {
                    s.push_str(&format!(
                        "; period {p} differed by the same: this date may carry its 尾差 (a \
                         knock-on, not a new slip)"
                    ));
                }
                s
            }
            ReconNote::Arrears {
                amount,
                period,
                earlier_differed,
                none_paid,
            } => {
                let amount = super::table::format_money(*amount);
                match (earlier_differed, none_paid) {
                    (true, true) => format!(
                        "the model's figure includes {amount} left unpaid on period {period} as \
                         reported, carried as arrears; the report paid none of it: the \
                         difference is period {period}'s again, not a new one"
                    ),
                    (true, false) => format!(
                        "the model's figure includes {amount} left unpaid on period {period} as \
                         reported, carried as arrears"
                    ),
                    _ => format!(
                        "the model's figure includes {amount} of arrears from period {period}, \
                         unpaid there by the waterfall and the report alike; the report pays none \
                         of them here"
                    ),
                }
            }
            ReconNote::KnockOn { amount, lines } => {
                let listed: Vec<String> = lines
                    .iter()
                    .map(|(line, item, d)| {
                        let sign = if *d > Decimal::ZERO { "+" } else { "" };
                        format!("{line} `{item}` {sign}{}", super::table::format_money(*d))
                    })
                    .collect();
                let (more, size) = if *amount > Decimal::ZERO {
                    ("more", *amount)
                } else {
                    ("less", -*amount)
                };
                format!(
                    "the date's lines paid ahead of it differ ({}) and leave {} {more} for \
                     it: a knock-on of those, not a slip of its own",
                    listed.join(", "),
                    super::table::format_money(size)
                )
            }
            ReconNote::Figure { per_100, hundreds } => format!(
                "the report's figure is the model's figure per 100 yuan of face ({}: the model's \
                 amount ÷ {} hundreds of face, at the notices' places): a figure per 100 typed \
                 for the amount? The actuals file takes yuan here; a published figure goes in \
                 `interest_per_100` or `principal_per_100`",
                per_100.normalize(),
                super::table::format_money(*hundreds).trim_end_matches(".00"),
            ),
            ReconNote::ToDate { earlier, to } => {
                let periods = if *to == 1 {
                    "period 1".to_string()
                } else {
                    format!("periods 1–{to}")
                };
                format!(
                    "the report's figure is the period's own amount plus this line's figures of \
                     {periods} ({} in all): a to-date (累计) figure typed for the period's own \
                     (本期)? The actuals file takes each period's amount",
                    super::table::format_money(*earlier)
                )
            }
            ReconNote::Units { per: 10_000 } => "the report's figure is about 1/10,000 of the \
                 model's: an amount in 万元? The actuals file takes yuan"
                .to_string(),
            ReconNote::Units { .. } => "the report's figure is about 100 times the model's: an \
                 amount in fen? The actuals file takes yuan"
                .to_string(),
            ReconNote::FigureOfReport { line } => format!(
                "the published figure is the figure per 100 of the report's own `{line}` line, \
                 which differs above: it follows that line's difference, not a slip of its own"
            ),
            ReconNote::FigureRounded { rule } => format!(
                "the published figure is the waterfall's amount per 100 rounded `{}`, not as the \
                 deal's `[notices] rounding`: the trustee rounds its figures another way (set \
                 `rounding = \"{}\"` under `[notices]` in the deal)",
                rule.name(),
                rule.name()
            ),
            ReconNote::OtherSupport { support, amount } => format!(
                "the waterfall drew {} from `{support}` on this date, which the report leaves \
                 out: the draw put under the wrong support? Both now state it (report `{support}` \
                 too, as 0 if it paid nothing)",
                super::table::format_money(*amount)
            ),
        })
        .collect();
    (!words.is_empty()).then(|| words.join("; "))
}

/// `reconciliation.parquet`: deal, scenario, period, payment_date, line, item, model, actual,
/// difference (actual − model), note, and on the figure lines model_per_100 and actual_per_100
/// at `decimals` places (`[notices] decimals`; null on the other lines).
pub fn reconciliation_frame(
    deal: &str,
    scenario: &str,
    lines: &[ReconLine],
    decimals: u32,
) -> Result<DataFrame, Error> {
    let figures = |name: &str, pick: fn((Decimal, Decimal)) -> Decimal| {
        decimal_column(
            RECONCILIATION_FILE,
            name,
            decimals,
            lines.iter().map(|l| l.per_100.map(pick)),
            |i| format!("row {i}"),
        )
    };
    let f = RECONCILIATION_FILE;
    let columns = vec![
        Column::new("deal".into(), vec![deal; lines.len()]),
        Column::new("scenario".into(), vec![scenario; lines.len()]),
        ints("period", lines.iter().map(|l| l.period)),
        dates("payment_date", lines.iter().map(|l| l.payment_date)),
        Column::new(
            "line".into(),
            lines.iter().map(|l| l.line).collect::<Vec<&str>>(),
        ),
        Column::new(
            "item".into(),
            lines.iter().map(|l| l.item.as_str()).collect::<Vec<&str>>(),
        ),
        money(f, "model", lines.iter().map(|l| l.model).collect())?,
        money(f, "actual", lines.iter().map(|l| l.actual).collect())?,
        money(
            f,
            "difference",
            lines.iter().map(|l| l.difference()).collect(),
        )?,
        Column::new(
            "note".into(),
            lines
                .iter()
                .map(|l| note_text(&l.notes))
                .collect::<Vec<Option<String>>>(),
        ),
        figures("model_per_100", |(m, _)| m)?,
        figures("actual_per_100", |(_, a)| a)?,
    ];
    frame(f, lines.len(), columns)
}

/// `in_life.parquet`: one row per payment date of the in-life run.
pub fn in_life_frame(deal: &str, scenario: &str, rows: &[InLifeRow]) -> Result<DataFrame, Error> {
    let f = IN_LIFE_FILE;
    let bools = |name: &str, g: fn(&InLifeRow) -> bool| {
        Column::new(name.into(), rows.iter().map(g).collect::<Vec<bool>>())
    };
    let columns = vec![
        Column::new("deal".into(), vec![deal; rows.len()]),
        Column::new("scenario".into(), vec![scenario; rows.len()]),
        ints("period", rows.iter().map(|r| r.period)),
        dates("payment_date", rows.iter().map(|r| r.payment_date)),
        bools("actual", |r| r.actual),
        money(f, "pool_cash", rows.iter().map(|r| r.pool_cash).collect())?,
        money(
            f,
            "forecast_cash",
            rows.iter().map(|r| r.forecast_cash).collect(),
        )?,
        bools("cash_flag", |r| r.cash_flag),
        money(
            f,
            "cumulative_net_loss",
            rows.iter().map(|r| r.cumulative_net_loss).collect(),
        )?,
        money(
            f,
            "outstanding_principal",
            rows.iter().map(|r| r.outstanding_principal).collect(),
        )?,
        bools("loss_flag", |r| r.loss_flag),
        money(
            f,
            "senior_interest_shortfall",
            rows.iter().map(|r| r.senior_interest_shortfall).collect(),
        )?,
        bools("distribution_flag", |r| r.distribution_flag),
    ];
    frame(f, rows.len(), columns)
}

/// The terminal line of a date's CSRC Art. 39 flags, `None` when neither is raised: every
/// amount to the fen with thousands separators, as the rest of the terminal
/// ([`super::table::format_money`]). For example
/// `CSRC Art. 39: period 1 (2024-04-01, actual): losses 300,000.00 above 10% of the
/// outstanding principal 589,190.00; pool cash 120,000.00 more than 20% below the forecast
/// 420,000.00`.
pub fn art39_text(row: &InLifeRow) -> Option<String> {
    use super::table::format_money;
    let mut found = Vec::with_capacity(3);
    if row.distribution_flag {
        found.push(format!(
            "senior interest of {} not paid as agreed (未按约定分配)",
            format_money(row.senior_interest_shortfall)
        ));
    }
    if row.loss_flag {
        found.push(format!(
            "losses {} above 10% of the outstanding principal {}",
            format_money(row.cumulative_net_loss),
            format_money(row.outstanding_principal)
        ));
    }
    if row.cash_flag {
        found.push(format!(
            "pool cash {} more than 20% below the forecast {}",
            format_money(row.pool_cash),
            format_money(row.forecast_cash)
        ));
    }
    (!found.is_empty()).then(|| {
        format!(
            "CSRC Art. 39: period {} ({}, {}): {}",
            row.period,
            row.payment_date,
            if row.actual { "actual" } else { "projected" },
            found.join("; ")
        )
    })
}

/// The lines that differ, grouped by period, as printed by `ipabs reconcile`.
pub fn differences_text(r: &Reconciliation) -> String {
    let mut out = String::new();
    let mut last = None;
    for l in r.differences() {
        if last != Some(l.period) {
            out.push_str(&format!("period {} ({}):\n", l.period, l.payment_date));
            last = Some(l.period);
        }
        match l.per_100 {
            // A figure per 100 as published: the figures, then what they pay.
            Some((m, a)) => out.push_str(&format!(
                "  {:<17} {:<12} model {:>9} per 100 ({})  published {:>9} per 100 ({})  \
                 difference {} per 100 ({})\n",
                l.line,
                l.item,
                m,
                super::table::format_money(l.model),
                a,
                super::table::format_money(l.actual),
                a - m,
                super::table::format_money(l.difference())
            )),
            None => out.push_str(&format!(
                "  {:<13} {:<16} model {:>18.2}  actual {:>18.2}  difference {:>18.2}\n",
                l.line,
                l.item,
                l.model,
                l.actual,
                l.difference()
            )),
        }
        if let Some(note) = note_text(&l.notes) {
            out.push_str(&format!("    note: {note}\n"));
        }
    }
    out
}
