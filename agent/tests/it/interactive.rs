//! A person at a terminal: the agent on a pseudo-terminal shows its guesses and takes the
//! answers typed: confirm the best, pick the second, paste an IMDb link, skip.

use crate::agent::{Agent, Pty, filed, movie};
use crate::support::imdb::Replay;
use crate::support::{Dirs, Server, sha256_file};

#[test]
fn an_interactive_session_confirms_picks_pastes_and_skips() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = Server::start_with(
        &dirs,
        &[
            ("OOTT_IMDB_URL", &replay.url),
            ("OOTT_IMDB_SUGGEST_URL", &replay.url),
        ],
    );
    let api = server.admin();
    let src = dirs.path("src");
    let alien = movie(&src.join("Alien.1979.avi"), 1, false);
    let home = movie(&src.join("Home.Movie.2003.avi"), 1, false);
    movie(&src.join("Saw.2004.avi"), 1, false);
    let matrix = movie(&src.join("The.Matrix.1999.avi"), 1, false);
    let agent = Agent::new(&server, &api);
    let mut pty = Pty::spawn(agent.command(&["upload", src.to_str().expect("utf-8")]));

    pty.expect("[1/4] Alien.1979.avi");
    let shown = pty.expect("> ");
    assert!(
        shown.contains("Aliens (1986)"),
        "the candidates are listed:\n{shown}"
    );
    // The second candidate as shown: the last word of the line numbered 2.
    let second = shown
        .lines()
        .find(|l| l.trim_start().starts_with("2 "))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("tt")))
        .unwrap_or_else(|| panic!("a second candidate:\n{shown}"))
        .to_owned();
    pty.send("2");
    pty.expect("[2/4] Home.Movie.2003.avi");
    pty.expect("> ");
    pty.send("https://www.imdb.com/title/tt0114814/?ref_=fn_al_tt_1");
    pty.expect("tt0114814");
    pty.expect("[3/4] Saw.2004.avi");
    pty.expect("> ");
    pty.send("k");
    pty.expect("[4/4] The.Matrix.1999.avi");
    let shown = pty.expect("> ");
    assert!(shown.contains("The Matrix (1999)"), "{shown}");
    pty.send("");
    let code = pty.wait(60);
    assert_eq!(code, 1, "one file skipped: exit 1\n{}", pty.shown());
    let media = dirs.media();
    for (id, src) in [
        (second.as_str(), &alien),
        ("tt0114814", &home),
        ("tt0133093", &matrix),
    ] {
        let f = filed(&media, id).unwrap_or_else(|| panic!("{id} is filed\n{}", pty.shown()));
        assert_eq!(sha256_file(&f), sha256_file(src));
    }
    assert!(
        filed(&media, "tt0387564").is_none(),
        "the skipped file stays home"
    );
    assert!(
        pty.shown().contains("3 uploaded, 1 skipped"),
        "{}",
        pty.shown()
    );
}
