//! The provider's business (API-billing.md §5–§7): prices per tier set by each
//! seller, the charge ledger every sale writes, and what buyers and sellers read
//! of it.

mod charges;
pub mod csv;
mod invoices;
mod payments;
mod portal;
mod price_sheet;
mod repricing;

pub use charges::{ChargeLine, ChargeLineFilters};
pub use invoices::{
    BillingRun, BillingRunPreview, Invoice, InvoiceFilters, InvoiceLine, Named, ResellerAmount,
    RunOutcome, TierAmount,
};
pub use payments::{Payment, PaymentFilters, PaymentInput};
pub use portal::{
    BuyerChoice, InvoicePage, OfferChoice, PriceList, PriceListChoices, PriceListRecord,
    PriceListsPage, ResultingPrice,
};
pub use price_sheet::{PriceBasis, PricePeriod, PriceSheet, PriceSheetFilters, PriceSheetItem};
pub use repricing::{
    OverrideCondition, PriceOverride, PriceOverrideInput, RepricingConfig, RepricingConfigChanges,
    RepricingConfigFilters, RepricingConfigInput,
};
