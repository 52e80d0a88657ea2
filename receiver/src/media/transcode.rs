//! Transcoding: with transcoding switched on, every movie file gets an HLS ladder (1080p, 720p
//! and 480p as the source allows, never upscaled; H.264 and AAC; every audio track an alternate
//! rendition; one fragmented-MP4 file and its playlist per quality and track, and a master
//! playlist), the files browsers cannot play at all first.
//!
//! Jobs live in the database. One thread (the one that starts every ffmpeg, so that ffmpeg dies
//! with the process: `PR_SET_PDEATHSIG`) runs up to `transcode_jobs` at once at the lowest CPU
//! priority. ffmpeg writes into a dot-folder beside the title's files, which nothing serves; the
//! whole ladder is renamed into place and recorded when ffmpeg has finished. A job cut off by the
//! process's end is found running at the next start, queued again and started over; one
//! cancelled (or switched off) has its ffmpeg killed and its folder removed.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use store::{FileKind, NewLibraryFile, Technical, TranscodeJob, layout};

use crate::state::Shared;

/// The H.264 settings of every rung (and of the hardware check, which measures them).
pub const H264_ARGS: &[&str] = &[
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-profile:v",
    "high",
    "-pix_fmt",
    "yuv420p",
];

/// The ladder: height and video bit rate (kbit/s) of each rung.
const LADDER: [(i64, u32); 3] = [(1080, 5000), (720, 2800), (480, 1200)];

/// Seconds of video per segment, and between key frames (so every rung cuts alike).
const SEGMENT_S: u32 = 6;
const KEYFRAME_S: u32 = 2;

/// The rungs a source of `height` lines gets: those not above it, or one at its own height
/// when it is smaller than the smallest.
pub fn rungs(height: i64) -> Vec<(i64, u32)> {
    let mut r: Vec<_> = LADDER.into_iter().filter(|(h, _)| *h <= height).collect();
    if r.is_empty() {
        r.push(((height.max(2) / 2) * 2, 800));
    }
    r
}

/// ffmpeg's arguments (after `-i <source>`) that write the ladder of a file with `technical`
/// into `dir`.
pub fn ladder_args(technical: &Technical, dir: &Path) -> Vec<String> {
    let rungs = rungs(technical.height.unwrap_or(480));
    let audio = technical.audio.len();
    let mut a: Vec<String> = Vec::new();
    let mut push = |xs: &[&str]| a.extend(xs.iter().map(|s| s.to_string()));
    for _ in &rungs {
        push(&["-map", "0:v:0"]);
    }
    for i in 0..audio {
        push(&["-map", &format!("0:a:{i}")]);
    }
    push(H264_ARGS);
    let keys = format!("expr:gte(t,n_forced*{KEYFRAME_S})");
    push(&["-force_key_frames", &keys, "-sc_threshold", "0"]);
    for (i, (h, kbps)) in rungs.iter().enumerate() {
        push(&[
            &format!("-filter:v:{i}"),
            &format!("scale=-2:{h}"),
            &format!("-b:v:{i}"),
            &format!("{kbps}k"),
            &format!("-maxrate:v:{i}"),
            &format!("{}k", kbps + kbps / 10),
            &format!("-bufsize:v:{i}"),
            &format!("{}k", kbps * 2),
        ]);
    }
    if audio > 0 {
        push(&["-c:a", "aac", "-b:a", "160k", "-ac", "2"]);
    }
    let mut map: Vec<String> = rungs
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            let group = if audio > 0 { ",agroup:aud" } else { "" };
            format!("v:{i}{group},name:v{h}")
        })
        .collect();
    for (i, t) in technical.audio.iter().enumerate() {
        let lang = t
            .language
            .as_deref()
            .filter(|l| l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .map(|l| format!(",language:{l}"))
            .unwrap_or_default();
        let default = if i == 0 { ",default:yes" } else { "" };
        map.push(format!("a:{i},agroup:aud,name:a{i}{lang}{default}"));
    }
    push(&[
        "-f",
        "hls",
        "-hls_time",
        &SEGMENT_S.to_string(),
        "-hls_playlist_type",
        "vod",
        "-hls_segment_type",
        "fmp4",
        "-hls_flags",
        "single_file+independent_segments",
        "-master_pl_name",
        layout::HLS_MASTER,
        "-var_stream_map",
        &map.join(" "),
        "-progress",
        "pipe:1",
        "-nostats",
    ]);
    a.push(dir.join("%v.m3u8").to_string_lossy().into_owned());
    a
}

/// About how many bytes a file's ladder takes: every rung's and audio track's bit rate over its
/// length, and a tenth more for the containers and the rate control's swings.
pub fn ladder_bytes(technical: &Technical) -> u64 {
    let secs = technical.duration_ms.unwrap_or(0).max(0) as u64 / 1000 + 1;
    let video: u64 = rungs(technical.height.unwrap_or(480))
        .iter()
        .map(|(_, kbps)| u64::from(*kbps))
        .sum();
    let kbps = video + 160 * technical.audio.len() as u64;
    secs * kbps * 1000 / 8 * 11 / 10
}

/// Gives the audio renditions of a master playlist the names people choose by (the track's
/// title, else its language, else its number) instead of ffmpeg's `audio_<n>`.
pub fn name_audio(master: &str, technical: &Technical) -> String {
    let mut n = 0;
    master
        .lines()
        .map(|line| {
            if !line.starts_with("#EXT-X-MEDIA:TYPE=AUDIO") {
                return line.to_owned();
            }
            let t = technical.audio.get(n);
            n += 1;
            let name = t
                .and_then(|t| t.title.clone().or_else(|| t.language.clone()))
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| format!("Audio {n}"))
                .replace(['"', '\n', '\r', ','], " ");
            match (
                line.find("NAME=\""),
                line.find("NAME=\"")
                    .and_then(|s| line[s + 6..].find('"').map(|e| s + 6 + e)),
            ) {
                (Some(s), Some(e)) => format!("{}NAME=\"{name}\"{}", &line[..s], &line[e + 1..]),
                _ => line.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// How far a running job is.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Progress {
    /// Seconds of the movie encoded, and its length.
    pub done_s: f64,
    pub total_s: f64,
    /// Times real time, as ffmpeg reports it.
    pub speed: f64,
}

impl Progress {
    pub fn fraction(&self) -> f64 {
        if self.total_s > 0.0 {
            (self.done_s / self.total_s).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Seconds left at the current speed, once there is one.
    pub fn eta_s(&self) -> Option<f64> {
        (self.speed > 0.0 && self.total_s > 0.0)
            .then(|| ((self.total_s - self.done_s).max(0.0) / self.speed).round())
    }
}

/// The handle the rest of the receiver has on the transcoding thread.
#[derive(Default)]
pub struct Transcoder {
    woken: Mutex<bool>,
    bell: Condvar,
    progress: Mutex<HashMap<i64, Progress>>,
}

impl Transcoder {
    /// Asks the thread to look at the jobs and settings now.
    pub fn wake(&self) {
        *self.woken.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.bell.notify_all();
    }

    /// Waits for the bell or `at_most`; answers whether the bell rang.
    fn sleep(&self, at_most: Duration) -> bool {
        let g = self.woken.lock().unwrap_or_else(|e| e.into_inner());
        let (mut g, _) = self
            .bell
            .wait_timeout_while(g, at_most, |woken| !*woken)
            .unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *g, false)
    }

    /// How far each running job is.
    pub fn progress(&self) -> HashMap<i64, Progress> {
        self.progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Updates a job's progress unless it has ended meanwhile.
    fn set_progress_if_running(&self, job: i64, p: Progress) {
        let mut m = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = m.get_mut(&job) {
            *slot = p;
        }
    }

    fn set_progress(&self, job: i64, p: Option<Progress>) {
        let mut m = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        match p {
            Some(p) => m.insert(job, p),
            None => m.remove(&job),
        };
    }
}

/// A job whose ffmpeg is running.
struct Running {
    job: TranscodeJob,
    child: Child,
    technical: Technical,
    root: String,
    root_path: PathBuf,
    tmp: PathBuf,
}

/// Starts the transcoding thread, for the life of the process.
pub fn spawn(st: Shared) {
    let spawned = std::thread::Builder::new()
        .name("transcoder".into())
        .spawn(move || run(&st));
    if let Err(e) = spawned {
        tracing::error!("the transcoding thread could not start: {e}");
    }
}

fn run(st: &Shared) {
    match st.store.requeue_running_transcodes() {
        Ok(0) => {}
        Ok(n) => tracing::info!("{n} transcoding jobs cut off by the last stop are queued again"),
        Err(e) => tracing::warn!("queueing cut-off transcoding jobs: {e}"),
    }
    let mut running: Vec<Running> = Vec::new();
    // Newly read files are queued every so often (and at once when the bell rings), not on
    // every turn: the query looks at every movie file.
    let mut queued_at: Option<Instant> = None;
    loop {
        let live = st.live();
        running = running
            .into_iter()
            .filter_map(|r| tend(st, r, live.transcoding))
            .collect();
        if live.transcoding {
            if queued_at.is_none_or(|t| t.elapsed() >= QUEUE_EVERY) {
                if let Err(e) = st.store.queue_transcodes() {
                    tracing::warn!("queueing transcoding jobs: {e}");
                }
                queued_at = Some(Instant::now());
            }
            while running.len() < live.transcode_jobs as usize {
                match st.store.start_next_transcode() {
                    Ok(Some(job)) => {
                        if let Some(r) = start(st, job) {
                            running.push(r);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!("starting a transcoding job: {e}");
                        break;
                    }
                }
            }
        }
        if st.transcoder.sleep(Duration::from_millis(500)) {
            queued_at = None;
        }
    }
}

/// How often files filed since are looked for to queue.
const QUEUE_EVERY: Duration = Duration::from_secs(10);

/// Looks after a running job: answers it while it runs on, ends it when ffmpeg has finished,
/// stops it when it was cancelled or transcoding was switched off.
fn tend(st: &Shared, mut r: Running, on: bool) -> Option<Running> {
    let still_running = matches!(
        st.store.transcode_job(r.job.id),
        Ok(Some(j)) if j.state == store::JobState::Running
    );
    if !still_running || !on {
        let _ = r.child.kill();
        let _ = r.child.wait();
        let _ = fs::remove_dir_all(&r.tmp);
        st.transcoder.set_progress(r.job.id, None);
        if !on && still_running {
            // Switched off: the job waits in the queue for transcoding to come back.
            let _ = st.store.requeue_running_transcodes();
        }
        tracing::info!(job = r.job.id, "transcoding stopped");
        return None;
    }
    match r.child.try_wait() {
        Ok(None) => Some(r),
        Ok(Some(status)) => {
            st.transcoder.set_progress(r.job.id, None);
            let outcome = if status.success() {
                finish(st, &r)
            } else {
                Err(format!("ffmpeg failed: {}", last_error(&r.tmp)))
            };
            if let Err(e) = outcome {
                tracing::warn!(job = r.job.id, content = %r.job.content_id, "transcoding failed: {e}");
                let _ = st.store.fail_transcode(r.job.id, &e);
                let _ = fs::remove_dir_all(&r.tmp);
            }
            None
        }
        Err(e) => {
            tracing::warn!(job = r.job.id, "waiting for ffmpeg: {e}");
            Some(r)
        }
    }
}

const LOG: &str = "ffmpeg.log";

fn last_error(tmp: &Path) -> String {
    fs::read_to_string(tmp.join(LOG))
        .ok()
        .and_then(|s| {
            s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "no message".to_owned())
}

/// Starts ffmpeg for a job just marked running; a job that cannot start is marked failed.
fn start(st: &Shared, job: TranscodeJob) -> Option<Running> {
    match prepare(st, &job) {
        Ok(r) => {
            tracing::info!(job = job.id, content = %job.content_id, label = %job.label, "transcoding");
            Some(r)
        }
        Err(e) => {
            tracing::warn!(job = job.id, "transcoding could not start: {e}");
            let _ = st.store.fail_transcode(job.id, &e);
            None
        }
    }
}

fn prepare(st: &Shared, job: &TranscodeJob) -> Result<Running, String> {
    let file = st
        .store
        .file(&job.file_id)
        .map_err(|e| e.to_string())?
        .ok_or("the file is gone")?;
    let technical = file
        .technical
        .clone()
        .filter(|t| t.playable != "unknown" && t.height.is_some())
        .ok_or("ffprobe found no video to transcode in the file")?;
    let root = st
        .store
        .title_root(&job.content_id)
        .map_err(|e| e.to_string())?
        .ok_or("the title has no files")?;
    let root_path = st.root_path(&root).map_err(|e| e.message.clone())?;
    // The ladder takes only what uploads may take: never the reserve, never past the quota.
    let need = ladder_bytes(&technical);
    let live = st.live();
    let space = crate::space::Space::measure_blocking(
        &st.config.roots(),
        live.disk_reserve,
        live.library_quota,
        &st.store,
    )
    .map_err(|e| e.message.clone())?;
    let room = space.root(&root).map_or(0, |r| r.usable(&[])).min(
        space
            .quota
            .map_or(u64::MAX, |q| q.saturating_sub(space.library_bytes)),
    );
    if need > room {
        return Err(format!(
            "the ladder needs about {} MiB and disk {root} has {} MiB left for the library; free some space, then try again",
            need >> 20,
            room >> 20
        ));
    }
    let final_dir = root_path.join(layout::hls_dir(&job.content_id, &job.label));
    let title_dir = final_dir.parent().unwrap_or(&root_path).to_path_buf();
    let dir_name = final_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // What an earlier, cut-off run left goes first.
    let stale = format!(".{dir_name}.tmp-");
    if let Ok(entries) = fs::read_dir(&title_dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&stale) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
    let tmp = title_dir.join(layout::temp_name(&dir_name));
    fs::create_dir_all(&tmp).map_err(|e| format!("creating {}: {e}", tmp.display()))?;
    let log = fs::File::create(tmp.join(LOG)).map_err(|e| e.to_string())?;
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-y", "-nostdin", "-i"])
        .arg(root_path.join(&file.path))
        .args(ladder_args(&technical, &tmp))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
    lowly(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| format!("running ffmpeg: {e}"))?;
    let total_s = technical.duration_ms.unwrap_or(0) as f64 / 1000.0;
    if let Some(out) = child.stdout.take() {
        let (t, id) = (st.clone(), job.id);
        std::thread::spawn(move || follow(&t, id, total_s, out));
    }
    st.transcoder.set_progress(
        job.id,
        Some(Progress {
            total_s,
            ..Progress::default()
        }),
    );
    Ok(Running {
        job: job.clone(),
        child,
        technical,
        root,
        root_path,
        tmp,
    })
}

/// ffmpeg at the lowest CPU priority, and killed when the thread that started it ends (the
/// process, in any way: a crash leaves no ffmpeg writing on).
fn lowly(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setpriority(libc::PRIO_PROCESS, 0, 19);
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// Reads ffmpeg's `-progress` lines into the job's progress.
fn follow(st: &Shared, job: i64, total_s: f64, out: std::process::ChildStdout) {
    let mut p = Progress {
        total_s,
        ..Progress::default()
    };
    for line in BufReader::new(out).lines() {
        let Ok(line) = line else { break };
        if let Some(us) = line.strip_prefix("out_time_us=") {
            if let Ok(us) = us.trim().parse::<f64>() {
                p.done_s = (us / 1e6).max(0.0);
            }
        } else if let Some(x) = line.strip_prefix("speed=") {
            if let Ok(x) = x.trim().trim_end_matches('x').parse::<f64>() {
                p.speed = x;
            }
        } else if line.starts_with("progress=") {
            st.transcoder.set_progress_if_running(job, p.clone());
        }
    }
}

/// Names the audio, makes the ladder durable, renames it into place and records its files.
fn finish(st: &Shared, r: &Running) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let master = r.tmp.join(layout::HLS_MASTER);
    let text = fs::read_to_string(&master).map_err(|e| format!("no master playlist: {e}"))?;
    fs::write(&master, name_audio(&text, &r.technical)).map_err(io)?;
    let _ = fs::remove_file(r.tmp.join(LOG));
    let mut names = Vec::new();
    for e in fs::read_dir(&r.tmp).map_err(io)? {
        let e = e.map_err(io)?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !layout::is_hls_name(&name) {
            return Err(format!(
                "ffmpeg wrote {name}, which the ladder does not name"
            ));
        }
        fs::File::open(e.path())
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        names.push((name, e.metadata().map_err(io)?.len()));
    }
    crate::disk::sync_dir(&r.tmp).map_err(io)?;
    let (id, label) = (&r.job.content_id, &r.job.label);
    let final_dir = r.root_path.join(layout::hls_dir(id, label));
    if final_dir.exists() {
        fs::remove_dir_all(&final_dir).map_err(io)?;
    }
    fs::rename(&r.tmp, &final_dir).map_err(io)?;
    if let Some(parent) = final_dir.parent() {
        crate::disk::sync_dir(parent).map_err(io)?;
    }
    names.sort();
    let rows: Vec<NewLibraryFile> = names
        .into_iter()
        .map(|(name, size)| NewLibraryFile {
            content_id: id.clone(),
            kind: FileKind::Hls,
            label: label.clone(),
            root: r.root.clone(),
            path: layout::hls_file(id, label, &name),
            size,
            mtime: store::now(),
        })
        .collect();
    if let Err(e) = st.store.finish_transcode(r.job.id, &rows) {
        // Cancelled, or its file replaced, while ffmpeg finished: the ladder is not wanted.
        let _ = fs::remove_dir_all(&final_dir);
        return Err(e.to_string());
    }
    tracing::info!(job = r.job.id, content = %id, files = rows.len(), "transcoded");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_never_upscales() {
        let heights = |h| rungs(h).into_iter().map(|(h, _)| h).collect::<Vec<_>>();
        assert_eq!(heights(2160), vec![1080, 720, 480]);
        assert_eq!(heights(1080), vec![1080, 720, 480]);
        assert_eq!(heights(800), vec![720, 480]);
        assert_eq!(heights(480), vec![480]);
        assert_eq!(heights(361), vec![360]);
    }

    #[test]
    fn audio_renditions_get_their_names() {
        let t = Technical {
            container: "matroska".into(),
            duration_ms: Some(1000),
            bit_rate: None,
            width: Some(1280),
            height: Some(720),
            video_codec: Some("hevc".into()),
            video_profile: None,
            bit_depth: None,
            hdr: None,
            audio: vec![
                store::AudioTrack {
                    codec: "ac3".into(),
                    channels: Some(6),
                    language: Some("eng".into()),
                    title: Some("Director's \"cut\"".into()),
                },
                store::AudioTrack {
                    codec: "aac".into(),
                    channels: Some(2),
                    language: Some("fra".into()),
                    title: None,
                },
            ],
            subtitles: vec![],
            playable: "transcode".into(),
        };
        let master = "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"group_aud\",NAME=\"audio_2\",DEFAULT=YES,LANGUAGE=\"eng\",URI=\"a0.m3u8\"\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"group_aud\",NAME=\"audio_3\",DEFAULT=NO,LANGUAGE=\"fra\",URI=\"a1.m3u8\"\n";
        let named = name_audio(master, &t);
        assert!(
            named.contains("NAME=\"Director's  cut \",DEFAULT=YES"),
            "{named}"
        );
        assert!(named.contains("NAME=\"fra\",DEFAULT=NO"), "{named}");
        let args = ladder_args(&t, Path::new("/x")).join(" ");
        assert!(args.contains("v:0,agroup:aud,name:v720 v:1,agroup:aud,name:v480 a:0,agroup:aud,name:a0,language:eng,default:yes a:1,agroup:aud,name:a1,language:fra"), "{args}");
        assert!(args.ends_with("/x/%v.m3u8"));
    }
}
