//! Server functions, one file per feature. Thin: authorise, parse, call a service, map errors.
pub mod admin;
pub mod auth;
pub mod dashboard;
pub mod events;
