//! Everything that only exists on the server: configuration, database, services, HTTP.
pub mod auth;
pub mod config;
pub mod db;
pub mod email;
pub mod http;
pub mod metrics;
pub mod payments;
pub mod services;
pub mod state;
pub mod storage;
pub mod telemetry;
