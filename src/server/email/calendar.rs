//! A calendar entry (iCalendar, RFC 5545) for an event, attached to the emails that tell
//! buyers when and where it is: text escaped, lines folded at 75 octets, CRLF endings.
use chrono::{DateTime, Utc};

/// What the entry says about the event.
pub struct CalendarEvent<'a> {
    /// Stable across changes, so a calendar updates its entry instead of adding one.
    pub uid: &'a str,
    /// Grows with every change (a newer entry replaces an older one).
    pub sequence: i64,
    pub title: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: &'a str,
    pub url: &'a str,
}

/// The `.ics` file for one event.
pub fn event_ics(event: &CalendarEvent<'_>, now: DateTime<Utc>) -> String {
    let stamp = |at: DateTime<Utc>| at.format("%Y%m%dT%H%M%SZ").to_string();
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//TickEx//Tickets//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape(event.uid)),
        format!("SEQUENCE:{}", event.sequence.max(0)),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(event.starts_at)),
        format!("DTEND:{}", stamp(event.ends_at)),
        format!("SUMMARY:{}", escape(event.title)),
        format!("LOCATION:{}", escape(event.location)),
        format!("URL:{}", event.url),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines.iter().map(|line| fold(line) + "\r\n").collect()
}

/// TEXT values: backslash, semicolon, comma and line breaks escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(ch),
        }
    }
    out
}

/// Folds a content line into pieces of at most 75 octets, never inside a character; each
/// continuation starts with a space.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut used = 0;
    for ch in line.chars() {
        if used + ch.len_utf8() > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(ch);
        used += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(title: &str) -> String {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        event_ics(
            &CalendarEvent {
                uid: "ev1@tickex",
                sequence: 3,
                title,
                starts_at: at("2027-03-13T18:00:00Z"),
                ends_at: at("2027-03-13T21:30:00Z"),
                location: "Hall A, Main St. 1; Berlin",
                url: "https://tickex.example/events/jazz",
            },
            at("2026-12-04T10:00:00Z"),
        )
    }

    #[test]
    fn an_entry_has_the_times_in_utc_and_escaped_text() {
        let ics = sample("Jazz, Blues; and \\ more");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.contains("\r\nDTSTART:20270313T180000Z\r\n"));
        assert!(ics.contains("\r\nDTEND:20270313T213000Z\r\n"));
        assert!(ics.contains("\r\nSUMMARY:Jazz\\, Blues\\; and \\\\ more\r\n"));
        assert!(ics.contains("\r\nLOCATION:Hall A\\, Main St. 1\\; Berlin\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:3\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    proptest! {
        /// However long or multilingual the title, no line is over 75 octets and unfolding
        /// gives the escaped title back.
        #[test]
        fn lines_are_folded_and_unfold_to_the_text(title in "[a-zA-Zé€😀 ,;]{0,200}") {
            let ics = sample(&title);
            prop_assert!(ics.split("\r\n").all(|line| line.len() <= 75));
            let unfolded = ics.replace("\r\n ", "");
            let expected = format!("\r\nSUMMARY:{}\r\n", escape(&title));
            prop_assert!(unfolded.contains(&expected));
        }
    }
}
