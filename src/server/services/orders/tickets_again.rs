//! An order's ticket email sent again: by its buyer or its organizer, or by the organizer
//! to a corrected address after a bounce. At most once of each in any ten minutes.
use super::{managed, order_if};
use crate::domain::{Email, OrderStatus};
use crate::error::AppError;
use crate::server::auth::guard::may_manage;
use crate::server::auth::session::CurrentUser;
use crate::server::auth::session::{new_token, session_key};
use crate::server::db::orders::{OrderRecord, OrderRepo, SendAgain, TOO_SOON, WRONG_STATUS};
use crate::server::db::DbError;
use crate::server::state::AppState;
use chrono::{DateTime, Utc};

/// Sends an order's ticket email again: for its buyer, or the event's organizer.
pub async fn resend_tickets(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let order = order_if(&state.db, order_id, |o| {
        o.buyer.as_deref() == Some(user.id.as_str()) || may_manage(user, &o.event_organizer)
    })
    .await?;
    require_paid(&order)?;
    let link_key = new_token();
    let queued = OrderRepo(&state.db)
        .send_tickets_again(
            order_id,
            &order.buyer_email,
            (&link_key, &session_key(&link_key)),
            SendAgain::Resend,
            &user.actor(),
            now,
        )
        .await;
    queued_once(
        queued,
        "The tickets were sent again a moment ago. Please check your inbox (and spam folder) and try later.",
    )?;
    tracing::info!(order = order_id, by = %user.id, "ticket email queued again");
    Ok(())
}

/// The organizer sends a paid order's tickets to a corrected address (the ticket email
/// bounced); the order log says who sent them where.
pub async fn send_tickets_to(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
    to: &Email,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let order = managed(&state.db, user, order_id).await?;
    require_paid(&order)?;
    let link_key = new_token();
    let queued = OrderRepo(&state.db)
        .send_tickets_again(
            order_id,
            to.as_str(),
            (&link_key, &session_key(&link_key)),
            SendAgain::Corrected,
            &user.actor(),
            now,
        )
        .await;
    queued_once(
        queued,
        "The tickets were sent to a corrected address a moment ago; please wait ten minutes before sending them again.",
    )?;
    tracing::info!(order = order_id, by = %user.id, "ticket email sent to a corrected address");
    Ok(())
}

fn require_paid(order: &OrderRecord) -> Result<(), AppError> {
    if order.status == OrderStatus::Paid {
        Ok(())
    } else {
        Err(AppError::Validation(
            "Only a paid order has tickets to send.".into(),
        ))
    }
}

/// A queued resend, or `too_soon` when one was queued in the last ten minutes; an order
/// refunded meanwhile (the transaction's guard) is no longer paid.
fn queued_once(queued: Result<(), DbError>, too_soon: &str) -> Result<(), AppError> {
    match queued {
        Ok(()) => Ok(()),
        Err(DbError::Duplicate(_)) => Err(AppError::Validation(too_soon.into())),
        Err(DbError::Rejected(code)) if code == TOO_SOON => {
            Err(AppError::Validation(too_soon.into()))
        }
        Err(DbError::Rejected(code)) if code == WRONG_STATUS => Err(AppError::Validation(
            "Only a paid order has tickets to send.".into(),
        )),
        Err(e) => Err(AppError::internal(e)),
    }
}
