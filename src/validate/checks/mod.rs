//! Checks on a deal that is well formed but may not mean what its author meant: the structure
//! of its waterfalls, figures outside the range seen in Chinese ABS, and dates that cannot be
//! kept. Each is a located warning of a named [`Check`] (a deal silences one with
//! `[deal] allow = ["name", …]`), or an error where the structure cannot be meant. Every check,
//! its range and its source are listed in docs/errors.md.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::Ctx;
use super::spans::join_key;
use crate::deal::Deal;
use crate::error::Check;
use crate::scenario::Scenario;
use crate::schema;

mod dates;
mod plausibility;
mod structure;

use dates::*;
pub(crate) use dates::{
    Lag, default_date_problem, lag_past_the_deal, scenario_dates, tell_out_of_step,
};
use plausibility::*;
use structure::*;

/// Senior and mezzanine coupons outside this range (a fraction a year) are a warning
/// (docs/errors.md, `coupon_range`; docs/sources.md [D4]).
pub const COUPON_MIN: Decimal = dec!(0.01);
pub const COUPON_MAX: Decimal = dec!(0.10);
/// A subordinated tranche's period-return cap above this is a warning.
pub const SUB_COUPON_MAX: Decimal = dec!(0.20);
/// Annual fee rates on a balance at or above this are a warning (`fee_range`; [NF1]): the
/// example deals' fees are 0.02%–0.2% a year, and 0.02% or 0.01% typed as a percentage (0.02,
/// 0.01) lands here (review 33a item M2: the bound was 2%, exclusive, exactly where the
/// commonest slip landed).
pub const FEE_RATE_MAX: Decimal = dec!(0.01);
/// Fee rates on the period's collections above this are a warning.
pub const FLOW_FEE_RATE_MAX: Decimal = dec!(0.05);
/// Fee rates on the interest paid to a tranche (`interest_paid:<name>`) above this are a
/// warning: a share of the interest, not a year's rate (review 40a item 3: they were held to
/// the 1% of a balance). An assumption ([NF1]): docs/deal-format.md's example is 10%; above a
/// fifth of a tranche's coupon a fee on it is implausible, and 0.1% typed as 0.1 is 10% (told
/// only past the bound).
pub const PAID_FEE_RATE_MAX: Decimal = dec!(0.20);
/// A fixed fee per payment date, or a one-off fee, above this share of the issue size.
pub const FIXED_FEE_SHARE_MAX: Decimal = dec!(0.01);
/// A `[notices] csdc_fee_rate` above this is a warning (`fee_range`): ten times CSDC's
/// 0.005% ([P1]); "0.005%" typed as 0.005 is a hundred times.
pub const CSDC_FEE_RATE_MAX: Decimal = dec!(0.0005);
/// Tax rates above this are a warning (`tax_range`; [D1]).
pub const TAX_RATE_MAX: Decimal = dec!(0.10);
/// `coverage_below` thresholds outside this range are a warning (`trigger_range`).
pub const COVERAGE_MIN: Decimal = dec!(0.8);
pub const COVERAGE_MAX: Decimal = dec!(3);
/// `cumulative_default_ratio_above` thresholds above this are a warning.
pub const CDR_TRIGGER_MAX: Decimal = dec!(0.5);
/// Reserve `target_multiple` above this is a warning (`reserve_range`; [NF5]).
pub const RESERVE_MULTIPLE_MAX: Decimal = dec!(3);
/// Reserve `target_multiple` above zero and below this is a warning (`reserve_range`): a tenth
/// of a period's senior interest and fees protects nothing (`0.01` written for 1×).
pub const RESERVE_MULTIPLE_MIN: Decimal = dec!(0.1);
/// A fixed reserve target or initial deposit above this share of the issue size.
pub const RESERVE_SHARE_MAX: Decimal = dec!(0.10);
/// A positive fixed reserve target or initial deposit below this share of the issue size (150
/// yuan against 150,000,000: a 万元 figure written in yuan) is a warning (`reserve_range`).
pub const RESERVE_SHARE_MIN: Decimal = dec!(0.0001);
/// A positive fixed or one-off fee below this share of the issue size is a warning
/// (`issue_size`): 0.5 for 5,000, or 5 for 50,000 written in 万元.
pub const FIXED_FEE_SHARE_MIN: Decimal = dec!(0.000001);
/// The issue size outside this multiple of the pool balance (either way) is a warning
/// (`issue_size`): a 万元 or 亿元 mistake is four or eight orders of magnitude off.
pub const ISSUE_RATIO_MAX: Decimal = dec!(10);
/// A tranche below this share of the pool balance, or a positive `target_balances` entry
/// below this share of its tranche's balance, is a warning (`issue_size`).
pub const TRANCHE_SHARE_MIN: Decimal = dec!(0.001);
/// A support's `cap_total` or `cap_per_period` below this share of the issue size is a warning
/// (`issue_size`): a cap equal to the issue typed in 万元 is 0.01% of it (review 33a item M1:
/// the bound was that 0.01%, exclusive, so the slip of a cap at or above the issue passed).
pub const SUPPORT_CAP_SHARE_MIN: Decimal = dec!(0.001);
/// An asset's annual rate (a loan's, a lease's, a revolving template's) above this is a
/// warning (`rate_range`; docs/sources.md [D5]): 5.5% typed as 0.55.
pub const ASSET_RATE_MAX: Decimal = dec!(0.24);
/// An asset's annual rate above 0 and below this is a warning (`rate_range`): 5.5% typed as
/// 0.0055 (review 45d item 10: silent, with the pool earning less than the senior's coupon; the
/// example deals' lowest asset rate is 5.5%). A rate of 0 is an interest-free asset.
pub const ASSET_RATE_MIN: Decimal = dec!(0.01);
/// An index value (`indices`, `index_paths`) above this is a warning (`rate_range`; [D5]).
pub const INDEX_RATE_MAX: Decimal = dec!(0.15);
/// An `index_shift` beyond ± this is a warning (`rate_range`): 0.5 typed for 50 bp.
pub const INDEX_SHIFT_MAX: Decimal = dec!(0.05);

/// An annual rate at `path` from 0 to below 1 ([`Ctx::annual_rate`]), warned (`rate_range`,
/// `what` naming it) beyond [`ASSET_RATE_MAX`]: an asset's, a generated licence schedule's, a
/// revolving template's or a support's interest rate.
pub(crate) fn annual_rate_in_range(ctx: &mut Ctx, path: &str, v: Decimal, what: &str) -> Decimal {
    let r = ctx.annual_rate(path, v, super::Sign::NonNegative);
    rate_range(ctx, path, r, ASSET_RATE_MAX, what);
    r
}

/// The median of `v`, the lower middle of an even count; None when `v` is empty.
pub(crate) fn lower_median<T: Ord + Copy>(mut v: Vec<T>) -> Option<T> {
    v.sort_unstable();
    v.get(v.len().checked_sub(1)? / 2).copied()
}

/// [`annual_rate_in_range`] for an asset's own rate (a loan's, a lease's, a generated licence
/// table's), also warned (`rate_range`) above 0 and below [`ASSET_RATE_MIN`]: ten times too
/// small. A facility's interest or a revolving template's rate are not told.
pub(crate) fn asset_rate_in_range(ctx: &mut Ctx, path: &str, v: Decimal) -> Decimal {
    let r = annual_rate_in_range(ctx, path, v, "asset rate");
    if r > Decimal::ZERO && r < ASSET_RATE_MIN {
        ctx.warn(
            Check::RateRange,
            path,
            format!(
                "asset rate {r} is {} a year, below {}: a rate typed ten times too small \
                 (0.0055 for 5.5%)? A rate is a fraction, 0.055 for 5.5%",
                pct(r),
                pct(ASSET_RATE_MIN)
            ),
        );
    }
    r
}

/// Warns (`rate_range`) when the pool-side rate `v` at `path` (`what`: "asset rate", "index
/// `lpr_1y`") is beyond `max` in absolute value.
pub(super) fn rate_range(ctx: &mut Ctx, path: &str, v: Decimal, max: Decimal, what: &str) {
    // 1 (100%) or more is already an error at the key.
    if v.abs() > max && v.abs() < Decimal::ONE {
        ctx.warn(
            Check::RateRange,
            path,
            format!(
                "{what} {v} is {} a year, beyond {}; {}",
                pct(v),
                pct(max),
                if max == INDEX_SHIFT_MAX {
                    "a shift is a fraction, 0.005 for 50 bp"
                } else {
                    "a rate is a fraction, 0.055 for 5.5%"
                }
            ),
        );
    }
}

/// Where the items of a deal are in its file.
struct Paths<'r> {
    raw: &'r schema::DealFile,
}

impl Paths<'_> {
    /// `tranches[i]` of the file for the deal's (seniority-sorted) tranche `name`.
    fn tranche(&self, name: &str) -> String {
        let i = self
            .raw
            .tranches
            .iter()
            .position(|t| t.name == name)
            .unwrap_or(0);
        format!("tranches[{i}]")
    }

    fn step(&self, waterfall: &str, i: usize) -> String {
        format!("{}[{i}]", join_key("waterfalls", waterfall))
    }

    /// The key that made payment date `k` (0-based).
    fn payment(&self, k: usize) -> String {
        if self.raw.deal.payment_dates.is_some() {
            format!("deal.payment_dates[{k}]")
        } else {
            "deal.first_payment_date".to_string()
        }
    }
}

/// Runs every check on a deal that has no errors.
pub(super) fn deal(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile) {
    let paths = Paths { raw };
    reached(ctx, deal, raw, &paths);
    reserve_released(ctx, deal, raw);
    repaid_when_selected(ctx, deal);
    for (ix, w) in deal.waterfalls.iter().enumerate() {
        repayment_order(ctx, deal, (ix, &w.name), &w.steps, &paths);
        order(ctx, deal, &w.name, &w.steps, &paths);
        conditions(ctx, deal, &w.name, &w.steps, &paths);
        purchase_order(ctx, deal, &w.name, &w.steps, &paths);
        charge_order(ctx, deal, &w.name, &w.steps, &paths);
        expense_order(ctx, deal, &w.name, &w.steps, &paths);
        triggered_order(ctx, deal, (ix, &w.name), &w.steps, &paths);
        release_order(ctx, deal, &w.name, &w.steps, &paths);
    }
    covers(ctx, deal, raw);
    facilities_repaid(ctx, deal, &paths);
    plausible(ctx, deal, raw, &paths);
    dates(ctx, deal, raw, &paths);
    scenario_dates(ctx, "scenario", &deal.scenario, deal);
    if let Some(r) = deal.revolving.as_ref().filter(|r| r.debtor.is_none()) {
        // Told by `rate` and `size` only (review 27c item 3): a Monte Carlo path defaults the
        // file's obligors by name, and a break-even's curve reaches every purchase.
        let w = ctx.located(
            Check::RevolvingDefaults,
            "revolving",
            format!(
                "the revolving purchases (`{}@DATE`) are the receivables of no obligor of the \
                 file: a Monte Carlo path defaults the file's obligors, so it never defaults \
                 them, and the rating leaves their credit risk out (the default curve of a \
                 break-even reaches them); set `obligor` to the debtor's name when they are \
                 one obligor's (docs/deal-format.md, `[revolving]`)",
                r.obligor
            ),
        );
        ctx.search_warnings.push(w);
    }
}

/// Whether the revolving template's `obligor` bears `name` without being it: `name` as a
/// whole word of it, between characters that cannot continue a name or the template's ends
/// (`X (循环购买)`, `循环购买-X`, `X@1`; not `X2` or `SME-12` for `SME-1`).
fn bears_name(template: &str, name: &str) -> bool {
    let (template, name) = (template.trim(), name.trim());
    let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '_');
    !name.is_empty()
        && template != name
        && template.match_indices(name).any(|(at, _)| {
            edge(template[..at].chars().next_back())
                && edge(template[at + name.len()..].chars().next())
        })
}

/// Whether a prepayment rate can reach the deal's pool: an asset that can prepay, or a
/// revolving period whose purchases may.
pub(crate) fn can_prepay(deal: &Deal) -> bool {
    deal.revolving.is_some()
        || deal
            .obligors
            .iter()
            .any(|o| o.assets.iter().any(|a| a.prepayable))
}

/// The `unread_cpr` message.
pub(crate) const UNREAD_CPR: &str = "no asset of the deal can prepay (licences, receivables, or \
                                     loans and leases with `prepayable = false`): the prepayment \
                                     rate changes nothing";

/// `unread_cpr`: a scenario's `cpr` (pool-wide, or an `overrides` rule's) on a deal none of
/// whose assets can prepay (licences, receivables, or loans and leases with `prepayable =
/// false`) changes nothing: a prepayment stress that looks reassuring (review 31a item 6). A
/// revolving deal is left alone (its purchases may prepay).
fn unread_cpr(ctx: &mut Ctx, p: &str, s: &Scenario, deal: &Deal) {
    if can_prepay(deal) {
        return;
    }
    let given = std::iter::once((format!("{p}.cpr"), Some(s.cpr))).chain(
        s.overrides
            .iter()
            .enumerate()
            .map(|(k, r)| (format!("{p}.overrides[{k}].cpr"), r.cpr)),
    );
    for (path, cpr) in given {
        if cpr.is_some_and(|c| c > Decimal::ZERO) {
            ctx.warn(Check::UnreadCpr, &path, UNREAD_CPR.to_string());
        }
    }
}

/// `unread_revolving`: a scenario's revolving stress (`revolving_yield_cut`, `purchase_cut`)
/// on a deal without `[revolving]` changes nothing (since session 36; as `unread_cpr`).
fn unread_revolving(ctx: &mut Ctx, p: &str, s: &Scenario, deal: &Deal) {
    if deal.revolving.is_some() {
        return;
    }
    for (key, v) in [
        ("revolving_yield_cut", s.revolving_yield_cut),
        ("purchase_cut", s.purchase_cut),
    ] {
        if v > Decimal::ZERO {
            ctx.warn(
                Check::UnreadRevolving,
                &format!("{p}.{key}"),
                format!(
                    "{key} {v} changes nothing: the deal has no `[revolving]` period, so it \
                     buys no assets"
                ),
            );
        }
    }
}

/// A named default, or an `overrides` rule naming an obligor, whose name the revolving
/// purchases bear without being its receivables (`obligor = "X (循环购买)"` beside obligor
/// `X`): only an `obligor` that is the obligor's own name ties them to it, so neither reaches
/// them (review 26d item H1; the rule and the name match, review 27c item 9).
pub(super) fn revolving_defaults(ctx: &mut Ctx, p: &str, s: &Scenario, deal: &Deal) {
    unread_cpr(ctx, p, s, deal);
    unread_revolving(ctx, p, s, deal);
    let Some(r) = deal.revolving.as_ref().filter(|r| r.debtor.is_none()) else {
        return;
    };
    let fix = |name: &str| {
        format!(
            "the revolving purchases, named `{}@DATE`, are not its receivables, so it does not \
             reach them (docs/deal-format.md, `[revolving]`); to make them its receivables, set \
             `[revolving] obligor = \"{name}\"`",
            r.obligor
        )
    };
    for &(o, date) in &s.obligor_defaults {
        if let Some(ob) = deal.obligors.get(o)
            && bears_name(&r.obligor, &ob.name)
        {
            ctx.warn(
                Check::RevolvingDefaults,
                &format!("{p}.defaults"),
                format!(
                    "scenario `{}` defaults obligor `{}` on {date}; {}",
                    s.name,
                    ob.name,
                    fix(&ob.name)
                ),
            );
        }
    }
    for (k, rule) in s.overrides.iter().enumerate() {
        if rule.tag.is_some() {
            continue;
        }
        for &o in &rule.obligors {
            if let Some(ob) = deal.obligors.get(o)
                && bears_name(&r.obligor, &ob.name)
            {
                ctx.warn(
                    Check::RevolvingDefaults,
                    &format!("{p}.overrides[{k}]"),
                    format!(
                        "scenario `{}` sets assumptions for obligor `{}`; {}",
                        s.name,
                        ob.name,
                        fix(&ob.name)
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bears_name;

    /// A template bears a name followed by a character that cannot continue it (review 27c
    /// item 9: `SME-1` was matched inside `SME-12 (循环购买)`).
    #[test]
    fn a_template_bears_a_whole_name() {
        assert!(bears_name("核心债务人 奇艺 (循环购买)", "核心债务人 奇艺"));
        assert!(bears_name("R1@pool", "R1"));
        assert!(!bears_name("SME-12 (循环购买)", "SME-1"));
        assert!(!bears_name("R12", "R1"));
        assert!(!bears_name("R1", "R1"));
        assert!(!bears_name("revolving", ""));
        // Anywhere in the template, as a whole word (review 27d item 6).
        assert!(bears_name("循环购买-核心债务人 奇艺", "核心债务人 奇艺"));
        assert!(bears_name("pool of R1", "R1"));
        assert!(!bears_name("pool of R12", "R1"));
    }

    use super::share_pct;
    use rust_decimal_macros::dec;

    /// Three significant digits of the percentage, worked by hand: 300,000 of a pool of
    /// 1.5 × 10^15 is 2 × 10^-10 = 0.00000002% (review 25d printed it as "0%").
    #[test]
    fn tiny_shares_keep_their_digits() {
        assert_eq!(
            share_pct(dec!(300000) / dec!(1500000000000000)),
            "0.00000002%"
        );
        assert_eq!(share_pct(dec!(0.123456)), "12.3%");
        assert_eq!(share_pct(dec!(0.005)), "0.5%");
        assert_eq!(share_pct(dec!(0.0123456)), "1.23%");
        assert_eq!(share_pct(dec!(1.5)), "150%");
        assert_eq!(share_pct(dec!(0)), "0%");
    }
}
