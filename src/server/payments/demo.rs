//! The gateway used without Stripe keys: the "session" is a local, clearly labelled test
//! payment page (`/pay/demo/<order>`), whose Pay and Cancel buttons call the same order
//! services the Stripe webhook calls.
use super::{CreatedSession, PayFuture, PaymentGateway, SessionRequest, SessionState};

pub struct DemoGateway;

pub const DEMO_PAGE: &str = "/pay/demo";

impl PaymentGateway for DemoGateway {
    fn is_demo(&self) -> bool {
        true
    }

    fn create_session<'a>(&'a self, request: &'a SessionRequest) -> PayFuture<'a, CreatedSession> {
        Box::pin(async move {
            Ok(CreatedSession {
                id: format!("demo_{}", request.order_id),
                url: format!("{DEMO_PAGE}/{}?key={}", request.order_id, request.order_key),
            })
        })
    }

    /// Nobody pays a demo session behind our back: only its page can, and that page
    /// fulfils directly.
    fn session<'a>(&'a self, _id: &'a str) -> PayFuture<'a, SessionState> {
        Box::pin(async move {
            Ok(SessionState {
                paid: false,
                payment_ref: None,
            })
        })
    }

    fn expire_session<'a>(&'a self, _id: &'a str) -> PayFuture<'a, ()> {
        Box::pin(async move { Ok(()) })
    }

    fn refund<'a>(&'a self, payment_ref: &'a str, _key: &'a str) -> PayFuture<'a, ()> {
        Box::pin(async move {
            tracing::info!(payment_ref, "demo refund (no money moved)");
            Ok(())
        })
    }
}
