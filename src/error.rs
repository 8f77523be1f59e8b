//! The one error type that crosses the server-function boundary. Its messages are the
//! catalogue of what a user may read; internal failures carry only a reference id, and the
//! details go to the log under that id.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Validation(String),
    /// Messages for individual form fields, shown next to them.
    #[error("Please correct the highlighted fields.")]
    Fields(Vec<FieldError>),
    #[error("An account with this email already exists.")]
    EmailTaken,
    #[error("We could not find that {0}.")]
    NotFound(String),
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Something went wrong on our side (reference {0}). Please try again.")]
    Internal(String),
    #[error("Payment is unavailable right now (reference {0}). Nothing was charged and your tickets were released; please try again in a moment.")]
    PaymentUnavailable(String),
    #[error("So many people are buying right now that we could not finish. Nothing was charged; please try again.")]
    Busy,
    #[error("We could not reach TickEx. Check your connection and try again.")]
    Transport(String),
    /// Too much work is already waiting (a flood of sign-ins); nothing was done.
    #[error("TickEx is very busy right now. Please try again in a few seconds.")]
    Overloaded,
    /// Over a rate limit; the number is how many seconds to wait (also `Retry-After`).
    #[error("Too many attempts. Please wait {} and try again.", wait_text(*.0))]
    TooManyRequests(u64),
}

/// "40 seconds", or whole minutes for longer waits.
fn wait_text(secs: u64) -> String {
    if secs < 120 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", secs.div_ceil(60))
    }
}

/// One form field's problem: `field` is the input's `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Fields(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// Seconds the caller should wait before trying again (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests(secs) => Some(*secs),
            _ => None,
        }
    }

    /// The message for one form field, if this error has one.
    pub fn message_for(&self, field: &str) -> Option<String> {
        match self {
            AppError::Fields(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            AppError::EmailTaken if field == "email" => Some(self.to_string()),
            _ => None,
        }
    }

    /// Logs the real cause with a fresh reference id and returns an error that shows only the id.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let reference = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        tracing::error!(reference = %reference, error = %cause, "internal error");
        AppError::Internal(reference)
    }

    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Validation(_) | AppError::Fields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::EmailTaken => StatusCode::CONFLICT,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Internal(_) | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::PaymentUnavailable(_) | AppError::Busy | AppError::Overloaded => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Malformed arguments come from a user (or a tampered request), never a crash.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::Validation("Some of the form fields were missing or invalid.".into())
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_error_shows_only_a_reference() {
        let shown = AppError::Internal("ab12cd34".into()).to_string();
        assert!(shown.contains("ab12cd34"));
        assert!(!shown.to_lowercase().contains("surreal"));
    }

    #[test]
    fn argument_errors_become_validation_messages() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("bad json".into()));
        assert!(matches!(err, AppError::Validation(_)));
        assert_eq!(err.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
    }
}
