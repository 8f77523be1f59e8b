//! Every integration test, in one test binary. Each file under `tests/` used to be its own
//! binary, and each of those linked all of SurrealDB (and the rest of the server): nine slow
//! links and nine large executables. As modules of this one binary they link it once, and
//! `cargo test` still runs them all in parallel. Shared helpers and the HTTP doubles of the
//! outside services live in `tests/common/`, which the benches include too.
#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod check;
mod checkin;
mod checkout;
mod crash;
mod dashboard;
mod delivery;
mod email;
mod events;
mod foundation;
mod google;
mod guests;
mod holders;
mod lifecycle;
mod logs;
mod page_cache;
mod payments;
mod sales;
mod security;
mod selling;
mod structure;
mod verification;
mod waitlist;
