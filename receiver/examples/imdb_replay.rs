//! The tests' stand-in for IMDb as a program of its own, for the browser tests: replays title
//! pages, suggestions and posters in IMDb's formats on 127.0.0.1 and prints
//! `listening on http://ADDR`, until killed.

#[path = "../tests/it/support/imdb.rs"]
#[allow(
    dead_code,
    reason = "the misbehaving modes are for the receiver's own tests"
)]
mod imdb;

fn main() {
    let replay = imdb::Replay::start();
    println!("listening on {}", replay.url);
    loop {
        std::thread::park();
    }
}
