//! The validated deal: the domain model the engine runs.
//!
//! Nothing here is read from TOML directly. [`crate::schema`] holds the raw file types and
//! [`crate::validate`] turns them into a [`Deal`], resolving every name to an index so the
//! engine never looks anything up by string. A `Deal` that exists is internally consistent:
//! names are unique, references resolve, amounts are whole fen, dates are in order.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::daycount::DayCount;
use crate::calendar::schedule::CollectionLag;
use crate::calendar::{BusinessDayConvention, Calendar, PaymentDays};
use crate::money::{ProRataRounding, Rounding};
use crate::scenario::Scenario;

/// The loan terms, kept in `loan_terms` (below `floating`) and named here as before.
pub use crate::loan_terms::{Accrual, Repayment};

mod accounts;
mod liabilities;
mod periods;
mod pool;
mod triggers;
mod waterfall;

pub use accounts::*;
pub use liabilities::*;
pub use periods::*;
pub use pool::*;
pub use triggers::*;
pub use waterfall::*;

/// A securitization: dates, pool, liabilities, waterfalls and triggers.
#[derive(Debug, Clone)]
pub struct Deal {
    /// The deal's name (`[deal] name`), as the output tables' `deal` column writes it.
    pub name: String,
    /// Currency of every amount: `CNY`, the only one supported.
    pub currency: String,
    /// Pool cutoff date (封包日): instalments due on or before it belong to the originator.
    pub cutoff_date: NaiveDate,
    /// Closing date (设立日): interest on the securities starts here.
    pub closing_date: NaiveDate,
    /// Legal maturity (法定到期日): no payment date is scheduled after it.
    pub legal_maturity: NaiveDate,
    /// Day count of each accrual period's year fraction: coupons, annual-rate fees,
    /// balance-base taxes and income on cash (`day_count`, docs/calendar.md).
    pub day_count: DayCount,
    /// How every amount is rounded to the fen (`rounding`).
    pub rounding: Rounding,
    /// How pro rata shares are rounded to the fen (`pro_rata_rounding`).
    pub pro_rata_rounding: ProRataRounding,
    /// How payment dates that fall on a non-business day are moved (`business_day`).
    pub business_day: BusinessDayConvention,
    /// Whether payment dates fall on the calendar's business days or its trading days
    /// (`payment_days`); `periods` are adjusted accordingly.
    pub payment_days: PaymentDays,
    /// The holiday calendar payment dates and business-day lags are reckoned on
    /// (`calendar`, with `extra_holidays` and `extra_working_days`; docs/calendar.md).
    pub calendar: Calendar,
    /// Payment dates, in order, each with its collection period.
    pub periods: Vec<PeriodDates>,
    /// The frequency the payment dates were generated with (`first_payment_date` and
    /// `frequency`); None when the deal lists its `payment_dates`.
    pub frequency: Option<crate::calendar::schedule::Frequency>,
    /// How each collection period's end follows from its payment date (a lag in calendar
    /// or business days, `collection_end` or `collection_ends`).
    pub collection_lag: CollectionLag,
    /// The pool, by obligor, in file order.
    pub obligors: Vec<Obligor>,
    /// Tranches in order of seniority (senior first, then mezzanine, then subordinated; the
    /// file order within a class).
    pub tranches: Vec<Tranche>,
    /// Fees (`[[fees]]`), in file order.
    pub fees: Vec<Fee>,
    /// Taxes (`[[taxes]]`), in file order.
    pub taxes: Vec<Tax>,
    /// The reserve account (`[reserve]`), if the deal has one.
    pub reserve: Option<Reserve>,
    /// Credit supports (`[[supports]]`): 差额支付承诺, guarantees and the asset guarantee,
    /// in file order (the order they are drawn in).
    pub supports: Vec<Support>,
    /// Waterfalls; index 0 is `normal`.
    pub waterfalls: Vec<Waterfall>,
    /// Triggers (`[[triggers]]`), in file order.
    pub triggers: Vec<Trigger>,
    /// The names of the events its `event` triggers watch, each once, in the order the triggers
    /// first name them (`TriggerCondition::Event` indexes it; a scenario's `events` resolve
    /// against it).
    pub events: Vec<String>,
    /// The scenario written in the deal file, or the base case (no defaults) if there is none.
    pub scenario: Scenario,
    /// The warnings this deal silences (`[deal] allow`), by kind.
    pub allow: Vec<crate::error::Check>,
    /// How payment notices state amounts per 100 yuan of face (`[notices]`).
    pub notices: NoticeRules,
    /// The named cash accounts (`[[accounts]]`) and where each pool source is deposited.
    pub accounts: Accounts,
    /// The principal deficiency ledger (`[pdl]`), if the deal keeps one.
    pub pdl: Option<Pdl>,
    /// The clean-up call (`[clean_up_call]`), if the deal has one.
    pub clean_up_call: Option<CleanUpCall>,
    /// The revolving purchase period (`[revolving]`), if the deal has one.
    pub revolving: Option<Revolving>,
    /// 合格投资: the annual rate the trust's cash earns between payment dates
    /// (`reinvestment_rate`; 0: none; `engine::state`, docs/conventions.md).
    pub reinvestment_rate: Decimal,
    /// The plan ends (专项计划终止) on the payment date whose waterfall leaves every tranche
    /// repaid and owed nothing (`[deal] end_when_repaid`): later dates are not run, and the
    /// pool's later cash is not the plan's, as after a clean-up call.
    pub end_when_repaid: bool,
}

/// `[clean_up_call]`: the originator's repurchase of the remaining pool (清仓回购).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanUpCall {
    /// Exercisable when the performing balance at the end of a collection period is below
    /// this fraction of the cutoff balance.
    pub pool_factor_below: Option<Decimal>,
    /// Exercisable on payment dates on or after this date.
    pub on_or_after: Option<NaiveDate>,
    /// Price = this fraction × performing balance (plus the accrued interest when
    /// `accrued_interest`), rounded once to the fen.
    pub price_share: Decimal,
    /// Whether the price includes the interest accrued on the performing pool
    /// (`engine::call`, docs/deal-format.md).
    pub accrued_interest: bool,
    /// Exercised only when the price and the trust's cash (every account and the reserve) pay
    /// the date's taxes, fees and the senior and mezzanine tranches' interest and principal in
    /// full (`engine::call`; default true since session 29).
    pub repays_senior: bool,
    /// The waterfall of the call date.
    pub waterfall: usize,
}

/// `[notices]`: the per-unit arithmetic of payment notices (收益分配报告, 兑付兑息公告;
/// docs/auditing.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeRules {
    /// Face value of one unit (份), yuan.
    pub face: Decimal,
    /// Decimal places of the per-100-yuan figures.
    pub decimals: u32,
    /// How the per-100-yuan figures are rounded to `decimals`.
    pub rounding: Rounding,
    /// CSDC fee rate on principal plus interest paid.
    pub csdc_fee_rate: Decimal,
    /// Whether the waterfall pays the per-unit amounts (the residual stays in the collection
    /// account).
    pub per_unit: bool,
}

impl Default for NoticeRules {
    fn default() -> Self {
        NoticeRules {
            face: Decimal::ONE_HUNDRED,
            decimals: 4,
            rounding: Rounding::Truncate,
            csdc_fee_rate: Decimal::new(5, 5),
            per_unit: false,
        }
    }
}

impl Deal {
    /// The index of the deal's asset guarantee (`kind = "asset_guarantee"`), if it has one
    /// (at most one: validated).
    pub fn asset_guarantee(&self) -> Option<usize> {
        self.supports
            .iter()
            .position(|s| s.kind == SupportKind::AssetGuarantee)
    }

    /// Whether a tranche coupon or a loan rate follows an index (the standard stress suite
    /// then adds index shifts).
    pub fn has_floating_rates(&self) -> bool {
        self.tranches.iter().any(|t| t.floating.is_some())
            || self
                .obligors
                .iter()
                .flat_map(|o| &o.assets)
                .any(|a| a.floating.is_some())
    }

    /// The names of the indices the deal's floating rates read (tranches' coupons and loans'
    /// rates), sorted.
    pub fn index_names(&self) -> Vec<&str> {
        let tranches = self.tranches.iter().filter_map(|t| t.floating.as_ref());
        let loans = self
            .obligors
            .iter()
            .flat_map(|o| &o.assets)
            .filter_map(|a| a.floating.as_ref().map(|f| &f.rate));
        let mut names: Vec<&str> = tranches.chain(loans).map(|f| f.index.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Tranche `t`'s coupon on the first payment date: its fixed `coupon`, or its floating
    /// rate fixed on the closing date under the deal's own `[scenario]` (0 if that gives no
    /// path, which validation refuses).
    pub fn initial_coupon(&self, t: &Tranche) -> Decimal {
        let Some(f) = &t.floating else {
            return t.coupon;
        };
        let view = crate::floating::IndexView {
            history: &self.scenario.indices,
            scenario: &self.scenario.indices,
            history_end: self.closing_date,
        };
        let start = self
            .periods
            .first()
            .map_or(self.closing_date, |p| p.accrual_start);
        f.rate_on(f.fixing_date(self.closing_date, start), &view)
            .unwrap_or(Decimal::ZERO)
    }

    /// Sum of the tranches' initial balances.
    pub fn issue_size(&self) -> Decimal {
        self.tranches.iter().map(|t| t.balance).sum()
    }

    /// Performing pool balance at cutoff.
    pub fn pool_balance(&self) -> Decimal {
        self.obligors
            .iter()
            .flat_map(|o| o.assets.iter())
            .map(Asset::balance)
            .sum()
    }

    /// The deal's term: ACT/365F years from the cutoff to the last payment date (0 without
    /// one): the term over which a support provider's `pd` is read (docs/rating.md §7).
    pub fn term_years(&self) -> f64 {
        let last = self.periods.last().map_or(self.cutoff_date, |p| p.date());
        DayCount::Act365F
            .fraction(self.cutoff_date, last)
            .to_f64()
            .max(0.0)
    }

    /// The pool's credits (关联方合并): [`credit_groups_of`] its obligors.
    pub fn credit_groups(&self) -> Vec<Vec<usize>> {
        credit_groups_of(&self.obligors)
    }

    /// The earliest of `defaults` (a scenario's named defaults) that reaches obligor `o`, its
    /// group being those of the same [`Obligor::group`]: [`pool::earliest_default`].
    pub fn group_default(
        &self,
        o: usize,
        defaults: &[(usize, NaiveDate)],
    ) -> Option<(usize, NaiveDate)> {
        let group = self.obligors.get(o)?.group();
        pool::earliest_default(defaults, o, |x| {
            group.is_some_and(|g| self.obligors.get(x).and_then(|ob| ob.group()) == Some(g))
        })
    }

    /// Named defaults spread to their obligor groups ([`spread_to_groups`]).
    pub fn spread_to_groups(&self, defaults: &[(usize, NaiveDate)]) -> Vec<(usize, NaiveDate)> {
        if !self.obligors.iter().any(|o| o.group().is_some()) {
            return defaults.to_vec();
        }
        spread_to_groups(&self.credit_groups(), defaults)
    }

    /// [`Deal::credit_groups`] by cutoff balance (the sum of their obligors'), largest first;
    /// equal balances in the order of their first obligors' names. Without groups: the
    /// obligors by balance, one to a credit.
    pub fn credit_groups_by_balance(&self) -> Vec<Vec<usize>> {
        let groups = self.credit_groups();
        self.rank_by_balance(&groups)
            .into_iter()
            .map(|k| groups[k].clone())
            .collect()
    }

    /// The cutoff balance of each of `groups` (sets of this deal's obligors, as
    /// [`Deal::credit_groups`]): its obligors' balances summed.
    pub fn credit_balances(&self, groups: &[Vec<usize>]) -> Vec<Decimal> {
        groups
            .iter()
            .map(|g| g.iter().map(|&o| self.obligors[o].balance()).sum())
            .collect()
    }

    /// The indices of `groups` (sets of this deal's obligors, as [`Deal::credit_groups`]) by
    /// cutoff balance, largest first; equal balances in the order of their first obligors'
    /// names.
    pub fn rank_by_balance(&self, groups: &[Vec<usize>]) -> Vec<usize> {
        let balances = self.credit_balances(groups);
        let name = |k: usize| &self.obligors[groups[k][0]].name;
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by(|&a, &b| {
            balances[b]
                .cmp(&balances[a])
                .then_with(|| name(a).cmp(name(b)))
        });
        order
    }

    /// The index of the tranche named `name`, if there is one.
    pub fn tranche_index(&self, name: &str) -> Option<usize> {
        self.tranches.iter().position(|t| t.name == name)
    }

    /// The index of the obligor named `name`, if there is one.
    pub fn obligor_index(&self, name: &str) -> Option<usize> {
        self.obligors.iter().position(|o| o.name == name)
    }

    /// The index of the support named `name`, if there is one.
    pub fn support_index(&self, name: &str) -> Option<usize> {
        self.supports.iter().position(|s| s.name == name)
    }

    /// The date of the pool's last instalment; None when no asset has one.
    pub fn last_due(&self) -> Option<NaiveDate> {
        self.obligors.iter().filter_map(Obligor::last_due).max()
    }

    /// The last payment date.
    pub fn final_payment_date(&self) -> Option<NaiveDate> {
        self.periods.last().map(PeriodDates::date)
    }
}
