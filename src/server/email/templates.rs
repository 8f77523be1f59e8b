//! Email bodies: table layout with inline styles (what mail clients render reliably) and a
//! plain-text part. Every piece of user-provided text goes through `escape`.
use super::{Attachment, Email};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

pub struct TicketLine {
    pub reference: String,
    pub type_name: String,
    /// What the QR code encodes: the ticket's signed pass.
    pub code: String,
}

pub struct TicketEmail {
    pub to: String,
    pub buyer_name: String,
    pub event_title: String,
    pub when: String,
    pub place: String,
    pub online_url: Option<String>,
    pub order_reference: String,
    /// "2 × Standard", "€25.00"; none in one attendee's own ticket email.
    pub lines: Vec<(String, String)>,
    pub total: Option<String>,
    pub tickets: Vec<TicketLine>,
    pub my_tickets_url: String,
}

fn qr_png(code: &str) -> Vec<u8> {
    let Ok(qr) = qrcode::QrCode::new(code.as_bytes()) else {
        return Vec::new();
    };
    let image = qr
        .render::<image::Luma<u8>>()
        .min_dimensions(200, 200)
        .build();
    let mut png = std::io::Cursor::new(Vec::new());
    match image.write_to(&mut png, image::ImageFormat::Png) {
        Ok(()) => png.into_inner(),
        Err(_) => Vec::new(),
    }
}

const CELL: &str =
    "padding:8px 0;font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#1c1b29;";

pub fn ticket_email(data: &TicketEmail) -> Email {
    let subject = format!("Your tickets for {}", data.event_title);
    let images: Vec<Attachment> = data
        .tickets
        .iter()
        .map(|t| Attachment {
            filename: format!("ticket-{}.png", t.reference),
            content_type: "image/png",
            content: qr_png(&t.code),
            content_id: Some(format!("qr-{}", t.reference)),
        })
        .collect();
    let online = data
        .online_url
        .as_ref()
        .map(|url| {
            format!(
                r#"<br><a href="{0}" style="color:#4338ca;">{0}</a>"#,
                escape(url)
            )
        })
        .unwrap_or_default();
    let lines: String = data
        .lines
        .iter()
        .map(|(what, amount)| {
            format!(
                r#"<tr><td style="{CELL}">{}</td><td style="{CELL}text-align:right;">{}</td></tr>"#,
                escape(what),
                escape(amount)
            )
        })
        .collect();
    let tickets: String = data
        .tickets
        .iter()
        .map(|t| {
            format!(
                r#"<tr><td style="padding:16px 0;border-top:1px solid #e2e1ec;">
<img src="cid:qr-{reference}" width="160" height="160" alt="QR code of ticket {reference}" style="display:block;">
</td><td style="{CELL}padding-left:16px;border-top:1px solid #e2e1ec;"><strong>{type_name}</strong><br>
<span style="font-family:Menlo,Consolas,monospace;letter-spacing:1px;">{reference}</span></td></tr>"#,
                reference = escape(&t.reference),
                type_name = escape(&t.type_name),
            )
        })
        .collect();
    let html = card(&format!(
        r#"<tr><td colspan="2" style="{CELL}font-size:13px;color:#5b5a6e;">Order {reference}</td></tr>
<tr><td colspan="2" style="{CELL}font-size:22px;font-weight:bold;">{title}</td></tr>
<tr><td colspan="2" style="{CELL}">Hi {name}, you're going! {when}<br>{place}{online}</td></tr>
{lines}
{total}
{tickets}
{button}"#,
        reference = escape(&data.order_reference),
        title = escape(&data.event_title),
        name = escape(&data.buyer_name),
        when = escape(&data.when),
        place = escape(&data.place),
        total = data.total.as_ref().map(|total| format!(
            r#"<tr><td style="{CELL}font-weight:bold;">Total</td><td style="{CELL}text-align:right;font-weight:bold;">{}</td></tr>"#,
            escape(total)
        )).unwrap_or_default(),
        button = button_row(&data.my_tickets_url, "See your tickets on TickEx"),
    ));
    let mut text = format!(
        "Hi {}, you're going!\n\n{}\n{}\n{}\n{}\nOrder {}\n\n",
        data.buyer_name,
        data.event_title,
        data.when,
        data.place,
        data.online_url.clone().unwrap_or_default(),
        data.order_reference
    );
    for (what, amount) in &data.lines {
        text.push_str(&format!("{what}: {amount}\n"));
    }
    if let Some(total) = &data.total {
        text.push_str(&format!("Total: {total}\n"));
    }
    text.push_str("\nTickets:\n");
    for t in &data.tickets {
        text.push_str(&format!("- {} {}\n", t.type_name, t.reference));
    }
    text.push_str(&format!(
        "\nShow the QR codes at the door: {}\n",
        data.my_tickets_url
    ));
    Email {
        to: data.to.clone(),
        subject,
        html,
        text,
        attachments: images,
    }
}

pub fn password_reset_email(to: &str, name: &str, link: &str) -> Email {
    link_email(LinkEmail {
        to,
        name,
        link,
        subject: "Reset your TickEx password",
        why: "Someone asked to reset the password of your TickEx account. If it was you, choose a new one within the next hour:",
        button: "Choose a new password",
        otherwise: "If it was not you, ignore this email; your password stays as it is.",
    })
}

pub fn verification_email(to: &str, name: &str, link: &str) -> Email {
    link_email(LinkEmail {
        to,
        name,
        link,
        subject: "Confirm your email for TickEx",
        why: "Please confirm that this is your email address for your new TickEx account (the link works for 48 hours):",
        button: "Confirm my email",
        otherwise: "If you did not create an account, ignore this email.",
    })
}

/// An account email whose whole point is one link.
struct LinkEmail<'a> {
    to: &'a str,
    name: &'a str,
    link: &'a str,
    subject: &'a str,
    why: &'a str,
    button: &'a str,
    otherwise: &'a str,
}

fn link_email(mail: LinkEmail<'_>) -> Email {
    let LinkEmail {
        to,
        name,
        link,
        subject,
        why,
        button,
        otherwise,
    } = mail;
    let html = card(&format!(
        r#"<tr><td style="{CELL}">Hi {name},</td></tr>
<tr><td style="{CELL}">{why}</td></tr>
{button}
<tr><td style="{CELL}font-size:13px;color:#5b5a6e;">{otherwise}</td></tr>"#,
        name = escape(name),
        button = button_row(link, button),
    ));
    let text = format!("Hi {name},\n\n{why}\n{link}\n\n{otherwise}\n");
    Email {
        to: to.to_owned(),
        subject: subject.into(),
        html,
        text,
        attachments: Vec::new(),
    }
}

/// The frame every email shares: a white card on a grey page; `rows` are table rows.
fn card(rows: &str) -> String {
    format!(
        r#"<!doctype html><html><body style="margin:0;background:#f7f7fb;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f7f7fb;"><tr><td align="center" style="padding:24px;">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:12px;padding:24px;">
{rows}
</table></td></tr></table></body></html>"#
    )
}

/// The email's one call to action.
fn button_row(url: &str, label: &str) -> String {
    format!(
        r#"<tr><td colspan="2" style="{CELL}padding-top:24px;"><a href="{url}" style="background:#4338ca;color:#ffffff;padding:10px 16px;border-radius:8px;text-decoration:none;">{label}</a></td></tr>"#,
        url = escape(url),
        label = escape(label),
    )
}

/// An email about an order or its event (refunded, cancelled, moved), in the ticket
/// email's look: what happened in a few sentences, then the facts.
pub struct NoticeEmail {
    pub to: String,
    pub subject: String,
    /// "Order TX-ABCD-EFGH".
    pub kicker: String,
    pub title: String,
    pub paragraphs: Vec<String>,
    /// Label and value rows ("Refund", "€25.00").
    pub details: Vec<(String, String)>,
    /// The button's label and where it leads.
    pub button: (String, String),
    pub attachments: Vec<Attachment>,
}

pub fn notice_email(data: NoticeEmail) -> Email {
    let paragraphs: String = data
        .paragraphs
        .iter()
        .map(|p| {
            format!(
                r#"<tr><td colspan="2" style="{CELL}">{}</td></tr>"#,
                escape(p)
            )
        })
        .collect();
    let details: String = data
        .details
        .iter()
        .map(|(label, value)| {
            format!(
                r#"<tr><td style="{CELL}font-weight:bold;">{}</td><td style="{CELL}text-align:right;">{}</td></tr>"#,
                escape(label),
                escape(value)
            )
        })
        .collect();
    let html = card(&format!(
        r#"<tr><td colspan="2" style="{CELL}font-size:13px;color:#5b5a6e;">{kicker}</td></tr>
<tr><td colspan="2" style="{CELL}font-size:22px;font-weight:bold;">{title}</td></tr>
{paragraphs}
{details}
{button}"#,
        kicker = escape(&data.kicker),
        title = escape(&data.title),
        button = button_row(&data.button.1, &data.button.0),
    ));
    let mut text = format!("{}\n{}\n\n", data.title, data.kicker);
    for p in &data.paragraphs {
        text.push_str(&format!("{p}\n\n"));
    }
    for (label, value) in &data.details {
        text.push_str(&format!("{label}: {value}\n"));
    }
    text.push_str(&format!("\n{}: {}\n", data.button.0, data.button.1));
    Email {
        to: data.to,
        subject: data.subject,
        html,
        text,
        attachments: data.attachments,
    }
}

/// Plain text as HTML: escaped, line breaks kept, web addresses as links.
pub fn text_as_html(text: &str) -> String {
    use crate::domain::rich_text::{inlines, Inline};
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            inlines(line)
                .into_iter()
                .map(|piece| match piece {
                    Inline::Text(t) => escape(&t),
                    Inline::Link(url) => {
                        let url = escape(&url);
                        format!(r#"<a href="{url}">{url}</a>"#)
                    }
                })
                .collect()
        })
        .collect();
    format!(
        r#"<p style="font-family:Arial,Helvetica,sans-serif;">{}</p>"#,
        lines.join("<br>")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> TicketEmail {
        TicketEmail {
            to: "a@example.com".into(),
            buyer_name: name.into(),
            event_title: "Jazz & <Blues>".into(),
            when: "Sat 13 Mar 2027, 19:00 CET".into(),
            place: "Hall A".into(),
            online_url: None,
            order_reference: "TX-ABCD-EFGH".into(),
            lines: vec![("2 × Standard".into(), "€25.00".into())],
            total: Some("€25.00".into()),
            tickets: vec![
                TicketLine {
                    reference: "T-1111-2222".into(),
                    type_name: "Standard".into(),
                    code: "C".repeat(32),
                },
                TicketLine {
                    reference: "T-3333-4444".into(),
                    type_name: "Standard".into(),
                    code: "D".repeat(32),
                },
            ],
            my_tickets_url: "https://tickex.example/tickets".into(),
        }
    }

    #[test]
    fn user_text_is_escaped_and_every_ticket_is_listed() {
        let email = ticket_email(&sample("<script>x</script>"));
        assert!(!email.html.contains("<script>"));
        assert!(email.html.contains("&lt;script&gt;"));
        assert!(email.html.contains("Jazz &amp; &lt;Blues&gt;"));
        for reference in ["T-1111-2222", "T-3333-4444"] {
            assert!(email.html.contains(&format!("cid:qr-{reference}")));
            assert!(email.text.contains(reference));
        }
        assert_eq!(email.attachments.len(), 2);
        assert!(email
            .attachments
            .iter()
            .all(|i| i.content.starts_with(b"\x89PNG")));
    }
}
