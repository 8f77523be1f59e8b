//! Authentication: password hashing, sessions, Google sign-in, and the guards server
//! functions call.
pub mod google;
pub mod guard;
pub mod password;
pub mod session;
