//! The receiver's integration tests: the real binary on ephemeral ports, a real SQLite file, a
//! real media root.
//!
//! - `protocol`: the upload protocol as a table of requests, statuses and error codes
//! - `resume`: interruptions: broken and stalled bodies, restarts, idempotent `end`
//! - `crash`: kill -9 and aborts mid-chunk and mid-`end`, then resume to a byte-identical file
//! - `concurrency`: two clients on one upload
//! - `space`: the disk reserve and the library quota
//! - `auth`: 401 without credentials, 403 without the CSRF token, setup and login
//! - `media`: the site and `/media/` behind login, Range requests
//! - `fixtures`: the file-name parser and the IMDb scraper on real input from ../shared/fixtures
//! - `metadata`: the metadata cache, search, guessing, users' own values, IMDb misbehaving
//! - `library`: listing, identity, replace and versions, refiling, deleting, collections, monitor
//! - `users`: user management, invitations, roles and grants, sessions, tokens, settings, login limits
//! - `nginx`: a real nginx in front: nothing without a login, ranges, a 1 GiB upload, restarts, HTTPS
//! - `install`: `make install` into a temporary prefix
//! - `check`: every file a row, the library check (`fsck`) and its repairs, subtitles
//! - `roots`: several library disks: placement, info, nginx, moves killed at each step
//! - `probe`: what ffprobe reads of ffmpeg-made files, and the verdict for browsers
//! - `transcode`: the server settings, HLS ladders, transcoding jobs killed, cancelled, switched off
//! - `watching`: each person's place in a title and what they watched
//! - `hardening`: one regression test per finding of an attacker's walk through the service

mod auth;
mod check;
mod concurrency;
mod crash;
mod fixtures;
mod hardening;
mod install;
mod library;
mod media;
mod metadata;
mod nginx;
mod probe;
mod protocol;
mod resume;
mod roots;
mod space;
mod support;
mod transcode;
mod users;
mod watching;
