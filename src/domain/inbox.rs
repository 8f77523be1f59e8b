//! The payments inbox as admins see it: Stripe events stored before they are processed.
use serde::{Deserialize, Serialize};

status_enum!(
    /// Where a stored Stripe event stands.
    PaymentEventStatus {
        Received => "received",
        Processed => "processed",
        Failed => "failed",
    }
);

/// One stored Stripe event on the admin's payments page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEventRow {
    pub id: String,
    pub kind: String,
    pub status: PaymentEventStatus,
    /// When it first arrived (UTC), as shown.
    pub received: String,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// What processing a stored event again did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplayOutcome {
    Processed,
    /// It had been processed already: nothing was done again.
    AlreadyProcessed,
}
