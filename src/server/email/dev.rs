//! Without an email provider, mail stays in the outbox (readable at `/dev/mailbox`) and
//! is noted in the log.
use super::{Email, MailFuture, Mailer};

pub struct DevMailbox;

impl Mailer for DevMailbox {
    fn delivers(&self) -> bool {
        false
    }

    fn send<'a>(&'a self, email: &'a Email, idempotency_key: &'a str) -> MailFuture<'a> {
        Box::pin(async move {
            tracing::info!(
                subject = %email.subject,
                key = idempotency_key,
                "email kept in the dev mailbox (/dev/mailbox); no provider configured"
            );
            Ok(None)
        })
    }
}
