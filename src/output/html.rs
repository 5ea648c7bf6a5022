//! A self-contained HTML report (`--html FILE`, docs/output.md, "HTML report"): inline SVG
//! charts and tables, no script, no network. Chart coordinates are `f64` (drawing only; every
//! figure in the tables is the exact decimal).

use std::fmt::Write as _;
use std::path::Path;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::analytics::breakeven::BreakevenRow;
use crate::analytics::portfolio::PortfolioRow;
use crate::analytics::rating::RatingRow;
use crate::analytics::rating::size::SizeStep;
use crate::deal::{Deal, TriggerCondition};
use crate::engine::result::RunResult;
use crate::error::Error;

const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];
const W: f64 = 760.0;
const H: f64 = 280.0;
const LEFT: f64 = 90.0;
const BOTTOM: f64 = 60.0;
const TOP: f64 = 30.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// What a chart's y axis holds: amounts and multiples, or rates (fractions of a pool) drawn
/// as percentages.
#[derive(Clone, Copy, PartialEq)]
enum Axis {
    /// Yuan or a multiple: ticks at quarters of 1.1 × the largest value (`short` labels).
    Amount,
    /// A fraction shown in percent (review 35b item F4: BDRs were drawn on 0 to 1.10 with
    /// ticks at 0.28, 0.55, 0.83 beside tables in percent): the axis ends at the smallest of
    /// 10%, 20%, 25%, 50% and 100% that holds every value (a rate is at most 100%), ticks at
    /// its quarters.
    Rate,
}

/// The top of the y axis for `values` on `axis`.
fn axis_max(values: impl Iterator<Item = f64>, axis: Axis) -> f64 {
    let m = values.filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    match axis {
        Axis::Amount if m <= 0.0 => 1.0,
        Axis::Amount => m * 1.1,
        // A little room above the largest value, as for amounts.
        Axis::Rate => [0.1, 0.2, 0.25, 0.5, 1.0]
            .into_iter()
            .find(|&top| m * 1.05 <= top)
            .unwrap_or(1.0_f64.max(m)),
    }
}

/// A y-axis tick's label: [`short`] for amounts, a percentage for rates (`12.5%`, `25%`).
fn tick(v: f64, axis: Axis) -> String {
    match axis {
        Axis::Amount => short(v),
        // Up to two places, trailing zeros dropped: 6.25%, 12.5%, 25% (review 35f item G3:
        // 6.2% and 18.8% were printed for 6.25% and 18.75%).
        Axis::Rate => {
            let p = format!("{:.2}", v * 100.0);
            format!("{}%", p.trim_end_matches('0').trim_end_matches('.'))
        }
    }
}

/// Categories whose names would not fit under their bars, tilted, are numbered, with a key
/// under the chart (review 35b item F4: 22 scenario names overlapped and were cut): when the
/// longest name, at about 4.5 px a character (a CJK character two), is wider than two of the
/// chart's groups, or than the 150 px a tilted name has below the axis before it leaves the
/// chart (review 35f item G1: three names of 50 characters ran off its edges).
fn numbered(categories: &[String]) -> bool {
    let group = (W - LEFT - 10.0) / categories.len().max(1) as f64;
    let longest = categories
        .iter()
        .map(|c| super::table::display_width(c))
        .max()
        .unwrap_or(0);
    longest as f64 * 4.5 > (2.0 * group).min(150.0)
}

fn frame(title: &str, (max, axis): (f64, Axis), body: &str, legend: &[(String, &str)]) -> String {
    let mut s = format!(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" role=\"img\"><title>{t}</title>\
         <rect width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>\
         <text x=\"{LEFT}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{t}</text>",
        t = esc(title)
    );
    let plot_h = H - TOP - BOTTOM;
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let y = TOP + plot_h - plot_h * f64::from(k) / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            W - 10.0,
            LEFT - 4.0,
            y + 3.0,
            tick(v, axis)
        );
    }
    s.push_str(body);
    // Each entry as wide as its name (review 35f item G2: a long name ran into the next).
    let mut x = LEFT;
    for (name, color) in legend {
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
            H - 14.0,
            x + 14.0,
            H - 5.0,
            esc(name)
        );
        x += (14.0 + 6.5 * super::table::display_width(name) as f64 + 20.0).max(150.0);
    }
    s.push_str("</svg></figure>\n");
    s
}

fn short(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{:.1}m", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.2}")
    }
}

/// A line chart: one line per series over the x labels (every one of them when `all_x`,
/// else about eight); an optional dashed horizontal line.
fn line_chart(
    title: &str,
    (xs, all_x): (&[String], bool),
    (series, axis): (&[(String, Vec<f64>)], Axis),
    hline: Option<(String, f64)>,
) -> String {
    let max = axis_max(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .chain(hline.iter().map(|h| h.1)),
        axis,
    );
    let plot_w = W - LEFT - 10.0;
    let plot_h = H - TOP - BOTTOM;
    let n = xs.len().max(2) - 1;
    let x_at = |i: usize| LEFT + plot_w * i as f64 / n as f64;
    let y_at = |v: f64| TOP + plot_h - plot_h * (v / max).clamp(0.0, 1.0);
    let mut body = String::new();
    let step = if all_x { 1 } else { (xs.len() / 8).max(1) };
    for (i, x) in xs.iter().enumerate().step_by(step) {
        let _ = write!(
            body,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{}</text>",
            x_at(i),
            H - BOTTOM + 14.0,
            esc(x)
        );
    }
    let mut legend = Vec::new();
    for (k, (name, v)) in series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        // A value that is NaN (no BDR) has no point.
        let pts: Vec<String> = v
            .iter()
            .enumerate()
            .filter(|(_, y)| y.is_finite())
            .map(|(i, y)| format!("{:.1},{:.1}", x_at(i), y_at(*y)))
            .collect();
        let _ = write!(
            body,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            pts.join(" ")
        );
        legend.push((name.clone(), color));
    }
    if let Some((name, v)) = hline {
        let y = y_at(v);
        let _ = write!(
            body,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#000\" \
             stroke-dasharray=\"6 4\"/>",
            W - 10.0
        );
        legend.push((name, "#000"));
    }
    frame(title, (max, axis), &body, &legend)
}

/// A grouped bar chart: one group per category, one bar per series.
/// A value that is NaN has no bar: the chart writes "n/a" where it would stand. Crowded
/// categories are numbered, with a key under the chart ([`numbered`]).
fn bar_chart(
    title: &str,
    categories: &[String],
    (series, axis): (&[(String, Vec<f64>)], Axis),
) -> String {
    let max = axis_max(series.iter().flat_map(|(_, v)| v.iter().copied()), axis);
    let keyed = numbered(categories);
    let plot_w = W - LEFT - 10.0;
    let plot_h = H - TOP - BOTTOM;
    let group = plot_w / categories.len().max(1) as f64;
    let bar = (group * 0.8) / series.len().max(1) as f64;
    let mut body = String::new();
    let mut legend = Vec::new();
    for (c, cat) in categories.iter().enumerate() {
        let x = LEFT + group * (c as f64 + 0.5);
        let y = H - BOTTOM + 12.0;
        let _ = if keyed {
            write!(
                body,
                "<text x=\"{x:.1}\" y=\"{y}\" font-size=\"9\" text-anchor=\"middle\">{}</text>",
                c + 1
            )
        } else {
            write!(
                body,
                "<text x=\"{x:.1}\" y=\"{y}\" font-size=\"9\" text-anchor=\"end\" \
                 transform=\"rotate(-15 {x:.1} {y})\">{}</text>",
                esc(cat)
            )
        };
    }
    for (k, (name, v)) in series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        for (c, y) in v.iter().enumerate() {
            let x = LEFT + group * c as f64 + group * 0.1 + bar * k as f64;
            if y.is_nan() {
                // No value (a deal without a TDR, say): said in words, not drawn as a bar of
                // height 0, which reads as a value of 0 (review 30a item 6).
                let _ = write!(
                    body,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"8\" text-anchor=\"middle\" \
                     fill=\"{color}\">n/a</text>",
                    x + bar / 2.0,
                    TOP + plot_h - 3.0
                );
                continue;
            }
            let h = plot_h * (y / max).clamp(0.0, 1.0);
            let _ = write!(
                body,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{color}\"/>",
                x,
                TOP + plot_h - h,
                bar
            );
        }
        legend.push((name.clone(), color));
    }
    let mut out = frame(title, (max, axis), &body, &legend);
    if keyed {
        let key: Vec<String> = categories
            .iter()
            .enumerate()
            .map(|(c, cat)| format!("{} {}", c + 1, esc(cat)))
            .collect();
        let _ = writeln!(out, "<p class=\"key\">{}</p>", key.join(" · "));
    }
    out
}

/// The charts of one run: tranche balances, collections and defaults by period, and the senior
/// coverage multiple per date against the lowest `coverage_below` trigger. A run that kept no
/// periods (`sweep` without `--flows`) has a sentence saying so instead of charts with no data
/// (review 35b item F1: three empty charts looked like charts of zeros).
pub fn run_charts(deal: &Deal, run: &RunResult) -> String {
    let dates: Vec<String> = run
        .periods
        .iter()
        .map(|p| p.payment_date.to_string())
        .collect();
    let mut out = format!(
        "<h2>{} — scenario {}</h2>\n",
        esc(&deal.name),
        esc(&run.scenario)
    );
    if run.periods.is_empty() {
        out.push_str(NO_PERIODS);
        return out;
    }
    let balances: Vec<(String, Vec<f64>)> = deal
        .tranches
        .iter()
        .map(|t| {
            let v = run
                .periods
                .iter()
                .map(|p| {
                    run.tranche_flows
                        .iter()
                        .find(|r| r.period == p.period && r.tranche == t.name)
                        .map_or(0.0, |r| f(r.balance_end))
                })
                .collect();
            (t.name.clone(), v)
        })
        .collect();
    out.push_str(&line_chart(
        "Tranche balances (yuan)",
        (&dates, false),
        (&balances, Axis::Amount),
        None,
    ));
    let per = |g: fn(&crate::pool::rows::PoolFlowRow) -> Decimal| -> Vec<f64> {
        run.periods
            .iter()
            .map(|p| {
                f(run
                    .pool_flows
                    .iter()
                    .filter(|r| r.period == p.period)
                    .map(|r| g(&r))
                    .sum())
            })
            .collect()
    };
    let labels: Vec<String> = run.periods.iter().map(|p| p.period.to_string()).collect();
    out.push_str(&bar_chart(
        "Collections and defaults by period (yuan)",
        &labels,
        (
            &[
                ("collected".to_string(), per(|r| r.collected)),
                ("defaulted".to_string(), per(|r| r.defaulted)),
            ],
            Axis::Amount,
        ),
    ));
    let cov: Vec<f64> = run
        .periods
        .iter()
        .map(|p| p.coverage_multiple.map_or(0.0, f))
        .collect();
    let coverage_triggers = || {
        deal.triggers
            .iter()
            .filter(|t| matches!(t.condition, TriggerCondition::CoverageBelow(_)))
    };
    // A constant level is a dashed line at the highest; a stepped one is drawn date by date
    // (review 34d item L4: it was a flat line at its highest step).
    let trigger = coverage_triggers()
        .filter(|t| t.threshold_steps.is_empty())
        .filter_map(|t| t.condition.threshold())
        .max()
        .map(|x| (format!("coverage trigger {x}"), f(x)));
    let mut series = vec![("coverage multiple".to_string(), cov)];
    for t in coverage_triggers().filter(|t| !t.threshold_steps.is_empty()) {
        let levels = run
            .periods
            .iter()
            .map(|p| {
                (p.period as usize)
                    .checked_sub(1)
                    .and_then(|k| deal.periods.get(k))
                    .and_then(|d| t.condition_on(d).threshold())
                    .map_or(0.0, f)
            })
            .collect();
        series.push((format!("coverage trigger `{}` (stepped)", t.name), levels));
    }
    out.push_str(&line_chart(
        "Senior coverage multiple per payment date",
        (&dates, false),
        (&series, Axis::Amount),
        trigger,
    ));
    out
}

/// What [`run_charts`] writes for a run without periods.
pub const NO_PERIODS: &str = "<p>This run kept no periods or pool flows (a <code>sweep</code> \
     without <code>--flows</code> keeps the senior tranche's rows only), so it has no charts: \
     run the sweep with <code>--flows</code>, or <code>ipabs run</code> on the scenario, to \
     chart it.</p>\n";

/// BDR against TDR per tranche and scenario.
pub fn breakeven_chart(rows: &[BreakevenRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    // The BDR the pass reads (review 34e item H2: an unbroken tranche's realised ratio was
    // drawn below its TDR beside its PASS); `≥` marks a lower bound.
    let cats: Vec<String> = rows
        .iter()
        .map(|r| {
            let bound = if r.passes_at_one { " (≥)" } else { "" };
            format!("{} {}{bound}", r.tranche, r.scenario)
        })
        .collect();
    bar_chart(
        "Break-even default rate (BDR, as the pass reads it) against target (TDR)",
        &cats,
        (
            &[
                // No BDR (`none`) and no TDR are "n/a", not bars of 0 (review 35f item G4).
                (
                    "BDR".to_string(),
                    rows.iter()
                        .map(|r| {
                            if r.fails_at_zero {
                                f64::NAN
                            } else {
                                f(r.bdr().rate)
                            }
                        })
                        .collect(),
                ),
                (
                    "TDR".to_string(),
                    rows.iter()
                        .map(|r| r.target_default_rate.map_or(f64::NAN, f))
                        .collect(),
                ),
            ],
            Axis::Rate,
        ),
    )
}

/// `ipabs rate`: each rating's TDR, and each rated tranche's BDR as a level across the ratings
/// (where it crosses the TDR is the tranche's implied rating).
pub fn rating_chart(rows: &[RatingRow]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let ratings: Vec<String> = rows
        .iter()
        .take_while(|r| r.tranche == first.tranche)
        .map(|r| r.rating.clone())
        .collect();
    let mut series = vec![(
        "TDR".to_string(),
        rows.iter()
            .take(ratings.len())
            .map(|r| f(r.target_default_rate))
            .collect(),
    )];
    for tranche in rows.chunks(ratings.len().max(1)) {
        // `≥`: paid in full at R = 100%, a lower bound (review 35b item F4); `none`: no BDR,
        // no line (review 35f item G4).
        let none = tranche[0].fails_at_zero;
        let bound = if none {
            " none"
        } else if tranche[0].passes_at_one {
            " (≥)"
        } else {
            ""
        };
        series.push((
            format!("BDR {}{bound}", tranche[0].tranche),
            // The BDR as the pass reads it, as the table prints it.
            tranche
                .iter()
                .map(|r| if none { f64::NAN } else { f(r.bdr().rate) })
                .collect(),
        ));
    }
    line_chart(
        "Target default rate (TDR) of each rating against each tranche's BDR",
        (&ratings, true),
        (&series, Axis::Rate),
        None,
    )
}

/// `ipabs size`: the balance tried at each step, and its BDR against the target's TDR.
pub fn size_charts(steps: &[SizeStep]) -> String {
    if steps.is_empty() {
        return String::new();
    }
    let xs: Vec<String> = steps
        .iter()
        .map(|s| format!("{} {}", s.tranche, s.step))
        .collect();
    let balance = line_chart(
        "Balance tried at each step (yuan)",
        (&xs, false),
        (
            &[(
                "balance".to_string(),
                steps.iter().map(|s| f(s.balance)).collect(),
            )],
            Axis::Amount,
        ),
        None,
    );
    // A step's BDR shown `≥` is a lower bound (review 35b item F4).
    let bdr = if steps.iter().any(|s| s.passes_at_one) {
        "BDR (≥ where paid in full at 100%)"
    } else {
        "BDR"
    };
    let rates = line_chart(
        "Break-even default rate (BDR) at each step against the target's TDR",
        (&xs, false),
        (
            &[
                (
                    bdr.to_string(),
                    steps.iter().map(|s| f(s.bdr().rate)).collect(),
                ),
                (
                    "TDR".to_string(),
                    steps.iter().map(|s| f(s.target_default_rate)).collect(),
                ),
            ],
            Axis::Rate,
        ),
        None,
    );
    balance + &rates
}

/// Deals side by side: per deal, the lowest coverage, BDR and TDR of its most senior tranche
/// over every scenario, and its OC.
pub fn portfolio_section(rows: &[PortfolioRow]) -> String {
    let mut ids: Vec<&str> = Vec::new();
    for r in rows {
        if !ids.contains(&r.deal_id.as_str()) {
            ids.push(&r.deal_id);
        }
    }
    let pick = |id: &str| -> Vec<&PortfolioRow> {
        let first = rows
            .iter()
            .find(|r| r.deal_id == id)
            .map(|r| r.tranche.clone());
        rows.iter()
            .filter(|r| r.deal_id == id && Some(&r.tranche) == first.as_ref())
            .collect()
    };
    let cats: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let min_of = |id: &str, g: &dyn Fn(&PortfolioRow) -> Option<Decimal>| {
        // NaN (drawn as "n/a") when no row of the deal has one.
        pick(id).into_iter().filter_map(g).min().map_or(f64::NAN, f)
    };
    let mut out = String::from("<h2>Deals side by side</h2>\n");
    out.push_str(&bar_chart(
        "Senior tranche: lowest BDR over all scenarios against TDR",
        &cats,
        (
            &[
                (
                    "min BDR".to_string(),
                    // A deal whose senior fails with no defaults in some scenario has no BDR
                    // ("none" in the table): "n/a", not an empty bar read as 0 (review 35b
                    // item F8).
                    ids.iter()
                        .map(|i| {
                            if pick(i).iter().any(|r| r.fails_at_zero == Some(true)) {
                                f64::NAN
                            } else {
                                min_of(i, &|r| r.breakeven_default_rate)
                            }
                        })
                        .collect(),
                ),
                (
                    "TDR".to_string(),
                    ids.iter()
                        .map(|i| min_of(i, &|r| r.target_default_rate))
                        .collect(),
                ),
            ],
            Axis::Rate,
        ),
    ));
    out.push_str(&bar_chart(
        "Over-collateralisation and lowest senior coverage multiple",
        &cats,
        (
            &[
                (
                    "OC".to_string(),
                    ids.iter()
                        .map(|i| min_of(i, &|r| r.facts.over_collateralisation))
                        .collect(),
                ),
                (
                    "min coverage".to_string(),
                    ids.iter()
                        .map(|i| min_of(i, &|r| r.min_coverage.map(|m| m.multiple)))
                        .collect(),
                ),
            ],
            Axis::Amount,
        ),
    ));
    out
}

/// Wraps `sections` (and a preformatted text `table`) into one HTML page and writes it to
/// `path` atomically (temporary file beside it, then rename).
pub fn write_html(path: &Path, title: &str, table: &str, sections: &[String]) -> Result<(), Error> {
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>{t}</title><style>body{{font-family:sans-serif;margin:24px;background:#fff}}\
         figure{{margin:12px 0}}pre{{font-size:12px;background:#f6f6f6;padding:8px;\
         overflow-x:auto;white-space:pre-wrap}}</style></head><body><h1>{t}</h1>\n",
        t = esc(title)
    );
    for s in sections {
        page.push_str(s);
    }
    if !table.is_empty() {
        let _ = writeln!(page, "<pre>{}</pre>", esc(table));
    }
    page.push_str(
        "<p>Generated by ipabs; charts are drawn from the exact figures of the Parquet \
         files.</p></body></html>\n",
    );
    super::write_text(path, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A missing value is written "n/a" and has no bar (review 30a item 6: a deal without a TDR
    /// showed a bar of height 0, read as a TDR of 0); the others keep theirs. Two categories,
    /// one series: 0.5 is the axis's only value (max 0.55), so its bar is 190 × 0.5 / 0.55 =
    /// 172.7 px of the 190-px plot.
    #[test]
    fn a_missing_value_is_not_a_bar_of_zero() {
        let svg = bar_chart(
            "t",
            &["a".to_string(), "b".to_string()],
            (&[("TDR".to_string(), vec![0.5, f64::NAN])], Axis::Amount),
        );
        assert_eq!(svg.matches(">n/a</text>").count(), 1, "{svg}");
        let bars: Vec<&str> = svg
            .split("<rect ")
            .skip(1)
            // The series' bars, not its 10 × 10 legend swatch.
            .filter(|r| r.contains("fill=\"#1f77b4\"") && !r.contains("width=\"10\""))
            .collect();
        assert_eq!(bars.len(), 1, "{svg}");
        assert!(bars[0].contains("height=\"172.7\""), "{}", bars[0]);
        assert!(!svg.contains("NaN"), "{svg}");
    }

    /// Rate axes end at a round percentage that holds every value with 5% to spare, ticks at
    /// its quarters (review 35b item F4): 0.12 → 20% (ticks 0%, 5%, 10%, 15%, 20%); 0.69 →
    /// 100%; 0.2 → 25% (12.5% a tick label); 0.5 → 100%; amounts keep 1.1 × the largest.
    /// Names wider than two groups are numbered, with a key under the chart: 9 groups of
    /// 660 / 9 = 73.3 px hold names of 32 characters (144 px), not 33 (148.5 px); 2 groups of
    /// 330 px hold 33 characters, the room below the axis.
    #[test]
    fn rate_axes_end_at_round_percentages() {
        assert_eq!(axis_max([0.05, 0.12].into_iter(), Axis::Rate), 0.2);
        assert_eq!(axis_max([0.69, f64::NAN].into_iter(), Axis::Rate), 1.0);
        assert_eq!(axis_max([0.2].into_iter(), Axis::Rate), 0.25);
        assert_eq!(axis_max([0.5].into_iter(), Axis::Rate), 1.0);
        assert_eq!(axis_max([0.0].into_iter(), Axis::Rate), 0.1);
        assert_eq!(axis_max([200.0].into_iter(), Axis::Amount), 200.0 * 1.1);
        assert_eq!(tick(0.05, Axis::Rate), "5%");
        assert_eq!(tick(0.25 * 0.5, Axis::Rate), "12.5%");
        assert_eq!(tick(0.25 * 0.25, Axis::Rate), "6.25%");
        assert_eq!(tick(0.25 * 0.75, Axis::Rate), "18.75%");
        assert_eq!(tick(1.0, Axis::Rate), "100%");
        let names = |n: usize, s: &str| vec![s.to_string(); n];
        assert!(!numbered(&names(9, &"x".repeat(32))));
        assert!(numbered(&names(9, &"x".repeat(33))));
        assert!(!numbered(&names(2, &"x".repeat(33))));
        assert!(numbered(&names(22, "recovery-10%+cpr-25%")));
        // Few but long names (review 35f item G1): 3 groups of 220 px, names of 34 and 33
        // characters (153 and 148.5 px against the 150 px below the axis); a CJK name counts
        // twice its characters.
        assert!(numbered(&names(3, &"x".repeat(34))));
        assert!(!numbered(&names(3, &"x".repeat(33))));
        assert!(numbered(&names(3, &"优".repeat(17))));
        let long = "s".repeat(40);
        let chart = bar_chart(
            "t",
            &names(9, &long),
            (&[("BDR".to_string(), vec![0.1; 9])], Axis::Rate),
        );
        assert!(
            chart.contains(&format!("<p class=\"key\">1 {long} · 2 {long}")),
            "{chart}"
        );
        assert!(chart.contains(">10%</text>"), "{chart}");
        // A NaN value (a `none` BDR) has no point in a line, and no `NaN` in the SVG.
        let line = line_chart(
            "t",
            (&names(3, "r"), true),
            (&[("BDR A none".to_string(), vec![f64::NAN; 3])], Axis::Rate),
            None,
        );
        assert!(
            line.contains("points=\"\"") && !line.contains("NaN"),
            "{line}"
        );
    }
}
