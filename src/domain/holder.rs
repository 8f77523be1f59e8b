//! Who buys and who goes, as typed at checkout: a guest's name and email, and a holder per
//! ticket (a name, and an email to send that ticket to). Parsed once, at the edge.
use super::{parse_display_name, Email};
use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// A buyer without an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestDetails {
    pub name: String,
    pub email: Email,
}

impl GuestDetails {
    pub fn parse(name: &str, email: &str) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let name = parse_display_name(name).map_err(|m| errors.push(("guest_name", m)));
        let email = Email::parse(email).map_err(|m| errors.push(("guest_email", m)));
        match (name, email) {
            (Ok(name), Ok(email)) => Ok(Self { name, email }),
            _ => Err(AppError::Fields(
                errors
                    .into_iter()
                    .map(|(field, message)| crate::error::FieldError {
                        field: field.into(),
                        message,
                    })
                    .collect(),
            )),
        }
    }
}

/// One ticket's holder as the form sends it; blank means "the buyer" / "no email".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderIn {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    /// Answers to the questions asked per ticket (see `question::parse_answers`).
    #[serde(default)]
    pub answers: std::collections::BTreeMap<String, String>,
}

/// One ticket's holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub name: String,
    pub email: Option<Email>,
}

/// A holder for each of `tickets` tickets, in order: the name given, or the buyer's where
/// none was (a form without JavaScript has no rows); rows beyond `tickets` are ignored.
pub fn parse_holders(
    rows: &[HolderIn],
    tickets: usize,
    buyer_name: &str,
) -> Result<Vec<Holder>, AppError> {
    let empty = HolderIn::default();
    (0..tickets)
        .map(|i| {
            let row = rows.get(i).unwrap_or(&empty);
            let name = if row.name.trim().is_empty() {
                buyer_name.to_owned()
            } else {
                parse_display_name(&row.name).map_err(|m| {
                    AppError::field(
                        &format!("holders[{i}][name]"),
                        format!("Ticket {}: {m}", i + 1),
                    )
                })?
            };
            let email = match row.email.trim() {
                "" => None,
                raw => Some(Email::parse(raw).map_err(|m| {
                    AppError::field(
                        &format!("holders[{i}][email]"),
                        format!("Ticket {}: {m}", i + 1),
                    )
                })?),
            };
            Ok(Holder { name, email })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(name: &str, email: &str) -> HolderIn {
        HolderIn {
            name: name.into(),
            email: email.into(),
            answers: Default::default(),
        }
    }

    #[test]
    fn blank_rows_are_the_buyer_and_bad_emails_say_which_ticket() {
        let holders = parse_holders(
            &[row("  Ann  Lee ", "ANN@example.com"), row("", "")],
            3,
            "Bo",
        )
        .unwrap();
        assert_eq!(holders[0].name, "Ann Lee");
        assert_eq!(
            holders[0].email.as_ref().unwrap().as_str(),
            "ann@example.com"
        );
        assert_eq!(
            (holders[1].name.as_str(), holders[2].name.as_str()),
            ("Bo", "Bo")
        );
        assert!(holders[1].email.is_none());
        let error = parse_holders(&[row("Ann", "nope")], 1, "Bo").unwrap_err();
        assert_eq!(
            error.message_for("holders[0][email]").as_deref(),
            Some("Ticket 1: Enter an email address like name@example.com.")
        );
    }

    #[test]
    fn a_guest_needs_a_name_and_an_email() {
        assert!(GuestDetails::parse("Gus", "gus@example.com").is_ok());
        let error = GuestDetails::parse(" ", "gus").unwrap_err();
        assert!(error.message_for("guest_name").is_some());
        assert!(error.message_for("guest_email").is_some());
    }

    proptest! {
        /// Whatever the form sends, every ticket gets exactly one holder with a name.
        #[test]
        fn every_ticket_gets_one_named_holder(
            names in proptest::collection::vec("[a-zA-Z ]{0,12}", 0..8),
            tickets in 0usize..8,
        ) {
            let rows: Vec<HolderIn> = names.iter().map(|n| row(n, "")).collect();
            let holders = parse_holders(&rows, tickets, "Buyer").unwrap();
            prop_assert_eq!(holders.len(), tickets);
            prop_assert!(holders.iter().all(|h| !h.name.is_empty()));
        }
    }
}
