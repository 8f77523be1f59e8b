//! Email: a `Mailer` (Resend, or the dev mailbox), the templates, and the outbox worker that
//! sends what the database has queued.
pub mod calendar;
mod dev;
mod notices;
pub mod outbox;
mod resend;
pub mod templates;
pub mod webhook;

pub use dev::DevMailbox;
pub use resend::ResendMailer;

use crate::server::config::Settings;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A send's outcome: the provider's id for the email (its delivery webhooks name it), if any.
pub type MailFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<String>, SendError>> + Send + 'a>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try later: 5xx, a timeout, no connection.
    #[error("temporary: {0}")]
    Retryable(String),
    /// The provider refused this email; trying again will not help.
    #[error("refused: {0}")]
    Permanent(String),
    /// Over the provider's rate limit (429): nothing is wrong with the email; wait this long
    /// (its `retry-after`) before sending anything more.
    #[error("rate limited by the provider")]
    Throttled(Option<std::time::Duration>),
}

/// A file sent with an email: an inline image the HTML shows as `cid:<content_id>`, or a
/// file to open (a calendar entry).
#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: &'static str,
    pub content: Vec<u8>,
    pub content_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
}

pub trait Mailer: Send + Sync {
    /// False for the dev mailbox: nothing leaves the machine.
    fn delivers(&self) -> bool;
    /// Sends once per `idempotency_key`, however often it is called.
    fn send<'a>(&'a self, email: &'a Email, idempotency_key: &'a str) -> MailFuture<'a>;
}

pub fn from_settings(settings: &Settings) -> Arc<dyn Mailer> {
    match &settings.resend {
        Some(resend) => Arc::new(ResendMailer::new(resend, &settings.email_from)),
        None => Arc::new(DevMailbox),
    }
}
