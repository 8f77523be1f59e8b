//! Resend's HTTP API (`POST /emails`), with an `Idempotency-Key` so a retried or duplicated
//! send is delivered once.
use super::{Email, MailFuture, Mailer, SendError};
use crate::server::config::ResendSettings;
use base64::Engine;
use serde::Serialize;

pub struct ResendMailer {
    http: reqwest::Client,
    api_key: String,
    endpoint: String,
    from: String,
}

/// Resend's attachment: base64 content, its type, and a content id when inline.
#[derive(Serialize)]
struct Attachment<'a> {
    filename: &'a str,
    content: String,
    content_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_id: Option<&'a str>,
}

#[derive(Serialize)]
struct Payload<'a> {
    from: &'a str,
    to: [&'a str; 1],
    subject: &'a str,
    html: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
}

#[derive(serde::Deserialize)]
struct Sent {
    id: String,
}

impl ResendMailer {
    pub fn new(settings: &ResendSettings, from: &str) -> Self {
        ResendMailer {
            http: reqwest::Client::builder()
                .user_agent(crate::server::config::USER_AGENT)
                .timeout(std::time::Duration::from_secs(20))
                .build()
                .unwrap_or_default(),
            api_key: settings.api_key.clone(),
            endpoint: format!("{}/emails", settings.api_base),
            from: from.to_owned(),
        }
    }
}

impl Mailer for ResendMailer {
    fn delivers(&self) -> bool {
        true
    }

    fn send<'a>(&'a self, email: &'a Email, idempotency_key: &'a str) -> MailFuture<'a> {
        Box::pin(async move {
            let payload = Payload {
                from: &self.from,
                to: [&email.to],
                subject: &email.subject,
                html: &email.html,
                text: &email.text,
                attachments: email
                    .attachments
                    .iter()
                    .map(|file| Attachment {
                        filename: &file.filename,
                        content: base64::engine::general_purpose::STANDARD.encode(&file.content),
                        content_type: file.content_type,
                        content_id: file.content_id.as_deref(),
                    })
                    .collect(),
            };
            let response = self
                .http
                .post(&self.endpoint)
                .bearer_auth(&self.api_key)
                .header("Idempotency-Key", idempotency_key)
                .json(&payload)
                .send()
                .await
                .map_err(|e| SendError::Retryable(format!("Resend unreachable: {e}")))?;
            let status = response.status();
            if status.is_success() {
                // `{"id": "<email id>"}`: the delivery webhooks name the email by it.
                let sent = response.json::<Sent>().await.ok();
                return Ok(sent.map(|s| s.id));
            }
            if status.as_u16() == 429 {
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(std::time::Duration::from_secs);
                return Err(SendError::Throttled(retry_after));
            }
            let body = response.text().await.unwrap_or_default();
            let reason = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                .unwrap_or_else(|| body.chars().take(200).collect());
            let reason = format!("HTTP {}: {reason}", status.as_u16());
            if status.is_server_error() {
                Err(SendError::Retryable(reason))
            } else {
                Err(SendError::Permanent(reason))
            }
        })
    }
}
