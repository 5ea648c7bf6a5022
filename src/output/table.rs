//! The terminal summary of one run: a fixed-width text table, one row per tranche.
//!
//! Column widths are measured in terminal cells: CJK characters (e.g. Chinese tranche names)
//! count as two cells, so the columns line up in a terminal.

use rust_decimal::Decimal;

use crate::analytics::measures::{PricedRun, TranchePricing};
use crate::engine::result::{Conservation, RunResult, TrancheSummary};
use crate::money::fen;

/// Shown for a value that does not exist (`None`).
const MISSING: &str = "-";
/// Spaces between two columns.
const GAP: &str = "  ";

/// A readable fixed-width text table of the run's summary (one row per tranche): tranche, class,
/// balance, interest, principal, loss, WAL, yield, min coverage, final date; then one line with
/// the conservation totals and one with the support draws.
///
/// * balance, interest, principal, loss: `initial_balance`, `total_interest`,
///   `total_principal`, `principal_loss`, in yuan with thousands separators and 2 decimals;
/// * WAL: `wal_years`, years with 2 decimals; yield: `yield_at_par` in percent with 3 decimals;
///   min coverage: `min_coverage_multiple` with 2 decimals and an `x`; `-` where a value is
///   `None`.
///
/// Pure: returns the text (ending in a newline) without printing it.
pub fn summary_table(run: &PricedRun) -> String {
    let header = [
        "Tranche",
        "Class",
        "Balance",
        "Coupon",
        "Interest",
        "Principal",
        "Residual",
        "Loss",
        "WAL (y)",
        "Yield",
        "Min cov",
        "Final date",
    ];
    // Text columns are left-aligned, numbers right-aligned.
    let right = [
        false, false, true, true, true, true, true, true, true, true, true, false,
    ];
    let rows: Vec<[String; 12]> = run
        .summary
        .iter()
        .enumerate()
        .map(|(i, s)| {
            // The date of the minimum coverage: the first date with the minimum multiple.
            let min_date = s.min_coverage_multiple.and_then(|m| {
                run.tranche_flows
                    .iter()
                    .find(|f| *f.tranche == *s.tranche && f.coverage_multiple == Some(m))
                    .map(|f| f.payment_date)
            });
            summary_row(
                s,
                &run.pricing.get(i).copied().unwrap_or_default(),
                min_date,
            )
        })
        .collect();

    let widths = column_widths(&header, &rows);
    let mut out = format!("deal: {}   scenario: {}\n", run.deal, run.scenario);
    out.push_str(&render_header(&header, &widths, &right));
    for row in &rows {
        out.push_str(&render_line(row, &widths, &right));
    }
    if rows.is_empty() {
        out.push_str("(no tranches)\n");
    }
    out.push_str(&conservation_line(&run.conservation));
    out.push('\n');
    out.push_str(&support_line(run));
    out.push('\n');
    out
}

fn summary_row(
    s: &TrancheSummary,
    p: &TranchePricing,
    min_date: Option<chrono::NaiveDate>,
) -> [String; 12] {
    [
        s.tranche.clone(),
        s.class.clone(),
        format_money(s.initial_balance),
        // A subordinated tranche's coupon is the cap of its period return (期间收益).
        crate::money::percent(s.coupon, 0),
        format_money(s.total_interest),
        format_money(s.total_principal),
        format_money(s.total_residual),
        format_money(s.principal_loss),
        p.wal_years
            .map_or_else(|| MISSING.to_string(), |w| format!("{w:.2}")),
        p.yield_at_par
            .map_or_else(|| MISSING.to_string(), |y| format!("{:.3}%", y * 100.0)),
        s.min_coverage_multiple.map_or_else(
            || MISSING.to_string(),
            |c| match min_date {
                Some(d) => format!("{:.2}x ({d})", fen(c)),
                None => format!("{:.2}x", fen(c)),
            },
        ),
        s.final_payment_date
            .map_or_else(|| MISSING.to_string(), |d| d.format("%Y-%m-%d").to_string()),
    ]
}

/// One line of a fixed-width table: cells padded to `widths`, right-aligned where `right`.
pub(crate) fn render_line(cells: &[String], widths: &[usize], right: &[bool]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        let cell = shown(cell);
        let cell = cell.as_ref();
        if i > 0 {
            line.push_str(GAP);
        }
        let width = widths.get(i).copied().unwrap_or(0);
        let pad = " ".repeat(width.saturating_sub(display_width(cell)));
        if right.get(i).copied().unwrap_or(false) {
            line.push_str(&pad);
            line.push_str(cell);
        } else {
            line.push_str(cell);
            line.push_str(&pad);
        }
    }
    // No trailing blanks after a left-aligned last column.
    let trimmed = line.trim_end().len();
    line.truncate(trimmed);
    line.push('\n');
    line
}

/// `pool cash + support draws + reserve funding = payments (+ revolving purchases) +
/// collection end + reserve end`, with both sides and their difference.
fn conservation_line(c: &Conservation) -> String {
    let inflow = sum(&[
        c.pool_cash,
        c.support_draws,
        c.reserve_funding,
        c.restated,
        c.call_price,
        c.investment_income,
    ]);
    let outflow = sum(&[
        c.payments,
        c.commingled,
        c.purchases,
        c.collection_end,
        c.reserve_end,
        c.accounts_end,
        c.subrogation,
        c.support_repaid,
        c.support_interest,
    ]);
    let difference = match (inflow, outflow) {
        (Some(a), Some(b)) => a.checked_sub(b),
        _ => None,
    };
    let show = |d: Option<Decimal>| d.map_or_else(|| "overflow".to_string(), format_money);
    // Terms that are zero for deals without them are left out, so those lines read as before.
    let term = |label: &str, v: Decimal| {
        if v.is_zero() {
            String::new()
        } else {
            format!(" + {label} {}", format_money(v))
        }
    };
    let restated = term("restatements", c.restated);
    let call =
        term("clean-up call price", c.call_price) + &term("investment income", c.investment_income);
    let accounts = term("named accounts end", c.accounts_end);
    let subrogation = term("recoveries to the asset guarantor", c.subrogation)
        + &term("support repayments", c.support_repaid)
        + &term("support interest", c.support_interest);
    // Revolving purchases (`[revolving]`), shown only when there are some.
    let purchases = term("revolving purchases", c.purchases)
        + &term("kept by the failed servicer", c.commingled);
    format!(
        "conservation: pool cash {} + support draws {} + reserve funding {}{restated}{call} = {}; \
         payments {}{purchases} + collection end {} + reserve end {}{accounts}{subrogation} = {}; \
         difference {}",
        format_money(c.pool_cash),
        format_money(c.support_draws),
        format_money(c.reserve_funding),
        show(inflow),
        format_money(c.payments),
        format_money(c.collection_end),
        format_money(c.reserve_end),
        show(outflow),
        show(difference),
    )
}

fn support_line(run: &RunResult) -> String {
    if run.support_draws.is_empty() {
        return "support draws: none".to_string();
    }
    let parts: Vec<String> = run
        .support_draws
        .iter()
        .map(|s| {
            let repaid = if s.repaid.is_zero() {
                String::new()
            } else {
                format!(", {} repaid", format_money(s.repaid))
            };
            // A facility's interest on its draws (`interest_rate`, since session 36).
            let mut interest = String::new();
            if !s.interest_paid.is_zero() {
                interest += &format!(", {} interest paid", format_money(s.interest_paid));
            }
            if !s.interest_unpaid.is_zero() {
                interest += &format!(", {} interest unpaid", format_money(s.interest_unpaid));
            }
            // A provider that failed, from when and why (review 34c item M3).
            let failed = s.failure.as_ref().map_or(String::new(), |(from, why)| {
                format!(", failed: pays nothing from {from} ({why})")
            });
            format!(
                "{} ({}) {}{repaid}{interest}{failed}",
                s.support,
                s.provider,
                format_money(s.total)
            )
        })
        .collect();
    format!("support draws: {}", parts.join("; "))
}

fn sum(values: &[Decimal]) -> Option<Decimal> {
    values
        .iter()
        .try_fold(Decimal::ZERO, |acc, v| acc.checked_add(*v))
}

pub use crate::money::{format_money, group_thousands};

/// Terminal cells `text` occupies: 2 for CJK and full-width characters, 1 otherwise
/// (0 for control characters).
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let u = u32::from(c);
    if c.is_control() {
        0
    } else if (0x1100..=0x115F).contains(&u)
        || (0x2E80..=0x9FFF).contains(&u)
        || (0xAC00..=0xD7A3).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFF60).contains(&u)
        || (0xFFE0..=0xFFE6).contains(&u)
    {
        2
    } else {
        1
    }
}

/// Renders a fixed-width table: a header line, a rule, then the rows. `right[i]` right-aligns
/// column `i`. Widths count CJK characters as two cells.
pub fn render_table(header: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let widths = column_widths(header, rows);
    let mut out = render_header(header, &widths, right);
    for row in rows {
        out.push_str(&render_line(row, &widths, right));
    }
    out
}

/// Each column's width: its widest cell or header, in display cells (a CJK character is two).
/// The one measure of the terminal tables (review 35a item 3e: three copies).
pub(crate) fn column_widths<R: AsRef<[String]>>(header: &[&str], rows: &[R]) -> Vec<usize> {
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.as_ref()) {
            *w = (*w).max(display_width(&shown(cell)));
        }
    }
    widths
}

/// A cell as a terminal table shows it: every control character escaped, a newline and a tab
/// too (review 44c F10: a tranche name with a newline split its row in two).
fn shown(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.chars().any(char::is_control) {
        std::borrow::Cow::Owned(
            cell.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_unicode().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Text as one cell of a Markdown table (the payment notice): `|` written `\|`, and every
/// control character escaped (review 44c F10: a `|` in a tranche name shifted the row's
/// figures one column right, under the wrong headers).
fn md_cell(text: &str) -> String {
    // A backslash first, so that `A\|x` cannot end the cell (review 44e F10).
    shown(&text.replace('\\', "\\\\")).replace('|', "\\|")
}

/// A table's header line and the rule under it.
pub(crate) fn render_header(header: &[&str], widths: &[usize], right: &[bool]) -> String {
    let cells: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut out = render_line(&cells, widths, right);
    let total = widths.iter().sum::<usize>() + GAP.len() * widths.len().saturating_sub(1);
    out.push_str(&"-".repeat(total));
    out.push('\n');
    out
}

/// A sweep at a glance: per tranche, over all scenarios, how many paid in full, the worst
/// principal loss and interest shortfall (and where), and the lowest yield and coverage.
pub fn sweep_table(runs: &[PricedRun]) -> String {
    let Some(first) = runs.first() else {
        return "(no scenarios)\n".to_string();
    };
    let mut rows = Vec::new();
    for (i, t) in first.summary.iter().enumerate() {
        let rows_i: Vec<(&str, &TrancheSummary)> = runs
            .iter()
            .filter_map(|r| r.summary.get(i).map(|s| (r.scenario.as_str(), s)))
            .collect();
        // A run priced (a balance at settlement) without a yield, one outside the solver's
        // bracket (docs/analytics.md), could hold the lowest: then the lowest is unknown (`-`).
        let yields: Option<Vec<f64>> = runs
            .iter()
            .filter_map(|r| r.pricing.get(i).filter(|p| p.price.is_some()))
            .map(|p| p.yield_)
            .collect();
        // By the break-even's test (review 34e item H1: interest missed on a date and made good
        // later counted as paid in full here, while `breakeven` failed it).
        let full = runs
            .iter()
            .filter(|r| r.paid_in_full.get(i).copied().unwrap_or(false))
            .count();
        // The first of the scenarios with the largest loss (max_by_key would give the last),
        // and how many share it.
        let lost = |s: &&TrancheSummary| s.principal_loss + s.interest_shortfall;
        let worst = rows_i
            .iter()
            .rev()
            .max_by_key(|(_, s)| lost(s))
            .filter(|(_, s)| !lost(s).is_zero());
        let tied = worst.map_or(0, |(_, w)| {
            rows_i.iter().filter(|(_, s)| lost(s) == lost(w)).count()
        });
        let min_yield = yields.and_then(|y| y.into_iter().min_by(f64::total_cmp));
        // The lowest coverage, its scenario and (where the run kept the tranche's rows) date.
        let min_cov = runs
            .iter()
            .filter_map(|r| {
                let s = r.summary.get(i)?;
                let c = s.min_coverage_multiple?;
                let date = r
                    .tranche_flows
                    .iter()
                    .find(|f| f.tranche == s.tranche && f.coverage_multiple == Some(c))
                    .map(|f| f.payment_date);
                Some((c, r.scenario.as_str(), date))
            })
            .min_by(|a, b| a.0.cmp(&b.0));
        rows.push(vec![
            t.tranche.clone(),
            t.class.clone(),
            format!("{full}/{}", rows_i.len()),
            worst.map_or_else(
                || format_money(rust_decimal::Decimal::ZERO),
                |(_, s)| format_money(s.principal_loss + s.interest_shortfall),
            ),
            worst.map_or_else(
                || MISSING.to_string(),
                |(n, _)| match tied {
                    0 | 1 => n.to_string(),
                    _ => format!("{n} (+{} tied)", tied - 1),
                },
            ),
            min_yield.map_or_else(|| MISSING.to_string(), |y| format!("{:.3}%", y * 100.0)),
            min_cov.map_or_else(
                || MISSING.to_string(),
                |(c, _, _)| format!("{:.2}x", fen(c)),
            ),
            min_cov.map_or_else(
                || MISSING.to_string(),
                |(_, n, d)| match d {
                    Some(d) => format!("{n} ({d})"),
                    None => n.to_string(),
                },
            ),
        ]);
    }
    let mut out = format!("deal: {}   scenarios: {}\n", first.deal, runs.len());
    out.push_str(&render_table(
        &[
            "Tranche",
            "Class",
            "Paid in full",
            "Worst loss (principal + interest unpaid)",
            "Worst scenario",
            "Min yield",
            "Min cov",
            "Min cov scenario (date)",
        ],
        &[false, false, true, true, false, true, true, false],
        &rows,
    ));
    out.push_str(
        "paid in full: every date's interest on time and the principal by the last date \
         (`payment_test = \"ultimate\"`: by the last date), the break-even's test; the worst \
         loss is what is unpaid after the last date\n",
    );
    out.push_str(&outcomes_lines(runs));
    out
}

/// The sweep's run-level outcomes under its table (since session 31, review 31c item 5): the
/// largest support draw, the highest realised default ratio and the earliest trigger, each
/// with the first scenario that gives it and how many scenarios have one; nothing for a
/// figure no scenario has.
fn outcomes_lines(runs: &[PricedRun]) -> String {
    let n = runs.len();
    let mut out = String::new();
    // The first run with the largest value of `key` above zero, and how many are above zero.
    let largest = |key: &dyn Fn(&PricedRun) -> Decimal| {
        let with = runs.iter().filter(|r| key(r) > Decimal::ZERO).count();
        let best = runs
            .iter()
            .rev()
            .max_by_key(|r| key(r))
            .filter(|r| key(r) > Decimal::ZERO);
        best.map(|r| (key(r), r.scenario.as_str(), with))
    };
    if let Some((x, s, with)) = largest(&|r| r.support_drawn) {
        out.push_str(&format!(
            "support drawn: at most {} (scenario `{s}`; {with} of {n} scenarios draw)\n",
            format_money(x)
        ));
    }
    if let Some((x, s, with)) = largest(&|r| r.cumulative_default_ratio) {
        out.push_str(&format!(
            "realised defaults: at most {:.4}% of the pool (scenario `{s}`; {with} of {n} \
             scenarios default)\n",
            x * Decimal::ONE_HUNDRED
        ));
    }
    let tripped: Vec<(&str, &(String, chrono::NaiveDate))> = runs
        .iter()
        .filter_map(|r| r.first_trigger.as_ref().map(|t| (r.scenario.as_str(), t)))
        .collect();
    if let Some((s, (name, date))) = tripped.iter().min_by_key(|(_, (_, d))| *d) {
        out.push_str(&format!(
            "triggers: {} of {n} scenarios trip one; the earliest, `{name}` on {date} (scenario \
             `{s}`)\n",
            tripped.len()
        ));
    }
    out
}

/// The transfer instructions (划款指令) of a date's notice rows: per tranche, what the plan
/// account sends to CSDC (the rows' `csdc_buffer` and `transfer`, engine::notice::transfer):
/// the payment, its fee, the payment with the fee per 100 yuan of initial face (6 places, cut,
/// `…` when it goes on), the 1,000-yuan 长款 and the total.
fn transfer_table(deal: &crate::deal::Deal, rows: &[&crate::engine::result::NoticeRow]) -> String {
    use crate::engine::notice::per_100;
    use crate::money::{Rounding, from_fen, to_fen};
    let mut out = String::from(
        "\n## 划款指令 (transfer instructions)\n\n\
         | 证券简称 (tranche) | 兑付金额 (paid) | 中证登手续费 (CSDC fee) | 含手续费金额 (with fee) \
         | 每百元偿付金额 (with fee, per 100) | 长款 (buffer) | 划款金额 (transfer) |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for n in rows {
        let Some(t) = deal.tranches.iter().find(|t| n.tranche == t.name) else {
            continue;
        };
        let initial = to_fen(t.balance);
        // The engine's instruction: the total is the payment with its fee plus the 长款.
        let with_fee = to_fen(n.transfer) - to_fen(n.csdc_buffer);
        let paid = with_fee - to_fen(n.csdc_fee);
        // No payment, no instruction.
        if with_fee == 0 || initial <= 0 {
            continue;
        }
        // Per 100 at 6 places, cut; `…` when the exact value has more.
        let per100 = per_100(with_fee, initial, 6, Rounding::Truncate)
            .ok()
            .and_then(|m| Decimal::try_from_i128_with_scale(m, 6).ok());
        let more = with_fee
            .checked_mul(100_000_000)
            .is_some_and(|x| x % initial != 0);
        let money = |f| from_fen(f).map(format_money).unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {}{} | {} | {} |\n",
            md_cell(n.tranche.as_str()),
            money(paid),
            format_money(n.csdc_fee),
            money(with_fee),
            per100.map(|d| d.to_string()).unwrap_or_default(),
            if more { "…" } else { "" },
            format_money(n.csdc_buffer),
            format_money(n.transfer),
        ));
    }
    out
}

/// The payment notice of period `period` of a run as Markdown, with the Chinese labels of a
/// 收益分配报告 / 兑付兑息公告 (docs/auditing.md); `basis` says whether its figures are reported or
/// projected.
pub fn notice_text(
    deal: &crate::deal::Deal,
    scenario: &crate::scenario::Scenario,
    run: &crate::engine::result::RunResult,
    period: u32,
    basis: &str,
) -> String {
    let rules = deal.notices;
    let dates = deal.periods.iter().find(|p| p.number == period);
    // A payment date on no exchange trading day (an adjusted working weekend, an exchange
    // closure) is marked on the notice itself, not only in a warning on stderr.
    let date = dates.map_or_else(String::new, |p| {
        if deal.calendar.is_trading_day(p.date()) {
            p.date().to_string()
        } else {
            format!(
                "{} (注: 非交易日, not an exchange trading day: CSDC pays listed securities on \
                 trading days only)",
                p.date()
            )
        }
    });
    // The accrual period of the date's interest and each tranche's coupon, so that interest
    // per 100 can be recomputed from the notice: a fixed coupon as a percentage, a floating
    // one as the period's rate under the scenario, then its index and spread (since session
    // 28, review 28b item 4; before, only the index and spread).
    let accrual = dates.map_or_else(String::new, |p| {
        format!(
            "* 计息期间 (accrual period): {} 至 {}, {} 天 (days); 计息基准 (day count) {}: {}\n",
            p.accrual_start,
            p.accrual_end,
            (p.accrual_end - p.accrual_start).num_days(),
            deal.day_count.name(),
            deal.day_count.fraction_text(p.accrual_start, p.accrual_end)
        )
    });
    let percent = |x: Decimal| crate::money::percent(x, 0);
    // As the run fixed them: a tranche's notice row states its coupon (in `reconcile`, a
    // reported date's is the contractual one, review 43d F1); else as the scenario fixes it.
    let fixed = deal
        .periods
        .iter()
        .position(|p| p.number == period)
        .and_then(|k| crate::engine::coupons_on(deal, scenario, k).ok());
    let rates: Option<Vec<Decimal>> = fixed.map(|fixed| {
        fixed
            .iter()
            .zip(&deal.tranches)
            .map(|(rate, t)| {
                run.notices
                    .iter()
                    .find(|n| n.period == period && n.tranche.as_str() == t.name)
                    .map_or(*rate, |n| n.coupon)
            })
            .collect()
    });
    // The coupon the notice pays, as the run fixed it: floating, and with the scenario's
    // `coupon_shift` (review 35d item F1: a fixed coupon was printed unshifted).
    let shift = if scenario.coupon_shift.is_zero() {
        String::new()
    } else {
        format!(", coupon_shift +{}", percent(scenario.coupon_shift))
    };
    let coupons: Vec<String> = deal
        .tranches
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let rate = rates
                .as_ref()
                .and_then(|r| r.get(i))
                .map_or_else(String::new, |r| percent(*r));
            let shifted = t.class != crate::deal::TrancheClass::Subordinated;
            match &t.floating {
                Some(f) => format!(
                    "{} {rate} ({} {} {}{})",
                    t.name,
                    f.index,
                    if f.spread.is_sign_negative() {
                        "−"
                    } else {
                        "+"
                    },
                    percent(f.spread.abs()),
                    if shifted { shift.as_str() } else { "" }
                ),
                None if shifted && !shift.is_empty() => {
                    format!("{} {rate} ({}{shift})", t.name, percent(t.coupon))
                }
                None => format!("{} {rate}", t.name),
            }
        })
        .collect();
    let mut out = format!(
        "# 收益分配报告 / 兑付兑息公告 (payment notice): {}\n\n\
         * 兑付日 (payment date): {date}\n\
         * 期次 (period): {period}\n\
         {accrual}\
         * 票面利率 (coupon, a year): {}\n\
         * 情景 (scenario): {}\n\
         * 依据 (basis): {basis}\n\
         * 每份面值 (face per unit): {} 元; 每百元金额取至小数点后 {} 位, {} ({}); \
         中证登手续费率 (CSDC fee rate): {}\n\n",
        deal.name,
        coupons.join("; "),
        run.scenario,
        rules.face,
        rules.decimals,
        if rules.rounding == crate::money::Rounding::Truncate {
            "截位"
        } else {
            "四舍五入"
        },
        rules.rounding.name(),
        rules.csdc_fee_rate.normalize(),
    );
    out.push_str(
        "| 证券简称 (tranche) | 权益登记日 (record date) | 份数 (units) | 每百元利息(含税) (interest per 100, tax included) \
         | 每百元本金 (principal per 100) | 每百元合计 (total per 100) | 利息总额 (interest paid) \
         | 本金总额 (principal paid) | 尾差 (residual) | 其中利息尾差 (of which interest) \
         | 兑付后每百元面值 (face per 100 after) | 中证登手续费 (CSDC fee) \
         | 应付未付利息 (interest unpaid) |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let rows: Vec<_> = run.notices.iter().filter(|n| n.period == period).collect();
    for n in &rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            md_cell(n.tranche.as_str()),
            n.record_date,
            n.units,
            n.interest_per_100,
            n.principal_per_100,
            n.total_per_100,
            format_money(n.interest_paid),
            format_money(n.principal_paid),
            format_money(n.residual),
            format_money(n.interest_residual),
            n.face_per_100_after,
            format_money(n.csdc_fee),
            format_money(n.interest_unpaid),
        ));
    }
    if rows.is_empty() {
        out.push_str("\n(no tranche is outstanding on this date)\n");
    } else {
        out.push_str(&transfer_table(deal, &rows));
    }
    out.push_str(&format!(
        "\n本期分配{}按每百元金额 × 份数支付 (the waterfall {} the per-unit amounts; `[notices] \
         per_unit = {}`).",
        if rules.per_unit { "已" } else { "未" },
        if rules.per_unit {
            "pays"
        } else {
            "does not pay"
        },
        rules.per_unit
    ));
    out
}

/// For a run with pass-through senior or mezzanine tranches, their lowest coverage multiple
/// with the principal they could take counted as due (the portfolio coverage multiple,
/// `deals.parquet`'s `min_coverage_multiple`, docs/portfolio.md): the summary's own multiple
/// counts a pass-through tranche's principal only at its maturity, so before it the figure is
/// interest cover alone (review 32c item 14). None for a run without such a tranche.
pub fn pass_through_coverage_line(deal: &crate::deal::Deal, run: &RunResult) -> Option<String> {
    use crate::deal::{Amortization, TrancheClass};
    let parts: Vec<String> = deal
        .tranches
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.class != TrancheClass::Subordinated
                && matches!(t.amortization, Amortization::PassThrough)
        })
        .map(
            |(i, t)| match crate::analytics::portfolio::min_coverage(deal, run, i) {
                // Six places, as the Parquet column holds it (a multiple of 0 too).
                Some(m) => format!("{} {:.6}x on {}", t.name, m.multiple, m.date),
                None => format!("{} none due", t.name),
            },
        )
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "pass-through coverage (principal counted as due, as deals.parquet's \
             min_coverage_multiple): {}",
            parts.join("; ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn names_stay_in_their_cell() {
        assert_eq!(md_cell("A|1"), "A\\|1");
        assert_eq!(md_cell("A\\|x"), "A\\\\\\|x");
        assert_eq!(md_cell("A\n| x"), "A\\u{a}\\| x");
        assert_eq!(shown("A\tB"), "A\\u{9}B");
        assert_eq!(shown("优先A"), "优先A");
        let t = render_table(
            &["name", "x"],
            &[false, true],
            &[vec!["A\nB".into(), "1".into()]],
        );
        assert_eq!(t.lines().count(), 3, "{t}");
        assert!(t.contains("A\\u{a}B  1"), "{t}");
    }

    #[test]
    fn money_has_separators() {
        assert_eq!(format_money(dec!(1234567.89)), "1,234,567.89");
        assert_eq!(format_money(dec!(-1234567.8)), "-1,234,567.80");
        assert_eq!(format_money(dec!(999)), "999.00");
        assert_eq!(format_money(dec!(1000)), "1,000.00");
        assert_eq!(format_money(dec!(0)), "0.00");
        assert_eq!(format_money(dec!(-0.00)), "0.00");
        assert_eq!(format_money(dec!(-0.004)), "0.00");
        assert_eq!(format_money(dec!(123456)), "123,456.00");
    }

    #[test]
    fn cjk_counts_double() {
        assert_eq!(display_width("A"), 1);
        assert_eq!(display_width("优先A"), 5);
        assert_eq!(display_width("（１）"), 6);
        assert_eq!(display_width("한"), 2);
    }
}
