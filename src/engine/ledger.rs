//! The typed ledger: every account cash can sit in or pass through, and every kind of
//! movement between them.
//!
//! A [`super::result::LedgerEntry`] moves an amount from one [`Account`] to another for a
//! [`Movement`]. Accounts and movements are enums, compared as enums; their names are for
//! output only ([`AccountNames`]). The conservation check replays every account
//! (`engine::verify`), so a new source or destination needs a new variant, not a special case.

use std::fmt;

use super::result::Label;
use crate::deal::Deal;

/// Where cash is, between two movements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// The pool: the source of collections and recoveries.
    Pool,
    /// The collection account (信托账户 / 收款账户).
    Collection,
    /// The reserve account.
    Reserve,
    /// The originator, which funds the reserve at closing.
    Originator,
    /// `ipabs reconcile`: the other side of the restatements that bring the run to the
    /// reported state after an actual payment date (docs/auditing.md).
    Restatement,
    /// A credit-support provider (差额支付承诺人, guarantor), by index in `Deal::supports`.
    Support(usize),
    /// A tranche's holders, by index in `Deal::tranches`.
    Tranche(usize),
    /// A fee's payee, by index in `Deal::fees`.
    Fee(usize),
    /// A tax authority, by index in `Deal::taxes`.
    Tax(usize),
    /// A named account of the trust (收入分账户, 本金分账户, …), by index in
    /// `Deal::accounts.names`.
    Named(usize),
    /// The seller of the assets bought in a revolving period (循环购买, usually the
    /// originator): it receives their price.
    Seller,
    /// The 合格投资 the trust's cash is invested in between payment dates: the source of the
    /// income it earns (`[deal] reinvestment_rate`).
    Investment,
    /// The servicer (资产服务机构) that failed holding pool cash (scenario `commingling`): what
    /// its estate kept (混同).
    Servicer,
}

impl Account {
    /// True for the accounts that hold cash inside the deal (collection and reserve); every
    /// other account is outside it (a source or a payee).
    pub fn is_internal(self) -> bool {
        matches!(
            self,
            Account::Collection | Account::Reserve | Account::Named(_)
        )
    }

    /// True for the payees: tranches, fees and taxes.
    pub fn is_payee(self) -> bool {
        matches!(
            self,
            Account::Tranche(_) | Account::Fee(_) | Account::Tax(_)
        )
    }
}

/// What a movement of cash is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Movement {
    /// Pool cash into the collection account.
    Deposit,
    /// The originator funds the reserve at closing.
    FundReserve,
    /// The reserve covers a shortfall.
    DrawReserve,
    /// A support provider covers a shortfall.
    DrawSupport,
    /// A tax paid.
    PayTax,
    /// A fee paid.
    PayFee,
    /// Interest paid to a tranche.
    PayInterest,
    /// A subordinated tranche's periodic return (期间收益).
    PaySubReturn,
    /// Principal paid to a tranche.
    PayPrincipal,
    /// What is left, to the subordinated tranche.
    PayResidual,
    /// Cash into the reserve towards its target (`top_up_reserve`).
    TopUpReserve,
    /// The reserve above its target: the excess back to the collection account.
    ReleaseReserve,
    /// With `[notices] per_unit`, the interest the per-unit figures do not pay (尾差), from the
    /// tranche back to the collection account.
    PerUnitInterestResidual,
    /// The same for principal: the tranche's balance keeps it.
    PerUnitPrincipalResidual,
    /// `ipabs reconcile`: a reported payment, draw or balance that differs from the
    /// waterfall's, restated (from or to [`Account::Restatement`]).
    Restate,
    /// The same for a tranche's principal: its balance follows.
    RestatePrincipal,
    /// Cash moved between two accounts of the trust by a `transfer` step.
    Transfer,
    /// The originator's repurchase price of the remaining pool (清仓回购), paid in on the
    /// clean-up call date.
    CleanUpCall,
    /// A revolving purchase: the price of the assets bought, to the seller.
    BuyAssets,
    /// The asset guarantor pays a collection period's defaulted principal (担保代偿).
    GuaranteePayment,
    /// Recoveries to the asset guarantor, up to what it paid (代位追偿).
    Subrogation,
    /// Income on the trust's cash between payment dates (合格投资收益).
    InvestmentIncome,
    /// A `repay_support` step repays a support's draws (返还差额支付款).
    RepaySupport,
    /// A `repay_support` step pays a support the interest on its draws (`interest_rate`,
    /// 资金占用费), before the draws.
    SupportInterest,
    /// Pool cash a failed servicer held, lost in its estate (混同; scenario `commingling`).
    Commingled,
}

impl Movement {
    /// Every movement, in the order docs/output.md lists them.
    pub const ALL: [Movement; 25] = [
        Movement::Deposit,
        Movement::FundReserve,
        Movement::DrawReserve,
        Movement::DrawSupport,
        Movement::PayTax,
        Movement::PayFee,
        Movement::PayInterest,
        Movement::PaySubReturn,
        Movement::PayPrincipal,
        Movement::PayResidual,
        Movement::TopUpReserve,
        Movement::ReleaseReserve,
        Movement::PerUnitInterestResidual,
        Movement::PerUnitPrincipalResidual,
        Movement::Restate,
        Movement::RestatePrincipal,
        Movement::Transfer,
        Movement::CleanUpCall,
        Movement::BuyAssets,
        Movement::GuaranteePayment,
        Movement::Subrogation,
        Movement::InvestmentIncome,
        Movement::RepaySupport,
        Movement::SupportInterest,
        Movement::Commingled,
    ];

    /// The name in `ledger.parquet`'s `action` column.
    pub fn name(self) -> &'static str {
        match self {
            Movement::Deposit => "deposit",
            Movement::FundReserve => "fund_reserve",
            Movement::DrawReserve => "draw_reserve",
            Movement::DrawSupport => "draw_support",
            Movement::PayTax => "pay_tax",
            Movement::PayFee => "pay_fee",
            Movement::PayInterest => "pay_interest",
            Movement::PaySubReturn => "pay_sub_return",
            Movement::PayPrincipal => "pay_principal",
            Movement::PayResidual => "pay_residual",
            Movement::TopUpReserve => "top_up_reserve",
            Movement::ReleaseReserve => "release_reserve",
            Movement::PerUnitInterestResidual => "per_unit_interest_residual",
            Movement::PerUnitPrincipalResidual => "per_unit_principal_residual",
            Movement::Restate => "restate",
            Movement::RestatePrincipal => "restate_principal",
            Movement::Transfer => "transfer",
            Movement::CleanUpCall => "clean_up_call",
            Movement::BuyAssets => "buy_assets",
            Movement::GuaranteePayment => "guarantee_payment",
            Movement::Subrogation => "subrogation",
            Movement::InvestmentIncome => "investment_income",
            Movement::RepaySupport => "repay_support",
            Movement::SupportInterest => "support_interest",
            Movement::Commingled => "commingled",
        }
    }
}

impl fmt::Display for Movement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The output names of a deal's accounts: `pool`, `collection`, `reserve`, `originator`,
/// `seller`, `investment`, `servicer`, `support:<name>`, `tranche:<name>`, `fee:<name>`, `tax:<name>`, `account:<name>`.
#[derive(Debug, Clone, Default)]
pub struct AccountNames {
    support: Vec<Label>,
    tranche: Vec<Label>,
    fee: Vec<Label>,
    tax: Vec<Label>,
    named: Vec<Label>,
}

impl AccountNames {
    /// The names of `deal`'s accounts, built once per run.
    pub fn new(deal: &Deal) -> AccountNames {
        fn prefixed<'d>(prefix: &str, v: impl Iterator<Item = &'d String>) -> Vec<Label> {
            v.map(|n| Label::from(prefixed_name(prefix, n))).collect()
        }
        AccountNames {
            support: prefixed("support", deal.supports.iter().map(|s| &s.name)),
            tranche: prefixed("tranche", deal.tranches.iter().map(|t| &t.name)),
            fee: prefixed("fee", deal.fees.iter().map(|f| &f.name)),
            tax: prefixed("tax", deal.taxes.iter().map(|t| &t.name)),
            named: prefixed("account", deal.accounts.names.iter()),
        }
    }

    /// The names of accounts given directly (support, tranche, fee and tax names, without
    /// their prefixes), for results built outside a run.
    pub fn from_names(supports: &[&str], tranches: &[&str], fees: &[&str], taxes: &[&str]) -> Self {
        fn prefixed(prefix: &str, v: &[&str]) -> Vec<Label> {
            v.iter()
                .map(|n| Label::from(format!("{prefix}:{n}")))
                .collect()
        }
        AccountNames {
            support: prefixed("support", supports),
            tranche: prefixed("tranche", tranches),
            fee: prefixed("fee", fees),
            tax: prefixed("tax", taxes),
            named: Vec::new(),
        }
    }

    /// The name of `account` ("?" for an index the deal does not have).
    pub fn name(&self, account: Account) -> &str {
        fn at(v: &[Label], i: usize) -> &str {
            v.get(i).map_or("?", |l| l.as_str())
        }
        match account {
            Account::Pool => "pool",
            Account::Collection => "collection",
            Account::Reserve => "reserve",
            Account::Originator => "originator",
            Account::Restatement => "restatement",
            Account::Support(i) => at(&self.support, i),
            Account::Tranche(i) => at(&self.tranche, i),
            Account::Fee(i) => at(&self.fee, i),
            Account::Tax(i) => at(&self.tax, i),
            Account::Named(i) => at(&self.named, i),
            Account::Seller => "seller",
            Account::Investment => "investment",
            Account::Servicer => "servicer",
        }
    }
}

/// `prefix:name`, built without the formatting machinery (a run names its accounts every time).
fn prefixed_name(prefix: &str, name: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 1 + name.len());
    s.push_str(prefix);
    s.push(':');
    s.push_str(name);
    s
}
