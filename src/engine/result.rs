//! What a run produces: the tables written to Parquet and the audit ledger.
//!
//! Money columns are exact [`Decimal`]s in yuan with two decimal places. Ratios (coverage
//! multiple, default ratio) are Decimals rounded to 6 places; yields and durations are `f64`
//! statistics (see docs/analytics.md).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::Warning;

pub use super::ledger::{Account, AccountNames, Movement};

/// A cheap-to-clone string for the many rows a run produces: a static phrase, a short name
/// stored inline, or a longer name shared by every row that mentions it. Compares and prints
/// like a `str`.
///
/// Short names (obligor, tranche and fee names of up to [`INLINE_LEN`] bytes) are copied rather
/// than shared: cloning an `Arc` is an atomic operation, and a run clones a name for every row
/// and ledger entry (docs/performance.md).
#[derive(Clone)]
pub enum Label {
    Static(&'static str),
    Inline(InlineStr),
    Shared(Arc<str>),
}

/// Bytes a name may have to be stored inline in a [`Label`].
pub const INLINE_LEN: usize = 22;

/// A string of at most [`INLINE_LEN`] bytes, stored in place.
#[derive(Clone, Copy)]
pub struct InlineStr {
    len: u8,
    bytes: [u8; INLINE_LEN],
}

impl InlineStr {
    /// `s` stored inline, if it is short enough.
    fn new(s: &str) -> Option<InlineStr> {
        let src = s.as_bytes();
        if src.len() > INLINE_LEN {
            return None;
        }
        let mut bytes = [0u8; INLINE_LEN];
        bytes[..src.len()].copy_from_slice(src);
        Some(InlineStr {
            len: src.len() as u8,
            bytes,
        })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    fn as_str(&self) -> &str {
        // The bytes are a whole `str` copied in `new`, so this cannot fail.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl Label {
    /// `s` as a label: inline when short, otherwise shared.
    pub fn new(s: &str) -> Label {
        InlineStr::new(s).map_or_else(|| Label::Shared(s.into()), Label::Inline)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Label::Static(s) => s,
            Label::Inline(s) => s.as_str(),
            Label::Shared(s) => s,
        }
    }

    /// The UTF-8 bytes, without re-checking an inline name: comparisons use these.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Label::Static(s) => s.as_bytes(),
            Label::Inline(s) => s.as_bytes(),
            Label::Shared(s) => s.as_bytes(),
        }
    }
}

impl Deref for Label {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Eq for Label {}

impl std::hash::Hash for Label {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Hashes like the `str` it holds.
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Label) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Label) -> std::cmp::Ordering {
        // UTF-8 byte order is `str` order.
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Label) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<str> for Label {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Label {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<String> for Label {
    fn eq(&self, other: &String) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl From<&'static str> for Label {
    fn from(s: &'static str) -> Label {
        Label::Static(s)
    }
}

impl From<String> for Label {
    fn from(s: String) -> Label {
        Label::new(&s)
    }
}

impl From<&String> for Label {
    fn from(s: &String) -> Label {
        Label::new(s)
    }
}

/// Everything one run of one deal under one scenario produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub deal: String,
    pub scenario: String,
    pub periods: Vec<PeriodRow>,
    pub tranche_flows: Vec<TrancheFlowRow>,
    pub pool_flows: Vec<PoolFlowRow>,
    pub ledger: Vec<LedgerEntry>,
    /// The output names of the ledger's accounts.
    pub accounts: AccountNames,
    pub summary: Vec<TrancheSummary>,
    pub support_draws: Vec<SupportDrawTotal>,
    pub conservation: Conservation,
    pub warnings: Vec<Warning>,
}

/// One obligor in one collection period.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolFlowRow {
    pub period: u32,
    pub payment_date: NaiveDate,
    pub obligor: Label,
    /// Contractual amounts (principal + interest) falling due in the collection period, as if
    /// the obligor performed.
    pub scheduled: Decimal,
    /// Cash received from instalments in this period: on-time scheduled cash, delayed cash
    /// arriving now, and prepayments. Excludes recoveries.
    pub collected: Decimal,
    /// Principal part of `collected`.
    pub principal_collected: Decimal,
    /// Interest part of `collected`.
    pub interest_collected: Decimal,
    /// Prepaid principal (part of `collected`).
    pub prepaid: Decimal,
    /// Performing balance that defaulted in this period.
    pub defaulted: Decimal,
    /// Recovery cash received in this period.
    pub recovered: Decimal,
    /// Cash due in this period that the scenario's delay pushed to a later period.
    pub delayed: Decimal,
    /// Performing principal balance at the end of the collection period.
    pub balance_end: Decimal,
}

/// One tranche on one payment date.
#[derive(Debug, Clone, PartialEq)]
pub struct TrancheFlowRow {
    pub period: u32,
    pub payment_date: NaiveDate,
    pub tranche: Label,
    pub class: Label,
    pub balance_start: Decimal,
    /// Interest accrued this period plus any shortfall carried from earlier periods.
    pub interest_due: Decimal,
    pub interest_paid: Decimal,
    /// Unpaid interest carried to the next payment date.
    pub interest_shortfall: Decimal,
    /// Principal contractually due on this date (see docs/conventions.md).
    pub principal_due: Decimal,
    pub principal_paid: Decimal,
    /// Residual (excess) return paid, subordinated tranches only.
    pub residual_paid: Decimal,
    pub balance_end: Decimal,
    /// Coverage multiple of this tranche and everything senior to it (None when nothing is due).
    pub coverage_multiple: Option<Decimal>,
}

/// One payment date.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodRow {
    pub period: u32,
    pub payment_date: NaiveDate,
    pub collection_start: NaiveDate,
    pub collection_end: NaiveDate,
    /// Pool cash of the collection period (collections plus recoveries).
    pub pool_cash: Decimal,
    /// Collection-account balance brought forward from the previous payment date.
    pub cash_brought_forward: Decimal,
    /// pool_cash + cash_brought_forward: what the waterfall starts with.
    pub available_funds: Decimal,
    pub reserve_draws: Decimal,
    pub support_draws: Decimal,
    pub taxes_paid: Decimal,
    pub fees_paid: Decimal,
    pub interest_paid: Decimal,
    pub principal_paid: Decimal,
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
    pub collection_balance_end: Decimal,
    pub reserve_balance_end: Decimal,
    pub pool_balance_end: Decimal,
    pub senior_balance_end: Decimal,
}

/// One movement of cash: the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub period: u32,
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
    pub amount: Decimal,
    /// Why, in words.
    pub reason: &'static str,
}

/// Per tranche, over the whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrancheSummary {
    pub tranche: String,
    pub class: String,
    pub rating: Option<String>,
    pub initial_balance: Decimal,
    pub coupon: Decimal,
    pub total_interest: Decimal,
    pub total_principal: Decimal,
    pub total_residual: Decimal,
    /// Balance left unpaid after the last payment date.
    pub principal_loss: Decimal,
    /// Interest due but unpaid after the last payment date.
    pub interest_shortfall: Decimal,
    /// Last date the tranche received any cash.
    pub final_payment_date: Option<NaiveDate>,
    /// Weighted average life from the closing date, ACT/365F years.
    pub wal_years: Option<f64>,
    /// Minimum of the tranche's coverage multiple over the dates it was outstanding.
    pub min_coverage_multiple: Option<Decimal>,
    /// IRR of buying at par on the closing date: annual compounding, ACT/365F.
    pub yield_at_par: Option<f64>,
    /// Settlement date of `price` and the measures below (default: the closing date).
    pub settlement_date: Option<NaiveDate>,
    /// Price per 100 of the balance at settlement (par unless the scenario file quotes it).
    pub price: Option<f64>,
    /// Yield at `price` (annual compounding, ACT/365F).
    pub yield_: Option<f64>,
    pub macaulay_duration: Option<f64>,
    pub modified_duration: Option<f64>,
    pub convexity: Option<f64>,
    /// Spread over the scenario file's discount rate or zero curve.
    pub spread: Option<f64>,
}

/// Total drawn from each support provider.
#[derive(Debug, Clone, PartialEq)]
pub struct SupportDrawTotal {
    pub support: String,
    pub provider: String,
    pub total: Decimal,
}

/// The conservation identity the engine verified, to the fen:
/// `pool_cash + support_draws + reserve_funding = payments + collection_end + reserve_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conservation {
    pub pool_cash: Decimal,
    pub support_draws: Decimal,
    pub reserve_funding: Decimal,
    pub payments: Decimal,
    pub collection_end: Decimal,
    pub reserve_end: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_compare_by_text_whatever_their_storage() {
        let short = Label::new("SME-00001");
        let exactly = Label::new("深圳市某某科技有"); // 8 characters × 3 bytes = 24 bytes: shared
        let long = Label::from(String::from("深圳市某某科技有限公司第一分公司"));
        assert!(matches!(short, Label::Inline(_)));
        assert!(matches!(
            Label::new("1234567890123456789012"),
            Label::Inline(_)
        ));
        assert!(matches!(
            Label::new("12345678901234567890123"),
            Label::Shared(_)
        ));
        assert!(matches!(exactly, Label::Shared(_)));
        assert!(matches!(long, Label::Shared(_)));
        assert_eq!(short.as_str(), "SME-00001");
        assert_eq!(long.as_str(), "深圳市某某科技有限公司第一分公司");
        assert_eq!(Label::new("优先A").as_str(), "优先A");
        assert_eq!(Label::new(""), Label::Static(""));
        assert_eq!(Label::new("reserve"), Label::Static("reserve"));
        assert_eq!(short.clone(), short);
        assert_eq!(format!("{short:?}"), "\"SME-00001\"");
        // Order and hash like the text, across storages.
        let long_b = Label::new(&"B".repeat(30));
        assert!(matches!(long_b, Label::Shared(_)));
        assert!(Label::new("A") < long_b);
        let hash = |x: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
            use std::hash::Hasher;
            let mut h = std::collections::hash_map::DefaultHasher::new();
            x(&mut h);
            h.finish()
        };
        use std::hash::Hash;
        assert_eq!(hash(&|h| "SME-00001".hash(h)), hash(&|h| short.hash(h)));
    }
}
