//! Taking payments: Stripe Checkout when keys are configured; in demo mode only, a local demo
//! gateway that drives exactly the same fulfilment and release code; otherwise none.
mod demo;
mod stripe;
pub mod webhook;

pub use demo::DemoGateway;
pub use stripe::{is_paid, StripeGateway};

use crate::server::config::Settings;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type PayFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, PaymentError>> + Send + 'a>>;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("payment provider: {0}")]
    Provider(String),
    #[error("no payment provider is configured")]
    NotConfigured,
}

/// What a Checkout Session is created from.
#[derive(Debug, Clone)]
pub struct SessionRequest {
    pub order_id: String,
    pub buyer_email: String,
    pub currency: String,
    /// Name, unit price in minor units, quantity.
    pub lines: Vec<(String, i64, u32)>,
    pub expires_at: DateTime<Utc>,
    pub success_url: String,
    pub cancel_url: String,
    /// The order's link key: Stripe gets it inside the two addresses above; the demo page
    /// needs it to open a guest's order.
    pub order_key: String,
}

#[derive(Debug, Clone)]
pub struct CreatedSession {
    pub id: String,
    pub url: String,
}

/// A session as the provider sees it now.
#[derive(Debug, Clone)]
pub struct SessionState {
    pub paid: bool,
    pub payment_ref: Option<String>,
}

pub trait PaymentGateway: Send + Sync {
    /// True for the local test-mode gateway; the UI says so.
    fn is_demo(&self) -> bool;
    /// False when no provider is set up: paid checkout is refused up front.
    fn is_configured(&self) -> bool {
        true
    }
    fn create_session<'a>(&'a self, request: &'a SessionRequest) -> PayFuture<'a, CreatedSession>;
    fn session<'a>(&'a self, id: &'a str) -> PayFuture<'a, SessionState>;
    /// Ends a session so it can no longer be paid.
    fn expire_session<'a>(&'a self, id: &'a str) -> PayFuture<'a, ()>;
    /// Refunds a payment in full (what is left of it); a payment refunded already is not an
    /// error. The key makes a network retry a no-op at the provider; Stripe replays even a
    /// 500 for a key it saw, so each new attempt needs a new key (`refund_key`).
    fn refund<'a>(&'a self, payment_ref: &'a str, idempotency_key: &'a str) -> PayFuture<'a, ()>;
}

/// The idempotency key of a refund attempt: the `attempt`-th try to refund `order_id`.
pub fn refund_key(order_id: &str, attempt: i64) -> String {
    format!("refund-{order_id}-{attempt}")
}

/// Stripe when its keys are set; the demo gateway only in demo mode; otherwise none, and
/// paid checkout says payments are not set up (free events still work).
pub fn from_settings(settings: &Settings) -> Arc<dyn PaymentGateway> {
    match (&settings.stripe, settings.demo) {
        (Some(stripe), _) => Arc::new(StripeGateway::new(stripe)),
        (None, true) => Arc::new(DemoGateway),
        (None, false) => Arc::new(NotConfigured),
    }
}

/// No payment provider: every call says so. Nothing can be paid, so nothing is given away.
pub struct NotConfigured;

impl PaymentGateway for NotConfigured {
    fn is_demo(&self) -> bool {
        false
    }

    fn is_configured(&self) -> bool {
        false
    }

    fn create_session<'a>(&'a self, _: &'a SessionRequest) -> PayFuture<'a, CreatedSession> {
        Box::pin(async { Err(PaymentError::NotConfigured) })
    }

    fn session<'a>(&'a self, _: &'a str) -> PayFuture<'a, SessionState> {
        Box::pin(async { Err(PaymentError::NotConfigured) })
    }

    fn expire_session<'a>(&'a self, _: &'a str) -> PayFuture<'a, ()> {
        Box::pin(async { Err(PaymentError::NotConfigured) })
    }

    fn refund<'a>(&'a self, _: &'a str, _: &'a str) -> PayFuture<'a, ()> {
        Box::pin(async { Err(PaymentError::NotConfigured) })
    }
}
