//! The buyer corrects a ticket's name and answers, or the order's answers, until the event
//! starts: one transaction each, with its log row.
use super::{AnswerRecord, OrderRepo, LOG};
use crate::domain::OrderStatus;
use crate::server::db::DbError;
use crate::vars;

/// What is corrected: one ticket (by reference) with its holder's name, or the order.
pub enum Correction<'a> {
    Ticket { reference: &'a str, name: &'a str },
    Order,
}

impl OrderRepo<'_> {
    /// False when the order has no such ticket that is still valid or used.
    pub async fn correct(
        &self,
        order_id: &str,
        what: Correction<'_>,
        answers: Vec<AnswerRecord>,
        actor: &str,
    ) -> Result<bool, DbError> {
        let (change, reference, name, note) = match what {
            Correction::Ticket { reference, name } => (
                "LET $changed = (UPDATE ticket SET holder_name = $name, answers = $answers
                    WHERE purchase = $purchase AND reference = $reference AND status != 'void'
                    RETURN VALUE id);",
                Some(reference.to_owned()),
                Some(name.to_owned()),
                format!("ticket {reference}: name and answers corrected"),
            ),
            Correction::Order => (
                "LET $changed = (UPDATE $purchase SET answers = $answers, updated_at = time::now()
                    WHERE status = 'paid' RETURN VALUE id);",
                None,
                None,
                "answers corrected".to_owned(),
            ),
        };
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $order_id);
             {change}
             IF array::len($changed) = 0 {{ THROW 'nothing_to_correct' }};
             {LOG}
             COMMIT TRANSACTION;"
        );
        let outcome = self
            .0
            .execute(
                &sql,
                vars![
                    ("order_id", order_id.to_owned()),
                    ("reference", reference),
                    ("name", name),
                    ("answers", answers),
                    ("actor", actor.to_owned()),
                    ("from", OrderStatus::Paid),
                    ("to", OrderStatus::Paid),
                    ("note", Some(note))
                ],
            )
            .await;
        crate::server::db::committed_unless(outcome, "nothing_to_correct")
    }
}
