//! The business rules. Handlers and server functions stay thin and call these.
pub mod accounts;
pub mod catalog;
pub mod check;
pub mod checkin;
pub mod dashboard;
pub mod demo;
pub mod doors;
pub mod events;
mod managed;
pub mod orders;
pub mod personal_data;
pub mod questions;
pub mod sales;
pub mod waitlist;
