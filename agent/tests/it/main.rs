//! The agent's integration tests: the real `oott-agent` against the real `oott-receiver` on
//! ephemeral ports (and once behind the real nginx), with the IMDb stand-in and ffmpeg-made
//! files.
//!
//! - `upload`: a folder tree with decoys, second runs, files the server has, the disk verdict,
//!   versions, a kill -9 of the agent and of the receiver mid-file, nginx in front
//! - `interactive`: a session through a pseudo-terminal: confirm, pick, paste, skip
//! - `login`: login, status and logout, and the exit code of a refused token
//! - `sync`: backup mirrors through a real rsync daemon, served by a mirror receiver and nginx

// The receiver's own test support (the server as a process, the IMDb stand-in, nginx), shared
// rather than written twice.
#[allow(
    dead_code,
    reason = "the receiver's test support, of which these tests use a part"
)]
#[path = "../../../receiver/tests/it/support/mod.rs"]
mod support;

mod agent;
mod interactive;
mod login;
mod sync;
mod upload;
