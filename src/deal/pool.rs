//! The pool: obligors, their assets and instalments, obligor groups, revolving purchases.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::calendar::daycount::DayCount;
use crate::money::to_fen;

/// An SME (or a core debtor) that owes the pool money.
#[derive(Debug, Clone)]
pub struct Obligor {
    /// The obligor's name, unique among obligors.
    pub name: String,
    /// Free labels (`industry`, `region`, `rating`, `pd`, `group`, …): scenario `overrides`
    /// select by them and the rating model reads them (docs/rating.md).
    pub tags: BTreeMap<String, String>,
    /// Its receivables, in file order.
    pub assets: Vec<Asset>,
}

/// The obligor tag that makes obligors one credit (关联方合并: a core debtor and its
/// subsidiaries, one parent's borrowers): obligors with equal `group` tags default together in
/// the rating model and count as one in its concentration rules, the whole-obligor break-even
/// and the concentration stresses (docs/rating.md, "Obligor groups").
pub const GROUP_TAG: &str = "group";

impl Obligor {
    /// Its credit group: the `group` tag, trimmed; None without one (or an empty one, which
    /// validation refuses).
    pub fn group(&self) -> Option<&str> {
        self.tags
            .get(GROUP_TAG)
            .map(|g| g.trim())
            .filter(|g| !g.is_empty())
    }

    /// Principal outstanding at the cutoff, over its assets.
    pub fn balance(&self) -> Decimal {
        self.assets.iter().map(Asset::balance).sum()
    }

    /// The date of the obligor's last instalment; None when it has none.
    pub fn last_due(&self) -> Option<NaiveDate> {
        self.assets
            .iter()
            .filter_map(|a| a.instalments.last().map(|i| i.date))
            .max()
    }

    /// Its exposure term: ACT/365F years from `cutoff` to its last instalment (0 without one,
    /// or when that is before `cutoff`), the term the rating model reads its PD over.
    pub fn term_years(&self, cutoff: NaiveDate) -> f64 {
        let last = self.last_due().unwrap_or(cutoff);
        DayCount::Act365F.fraction(cutoff, last).to_f64().max(0.0)
    }
}

/// The four shapes of IP-derived claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetKind {
    /// 许可-再许可: scheduled sublicence fees.
    Licence,
    /// 知识产权质押贷款: a loan with a generated or explicit schedule.
    Loan,
    /// 融资租赁 (售后回租): rents split into principal and interest.
    Lease,
    /// 供应链应收账款: a receivable owed by one core debtor.
    Receivable,
}

impl AssetKind {
    /// The TOML spelling: `licence`, `loan`, `lease` or `receivable`.
    pub fn name(self) -> &'static str {
        match self {
            AssetKind::Licence => "licence",
            AssetKind::Loan => "loan",
            AssetKind::Lease => "lease",
            AssetKind::Receivable => "receivable",
        }
    }
}

/// One claim, resolved into its contractual instalments.
#[derive(Debug, Clone)]
pub struct Asset {
    /// The shape of the claim.
    pub kind: AssetKind,
    /// Instalments due after the cutoff date, in date order. Principal sums to the asset's
    /// balance at cutoff.
    pub instalments: Vec<Instalment>,
    /// Whether a scenario's CPR applies (loans and leases).
    pub prepayable: bool,
    /// Each instalment's (principal, interest) as counts of fen, in the same order: the
    /// projection's integer copy of the schedule, made once ([`Asset::new`]). `i64` holds any
    /// validated amount (below 10^15 yuan) with room to spare, at half the memory of [`Fen`](crate::money::Fen).
    fen: Vec<(i64, i64)>,
    /// A floating-rate loan's terms: `instalments` are then its schedule under the deal's
    /// own `[scenario]`, and the pool rebuilds it under each scenario's index path.
    pub floating: Option<Box<crate::floating::FloatingLoan>>,
}

impl Asset {
    /// An asset with its schedule (whole fen, in date order).
    pub fn new(kind: AssetKind, instalments: Vec<Instalment>, prepayable: bool) -> Asset {
        let fen = fen_schedule(&instalments);
        Asset {
            kind,
            instalments,
            prepayable,
            fen,
            floating: None,
        }
    }

    /// The instalments' (principal, interest) in fen, in schedule order; `None` when an
    /// amount is beyond ±9.2 × 10^16 yuan (`i64` fen), which no validated amount is.
    pub fn fen_amounts(&self) -> Option<std::borrow::Cow<'_, [(i64, i64)]>> {
        if self.fen.len() == self.instalments.len() {
            Some(std::borrow::Cow::Borrowed(&self.fen))
        } else {
            // `instalments` was changed after construction (or did not fit): convert it now.
            try_fen_schedule(&self.instalments).map(std::borrow::Cow::Owned)
        }
    }

    /// Outstanding principal at cutoff: the sum of the instalments' principal parts.
    pub fn balance(&self) -> Decimal {
        self.instalments.iter().map(|i| i.principal).sum()
    }
}

/// A contractual amount due on an unadjusted date. For licence fees and receivables given as a
/// single amount, the whole amount is principal and the interest part is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instalment {
    /// Due date, as the contract states it (unadjusted).
    pub date: NaiveDate,
    /// Principal part, yuan (whole fen).
    pub principal: Decimal,
    /// Interest part, yuan (whole fen); zero for an instalment given as one `amount`.
    pub interest: Decimal,
}

/// (principal, interest) of each instalment in fen; empty when one does not fit `i64`
/// ([`Asset::fen_amounts`] then reports it).
fn fen_schedule(instalments: &[Instalment]) -> Vec<(i64, i64)> {
    try_fen_schedule(instalments).unwrap_or_default()
}

fn try_fen_schedule(instalments: &[Instalment]) -> Option<Vec<(i64, i64)>> {
    let f = |x: Decimal| i64::try_from(to_fen(x)).ok();
    // Exactly one place per instalment (collecting into an `Option<Vec>` loses the length
    // and doubles: 64 places for a 36-month loan).
    let mut out = Vec::with_capacity(instalments.len());
    for i in instalments {
        out.push((f(i.principal)?, f(i.interest)?));
    }
    Some(out)
}

impl Instalment {
    /// Principal plus interest: what the obligor owes on `date`.
    pub fn amount(&self) -> Decimal {
        self.principal + self.interest
    }
}

/// `[revolving]`: the revolving purchase period (循环购买). While it is live (payment dates on
/// or before `end_date`, and no end trigger has tripped on an earlier or the same date),
/// `buy_assets` steps spend cash on new assets made from `template` (docs/deal-format.md).
#[derive(Debug, Clone, PartialEq)]
pub struct Revolving {
    /// The last payment date on which assets may be bought (inclusive).
    pub end_date: NaiveDate,
    /// Triggers (indices into `Deal::triggers`) whose tripping ends the period for good.
    pub end_triggers: Vec<usize>,
    /// The waterfall run while the period is live and no trigger has tripped.
    pub waterfall: Option<usize>,
    /// Cash paid per yuan of balance bought (a fraction of par, > 0).
    pub price: Decimal,
    /// Name prefix of the synthetic obligors the purchases create.
    pub obligor: String,
    /// The file's obligor of that name, if one is (index into `Deal::obligors`): the
    /// purchases are its receivables, and its named default and the `overrides` rules that
    /// name it reach them.
    pub debtor: Option<usize>,
    /// Tags of those obligors (scenario overrides by tag apply to them): as written, else the
    /// debtor's.
    pub tags: BTreeMap<String, String>,
    /// The asset every purchase creates.
    pub template: RevolvingTemplate,
}

/// The asset every purchase creates: a loan or lease starting on the purchase date with the
/// balance bought, its schedule generated as in docs/amortization.md.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RevolvingTemplate {
    /// `Loan` or `Lease` (validation refuses the other kinds).
    pub kind: AssetKind,
    /// Nominal annual rate, a fraction below 1 (0.0435 = 4.35%).
    pub annual_rate: Decimal,
    /// Number of instalments, 1..=600.
    pub term: u32,
    /// Months between instalments: 1, 3, 6 or 12.
    pub months_per_period: u32,
    /// How the instalments repay the balance (default level, 等额本息).
    pub repayment: Repayment,
    /// How interest accrues: periodically (annual rate ÷ payments a year) or by a day count.
    pub accrual: Accrual,
    /// Whether a scenario's CPR applies (default true).
    pub prepayable: bool,
}

/// The pool's credits (关联方合并): the obligors that share a `group` tag
/// ([`Obligor::group`]) as one credit, every other obligor alone. Each credit lists its
/// obligors in file order; the credits come in the file order of their first obligors, so a
/// pool without groups is one credit per obligor, in file order.
pub fn credit_groups_of(obligors: &[Obligor]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::with_capacity(obligors.len());
    let mut at: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, o) in obligors.iter().enumerate() {
        match o.group().and_then(|g| at.get(g).copied()) {
            Some(k) => out[k].push(i),
            None => {
                if let Some(g) = o.group() {
                    at.insert(g, out.len());
                }
                out.push(vec![i]);
            }
        }
    }
    out
}

/// The earliest of `defaults` (a scenario's named defaults) that reaches obligor `own`: its
/// own, or that of an obligor `in_group` says is of its group, which defaults the whole group
/// (docs/rating.md, "Obligor groups"); the obligor named and the date. Of equal dates, `own`'s
/// (review 40c F5: a group member named first on the same date was told as the cause), then
/// the first in `defaults`. The one rule for a group's default date: [`spread_to_groups`]
/// and `Deal::group_default` both use it.
pub fn earliest_default(
    defaults: &[(usize, NaiveDate)],
    own: usize,
    in_group: impl Fn(usize) -> bool,
) -> Option<(usize, NaiveDate)> {
    defaults
        .iter()
        .filter(|&&(x, _)| x == own || in_group(x))
        .min_by_key(|&&(x, d)| (d, x != own))
        .copied()
}

/// Named defaults spread to their obligor groups (`groups`, as [`credit_groups_of`]): an
/// obligor group is one credit and defaults at one time, so the named default of one of its
/// obligors defaults every obligor of the group on the earliest date any of them is named
/// (review 33f item M2: a support tied with `fails_with` to one member kept paying when
/// another was named; review 33h item M4: members named on different dates defaulted apart).
/// In order: the named ones as given (a group's on its earliest date), then the others in
/// obligor order.
pub fn spread_to_groups(
    groups: &[Vec<usize>],
    defaults: &[(usize, NaiveDate)],
) -> Vec<(usize, NaiveDate)> {
    let mut out = defaults.to_vec();
    for group in groups.iter().filter(|g| g.len() > 1) {
        if let Some((_, date)) = earliest_default(defaults, group[0], |x| group.contains(&x)) {
            for entry in out.iter_mut().filter(|(o, _)| group.contains(o)) {
                entry.1 = date;
            }
            for &o in group {
                if !defaults.iter().any(|&(x, _)| x == o) {
                    out.push((o, date));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, day).expect("a date")
    }

    #[test]
    fn a_group_defaults_on_its_earliest_named_date() {
        // Obligors 0, 1, 2 are one group, 3 is alone. Named: 2 on the 9th, 0 on the 5th,
        // 3 on the 1st, 1 on the 5th.
        let defaults = [(2, d(9)), (0, d(5)), (3, d(1)), (1, d(5))];
        let group = [0usize, 1, 2];
        let in_group = |x: usize| group.contains(&x);
        // Obligor 2's default is the group's earliest, the 5th; of 0 and 1 (both the 5th),
        // the first in `defaults`, 0; obligor 1's is its own (a tie goes to the obligor).
        assert_eq!(earliest_default(&defaults, 2, in_group), Some((0, d(5))));
        assert_eq!(earliest_default(&defaults, 1, in_group), Some((1, d(5))));
        // Obligor 3 is not of the group: only its own.
        assert_eq!(earliest_default(&defaults, 3, |_| false), Some((3, d(1))));
        assert_eq!(earliest_default(&defaults[..1], 3, |_| false), None);
        // Spread: the group's three on the 5th, in the order given, 3 as named; a member not
        // named is added after.
        let spread = spread_to_groups(&[vec![0, 1, 2], vec![3]], &defaults);
        assert_eq!(spread, vec![(2, d(5)), (0, d(5)), (3, d(1)), (1, d(5))]);
        let spread = spread_to_groups(&[vec![0, 1, 2]], &[(2, d(9))]);
        assert_eq!(spread, vec![(2, d(9)), (0, d(9)), (1, d(9))]);
    }
}
