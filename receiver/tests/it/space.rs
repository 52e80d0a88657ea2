//! The disk reserve and the library quota: refused at `info` and `init` with a clear code, and
//! nothing written.

use crate::support::{Dirs, FileSpec, Server, assert_error};

#[test]
fn a_reserve_larger_than_the_free_space_refuses_everything() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_DISK_RESERVE", "1000 TiB")]);
    let api = server.admin();
    let f = FileSpec::new("Big.mkv", 1000, 30);
    let info = api.get(&format!(
        "/api/library/upload/?type=info&name=Big.mkv&size=1000&last_modified={}",
        f.last_modified
    ));
    assert_eq!(info.status, 200);
    let v = info.json();
    assert_eq!(v["fits"].as_bool(), Some(false), "{v}");
    let body = serde_json::json!([{"name": "Big.mkv", "size": 1000, "last_modified": 1}]);
    let list = api.post_json("/api/library/upload/info", &body).json();
    assert_eq!(
        (list["fits"].as_bool(), list["reason"]["code"].as_str()),
        (Some(false), Some("disk_full"))
    );
    assert_error(&api.init(&f, "tt0000500", ""), 507, "disk_full");
    assert!(
        dirs.staged().is_empty(),
        "nothing staged: {:?}",
        dirs.staged()
    );
    let uploads: i64 = rusqlite_count(&dirs);
    assert_eq!(uploads, 0, "no upload recorded");
}

#[test]
fn the_quota_counts_the_library_and_unfinished_uploads() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_LIBRARY_QUOTA", "10000")]);
    let api = server.admin();
    api.upload(&FileSpec::new("Filed.mkv", 4000, 31), "tt0000510");
    let pending = FileSpec::new("Pending.mkv", 3000, 32);
    api.start_upload(&pending, "tt0000511");
    // 4000 filed + 3000 declared: 3000 more fit, 3001 do not.
    let over = FileSpec::new("Over.mkv", 3001, 33);
    let r = api.init(&over, "tt0000512", "");
    assert_error(&r, 507, "quota_exceeded");
    let body =
        serde_json::json!([{"name": over.name, "size": 3001, "last_modified": over.last_modified}]);
    let list = api.post_json("/api/library/upload/info", &body).json();
    assert_eq!(
        (list["fits"].as_bool(), list["reason"]["code"].as_str()),
        (Some(false), Some("quota_exceeded"))
    );
    assert_eq!(dirs.staged().len(), 1, "only the pending upload is staged");
    let fits = FileSpec::new("Fits.mkv", 3000, 34);
    assert_eq!(api.init(&fits, "tt0000513", "").status, 201);
}

/// Rows in the uploads table, read from the real database file.
fn rusqlite_count(dirs: &Dirs) -> i64 {
    let store = store::Store::open_read_only(&dirs.db()).expect("open the database");
    store.active_uploads().expect("query").len() as i64
}

/// A disk that really fills up mid-chunk: the chunk is refused with 507 `disk_full`, the bytes
/// already held stay, and the upload resumes once there is room again.
#[test]
fn a_full_disk_mid_chunk_loses_nothing() {
    let dirs = Dirs::new();
    let server = Server::start_on_small_disk(&dirs, "8m", &[]);
    let api = server.admin();
    let f = FileSpec::new("Fills.mkv", 4 << 20, 35);
    let u = api.start_upload(&f, "tt0000520");
    api.send_from(&u, &f.data[..1 << 20], 0, 1 << 20);
    // Something else takes the rest of the disk.
    let view = server.media_view(&dirs);
    let filler = view.join("filler");
    {
        use std::io::Write;
        let mut out = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 1 << 16];
        while out.write_all(&block).is_ok() {}
    }
    let r = api.chunk(&u, 1 << 20, &f.data[1 << 20..3 << 20]);
    assert_error(&r, 507, "disk_full");
    assert_eq!(
        r.json()["offset"].as_u64(),
        Some(1 << 20),
        "the offset before the failed chunk"
    );
    assert_eq!(api.offset(&u), 1 << 20, "nothing half-written is kept");
    std::fs::remove_file(&filler).expect("free the disk");
    api.send_from(&u, &f.data, 1 << 20, 1 << 20);
    assert_eq!(api.end(&u).status, 200);
    assert_eq!(
        crate::support::sha256_file(&view.join("tt0000520/tt0000520.mkv")),
        f.sha256()
    );
}
