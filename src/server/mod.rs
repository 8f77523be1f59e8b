//! Everything that only exists on the server: configuration, database, services, HTTP.
pub mod auth;
pub mod config;
pub mod db;
pub mod email;
pub mod event_cache;
pub mod format;
pub mod hold_queue;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod payments;
pub mod request_guard;
pub mod services;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod throttle;
