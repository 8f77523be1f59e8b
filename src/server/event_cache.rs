//! The event-page cache in front of [`EventRepo::find_by_slug`] and the event's questions.
use crate::server::db::events::{EventRecord, TicketTypeRecord};
use crate::server::db::questions::{QuestionRecord, QuestionRepo};
use crate::server::db::{Db, DbError, EventRepo};
use std::collections::HashMap;
use std::time::Instant;

type EventRows = (EventRecord, Vec<TicketTypeRecord>, Vec<QuestionRecord>);

/// Event pages read by slug during the last second. A popular page is then one database
/// read per second, not one per view; availability shown may lag a sale on another
/// instance by that second (checkout re-checks it). Writes through this instance call
/// [`EventCache::clear`], so an organizer and a buyer see their own change at once.
#[derive(Default)]
pub struct EventCache {
    entries: std::sync::Mutex<CacheEntries>,
    /// The pages rendered from these rows for anonymous visitors (`page_cache.rs`).
    pub(crate) pages: PageCache,
}

/// A generation that every clear moves on, and the rows with when they were read.
#[derive(Default)]
struct CacheEntries(u64, HashMap<String, (Instant, EventRows)>);

impl EventCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(1);
    const MAX_ENTRIES: usize = 10_000;

    pub async fn find_by_slug(&self, db: &Db, slug: &str) -> Result<Option<EventRows>, DbError> {
        let generation = {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, rows)) = entries.1.get(slug) {
                if at.elapsed() < Self::TTL {
                    return Ok(Some(rows.clone()));
                }
            }
            entries.0
        };
        let found = match EventRepo(db).find_by_slug(slug).await? {
            Some((event, types)) => {
                let questions = QuestionRepo(db).of_event(&event.id).await?;
                Some((event, types, questions))
            }
            None => None,
        };
        if let Some(rows) = &found {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            // A write cleared the cache while we read: what we read may predate it.
            if entries.0 == generation {
                if entries.1.len() >= Self::MAX_ENTRIES {
                    entries.1.clear();
                }
                entries
                    .1
                    .insert(slug.to_owned(), (Instant::now(), rows.clone()));
            }
        }
        Ok(found)
    }

    /// Moves on with every [`EventCache::clear`]: what was read or rendered before belongs
    /// to an older generation.
    pub fn generation(&self) -> u64 {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    /// After any change to an event, its ticket ledger or its questions.
    pub fn clear(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.0 += 1;
        entries.1.clear();
    }
}

/// How stale a cached page may be.
const PAGE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(1);
const MAX_PAGES: usize = 1_000;

/// One rendered page: its body as is and brotli-compressed, and its CSP.
pub struct CachedPage {
    pub at: Instant,
    pub generation: u64,
    pub raw: axum::body::Bytes,
    pub brotli: axum::body::Bytes,
    pub policy: axum::http::HeaderValue,
}

/// The rendered pages, by slug.
#[derive(Default)]
pub struct PageCache {
    pages: std::sync::Mutex<HashMap<String, std::sync::Arc<CachedPage>>>,
}

impl PageCache {
    pub(crate) fn get(&self, slug: &str, generation: u64) -> Option<std::sync::Arc<CachedPage>> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages
            .get(slug)
            .filter(|p| p.generation == generation && p.at.elapsed() < PAGE_MAX_AGE)
            .cloned()
    }

    pub(crate) fn put(&self, slug: String, page: std::sync::Arc<CachedPage>) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= MAX_PAGES {
            pages.clear();
        }
        pages.insert(slug, page);
    }
}
