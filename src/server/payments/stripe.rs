//! Stripe Checkout through async-stripe 1.0: requests are built by its typed builders,
//! answers are read into small structs with only the fields TickEx uses, so a richer (or
//! newer) Stripe object never breaks parsing.
use super::{
    CreatedSession, PayFuture, PaymentError, PaymentGateway, SessionRequest, SessionState,
};
use crate::server::config::StripeSettings;
use serde::Serialize;
use std::time::Duration;
use stripe::StripeRequest;
use stripe::{ApiErrorsCode, Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    ExpireCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_checkout::CheckoutSessionMode;
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_types::Currency;

/// A hung provider must not hang a checkout; each call makes one attempt.
const TIMEOUT: Duration = Duration::from_secs(20);

pub struct StripeGateway {
    /// An error when the settings cannot make a client (a key that is not ASCII): every
    /// call then says so instead of the server failing to start.
    client: Result<Client, String>,
}

#[derive(miniserde::Deserialize)]
struct SessionObject {
    id: String,
    url: Option<String>,
    payment_status: Option<String>,
    payment_intent: Option<String>,
}

#[derive(miniserde::Deserialize)]
struct RefundObject {
    #[allow(dead_code)] // parsed to prove Stripe answered with a refund
    id: String,
}

#[derive(Serialize)]
struct RefundParams<'a> {
    payment_intent: &'a str,
}

/// Stripe's answer as an error a log (and an admin) can read in one line.
fn provider(e: StripeError) -> PaymentError {
    PaymentError::Provider(match e {
        StripeError::Stripe(error, status) => format!(
            "Stripe answered {status} {}: {}",
            error.type_.as_str(),
            error.message.as_deref().unwrap_or("no message")
        ),
        StripeError::Timeout => format!("no answer within {} seconds", TIMEOUT.as_secs()),
        other => other.to_string(),
    })
}

/// Whether Stripe refused a refund because the payment is refunded already.
fn already_refunded(e: &StripeError) -> bool {
    matches!(e, StripeError::Stripe(error, _) if matches!(error.code, Some(ApiErrorsCode::ChargeAlreadyRefunded)))
}

impl StripeGateway {
    pub fn new(settings: &StripeSettings) -> Self {
        let base = format!("{}/", settings.api_base.trim_end_matches('/'));
        let client = ClientBuilder::new(settings.secret_key.clone())
            .url(base)
            .timeout(TIMEOUT)
            .app_info("TickEx", Some(env!("CARGO_PKG_VERSION").to_owned()), None)
            .build()
            .map_err(|e| e.to_string());
        if let Err(e) = &client {
            tracing::error!(error = %e, "the Stripe settings cannot make a client");
        }
        StripeGateway { client }
    }

    /// One request, read into a minimal struct; with a key it is sent idempotently.
    async fn send<T: miniserde::Deserialize>(
        &self,
        request: RequestBuilder,
        key: Option<&str>,
    ) -> Result<Result<T, StripeError>, PaymentError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| PaymentError::Provider(e.clone()))?;
        let mut request = request.customize::<T>();
        if let Some(key) = key {
            let key =
                IdempotencyKey::new(key).map_err(|e| PaymentError::Provider(e.to_string()))?;
            request = request.request_strategy(RequestStrategy::Idempotent(key));
        }
        Ok(request.send(client).await)
    }

    async fn call<T: miniserde::Deserialize>(
        &self,
        request: RequestBuilder,
        key: Option<&str>,
    ) -> Result<T, PaymentError> {
        self.send(request, key).await?.map_err(provider)
    }
}

/// Whether Stripe says the money is in (or none was needed).
pub fn is_paid(payment_status: Option<&str>) -> bool {
    matches!(payment_status, Some("paid" | "no_payment_required"))
}

impl PaymentGateway for StripeGateway {
    fn is_demo(&self) -> bool {
        false
    }

    fn create_session<'a>(&'a self, request: &'a SessionRequest) -> PayFuture<'a, CreatedSession> {
        Box::pin(async move {
            let Ok(currency) = request.currency.to_ascii_lowercase().parse::<Currency>();
            if matches!(currency, Currency::Unknown(_)) {
                return Err(PaymentError::Provider(format!(
                    "currency {}",
                    request.currency
                )));
            }
            let line_items: Vec<_> = request
                .lines
                .iter()
                .map(|(name, unit_minor, quantity)| {
                    let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
                    price.unit_amount = Some(*unit_minor);
                    price.product_data = Some(ProductData::new(name.clone()));
                    CreateCheckoutSessionLineItems {
                        quantity: Some(u64::from(*quantity)),
                        price_data: Some(price),
                        ..Default::default()
                    }
                })
                .collect();
            let params = CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Payment)
                .line_items(line_items)
                .customer_email(request.buyer_email.as_str())
                .client_reference_id(request.order_id.as_str())
                .expires_at(request.expires_at.timestamp())
                .success_url(request.success_url.as_str())
                .cancel_url(request.cancel_url.as_str());
            let key = format!("checkout-{}", request.order_id);
            let session: SessionObject = self.call(params.build(), Some(&key)).await?;
            let url = session
                .url
                .ok_or_else(|| PaymentError::Provider("session without a URL".into()))?;
            Ok(CreatedSession {
                id: session.id,
                url,
            })
        })
    }

    fn session<'a>(&'a self, id: &'a str) -> PayFuture<'a, SessionState> {
        Box::pin(async move {
            let session: SessionObject = self
                .call(RetrieveCheckoutSession::new(id).build(), None)
                .await?;
            Ok(SessionState {
                paid: is_paid(session.payment_status.as_deref()),
                payment_ref: session.payment_intent,
            })
        })
    }

    fn expire_session<'a>(&'a self, id: &'a str) -> PayFuture<'a, ()> {
        Box::pin(async move {
            let _: SessionObject = self
                .call(ExpireCheckoutSession::new(id).build(), None)
                .await?;
            Ok(())
        })
    }

    fn refund<'a>(&'a self, payment_ref: &'a str, key: &'a str) -> PayFuture<'a, ()> {
        Box::pin(async move {
            let request = RequestBuilder::new(StripeMethod::Post, "/refunds").form(&RefundParams {
                payment_intent: payment_ref,
            });
            match self.send::<RefundObject>(request, Some(key)).await? {
                Ok(_) => Ok(()),
                // Refunded already: by an attempt whose answer was lost, or in the dashboard.
                Err(e) if already_refunded(&e) => Ok(()),
                Err(e) => Err(provider(e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    /// A session as Stripe sends it (trimmed, with fields TickEx never reads) parses.
    #[test]
    fn a_full_session_object_parses_into_the_minimal_one() {
        let json = r#"{"id":"cs_test_a1","object":"checkout.session","amount_total":4900,
            "currency":"usd","customer_details":{"email":"a@example.com","address":null},
            "livemode":false,"payment_intent":"pi_1","payment_status":"paid","status":"complete",
            "url":null,"line_items":{"data":[]}}"#;
        let session: super::SessionObject = miniserde::json::from_str(json).unwrap();
        assert_eq!(session.id, "cs_test_a1");
        assert_eq!(session.payment_status.as_deref(), Some("paid"));
        assert_eq!(session.payment_intent.as_deref(), Some("pi_1"));
        assert!(session.url.is_none());
    }
}
