//! `oott-agent upload`: find the movies, ask the server what it has and whether they fit, know
//! each one's title, then send the queue one file at a time, with the sidecar subtitles.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Value, json};

use crate::api::{Api, Failure};
use crate::identify::{self, Choice, Title};
use crate::report::{Report, size};
use crate::scan::{self, Movie};
use crate::state::Memory;
use crate::terminal;
use crate::transfer::{Sender, Sent};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub yes: bool,
    pub id: Option<String>,
    pub dry_run: bool,
    pub replace: bool,
    pub version: Option<String>,
    /// Bytes a second at most.
    pub limit_rate: Option<u64>,
}

/// What became of the files.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub uploaded: usize,
    /// Not sent: already on the server, skipped, waiting for confirmation, no room, stopped.
    pub skipped: usize,
    pub failed: usize,
    /// Of the skipped: waiting for a person to confirm their title.
    pub waiting: usize,
    /// Of the skipped: already in the library, nothing left to do.
    pub already: usize,
    pub bytes: u64,
    /// The token was refused on the way.
    pub refused: bool,
}

impl Tally {
    /// 0 all done, 1 some files skipped or waiting, 2 failures, 3 the token was refused.
    pub fn exit_code(&self) -> u8 {
        if self.refused {
            crate::EXIT_UNAUTHORIZED
        } else if self.failed > 0 {
            2
        } else if self.skipped > self.already {
            1
        } else {
            0
        }
    }
}

/// A file on its way: what the server said of it and the title it goes under.
struct Item {
    movie: Movie,
    offset: u64,
    upload_id: Option<String>,
    title: Option<Title>,
}

/// Runs an upload. An error is one that ends the whole run (the server cannot be asked at all);
/// a file's own failure is counted and the next file goes.
pub fn run(api: &Api, opts: &Options, report: &mut Report) -> Result<Tally, Failure> {
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut memory = Memory::load().map_err(|e| Failure::Network(format!("{e:#}")))?;
    let found = scan::scan(&opts.paths);
    for l in &found.left_out {
        report.detail(
            "left_out",
            json!({"path": l.path, "reason": l.reason}),
            format!("left out: {} ({})", l.path.display(), l.reason),
        );
    }
    report.emit(
        "found",
        json!({"movies": found.movies.len(), "left_out": found.left_out.len()}),
        Some(format!(
            "{} movie file{} found, {} other file{} left out{}",
            found.movies.len(),
            plural(found.movies.len()),
            found.left_out.len(),
            plural(found.left_out.len()),
            if found.left_out.is_empty() || report.verbose() {
                ""
            } else {
                " (--verbose says why)"
            }
        )),
    );
    if opts.id.is_some() && found.movies.len() != 1 {
        return Err(Failure::Http {
            status: 0,
            code: "usage".into(),
            message: format!(
                "--id names the title of a single file, and {} were found",
                found.movies.len()
            ),
            offset: None,
        });
    }

    // One question for all of them: which the server has, which it holds in part, and whether
    // they fit.
    let mut items = Vec::new();
    let mut unfit_reason = None;
    let mut room = None;
    for batch in found.movies.chunks(10_000) {
        let ask: Vec<Value> = batch
            .iter()
            .map(|m| json!({"name": m.name, "size": m.size, "last_modified": m.last_modified}))
            .collect();
        let v = api.post("/api/library/upload/info", &Value::Array(ask))?;
        if v["fits"].as_bool() == Some(false) {
            unfit_reason = v["reason"]["message"].as_str().map(str::to_owned);
            room = Some(free_room(&v["space"]));
        }
        for (m, f) in batch
            .iter()
            .zip(v["files"].as_array().cloned().unwrap_or_default())
        {
            let shown = m.path.display().to_string();
            match f["status"].as_str() {
                Some("complete") => {
                    tally.skipped += 1;
                    tally.already += 1;
                    let _ = memory.forget(&api.server, m);
                    report.emit(
                        "skipped",
                        json!({"path": shown, "reason": "already_uploaded",
                               "content_id": f["content_id"]}),
                        Some(format!(
                            "already in the library: {} ({})",
                            m.name,
                            f["content_id"].as_str().unwrap_or("")
                        )),
                    );
                }
                Some("partial") => items.push(Item {
                    movie: m.clone(),
                    offset: f["offset"].as_u64().unwrap_or(0),
                    upload_id: f["upload_id"].as_str().map(str::to_owned),
                    title: f["content_id"].as_str().map(|id| Title {
                        id: id.to_owned(),
                        title: String::new(),
                        year: None,
                    }),
                }),
                _ => items.push(Item {
                    movie: m.clone(),
                    offset: 0,
                    upload_id: None,
                    title: None,
                }),
            }
        }
    }

    // The disk's verdict for the whole selection, before a byte is sent.
    if let Some(room) = room {
        let mut left = room;
        let mut keep = Vec::new();
        for it in items {
            let need = it.movie.size - it.offset;
            if need <= left {
                left -= need;
                keep.push(it);
            } else {
                tally.skipped += 1;
                report.emit(
                    "skipped",
                    json!({"path": it.movie.path, "reason": "does_not_fit", "bytes": need}),
                    Some(format!(
                        "does not fit on the server: {} needs {} ({})",
                        it.movie.name,
                        size(need),
                        unfit_reason.as_deref().unwrap_or("no room")
                    )),
                );
            }
        }
        items = keep;
    }

    identify_all(api, opts, report, &mut memory, &mut items, &mut tally)?;
    let mut queue: Vec<Item> = Vec::new();
    for it in items {
        let Some(t) = &it.title else { continue };
        if it.upload_id.is_none() && opts.version.is_none() && !opts.replace {
            match api.get(&format!("/api/library/movies/{}", t.id)) {
                Ok(v) if v["has_file"].as_bool() == Some(true) => {
                    tally.skipped += 1;
                    report.emit(
                        "skipped",
                        json!({"path": it.movie.path, "reason": "title_has_file",
                               "content_id": t.id}),
                        Some(format!(
                            "{} already has a file: {} is skipped (--replace replaces it, \
                             --version LABEL adds it as a version)",
                            t.label(),
                            it.movie.name
                        )),
                    );
                    continue;
                }
                Err(f) if f.unauthorized() => return Err(f),
                _ => {}
            }
        }
        queue.push(it);
    }

    if opts.dry_run {
        for it in &queue {
            let t = it.title.as_ref().map(Title::label).unwrap_or_default();
            let what = if it.offset > 0 {
                format!(
                    "would resume at {} of {}",
                    size(it.offset),
                    size(it.movie.size)
                )
            } else {
                format!("would upload {}", size(it.movie.size))
            };
            report.emit(
                "would_upload",
                json!({"path": it.movie.path, "content_id": it.title.as_ref().map(|t| &t.id),
                       "offset": it.offset, "size": it.movie.size,
                       "subtitles": it.movie.subtitles.iter().map(|s| &s.1).collect::<Vec<_>>()}),
                Some(format!("{what}: {} as {t}", it.movie.name)),
            );
        }
        tally.skipped += queue.len();
        finish(report, &tally, started);
        return Ok(tally);
    }

    send_all(api, opts, report, &mut memory, queue, &mut tally);
    finish(report, &tally, started);
    Ok(tally)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What the server may still take, from its space figures: the free space above the reserve
/// and what unfinished uploads were promised, and the quota's room.
fn free_room(space: &Value) -> u64 {
    let n = |k: &str| space[k].as_u64().unwrap_or(0);
    let disk = n("disk_free")
        .saturating_sub(n("reserve"))
        .saturating_sub(n("pending_bytes"));
    match space["quota"].as_u64() {
        Some(q) => disk.min(
            q.saturating_sub(n("library_bytes"))
                .saturating_sub(n("pending_bytes")),
        ),
        None => disk,
    }
}

/// Gives every item a title: the server's (a partial upload), the remembered one, `--id`, the
/// person's answer, or without a person a clearly-ahead guess; the rest wait.
fn identify_all(
    api: &Api,
    opts: &Options,
    report: &mut Report,
    memory: &mut Memory,
    items: &mut [Item],
    tally: &mut Tally,
) -> Result<(), Failure> {
    let server = api.server.clone();
    for it in items.iter_mut().filter(|it| it.title.is_none()) {
        if let Some(id) = &opts.id {
            it.title = Some(Title {
                id: id.clone(),
                title: String::new(),
                year: None,
            });
        } else if let Some(id) = memory.get(&server, &it.movie).content_id {
            it.title = Some(Title {
                id,
                title: String::new(),
                year: None,
            });
        }
    }
    let open: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].title.is_none())
        .collect();
    if open.is_empty() {
        return Ok(());
    }
    let attended = terminal::attended() && !opts.yes;
    report.emit(
        "guessing",
        json!({"files": open.len()}),
        Some(format!(
            "looking up the titles of {} file{}…",
            open.len(),
            plural(open.len())
        )),
    );
    let names: Vec<String> = open
        .iter()
        .map(|&i| items[i].movie.guess_name.clone())
        .collect();
    let titles: Vec<Option<String>> = open
        .iter()
        .map(|&i| crate::tag::container_title(&items[i].movie.path))
        .collect();
    let guesses = identify::guesses(api, &names, &titles);
    let mut asking = attended;
    for (n, &i) in open.iter().enumerate() {
        // Each guess as it comes; one that failed leaves the person to search or paste.
        let guess = match guesses.recv().map(identify::first_result) {
            Ok(Ok(g)) => g,
            Ok(Err(f)) if f.unauthorized() => return Err(f),
            Ok(Err(f)) => json!({"candidates": [], "error": f.to_string()}),
            Err(_) => json!({"candidates": [], "error": "the guesses stopped coming"}),
        };
        let guess = &guess;
        let it = &mut items[i];
        let shown = it.movie.path.display().to_string();
        let choice = if asking {
            identify::ask(api, &it.movie, n + 1, open.len(), guess)
        } else {
            match identify::confident(guess) {
                Some(t) => Choice::Title(t),
                None => Choice::Quit,
            }
        };
        match choice {
            Choice::Title(t) => {
                let how = if asking { "confirmed" } else { "clearly_ahead" };
                report.emit(
                    "identified",
                    json!({"path": shown, "content_id": t.id, "title": t.title, "year": t.year,
                           "how": how}),
                    Some(format!("{} → {}", it.movie.name, t.label())),
                );
                let id = t.id.clone();
                if let Err(e) = memory.update(&server, &it.movie, |r| r.content_id = Some(id)) {
                    report.say(&format!("warning: {e:#}"));
                }
                it.title = Some(t);
            }
            Choice::Skip => {
                tally.skipped += 1;
                report.emit(
                    "skipped",
                    json!({"path": shown, "reason": "skipped_by_person"}),
                    Some(format!("skipped: {}", it.movie.name)),
                );
            }
            Choice::Quit => {
                if asking {
                    asking = false;
                    report.say("no more questions: the files left wait for another run");
                }
                tally.skipped += 1;
                tally.waiting += 1;
                let best = guess["candidates"].get(0).and_then(Title::of);
                report.emit(
                    "waiting",
                    json!({"path": shown, "reason": "needs_confirmation",
                           "best": best.as_ref().map(|t| json!({"content_id": t.id,
                               "title": t.title, "year": t.year})),
                           "error": guess["error"]}),
                    Some(format!(
                        "waiting for confirmation: {}{}",
                        it.movie.name,
                        best.map(|t| format!(" (best guess {}, not clearly ahead)", t.label()))
                            .unwrap_or_default()
                    )),
                );
            }
        }
    }
    Ok(())
}

/// Sends the queue one file at a time.
fn send_all(
    api: &Api,
    opts: &Options,
    report: &mut Report,
    memory: &mut Memory,
    queue: Vec<Item>,
    tally: &mut Tally,
) {
    if queue.is_empty() {
        return;
    }
    let attended = terminal::attended();
    terminal::stop_on_interrupt();
    let total: u64 = queue.iter().map(|it| it.movie.size - it.offset).sum();
    report.start_queue(queue.len(), total);
    let sender = Sender {
        api,
        attended,
        rate: opts.limit_rate,
        largest_chunk: 256 << 20,
    };
    let server = api.server.clone();
    let (mode, label) = match (&opts.version, opts.replace) {
        (Some(l), _) => ("version", l.clone()),
        (None, true) => ("replace", String::new()),
        (None, false) => ("new", String::new()),
    };
    let mut queue = queue.into_iter();
    for mut it in queue.by_ref() {
        if terminal::stopping() {
            tally.skipped += 1;
            continue;
        }
        let shown = it.movie.path.display().to_string();
        let title = it.title.clone().unwrap_or_else(|| Title {
            id: String::new(),
            title: String::new(),
            year: None,
        });
        let started = Instant::now();
        let from = it.offset;
        let m = it.movie.clone();
        let mut init = || -> Result<String, Failure> {
            let mut q = vec![
                ("name", m.name.clone()),
                ("size", m.size.to_string()),
                ("last_modified", m.last_modified.to_string()),
                ("id", title.id.clone()),
                ("mode", mode.to_owned()),
            ];
            if !label.is_empty() {
                q.push(("label", label.clone()));
            }
            let v = api.init(&q)?;
            let id = v["upload_id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| Failure::Network("init answered no upload id".into()))?;
            // Only a record: the offset is always asked of the server.
            let _ = memory.update(&server, &m, |r| r.upload_id = Some(id.clone()));
            Ok(id)
        };
        let mut upload_id = match it.upload_id.take() {
            Some(id) => match api.offset(&id) {
                Ok(o) => {
                    it.offset = o;
                    id
                }
                Err(f) if f.unauthorized() => {
                    tally.refused = true;
                    break;
                }
                Err(_) => match init() {
                    Ok(id) => {
                        it.offset = 0;
                        id
                    }
                    Err(f) => {
                        fail(report, tally, &shown, &f);
                        continue;
                    }
                },
            },
            None => match init() {
                Ok(id) => id,
                Err(f) if f.unauthorized() => {
                    tally.refused = true;
                    break;
                }
                Err(f) => {
                    fail(report, tally, &shown, &f);
                    report.drop_bytes(it.movie.size);
                    continue;
                }
            },
        };
        report.emit(
            "started",
            json!({"path": shown, "upload_id": upload_id, "content_id": title.id,
                   "offset": it.offset, "size": it.movie.size}),
            (it.offset > 0).then(|| {
                format!(
                    "{}: resuming at {} of {}",
                    it.movie.name,
                    size(it.offset),
                    size(it.movie.size)
                )
            }),
        );
        let outcome = sender.send(report, &it.movie, &mut upload_id, it.offset, &mut init);
        match outcome {
            Sent::Done(v) => {
                tally.uploaded += 1;
                tally.bytes += it.movie.size - from;
                let _ = memory.forget(&server, &it.movie);
                let cid = v["content_id"].as_str().unwrap_or(&title.id).to_owned();
                report.emit(
                    "uploaded",
                    json!({"path": shown, "content_id": cid, "file_id": v["file_id"],
                           "server_path": v["path"], "size": it.movie.size,
                           "seconds": started.elapsed().as_secs_f64()}),
                    Some(format!(
                        "uploaded: {} as {}",
                        it.movie.name,
                        title_or(&title, &cid)
                    )),
                );
                subtitles(api, report, &it.movie, &cid);
            }
            Sent::Stopped(at) => {
                tally.skipped += 1;
                report.emit(
                    "stopped",
                    json!({"path": shown, "upload_id": upload_id, "offset": at}),
                    Some(format!(
                        "stopped: {} resumes where it stands on the next run",
                        it.movie.name
                    )),
                );
            }
            Sent::Failed(f) => {
                fail(report, tally, &shown, &f);
            }
            Sent::Refused(_) => {
                tally.refused = true;
                break;
            }
        }
    }
    // What was not reached (a refused token) is not sent.
    tally.skipped += queue.count();
    report.finish();
}

fn title_or(t: &Title, cid: &str) -> String {
    if t.title.is_empty() {
        cid.to_owned()
    } else {
        t.label()
    }
}

fn fail(report: &Report, tally: &mut Tally, path: &str, f: &Failure) {
    tally.failed += 1;
    report.emit(
        "failed",
        json!({"path": path, "code": f.code(), "error": f.to_string()}),
        Some(format!("failed: {path}: {f}")),
    );
}

/// Sends the subtitle files found beside a movie.
fn subtitles(api: &Api, report: &Report, movie: &Movie, cid: &str) {
    for (path, lang) in &movie.subtitles {
        let sent = std::fs::read(path)
            .map_err(|e| Failure::Network(format!("reading it: {e}")))
            .and_then(|bytes| api.subtitle(cid, lang, bytes));
        match sent {
            Ok(_) => report.emit(
                "subtitle",
                json!({"path": path, "content_id": cid, "language": lang}),
                Some(format!("subtitle {lang}: {}", path.display())),
            ),
            Err(f) => report.emit(
                "subtitle_failed",
                json!({"path": path, "content_id": cid, "language": lang,
                       "code": f.code(), "error": f.to_string()}),
                Some(format!("subtitle not sent: {}: {f}", path.display())),
            ),
        }
    }
}

fn finish(report: &mut Report, t: &Tally, started: Instant) {
    report.finish();
    report.emit(
        "summary",
        json!({"uploaded": t.uploaded, "skipped": t.skipped, "failed": t.failed,
               "waiting": t.waiting, "already": t.already, "bytes": t.bytes,
               "seconds": started.elapsed().as_secs_f64()}),
        Some(format!(
            "{} uploaded, {} skipped ({} already there, {} waiting for confirmation), {} failed",
            t.uploaded, t.skipped, t.already, t.waiting, t.failed
        )),
    );
}
