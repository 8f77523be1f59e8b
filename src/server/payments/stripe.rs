//! Stripe Checkout through async-stripe. Responses are read into small structs with only
//! the fields TickEx uses, so a richer (or newer) Stripe object never breaks parsing.
use super::{
    CreatedSession, PayFuture, PaymentError, PaymentGateway, SessionRequest, SessionState,
};
use crate::server::config::StripeSettings;
use serde::{Deserialize, Serialize};
use stripe::{
    CheckoutSessionMode, Client, CreateCheckoutSession, CreateCheckoutSessionLineItems,
    CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionLineItemsPriceDataProductData,
    RequestStrategy,
};

pub struct StripeGateway {
    client: Client,
}

#[derive(Deserialize)]
struct SessionObject {
    id: String,
    url: Option<String>,
    payment_status: Option<String>,
    payment_intent: Option<String>,
}

#[derive(Deserialize)]
struct RefundObject {
    #[allow(dead_code)] // parsed to prove Stripe answered with a refund
    id: String,
}

#[derive(Serialize)]
struct RefundParams<'a> {
    payment_intent: &'a str,
}

fn provider(e: stripe::StripeError) -> PaymentError {
    PaymentError::Provider(e.to_string())
}

/// The client has no timeout of its own; a hung provider must not hang a checkout.
async fn within<T>(
    call: stripe::Response<T>,
) -> Result<Result<T, stripe::StripeError>, PaymentError> {
    tokio::time::timeout(std::time::Duration::from_secs(20), call)
        .await
        .map_err(|_| PaymentError::Provider("no answer within 20 seconds".into()))
}

async fn timed<T>(call: stripe::Response<T>) -> Result<T, PaymentError> {
    within(call).await?.map_err(provider)
}

impl StripeGateway {
    pub fn new(settings: &StripeSettings) -> Self {
        let base = format!("{}/", settings.api_base.trim_end_matches('/'));
        StripeGateway {
            client: Client::from_url(base.as_str(), settings.secret_key.clone()),
        }
    }

    fn idempotent(&self, key: String) -> Client {
        self.client
            .clone()
            .with_strategy(RequestStrategy::Idempotent(key))
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
            let currency = request
                .currency
                .to_ascii_lowercase()
                .parse::<stripe::Currency>()
                .map_err(|_| PaymentError::Provider(format!("currency {}", request.currency)))?;
            let line_items = request
                .lines
                .iter()
                .map(
                    |(name, unit_minor, quantity)| CreateCheckoutSessionLineItems {
                        quantity: Some(u64::from(*quantity)),
                        price_data: Some(CreateCheckoutSessionLineItemsPriceData {
                            currency,
                            unit_amount: Some(*unit_minor),
                            product_data: Some(
                                CreateCheckoutSessionLineItemsPriceDataProductData {
                                    name: name.clone(),
                                    ..Default::default()
                                },
                            ),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                )
                .collect();
            let mut params = CreateCheckoutSession::new();
            params.mode = Some(CheckoutSessionMode::Payment);
            params.line_items = Some(line_items);
            params.customer_email = Some(&request.buyer_email);
            params.client_reference_id = Some(&request.order_id);
            params.expires_at = Some(request.expires_at.timestamp());
            params.success_url = Some(&request.success_url);
            params.cancel_url = Some(&request.cancel_url);
            let session: SessionObject = timed(
                self.idempotent(format!("checkout-{}", request.order_id))
                    .post_form("/checkout/sessions", &params),
            )
            .await?;
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
            let session: SessionObject =
                timed(self.client.get(&format!("/checkout/sessions/{id}"))).await?;
            Ok(SessionState {
                paid: is_paid(session.payment_status.as_deref()),
                payment_ref: session.payment_intent,
            })
        })
    }

    fn expire_session<'a>(&'a self, id: &'a str) -> PayFuture<'a, ()> {
        Box::pin(async move {
            let _: SessionObject =
                timed(self.client.post(&format!("/checkout/sessions/{id}/expire"))).await?;
            Ok(())
        })
    }

    fn refund<'a>(&'a self, payment_ref: &'a str, key: &'a str) -> PayFuture<'a, ()> {
        Box::pin(async move {
            let answer: Result<RefundObject, _> =
                within(self.idempotent(key.to_owned()).post_form(
                    "/refunds",
                    &RefundParams {
                        payment_intent: payment_ref,
                    },
                ))
                .await?;
            match answer {
                Ok(_) => Ok(()),
                // Refunded already: by an attempt whose answer was lost, or in the dashboard.
                Err(stripe::StripeError::Stripe(e))
                    if e.code == Some(stripe::ErrorCode::ChargeAlreadyRefunded) =>
                {
                    Ok(())
                }
                Err(e) => Err(provider(e)),
            }
        })
    }
}
