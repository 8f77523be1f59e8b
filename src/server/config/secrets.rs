//! The settings that hold secrets: read only from the environment, and their `Debug`
//! never prints the secret.
use super::ConfigError;

/// Credentials for a SurrealDB server; only from the environment.
#[derive(Clone)]
pub struct DbCredentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for DbCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbCredentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// Google's client credentials and issuer; present only when configured.
#[derive(Clone)]
pub struct GoogleSettings {
    pub client_id: String,
    pub client_secret: String,
    pub issuer_url: String,
}

impl std::fmt::Debug for GoogleSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("issuer_url", &self.issuer_url)
            .finish()
    }
}

/// Cloudinary credentials from `TICKEX_CLOUDINARY_URL` (`cloudinary://key:secret@cloud`).
#[derive(Clone)]
pub struct CloudinarySettings {
    pub api_key: String,
    pub api_secret: String,
    pub cloud_name: String,
    /// `https://api.cloudinary.com`, or a local double in tests.
    pub api_base: String,
}

impl std::fmt::Debug for CloudinarySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudinarySettings")
            .field("api_key", &self.api_key)
            .field("api_secret", &"[redacted]")
            .field("cloud_name", &self.cloud_name)
            .field("api_base", &self.api_base)
            .finish()
    }
}

impl CloudinarySettings {
    pub(super) fn parse(url: &str, api_base: String) -> Result<Self, ConfigError> {
        let invalid = || {
            ConfigError::invalid(
                "TICKEX_CLOUDINARY_URL",
                "expected cloudinary://api_key:api_secret@cloud_name",
            )
        };
        let rest = url
            .trim()
            .strip_prefix("cloudinary://")
            .ok_or_else(invalid)?;
        let (credentials, cloud_name) = rest.rsplit_once('@').ok_or_else(invalid)?;
        let (api_key, api_secret) = credentials.split_once(':').ok_or_else(invalid)?;
        let parts_ok = [api_key, api_secret, cloud_name]
            .iter()
            .all(|p| !p.is_empty() && !p.contains(['/', '?', '#', ' ']));
        if !parts_ok {
            return Err(invalid());
        }
        Ok(CloudinarySettings {
            api_key: api_key.to_owned(),
            api_secret: api_secret.to_owned(),
            cloud_name: cloud_name.to_owned(),
            api_base,
        })
    }
}

/// Stripe keys; without them the demo gateway takes payments.
#[derive(Clone)]
pub struct StripeSettings {
    pub secret_key: String,
    pub webhook_secret: String,
    /// `https://api.stripe.com`, or a local double in tests.
    pub api_base: String,
}

impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSettings")
            .field("secret_key", &"[redacted]")
            .field("webhook_secret", &"[redacted]")
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// Resend's API key; without it emails go to the dev mailbox.
#[derive(Clone)]
pub struct ResendSettings {
    pub api_key: String,
    /// `https://api.resend.com`, or a local double in tests.
    pub api_base: String,
    /// The signing secret of Resend's delivery webhooks (`whsec_<base64>`); without it the
    /// webhook endpoint answers 404.
    pub webhook_secret: Option<String>,
}

/// The HMAC key inside a Standard Webhooks (Svix) signing secret `whsec_<base64>`.
pub fn signing_key(secret: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let encoded = secret.strip_prefix("whsec_")?;
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .filter(|key| !key.is_empty())
}

impl std::fmt::Debug for ResendSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResendSettings")
            .field("api_key", &"[redacted]")
            .field("api_base", &self.api_base)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}
