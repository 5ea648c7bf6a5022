//! The trust's accounts: named accounts, cash sources, the principal deficiency ledger.

/// A cash account of the trust that a step pays from or a transfer moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountRef {
    /// The collection account (收款账户): every source no rule routes elsewhere.
    Collection,
    /// A named account, by index in `Accounts::names`.
    Named(usize),
}

/// The kinds of pool cash that collection rules route (`collects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CashSource {
    /// The interest part of collections (a schedule entry's `interest`, a loan's or lease's).
    Interest,
    /// The scheduled principal part of collections (delayed arrivals included).
    Principal,
    /// Prepaid principal.
    Prepayments,
    /// Recoveries on defaulted assets.
    Recoveries,
}

impl CashSource {
    /// Every source, in deposit order.
    pub const ALL: [CashSource; 4] = [
        CashSource::Interest,
        CashSource::Principal,
        CashSource::Prepayments,
        CashSource::Recoveries,
    ];

    /// The TOML spelling: `interest`, `principal`, `prepayments` or `recoveries`.
    pub fn name(self) -> &'static str {
        match self {
            CashSource::Interest => "interest",
            CashSource::Principal => "principal",
            CashSource::Prepayments => "prepayments",
            CashSource::Recoveries => "recoveries",
        }
    }
}

/// The named accounts and the collection rules. With no named account every source goes to
/// the collection account, as it always has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    /// The named accounts, in file order.
    pub names: Vec<String>,
    /// Where each source of [`CashSource::ALL`] is deposited, in that order.
    pub route: [Option<usize>; 4],
}

impl Accounts {
    /// True when the deal routes pool cash by source (it has named accounts).
    pub fn split(&self) -> bool {
        !self.names.is_empty()
    }

    /// The account `source` is deposited into.
    pub fn of(&self, source: CashSource) -> AccountRef {
        let i = CashSource::ALL
            .iter()
            .position(|&s| s == source)
            .unwrap_or(0);
        self.route[i].map_or(AccountRef::Collection, AccountRef::Named)
    }

    /// The name of account `a` as a deal file writes it: `collection` or a named account's.
    pub fn name_of(&self, a: AccountRef) -> &str {
        match a {
            AccountRef::Collection => COLLECTION,
            AccountRef::Named(i) => self.names[i].as_str(),
        }
    }
}

/// The collection account's name in a deal file (`from = "collection"`).
pub const COLLECTION: &str = "collection";

/// `[pdl]`: the principal deficiency ledger (本金亏损账).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pdl {
    /// Whether each period's defaulted principal is debited to it.
    pub defaults: bool,
}
