//! Authentication: password hashing, sessions, and the guards server functions call.
pub mod guard;
pub mod password;
pub mod session;
