//! Account inputs, parsed once at the boundary: an `Email` or a `NewPassword` that exists
//! is valid.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Trims and lower-cases; accepts `local@domain.tld` without spaces or control characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        let invalid = || "Enter an email address like name@example.com.".to_owned();
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password a user chose: 8 to 128 characters, no composition rules (NIST 800-63B).
pub struct NewPassword(String);

impl NewPassword {
    pub const HINT: &'static str = "8 to 128 characters. A few words you remember work well.";

    pub fn parse(raw: String) -> Result<Self, String> {
        match raw.chars().count() {
            n if n < 8 => Err("Use at least 8 characters.".to_owned()),
            n if n > 128 => Err("Use at most 128 characters.".to_owned()),
            _ => Ok(NewPassword(raw)),
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

pub fn parse_display_name(raw: &str) -> Result<String, String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.chars().count() {
        0 => Err("Enter your name.".to_owned()),
        n if n > 100 => Err("Use at most 100 characters.".to_owned()),
        _ => Ok(name),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Organizer,
    Admin,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Organizer => "organizer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "customer" => Some(Role::Customer),
            "organizer" => Some(Role::Organizer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn can_organize(&self) -> bool {
        matches!(self, Role::Organizer | Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@ex..com",
            "ada@example.com.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_length_rules() {
        assert!(NewPassword::parse("1234567".into()).is_err());
        assert!(NewPassword::parse("12345678".into()).is_ok());
        assert!(NewPassword::parse("é".repeat(128)).is_ok());
        assert!(NewPassword::parse("x".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("secret-words".into()).unwrap()),
            "NewPassword([redacted])"
        );
    }

    #[test]
    fn names_are_trimmed() {
        assert_eq!(
            parse_display_name("  Ada   Lovelace ").unwrap(),
            "Ada Lovelace"
        );
        assert!(parse_display_name("   ").is_err());
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Customer, Role::Organizer, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert!(!Role::Customer.can_organize());
        assert!(Role::Admin.can_organize());
    }

    proptest! {
        #[test]
        fn parsed_emails_are_lowercase_and_trimmed(raw in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert_eq!(email.as_str(), email.as_str().trim());
                prop_assert_eq!(email.as_str().to_lowercase(), email.as_str());
                prop_assert_eq!(email.as_str().matches('@').count(), 1);
            }
        }
    }
}

/// The signed-in user as pages see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Unverified accounts can buy; pages remind them to confirm the address.
    pub email_verified: bool,
}

/// A user as the admin's user list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined: String,
}

/// The email outbox as the admin pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxBacklog {
    pub waiting: u64,
    pub failed: u64,
    /// When the oldest waiting email was queued (UTC), if any waits.
    pub oldest_waiting: Option<String>,
    /// False when no email provider is set up: then nothing waiting will ever leave.
    pub provider_configured: bool,
}
