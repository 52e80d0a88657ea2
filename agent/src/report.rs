//! What the agent tells: lines for a person (with progress bars on a terminal), or with
//! `--json` one JSON object per line, each with an `event` field.

use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

pub struct Report {
    json: bool,
    verbose: bool,
    bars: MultiProgress,
    total: Option<ProgressBar>,
    file: Option<ProgressBar>,
    last_progress: Instant,
}

/// How often `--json` reports progress within a file.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

impl Report {
    pub fn new(json: bool, verbose: bool) -> Report {
        let target = if json {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Report {
            json,
            verbose,
            bars: MultiProgress::with_draw_target(target),
            total: None,
            file: None,
            last_progress: Instant::now(),
        }
    }

    /// Whether each left-out file is named with its reason.
    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// An event: its JSON with `--json`, else `line` when there is one.
    pub fn emit(&self, event: &str, mut fields: Value, line: Option<String>) {
        if self.json {
            if let Some(o) = fields.as_object_mut() {
                o.insert("event".into(), json!(event));
            }
            let mut ordered = serde_json::Map::new();
            ordered.insert("event".into(), json!(event));
            if let Some(o) = fields.as_object() {
                for (k, v) in o {
                    if k != "event" {
                        ordered.insert(k.clone(), v.clone());
                    }
                }
            }
            // A reader that went away (`| head`) ends nothing here.
            let _ = writeln!(std::io::stdout().lock(), "{}", Value::Object(ordered));
        } else if let Some(line) = line {
            self.say(&line);
        }
    }

    /// A line for a person, above the progress bars.
    pub fn say(&self, line: &str) {
        if self.json {
            return;
        }
        self.bars.suspend(|| {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        });
    }

    /// A line shown only with `--verbose` (always an event with `--json`).
    pub fn detail(&self, event: &str, fields: Value, line: String) {
        let line = self.verbose.then_some(line);
        self.emit(event, fields, line);
    }

    /// The bar of the whole queue.
    pub fn start_queue(&mut self, files: usize, bytes: u64) {
        let bar = self.bars.add(ProgressBar::new(bytes));
        bar.set_style(style(
            "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta} left",
        ));
        bar.set_prefix(format!("{files} file{}", if files == 1 { "" } else { "s" }));
        self.total = Some(bar);
    }

    /// The bar of one file, which starts at `offset` of `size`.
    pub fn start_file(&mut self, name: &str, offset: u64, size: u64) {
        if let Some(old) = self.file.take() {
            old.finish_and_clear();
        }
        let bar = self.bars.insert(0, ProgressBar::new(size));
        bar.set_style(style(
            "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta} left",
        ));
        bar.set_message(name.to_owned());
        bar.set_position(offset);
        bar.reset_eta();
        self.file = Some(bar);
        self.last_progress = Instant::now();
    }

    /// The file stands at `offset` now; `gained` more bytes of the queue are on the server.
    pub fn progress(&mut self, path: &str, offset: u64, size: u64, gained: u64, rate: f64) {
        if let Some(b) = &self.file {
            b.set_position(offset);
        }
        if let Some(b) = &self.total {
            b.inc(gained);
        }
        if self.json && (self.last_progress.elapsed() >= PROGRESS_EVERY || offset == size) {
            self.last_progress = Instant::now();
            self.emit(
                "progress",
                json!({"path": path, "offset": offset, "size": size,
                       "bytes_per_second": rate.round() as u64}),
                None,
            );
        }
    }

    /// The queue's bar loses a file's bytes that will not come (it failed or was stopped).
    pub fn drop_bytes(&self, bytes: u64) {
        if let Some(b) = &self.total {
            b.set_length(b.length().unwrap_or(0).saturating_sub(bytes));
        }
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.file.take() {
            b.finish_and_clear();
        }
        if let Some(b) = self.total.take() {
            b.finish_and_clear();
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Bytes as a person reads them: `1.4 GiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
