//! Demo data so a newcomer sees a living site: an organizer, a customer and a few upcoming
//! events. Runs only on an empty database and only in demo mode; the unique email index
//! makes a concurrent second run a no-op.
use crate::domain::{slugify, EventStatus};
use crate::server::auth::password::hash_password;
use crate::server::db::{Db, DbError, EventRepo, NewUser, UserRepo};
use crate::server::db::{EventWrite, TicketTypeWrite};
use crate::server::storage::{self, ImageStore, StoredImage};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

pub const ORGANIZER_EMAIL: &str = "organizer@demo.tickex.test";
pub const CUSTOMER_EMAIL: &str = "customer@demo.tickex.test";
pub const DEMO_PASSWORD: &str = "tickex-demo";

struct DemoEvent {
    title: &'static str,
    description: &'static str,
    days_ahead: i64,
    hour: u32,
    hours_long: i64,
    time_zone: &'static str,
    venue: &'static str,
    address: &'static str,
    currency: &'static str,
    tickets: &'static [(&'static str, i64, i64)],
    /// The two colours of its generated cover image.
    colours: ([u8; 3], [u8; 3]),
}

const EVENTS: &[DemoEvent] = &[
    DemoEvent {
        title: "Rust Nation Meetup: Async in Production",
        description: "Three short talks on running async Rust in production, then pizza.\n\nDoors open 30 minutes before the first talk. Slides: https://example.com/rust-nation",
        days_ahead: 12,
        hour: 18,
        hours_long: 3,
        time_zone: "Europe/London",
        venue: "The Engine Shed",
        address: "12 Canal Street, London",
        currency: "GBP",
        tickets: &[("Standard", 1500, 120), ("Student", 500, 30)],
        colours: ([183, 65, 14], [30, 30, 60]),
    },
    DemoEvent {
        title: "Berlin Jazz Nights",
        description: "An evening of modern jazz with the Lena Vogt Quartet.\n\nSeating is unreserved.",
        days_ahead: 20,
        hour: 20,
        hours_long: 3,
        time_zone: "Europe/Berlin",
        venue: "Kesselhaus",
        address: "Knaackstraße 97, Berlin",
        currency: "EUR",
        tickets: &[("Early bird", 1900, 50), ("Regular", 2500, 200), ("VIP table", 7500, 10)],
        colours: ([67, 56, 202], [236, 72, 153]),
    },
    DemoEvent {
        title: "Open Source Design Workshop",
        description: "A hands-on day on design for open-source maintainers. Bring a laptop.",
        days_ahead: 35,
        hour: 9,
        hours_long: 8,
        time_zone: "America/New_York",
        venue: "Hudson Loft",
        address: "401 W 14th St, New York",
        currency: "USD",
        tickets: &[("Workshop seat", 4900, 40), ("Community (free)", 0, 15)],
        colours: ([6, 118, 71], [250, 204, 21]),
    },
];

fn starts_at(days_ahead: i64, hour: u32, zone: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let tz: Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let day = (now + Duration::days(days_ahead))
        .with_timezone(&tz)
        .date_naive();
    let local = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default());
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| now + Duration::days(days_ahead))
}

/// A diagonal two-colour gradient, stored through the same checks as an upload.
async fn cover(images: &dyn ImageStore, (from, to): ([u8; 3], [u8; 3])) -> Option<StoredImage> {
    let png = tokio::task::spawn_blocking(move || {
        let (width, height) = (1600_u32, 900_u32);
        let gradient = image::RgbImage::from_fn(width, height, |x, y| {
            let t = (x + y) as f32 / (width + height) as f32;
            let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t) as u8;
            image::Rgb([
                mix(from[0], to[0]),
                mix(from[1], to[1]),
                mix(from[2], to[2]),
            ])
        });
        let mut png = std::io::Cursor::new(Vec::new());
        gradient.write_to(&mut png, image::ImageFormat::Png).ok()?;
        storage::image::prepare(png.get_ref()).ok()
    })
    .await
    .ok()
    .flatten()?;
    match storage::store(images, &png).await {
        Ok(stored) => Some(stored),
        Err(e) => {
            tracing::warn!(error = %e, "demo cover image not stored");
            None
        }
    }
}

/// Seeds once; returns whether anything was created.
pub async fn seed(db: &Db, images: &dyn ImageStore, now: DateTime<Utc>) -> Result<bool, DbError> {
    if UserRepo(db).find_by_email(ORGANIZER_EMAIL).await?.is_some() {
        return Ok(false);
    }
    let hash = |p: &str| {
        let p = p.to_owned();
        async move {
            hash_password(p)
                .await
                .map_err(|e| DbError::Query(e.to_string()))
        }
    };
    let organizer = match UserRepo(db)
        .create(NewUser {
            name: "Demo Organizer".into(),
            email: ORGANIZER_EMAIL.into(),
            password_hash: Some(hash(DEMO_PASSWORD).await?),
            role: "organizer",
            email_verified: true,
        })
        .await
    {
        Ok(id) => id,
        // Another instance seeded at the same moment.
        Err(DbError::Duplicate(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    UserRepo(db)
        .create(NewUser {
            name: "Demo Customer".into(),
            email: CUSTOMER_EMAIL.into(),
            password_hash: Some(hash(DEMO_PASSWORD).await?),
            role: "customer",
            email_verified: true,
        })
        .await?;
    for demo in EVENTS {
        let start = starts_at(demo.days_ahead, demo.hour, demo.time_zone, now);
        let year = start.year();
        let cover = cover(images, demo.colours).await;
        let write = EventWrite {
            title: demo.title.into(),
            slug: slugify(&format!("{} {year}", demo.title)),
            description: demo.description.into(),
            starts_at: start,
            ends_at: start + Duration::hours(demo.hours_long),
            time_zone: demo.time_zone.into(),
            venue: demo.venue.into(),
            address: demo.address.into(),
            online_url: None,
            image_url: cover.as_ref().map(|c| c.cover_url.clone()),
            thumb_url: cover.as_ref().map(|c| c.thumb_url.clone()),
            currency: demo.currency.into(),
            ticket_types: demo
                .tickets
                .iter()
                .map(|(name, price, capacity)| TicketTypeWrite {
                    id: None,
                    name: (*name).into(),
                    description: None,
                    price_minor: *price,
                    capacity: *capacity,
                    min_per_order: 1,
                    max_per_order: 10,
                    sale_starts_at: None,
                    sale_ends_at: None,
                })
                .collect(),
        };
        EventRepo(db)
            .create(&organizer, EventStatus::Published, write)
            .await?;
    }
    tracing::info!(
        organizer = ORGANIZER_EMAIL,
        customer = CUSTOMER_EMAIL,
        password = DEMO_PASSWORD,
        "demo data created: sign in with these demo accounts"
    );
    Ok(true)
}
