//! Waiting lists: joining one, taking an offer, and the organizer's view of the line.
use crate::domain::holder::HolderIn;
use crate::domain::sales::{WaitlistData, WaitlistOffer};
use crate::error::AppError;
use leptos::prelude::*;

/// Joins the waiting list of a sold-out ticket type with a name and an email.
#[server]
pub async fn join_waitlist(
    event_id: String,
    ticket_type_id: String,
    guest_name: String,
    guest_email: String,
) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::auth::guard;
        // As much work for the server as a guest checkout: the same limit.
        let address = guard::client_address(&state);
        guard::throttle(&state, &[(&state.throttles.accounts_by_address, &address)])?;
        crate::server::services::waitlist::join_waitlist(
            &state,
            &event_id,
            &ticket_type_id,
            &guest_name,
            &guest_email,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

/// The offer behind an email's link.
#[server]
pub async fn get_waitlist_offer(entry: String, key: String) -> Result<WaitlistOffer, AppError> {
    crate::api::serve(|state| async move {
        crate::server::services::waitlist::offer_view(&state, &entry, &key).await
    })
    .await
}

/// Takes an offer: its held ticket is ordered for the person it was offered to (or the
/// signed-in account), then paid like any order.
#[server]
pub async fn take_waitlist_offer(
    entry: String,
    key: String,
    holders: Option<Vec<HolderIn>>,
    answers: Option<std::collections::BTreeMap<String, String>>,
) -> Result<String, AppError> {
    crate::api::serve(|state| async move {
        use crate::domain::holder::GuestDetails;
        use crate::server::{auth::guard, services::orders, services::waitlist};
        let offer = waitlist::offer_view(&state, &entry, &key).await?;
        let user = guard::current_user(&state).await?;
        let buyer = match &user {
            Some(user) => orders::Purchaser::Account(user),
            None => orders::Purchaser::Guest(GuestDetails::parse(&offer.name, &offer.email)?),
        };
        let holders = holders.unwrap_or_default();
        let input = orders::BuyerInput {
            holders: &holders,
            answers: answers.unwrap_or_default(),
            code: None,
            offer: Some((&entry, &key)),
        };
        let line = crate::domain::CheckoutLine {
            ticket_type_id: offer.ticket_type_id,
            quantity: 1,
        };
        let url = orders::checkout(
            &state,
            &buyer,
            &offer.event_id,
            &[line],
            &input,
            chrono::Utc::now(),
        )
        .await?;
        leptos_axum::redirect(&url);
        Ok(url)
    })
    .await
}

#[server]
pub async fn get_event_waitlist(event_id: String) -> Result<WaitlistData, AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::waitlist::waitlist_data(&state, &user, &event_id).await
    })
    .await
}

#[server]
pub async fn remove_waitlist_entry(event_id: String, entry_id: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::waitlist::remove_entry(&state, &user, &event_id, &entry_id).await
    })
    .await
}

/// Opens (`open` = "yes") or closes the event's waiting lists.
#[server]
pub async fn set_waitlist_open(event_id: String, open: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::waitlist::set_waitlist_enabled(
            &state,
            &user,
            &event_id,
            open == "yes",
        )
        .await
    })
    .await
}
