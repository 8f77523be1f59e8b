//! Door check-in as the scanner and the organizer see it.
use super::TicketStatus;
use serde::{Deserialize, Serialize};

status_enum! {
    /// What a door is told about a scan: green, amber or red.
    ScanResult {
        Admitted => "admitted",
        Duplicate => "duplicate",
        Refused => "refused",
    }
}

/// A scan as a door sends it: its own id (a repeat changes nothing), what it read (a
/// signed pass, or a code typed in), and when (RFC 3339; a queued offline scan keeps its
/// time, so the earliest admits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanIn {
    pub scan_id: String,
    pub text: String,
    #[serde(default)]
    pub scanned_at: Option<String>,
}

/// The answer for one scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInAnswer {
    pub scan_id: String,
    pub result: ScanResult,
    pub holder: Option<String>,
    pub ticket_type: Option<String>,
    /// "Welcome", "Already checked in at 19:02 by Door 2", "Refunded or cancelled".
    pub message: String,
}

/// A ticket in a door's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorTicket {
    pub code: String,
    /// A pass with an older issue number was replaced, so it is refused.
    pub issue: u16,
    pub holder: String,
    pub ticket_type: String,
    pub status: TicketStatus,
    /// "19:02 by Door 2" once checked in.
    pub checked_in: Option<String>,
}

/// Checked in of sold, per ticket type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInCount {
    pub ticket_type: String,
    pub checked_in: u32,
    pub sold: u32,
}

/// What a door needs: the event, its public keys (base64url) to verify passes, its tickets
/// and the counts so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorData {
    pub event_id: String,
    pub event_title: String,
    pub when: String,
    pub door: String,
    /// The organizer (or an admin): may take a check-in back.
    pub can_undo: bool,
    pub public_keys: Vec<(u8, String)>,
    pub tickets: Vec<DoorTicket>,
    /// Codes that must not admit: void tickets, and transferred tickets' old codes.
    pub revoked: Vec<String>,
    pub counts: Vec<CheckInCount>,
    /// Where the door asks for changes from next (RFC 3339, the server's clock).
    pub cursor: String,
}

/// What changed at an event's doors since a door last asked: tickets scanned or undone
/// elsewhere, the codes of void tickets (the revocation list) and the counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorChanges {
    pub tickets: Vec<DoorTicket>,
    pub revoked: Vec<String>,
    pub counts: Vec<CheckInCount>,
    pub cursor: String,
}

/// A ticket scanned again after it was admitted: which door tried, when, and who admitted
/// it first (a shared ticket, or two offline doors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateScan {
    pub holder: String,
    pub ticket_type: String,
    /// "19:05 by Door 3"
    pub scanned: String,
    /// "19:02 by Door 2"
    pub admitted: String,
}

/// A door of an event as its organizer manages it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorStaffRow {
    pub id: String,
    pub label: String,
    /// The account's email, or none for a device link.
    pub email: Option<String>,
    pub expires: Option<String>,
    pub active: bool,
}
