//! `surreal`: the SurrealDB server's own entry point (`surrealdb_server::init`), so the
//! scale-out script can run a real server without downloading a binary.
#![recursion_limit = "256"]

use std::process::ExitCode;

fn main() -> ExitCode {
    surrealdb_server::init(surrealdb_core::CommunityComposer())
}
