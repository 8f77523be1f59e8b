//! How the server shows times, money and places: in the event's own zone and currency.
//! Shared by the services and the email templates, so a page and an email agree.
use crate::domain::{Currency, Money};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// "Sat 14 Mar 2027, 19:00 CET" in the event's zone; UTC when the stored zone is unknown.
pub fn format_when(at: DateTime<Utc>, time_zone: &str) -> String {
    match time_zone.parse::<Tz>() {
        Ok(tz) => at
            .with_timezone(&tz)
            .format("%a %-d %b %Y, %H:%M %Z")
            .to_string(),
        Err(_) => at.format("%a %-d %b %Y, %H:%M UTC").to_string(),
    }
}

pub fn money(minor: i64, currency: &str) -> Result<Money, AppError> {
    let currency = Currency::parse(currency).map_err(AppError::internal)?;
    Ok(Money::new(minor, currency))
}

/// "Venue, address", or "Online" for an event with only a link.
pub fn place(venue: &str, address: &str, online: Option<&str>) -> String {
    match (venue.is_empty(), online) {
        (true, Some(_)) => "Online".to_owned(),
        _ if address.is_empty() => venue.to_owned(),
        _ => format!("{venue}, {address}"),
    }
}

/// "19:02 by Door 2": when (in the event's zone) and where a ticket was checked in.
pub fn checked_in_text(at: DateTime<Utc>, by: Option<&str>, time_zone: &str) -> String {
    let time = match time_zone.parse::<Tz>() {
        Ok(tz) => at.with_timezone(&tz).format("%H:%M").to_string(),
        Err(_) => at.format("%H:%M UTC").to_string(),
    };
    match by {
        Some(door) => format!("{time} by {door}"),
        None => time,
    }
}

/// RFC 3339 with the event zone's offset, as schema.org wants it.
pub fn iso_in_zone(at: DateTime<Utc>, time_zone: &str) -> String {
    match time_zone.parse::<Tz>() {
        Ok(tz) => at.with_timezone(&tz).to_rfc3339(),
        Err(_) => at.to_rfc3339(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_in_the_event_zone() {
        let at = Utc.with_ymd_and_hms(2027, 3, 13, 18, 0, 0).unwrap();
        assert_eq!(
            format_when(at, "Europe/Berlin"),
            "Sat 13 Mar 2027, 19:00 CET"
        );
        assert_eq!(format_when(at, "Not/AZone"), "Sat 13 Mar 2027, 18:00 UTC");
    }

    #[test]
    fn place_prefers_venue_and_address() {
        assert_eq!(place("Hall A", "Main St 1", None), "Hall A, Main St 1");
        assert_eq!(place("", "", Some("https://meet")), "Online");
        assert_eq!(place("Hall A", "", None), "Hall A");
    }
}
