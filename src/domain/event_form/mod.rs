//! The create/edit event form: what the browser sends, and (on the server) its validation
//! into typed values. Field names here are the form's input names, so a field error lands
//! next to its input; ticket fields carry their row index (`ticket_price.1`).
use serde::{Deserialize, Serialize};

pub const MAX_TICKET_TYPES: usize = 20;
/// The largest image upload accepted, checked in the browser first and on the server always.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// The raw form, exactly as typed. Dates are `YYYY-MM-DDTHH:MM` in the event's zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventForm {
    pub title: String,
    pub description: String,
    pub time_zone: String,
    pub starts_at: String,
    pub ends_at: String,
    pub venue: String,
    pub address: String,
    pub online_url: String,
    pub currency: String,
    pub tickets: Vec<TicketForm>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketForm {
    /// Empty for a ticket type added in this form.
    pub id: String,
    pub name: String,
    pub description: String,
    pub price: String,
    pub capacity: String,
    pub min_per_order: String,
    pub max_per_order: String,
    pub sale_starts_at: String,
    pub sale_ends_at: String,
}

impl Default for TicketForm {
    fn default() -> Self {
        TicketForm {
            id: String::new(),
            name: String::new(),
            description: String::new(),
            price: String::new(),
            capacity: String::new(),
            min_per_order: "1".into(),
            max_per_order: "10".into(),
            sale_starts_at: String::new(),
            sale_ends_at: String::new(),
        }
    }
}

impl TicketForm {
    /// A row left empty in the form; validation skips it.
    #[cfg(feature = "ssr")]
    fn is_blank(&self) -> bool {
        [&self.id, &self.name, &self.price, &self.capacity]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

/// Builds an [`EventForm`] from name/value pairs in document order; the n-th value of a
/// ticket field belongs to the n-th ticket row.
#[derive(Debug, Default)]
pub struct EventFormBuilder {
    form: EventForm,
    ticket_counts: std::collections::HashMap<&'static str, usize>,
}

impl EventFormBuilder {
    /// Returns false for a name the form does not have.
    pub fn push(&mut self, name: &str, value: String) -> bool {
        let form = &mut self.form;
        let slot = match name {
            "title" => &mut form.title,
            "description" => &mut form.description,
            "time_zone" => &mut form.time_zone,
            "starts_at" => &mut form.starts_at,
            "ends_at" => &mut form.ends_at,
            "venue" => &mut form.venue,
            "address" => &mut form.address,
            "online_url" => &mut form.online_url,
            "currency" => &mut form.currency,
            _ => return self.push_ticket(name, value),
        };
        *slot = value;
        true
    }

    fn push_ticket(&mut self, name: &str, value: String) -> bool {
        let (key, get): (&'static str, fn(&mut TicketForm) -> &mut String) = match name {
            "ticket_id" => ("ticket_id", |t| &mut t.id),
            "ticket_name" => ("ticket_name", |t| &mut t.name),
            "ticket_description" => ("ticket_description", |t| &mut t.description),
            "ticket_price" => ("ticket_price", |t| &mut t.price),
            "ticket_capacity" => ("ticket_capacity", |t| &mut t.capacity),
            "ticket_min" => ("ticket_min", |t| &mut t.min_per_order),
            "ticket_max" => ("ticket_max", |t| &mut t.max_per_order),
            "ticket_sale_starts" => ("ticket_sale_starts", |t| &mut t.sale_starts_at),
            "ticket_sale_ends" => ("ticket_sale_ends", |t| &mut t.sale_ends_at),
            _ => return false,
        };
        let index = self.ticket_counts.entry(key).or_default();
        // A form with more rows than we accept is refused by validation, not by memory.
        if *index > MAX_TICKET_TYPES {
            return true;
        }
        if self.form.tickets.len() <= *index {
            self.form
                .tickets
                .resize_with(*index + 1, TicketForm::default);
        }
        *get(&mut self.form.tickets[*index]) = value;
        *index += 1;
        true
    }

    pub fn finish(self) -> EventForm {
        self.form
    }
}

/// Which wizard step holds a field, so an error can bring the user back to it.
pub fn step_of_field(field: &str) -> usize {
    match field.split('.').next().unwrap_or(field) {
        "title" | "description" | "currency" => 0,
        "time_zone" | "starts_at" | "ends_at" | "venue" | "address" | "online_url" => 1,
        "image" => 3,
        _ if field.starts_with("ticket") => 2,
        _ => 4,
    }
}

#[cfg(feature = "ssr")]
pub(crate) use validate::parse_local_time;
#[cfg(feature = "ssr")]
pub use validate::{validate, Mode, ValidEvent, ValidTicket};

#[cfg(feature = "ssr")]
mod validate;

#[cfg(all(test, feature = "ssr"))]
mod tests;
