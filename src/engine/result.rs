//! What a run produces: the tables written to Parquet ([`RunTable`] lists them) and the audit
//! ledger.
//!
//! Money columns are exact [`Decimal`]s in yuan with two decimal places. Ratios (coverage
//! multiple, default ratio) are Decimals rounded to 6 places. Yields, WAL and durations are
//! computed from these tables by [`crate::analytics::measures`].

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::Warning;
pub use crate::label::{INLINE_LEN, InlineStr, Label};
pub use crate::pool::rows::{PoolFlowRow, PoolFlows};

pub use super::ledger::{Account, AccountNames, Movement};

/// The tables of a run: the one list that the Parquet writers, the command line and a sweep's
/// trimming read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunTable {
    /// `tranche_flows.parquet`: one row per tranche per payment date (`TrancheFlowRow`).
    TrancheFlows,
    /// `pool_flows.parquet`: one row per obligor per collection period (`PoolFlowRow`).
    PoolFlows,
    /// `ledger.parquet`: every movement of cash, the audit trail (`LedgerEntry`).
    Ledger,
    /// `periods.parquet`: one row per payment date (`PeriodRow`).
    Periods,
    /// `summary.parquet`: one row per tranche over the run (`TrancheSummary`, with pricing).
    Summary,
    /// `support.parquet`: what each credit support paid over the run (`SupportDrawTotal`).
    Support,
    /// Fees and taxes: due, paid and unpaid arrears per payment date.
    Charges,
    /// Payment notices: per 100 yuan of face, per tranche per payment date.
    Notices,
}

/// What a sweep without `--flows` keeps of a table (and writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Every row.
    All,
    /// The senior tranches' rows (of a per-tranche table).
    SeniorRows,
    /// No row: the table is neither kept nor written.
    Nothing,
}

impl RunTable {
    /// Every table, in the order they are written.
    pub const ALL: [RunTable; 8] = [
        RunTable::TrancheFlows,
        RunTable::PoolFlows,
        RunTable::Ledger,
        RunTable::Periods,
        RunTable::Summary,
        RunTable::Support,
        RunTable::Charges,
        RunTable::Notices,
    ];

    /// The Parquet file name.
    pub const fn file(self) -> &'static str {
        match self {
            RunTable::TrancheFlows => "tranche_flows.parquet",
            RunTable::PoolFlows => "pool_flows.parquet",
            RunTable::Ledger => "ledger.parquet",
            RunTable::Periods => "periods.parquet",
            RunTable::Summary => "summary.parquet",
            RunTable::Support => "support.parquet",
            RunTable::Charges => "fees.parquet",
            RunTable::Notices => "payment_notices.parquet",
        }
    }

    /// What a sweep without `--flows` keeps of it.
    pub const fn without_flows(self) -> Kept {
        match self {
            RunTable::Summary => Kept::All,
            RunTable::TrancheFlows => Kept::SeniorRows,
            RunTable::PoolFlows
            | RunTable::Ledger
            | RunTable::Periods
            | RunTable::Support
            | RunTable::Charges
            | RunTable::Notices => Kept::Nothing,
        }
    }
}

/// Everything one run of one deal under one scenario produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The deal's name (column `deal` of every run table).
    pub deal: String,
    /// The scenario's name (column `scenario` of every run table).
    pub scenario: String,
    /// One row per payment date (`periods.parquet`); empty in a lean run.
    pub periods: Vec<PeriodRow>,
    /// One row per tranche per payment date (`tranche_flows.parquet`).
    pub tranche_flows: Vec<TrancheFlowRow>,
    /// One row per obligor per collection period (`pool_flows.parquet`).
    pub pool_flows: PoolFlows,
    /// Every movement of cash, in order (`ledger.parquet`); empty in a lean run.
    pub ledger: Vec<LedgerEntry>,
    /// The output names of the ledger's accounts; empty in a lean run, which keeps no ledger.
    pub accounts: AccountNames,
    /// One row per tranche over the run (`summary.parquet`, before its pricing columns).
    pub summary: Vec<TrancheSummary>,
    /// One row per credit support of the deal, in file order (`support.parquet`).
    pub support_draws: Vec<SupportDrawTotal>,
    /// Every tax and fee on every payment date: due, paid, arrears.
    pub charges: Vec<ChargeRow>,
    /// Every outstanding tranche on every payment date: its payment notice.
    pub notices: Vec<NoticeRow>,
    /// The pool's cumulative defaults over its cutoff balance at the run's last payment date
    /// (the clean-up call's date when the call ends it): the last period row's
    /// `cumulative_default_ratio`, kept by a lean run too, which keeps no period rows.
    pub cumulative_default_ratio: Decimal,
    /// Pool cash (delayed collections, recoveries) that would arrive after the last collection
    /// period and is not in the deal (the `beyond_horizon` warning's figure; since session 34).
    pub beyond_horizon: Decimal,
    /// The first trigger to trip in the run and its payment date (the first in file order on
    /// that date); None when none tripped. Kept by a lean run too.
    pub first_trigger: Option<(String, NaiveDate)>,
    /// The same, of the triggers the deal does not mean to trip (without their own `allow =
    /// ["trips_without_defaults"]`): the trigger a `trips_without_defaults` warning is about.
    /// `first_trigger` unless a trigger meant to trip tripped first. Kept by a lean run too.
    pub first_unplanned_trigger: Option<(String, NaiveDate)>,
    /// What every support paid over the run, in all (the sum of `support_draws`' totals),
    /// kept by a lean run too, which drops the support table.
    pub support_drawn: Decimal,
    /// A fingerprint of the path the run took through the deal's statuses: which waterfall
    /// ran on each payment date (the triggers and the clean-up call choose it) and which of
    /// its conditional steps ran. Runs with different fingerprints took different paths; the
    /// break-even search uses it to find where a trigger changes the path (docs/breakeven.md,
    /// "Status changes"). Not written to any table.
    pub regime: u64,
    /// The totals of the conservation identity, verified to the fen.
    pub conservation: Conservation,
    /// The run-time warnings (docs/errors.md).
    pub warnings: Vec<Warning>,
}

impl RunResult {
    /// Empties `table`.
    pub fn clear(&mut self, table: RunTable) {
        match table {
            RunTable::TrancheFlows => self.tranche_flows = Vec::new(),
            RunTable::PoolFlows => self.pool_flows = PoolFlows::new(),
            RunTable::Ledger => self.ledger = Vec::new(),
            RunTable::Periods => self.periods = Vec::new(),
            RunTable::Summary => self.summary = Vec::new(),
            RunTable::Support => self.support_draws = Vec::new(),
            RunTable::Charges => self.charges = Vec::new(),
            RunTable::Notices => self.notices = Vec::new(),
        }
    }
}

/// One tranche's payment notice on one payment date (收益分配报告 / 兑付兑息公告;
/// docs/auditing.md).
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeRow {
    /// Payment-date number, 1-based (column `period`, docs/output.md).
    pub period: u32,
    /// The (adjusted) payment date, 兑付日 (column `payment_date`).
    pub payment_date: NaiveDate,
    /// The tranche's name (column `tranche`).
    pub tranche: Label,
    /// 权益登记日: one business day before the payment date, three before the tranche's final
    /// payment.
    pub record_date: NaiveDate,
    /// Units (份): initial balance / face.
    pub units: i64,
    /// Interest (with a subordinated tranche's periodic return) per 100 yuan of face.
    pub interest_per_100: Decimal,
    /// Principal per 100 yuan of face, at `[notices] decimals` places (column
    /// `principal_per_100`); the rows of a tranche repaid in full sum to 100.
    pub principal_per_100: Decimal,
    /// Interest plus principal per 100 yuan of face (column `total_per_100`).
    pub total_per_100: Decimal,
    /// Interest paid to holders: interest per 100 × initial balance / 100, to the fen.
    pub interest_paid: Decimal,
    /// Principal paid to holders: principal per 100 × initial balance / 100, to the fen.
    pub principal_paid: Decimal,
    /// 尾差: the tranche-level amounts less what the per-unit figures pay.
    pub residual: Decimal,
    /// Remaining face per 100 yuan after the payment, at `[notices] decimals` places (2 before
    /// session 28).
    pub face_per_100_after: Decimal,
    /// CSDC fee: rate × (interest + principal paid).
    pub csdc_fee: Decimal,
    /// 长款: 1,000.00 ([`super::notice::CSDC_BUFFER`]) when the payment with its fee, per 100
    /// yuan of initial face, has a digit past its second decimal place; else 0.
    pub csdc_buffer: Decimal,
    /// 划款金额: what the plan account sends to CSDC, `interest_paid + principal_paid +
    /// csdc_fee + csdc_buffer` (the transfer instruction, [`super::notice::transfer`]).
    pub transfer: Decimal,
    /// 应付未付利息: the tranche's interest due on the date (its carried shortfall included)
    /// and not paid, carried to the next date; with `per_unit`, without the interest 尾差
    /// carried by design (in `residual`; since session 27).
    pub interest_unpaid: Decimal,
    /// The interest part of `residual`: the interest 尾差, carried to the next date as
    /// interest due, or forgone on the tranche's last date (since session 28).
    pub interest_residual: Decimal,
    /// 计息期间: the accrual period of the date's interest, `[accrual_start, accrual_end)`
    /// (since session 32); its days are [`NoticeRow::accrual_days`].
    pub accrual_start: NaiveDate,
    /// The end of the accrual period, excluded.
    pub accrual_end: NaiveDate,
    /// 票面利率: the tranche's annual rate for the period (a floating tranche's as fixed under
    /// the scenario; a subordinated tranche's periodic-return cap), a fraction.
    pub coupon: Decimal,
}

impl NoticeRow {
    /// The accrual period's days, `accrual_end − accrual_start`: derived where it is read (the
    /// notices' file), not kept on every row of every run.
    pub fn accrual_days(&self) -> i64 {
        (self.accrual_end - self.accrual_start).num_days()
    }
}

/// One tranche on one payment date.
#[derive(Debug, Clone, PartialEq)]
pub struct TrancheFlowRow {
    /// Payment-date number, 1-based (column `period`, docs/output.md).
    pub period: u32,
    /// The payment date (column `payment_date`).
    pub payment_date: NaiveDate,
    /// The tranche's name (column `tranche`).
    pub tranche: Label,
    /// The tranche's class: `senior`, `mezzanine` or `subordinated` (column `class`).
    pub class: Label,
    /// Outstanding principal before this date's payments, yuan (column `balance_start`).
    pub balance_start: Decimal,
    /// Interest accrued this period plus any shortfall carried from earlier periods.
    pub interest_due: Decimal,
    /// Interest paid on this date, yuan (column `interest_paid`).
    pub interest_paid: Decimal,
    /// Unpaid interest carried to the next payment date.
    pub interest_shortfall: Decimal,
    /// The part of `interest_shortfall` that is the date's per-unit 尾差 (`[notices]
    /// per_unit`), carried by design and paid as agreed; 0 otherwise. Interest due and not
    /// paid is `interest_shortfall − interest_residual` ([`TrancheFlowRow::interest_unpaid`]).
    /// Not a column of `tranche_flows.parquet`: `payment_notices.parquet` states the 尾差.
    pub interest_residual: Decimal,
    /// Principal contractually due on this date (see docs/conventions.md).
    pub principal_due: Decimal,
    /// Principal paid on this date, yuan (column `principal_paid`).
    pub principal_paid: Decimal,
    /// Residual (excess) return paid, subordinated tranches only.
    pub residual_paid: Decimal,
    /// Outstanding principal after this date, `balance_start − principal_paid`, yuan (column
    /// `balance_end`).
    pub balance_end: Decimal,
    /// Coverage multiple of this tranche and everything senior to it (None when nothing is due).
    pub coverage_multiple: Option<Decimal>,
}

impl TrancheFlowRow {
    /// Interest due on the date and not paid, the 尾差 that `per_unit` carries by design left
    /// out: what the triggers on an interest shortfall, the break-even's paid-in-full test and
    /// `in_life`'s distribution flag read.
    pub fn interest_unpaid(&self) -> Decimal {
        self.interest_shortfall - self.interest_residual
    }
}

/// One payment date.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodRow {
    /// Payment-date number, 1-based (column `period`, docs/output.md).
    pub period: u32,
    /// The payment date (column `payment_date`).
    pub payment_date: NaiveDate,
    /// First day of the collection period (column `collection_start`).
    pub collection_start: NaiveDate,
    /// Last day of the collection period (column `collection_end`).
    pub collection_end: NaiveDate,
    /// Pool cash of the collection period (collections plus recoveries).
    pub pool_cash: Decimal,
    /// Collection-account balance brought forward from the previous payment date.
    pub cash_brought_forward: Decimal,
    /// pool_cash + cash_brought_forward: what the waterfall starts with.
    pub available_funds: Decimal,
    /// Drawn from the reserve account, yuan (column `reserve_draws`).
    pub reserve_draws: Decimal,
    /// Drawn from credit supports, an asset guarantor's payment included, yuan (column
    /// `support_draws`).
    pub support_draws: Decimal,
    /// Taxes paid, yuan (column `taxes_paid`).
    pub taxes_paid: Decimal,
    /// Fees paid, yuan (column `fees_paid`).
    pub fees_paid: Decimal,
    /// Interest paid to all tranches, yuan (column `interest_paid`).
    pub interest_paid: Decimal,
    /// Principal paid to all tranches, yuan (column `principal_paid`).
    pub principal_paid: Decimal,
    /// Residual (excess) return paid, yuan (column `residual_paid`).
    pub residual_paid: Decimal,
    /// Net deposit into the reserve by the top-up step (negative when it released cash).
    pub reserve_deposit: Decimal,
    /// Senior coverage multiple (现金流覆盖倍数); None when no senior interest or principal is due.
    pub coverage_multiple: Option<Decimal>,
    /// Cumulative defaults / initial pool balance, through this collection period.
    pub cumulative_default_ratio: Decimal,
    /// The waterfall that ran.
    pub waterfall: Label,
    /// Names of the triggers tripped after this payment date, comma-separated ("" if none).
    pub triggers_tripped: String,
    /// Collection-account balance after this date, yuan (column
    /// `collection_balance_end`).
    pub collection_balance_end: Decimal,
    /// Reserve-account balance after this date, yuan (column `reserve_balance_end`).
    pub reserve_balance_end: Decimal,
    /// Performing pool balance at the end of the collection period, yuan (column
    /// `pool_balance_end`).
    pub pool_balance_end: Decimal,
    /// Outstanding senior principal after this date, yuan (column `senior_balance_end`).
    pub senior_balance_end: Decimal,
    /// The asset guarantor's payment of the period's defaults (担保代偿), yuan (column
    /// `guarantee_payment`): counted in both `available_funds` and `support_draws`.
    pub guarantee_payment: Decimal,
    /// Paid back to credit supports of their draws by `repay_support` steps, yuan (column
    /// `support_repaid`).
    pub support_repaid: Decimal,
    /// Paid to credit supports in interest on their draws (`interest_rate`), yuan (column
    /// `support_interest_paid`).
    pub support_interest_paid: Decimal,
    /// Paid for assets bought in the revolving period (`buy_assets`), yuan (column
    /// `purchases`).
    pub purchases: Decimal,
    /// `reconcile`: the cash the restatement of the date created for its payments and the
    /// collection and named accounts (negative when it took cash), yuan (column `restated`);
    /// 0 in a run.
    pub restated: Decimal,
    /// The collection period's pool cash a failed servicer kept (scenario `commingling`,
    /// 混同), yuan (column `commingled`): deposited in `pool_cash` and taken out before
    /// `available_funds`; 0 on every other date.
    pub commingled: Decimal,
    /// Cash in the named accounts (`[[accounts]]`) after the payment date; `None` (no column)
    /// for a deal without them.
    pub accounts_balance_end: Option<Decimal>,
    /// The principal deficiency ledger's balance after the payment date; `None` (no column)
    /// for a deal without `[pdl]`.
    pub pdl_balance_end: Option<Decimal>,
    /// The reserve's target on the date (储备金必备金额), as its last reserve step computed it
    /// (since session 32); `None` on a date no reserve step ran, and (no column) for a deal
    /// without `[reserve]`.
    pub reserve_target: Option<Decimal>,
}

/// One tax or fee on one payment date: what fell due (this date's charge plus arrears brought
/// forward), what was paid, and the arrears carried to the next date.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeRow {
    /// Payment-date number, 1-based (column `period`, docs/output.md).
    pub period: u32,
    /// The payment date (column `payment_date`).
    pub payment_date: NaiveDate,
    /// `tax` or `fee`.
    pub kind: Label,
    /// The tax's or fee's name.
    pub name: Label,
    /// This date's own charge (本期应付): `due` less the arrears brought forward (since
    /// session 32).
    pub charged: Decimal,
    /// This date's charge plus the arrears brought forward.
    pub due: Decimal,
    /// Paid on this date, yuan (column `paid`).
    pub paid: Decimal,
    /// Unpaid, carried to the next payment date (after the last one: never paid).
    pub arrears: Decimal,
}

/// One movement of cash: the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    /// The payment-date number the movement belongs to (column `period`, docs/output.md).
    pub period: u32,
    /// The date of the movement (column `date`).
    pub date: NaiveDate,
    /// 1-based waterfall step; 0 for deposits and closing-date entries.
    pub step: u32,
    /// What the movement is ([`Movement::name`] in the output).
    pub action: Movement,
    /// The item paid or drawn: a tax, fee, tranche or support name.
    pub item: Label,
    /// Where the cash came from ([`AccountNames::name`] in the output: `pool`, `collection`,
    /// `reserve`, `originator`, `support:<name>`).
    pub source: Account,
    /// Where it went: `collection`, `reserve`, `tax:<name>`, `fee:<name>`, `tranche:<name>`.
    pub destination: Account,
    /// The amount moved, yuan, always positive (column `amount`).
    pub amount: Decimal,
    /// Why, in words.
    pub reason: &'static str,
}

/// Per tranche, over the whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrancheSummary {
    /// The tranche's name (column `tranche`, docs/output.md).
    pub tranche: String,
    /// The tranche's class: `senior`, `mezzanine` or `subordinated` (column `class`).
    pub class: String,
    /// The tranche's rating; `None` when the deal gives none (column `rating`).
    pub rating: Option<String>,
    /// Principal at issue, yuan (column `initial_balance`).
    pub initial_balance: Decimal,
    /// Annual coupon rate, a fraction (0.035 = 3.5%): a floating tranche's on its first
    /// payment date, a subordinated tranche's periodic-return cap (column `coupon`).
    pub coupon: Decimal,
    /// Interest paid over the run, yuan (column `total_interest`).
    pub total_interest: Decimal,
    /// Principal paid over the run, yuan (column `total_principal`).
    pub total_principal: Decimal,
    /// Residual return paid over the run, yuan (column `total_residual`).
    pub total_residual: Decimal,
    /// Balance left unpaid after the last payment date.
    pub principal_loss: Decimal,
    /// Interest due but unpaid after the last payment date.
    pub interest_shortfall: Decimal,
    /// Last date the tranche received any cash.
    pub final_payment_date: Option<NaiveDate>,
    /// Minimum of the tranche's coverage multiple over the dates it was outstanding.
    pub min_coverage_multiple: Option<Decimal>,
    /// What the break-even's paid-in-full test reads of the tranche's rows (None without
    /// rows); not a column ([`crate::analytics::breakeven::paid_in_full`]; since session 34).
    pub paid: Option<PaidFacts>,
}

/// The facts of a tranche's rows that the paid-in-full test reads, gathered as the rows are
/// recorded (a test that scanned a sweep's every row by tranche name cost a sweep 1–2%).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaidFacts {
    /// The first payment date whose interest due was not paid in full (the per-unit 尾差
    /// carried by design aside).
    pub first_interest_unpaid: Option<NaiveDate>,
    /// The last row's interest is not paid in full (the 尾差 aside).
    pub interest_unpaid_end: bool,
}

/// Total drawn from each support provider.
#[derive(Debug, Clone, PartialEq)]
pub struct SupportDrawTotal {
    /// The support arrangement's name, e.g. 差额支付承诺 (column `support`, docs/output.md).
    pub support: String,
    /// Who provides it (column `provider`).
    pub provider: String,
    /// Drawn over the run (gross of repayments).
    pub total: Decimal,
    /// Repaid of the draws over the run by `repay_support` steps (since session 32).
    pub repaid: Decimal,
    /// Interest on the draws (`interest_rate`) paid over the run by `repay_support` steps
    /// (since session 36).
    pub interest_paid: Decimal,
    /// Interest on the draws accrued and not paid by the end of the run.
    pub interest_unpaid: Decimal,
    /// When its provider failed in the run: the first payment date it paid nothing on
    /// (column `failed_from`, since session 34) and why, in words (`support_failures`, or the
    /// `fails_with` obligor's named default); None when it stood to the end.
    pub failure: Option<(NaiveDate, String)>,
}

/// The conservation identity the engine verified, to the fen:
/// `pool_cash + support_draws + reserve_funding + restated + call_price + investment_income
/// = payments + purchases + collection_end + reserve_end + accounts_end + subrogation +
/// support_repaid + support_interest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conservation {
    /// Pool cash deposited over the run: collections plus recoveries.
    pub pool_cash: Decimal,
    /// Drawn from the supports over the run, an asset guarantor's payments included.
    pub support_draws: Decimal,
    /// The reserve funded by the originator at closing; 0 without one.
    pub reserve_funding: Decimal,
    /// Net cash the restatements of `ipabs reconcile` brought in (docs/auditing.md); 0 in
    /// every other run.
    pub restated: Decimal,
    /// Paid to the taxes, fees and tranches (interest, principal, residual).
    pub payments: Decimal,
    /// Pool cash a failed servicer kept (scenario `commingling`); 0 without one.
    pub commingled: Decimal,
    /// Cash paid to the seller for assets bought in a revolving period; 0 without one.
    pub purchases: Decimal,
    /// The collection account's balance after the last payment date.
    pub collection_end: Decimal,
    /// The reserve's balance after the last payment date.
    pub reserve_end: Decimal,
    /// The clean-up call's repurchase price paid in by the originator; 0 without a call.
    pub call_price: Decimal,
    /// Cash left in the named accounts (`[[accounts]]`) after the last payment date.
    pub accounts_end: Decimal,
    /// Recoveries paid to the asset guarantor (代位追偿); 0 without one. Its payments
    /// (担保代偿) are in `support_draws`.
    pub subrogation: Decimal,
    /// Income the trust's cash earned between payment dates (合格投资, `[deal]
    /// reinvestment_rate`); 0 without one.
    pub investment_income: Decimal,
    /// What `repay_support` steps paid back to the supports of their draws (返还差额支付款,
    /// since session 32); 0 without such steps.
    pub support_repaid: Decimal,
    /// The interest on their draws `repay_support` steps paid the supports (since session
    /// 36); 0 without an `interest_rate`.
    pub support_interest: Decimal,
}
