//! The upload protocol, request by request: good and bad values, each expected status and code.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::support::{Dirs, FileSpec, Server, assert_error, enc};

const MIB: usize = 1 << 20;

/// One row: a request against the upload `U` (its id stands in for `{U}`), the expected status
/// and error code (`None` for success).
struct Case {
    what: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    code: Option<&'static str>,
}

fn case(
    what: &'static str,
    method: &'static str,
    path: &str,
    body: Vec<u8>,
    status: u16,
    code: Option<&'static str>,
) -> Case {
    Case {
        what,
        method,
        path: path.to_owned(),
        headers: vec![],
        body,
        status,
        code,
    }
}

fn digest_header(data: &[u8]) -> String {
    format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(data))
    )
}

#[test]
fn the_protocol_table() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_MAX_CHUNK_SIZE", "1 MiB")]);
    let api = server.admin();
    let f = FileSpec::new("Table.Test.2001.mkv", 5 * MIB / 2, 1);
    let u = api.start_upload(&f, "tt0000001");
    let q = "/api/library/upload/?";
    let info = |extra: &str| format!("{q}type=info&name=a.mkv&size=10&last_modified=5{extra}");
    let init = |name: &str, size: &str, id: &str, extra: &str| {
        format!(
            "{q}type=init&name={}&size={size}&last_modified=7&id={id}{extra}",
            enc(name)
        )
    };
    let chunk = |off: &str, extra: &str| {
        format!("{q}type=chunk&offset={off}&chunkNr=1&uploadId={u}{extra}")
    };
    let first = f.data[..MIB].to_vec();
    let second = f.data[MIB..2 * MIB].to_vec();
    let unknown = "0123456789abcdef0123456789abcdef";

    let mut cases = vec![
        case("no type", "GET", q, vec![], 400, Some("invalid_type")),
        case(
            "unknown type",
            "POST",
            &format!("{q}type=launch"),
            vec![],
            400,
            Some("invalid_type"),
        ),
        case("info for one file", "GET", &info(""), vec![], 200, None),
        case(
            "info with lastModified spelling",
            "GET",
            &format!("{q}type=info&name=a.mkv&size=1&lastModified=5"),
            vec![],
            200,
            None,
        ),
        case(
            "info without a name",
            "GET",
            &format!("{q}type=info&size=1&last_modified=5"),
            vec![],
            400,
            Some("invalid_name"),
        ),
        case(
            "info with a bad size",
            "GET",
            &format!("{q}type=info&name=a.mkv&size=big&last_modified=5"),
            vec![],
            400,
            Some("invalid_size"),
        ),
        case(
            "info with a bad time",
            "GET",
            &format!("{q}type=info&name=a.mkv&size=1&last_modified=soon"),
            vec![],
            400,
            Some("invalid_last_modified"),
        ),
        Case {
            headers: vec![("Content-Type", "application/json".into())],
            ..case(
                "info list with a path trick",
                "POST",
                "/api/library/upload/info",
                br#"[{"name":"../../x.mkv","size":1,"last_modified":1}]"#.to_vec(),
                400,
                Some("invalid_name"),
            )
        },
        Case {
            headers: vec![("Content-Type", "application/json".into())],
            ..case(
                "info list that is not json",
                "POST",
                "/api/library/upload/info",
                b"[{".to_vec(),
                400,
                Some("invalid_json"),
            )
        },
        case(
            "init with a short content id",
            "POST",
            &init("a.mkv", "10", "tt12", ""),
            vec![],
            400,
            Some("invalid_content_id"),
        ),
        case(
            "init with a malformed content id",
            "POST",
            &init("a.mkv", "10", "nm0000206", ""),
            vec![],
            400,
            Some("invalid_content_id"),
        ),
        case(
            "init without a content id",
            "POST",
            &format!("{q}type=init&name=a.mkv&size=10&last_modified=7"),
            vec![],
            400,
            Some("invalid_content_id"),
        ),
        case(
            "init with ../ in the name",
            "POST",
            &init("../../etc/passwd.mkv", "10", "tt0000002", ""),
            vec![],
            400,
            Some("invalid_name"),
        ),
        case(
            "init with an absolute name",
            "POST",
            &init("/etc/x.mkv", "10", "tt0000002", ""),
            vec![],
            400,
            Some("invalid_name"),
        ),
        case(
            "init with a backslash",
            "POST",
            &init("..\\x.mkv", "10", "tt0000002", ""),
            vec![],
            400,
            Some("invalid_name"),
        ),
        case(
            "init with NUL in the name",
            "POST",
            &init("a\0b.mkv", "10", "tt0000002", ""),
            vec![],
            400,
            Some("invalid_name"),
        ),
        case(
            "init with a very long name",
            "POST",
            &init(&format!("{}.mkv", "x".repeat(400)), "10", "tt0000002", ""),
            vec![],
            400,
            Some("invalid_name"),
        ),
        case(
            "init with a dot name",
            "POST",
            &init(".mkv", "10", "tt0000002", ""),
            vec![],
            400,
            Some("invalid_name"),
        ),
        case(
            "init of a non-video",
            "POST",
            &init("setup.exe", "10", "tt0000002", ""),
            vec![],
            415,
            Some("unsupported_type"),
        ),
        case(
            "init with size 0",
            "POST",
            &init("a.mkv", "0", "tt0000002", ""),
            vec![],
            400,
            Some("invalid_size"),
        ),
        case(
            "init with a negative size",
            "POST",
            &init("a.mkv", "-5", "tt0000002", ""),
            vec![],
            400,
            Some("invalid_size"),
        ),
        case(
            "init with an unknown mode",
            "POST",
            &init("a.mkv", "10", "tt0000002", "&mode=merge"),
            vec![],
            400,
            Some("invalid_mode"),
        ),
        case(
            "init of a version without label",
            "POST",
            &init("a.mkv", "10", "tt0000002", "&mode=version"),
            vec![],
            400,
            Some("invalid_label"),
        ),
        case(
            "init of a version with a path label",
            "POST",
            &init("a.mkv", "10", "tt0000002", "&mode=version&label=../x"),
            vec![],
            400,
            Some("invalid_label"),
        ),
        case(
            "init by GET, as the notes have it",
            "GET",
            &init("b.mkv", "10", "tt0000003", ""),
            vec![],
            201,
            None,
        ),
        case(
            "chunk for a malformed upload id",
            "POST",
            &format!("{q}type=chunk&offset=0&uploadId=../../x"),
            vec![1],
            400,
            Some("invalid_upload_id"),
        ),
        case(
            "chunk for an unknown upload",
            "POST",
            &format!("{q}type=chunk&offset=0&uploadId={unknown}"),
            vec![1],
            404,
            Some("unknown_upload"),
        ),
        case(
            "chunk without an offset",
            "POST",
            &format!("{q}type=chunk&uploadId={u}"),
            vec![1],
            400,
            Some("invalid_offset"),
        ),
        case(
            "chunk with a bad chunk number",
            "POST",
            &chunk("0", "").replace("chunkNr=1", "chunkNr=x"),
            vec![1],
            400,
            Some("invalid_chunk_nr"),
        ),
        case(
            "chunk at the wrong offset",
            "POST",
            &chunk("5", ""),
            vec![1, 2],
            409,
            Some("offset_mismatch"),
        ),
        case(
            "chunk over the maximum size",
            "POST",
            &chunk("0", ""),
            vec![0; MIB + 1],
            413,
            Some("chunk_too_large"),
        ),
    ];
    cases.extend([
        Case {
            headers: vec![("Content-Digest", digest_header(b"something else"))],
            ..case(
                "chunk whose digest does not match",
                "POST",
                &chunk("0", ""),
                first.clone(),
                400,
                Some("digest_mismatch"),
            )
        },
        Case {
            headers: vec![("Content-Digest", "sha-256=:not base64!:".into())],
            ..case(
                "chunk with a malformed digest",
                "POST",
                &chunk("0", ""),
                first.clone(),
                400,
                Some("invalid_digest"),
            )
        },
        Case {
            headers: vec![("Content-Digest", digest_header(&first))],
            ..case(
                "chunk whose digest matches",
                "POST",
                &chunk("0", ""),
                first.clone(),
                200,
                None,
            )
        },
        case(
            "the same chunk again",
            "POST",
            &chunk("0", ""),
            first.clone(),
            409,
            Some("offset_mismatch"),
        ),
        case(
            "end before all bytes arrived",
            "POST",
            &format!("{q}type=end&uploadId={u}"),
            vec![],
            409,
            Some("incomplete_upload"),
        ),
        case(
            "second chunk",
            "POST",
            &chunk(&MIB.to_string(), ""),
            second,
            200,
            None,
        ),
        case(
            "a chunk past the declared size",
            "POST",
            &chunk(&(2 * MIB).to_string(), ""),
            vec![7; MIB],
            413,
            Some("size_exceeded"),
        ),
        case(
            "the last chunk",
            "POST",
            &chunk(&(2 * MIB).to_string(), ""),
            f.data[2 * MIB..].to_vec(),
            200,
            None,
        ),
        case(
            "a chunk after the last",
            "POST",
            &chunk(&f.data.len().to_string(), ""),
            vec![1],
            413,
            Some("size_exceeded"),
        ),
        case(
            "end",
            "POST",
            &format!("{q}type=end&uploadId={u}"),
            vec![],
            200,
            None,
        ),
        case(
            "end again answers the same",
            "GET",
            &format!("{q}type=end&uploadId={u}"),
            vec![],
            200,
            None,
        ),
        case(
            "a chunk after end",
            "POST",
            &chunk(&f.data.len().to_string(), ""),
            vec![1],
            409,
            Some("upload_complete"),
        ),
        case(
            "init of the same file again",
            "POST",
            &init(&f.name, &f.data.len().to_string(), "tt0000001", "").replace(
                "last_modified=7",
                &format!("last_modified={}", f.last_modified),
            ),
            vec![],
            409,
            Some("file_exists"),
        ),
        case(
            "init of another file for the filed title",
            "POST",
            &init("other.mkv", "10", "tt0000001", ""),
            vec![],
            409,
            Some("title_has_file"),
        ),
        case(
            "init of a replacement",
            "POST",
            &init("other.mkv", "10", "tt0000001", "&mode=replace"),
            vec![],
            201,
            None,
        ),
        case(
            "init of another version",
            "POST",
            &init("other4k.mkv", "10", "tt0000001", "&mode=version&label=4k"),
            vec![],
            201,
            None,
        ),
    ]);

    let mut failures = Vec::new();
    for c in &cases {
        let headers: Vec<(&str, &str)> = c.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = api.request(c.method, &c.path, &headers, &c.body);
        let code = r
            .json()
            .pointer("/error/code")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        if r.status != c.status || code.as_deref() != c.code {
            failures.push(format!(
                "{}: expected {} {:?}, got {} {:?} ({})",
                c.what,
                c.status,
                c.code,
                r.status,
                code,
                r.text()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "protocol table:\n{}",
        failures.join("\n")
    );

    let filed = dirs.media().join("tt0000001/tt0000001.mkv");
    assert_eq!(
        crate::support::sha256_file(&filed),
        f.sha256(),
        "the filed file is the uploaded one"
    );
}

#[test]
fn offset_answers_are_not_cached_and_carry_the_header() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Offsets.mkv", 5000, 2);
    let u = api.start_upload(&f, "tt0000010");
    let r = api.chunk(&u, 0, &f.data[..1000]);
    assert_eq!((r.status, r.header("upload-offset")), (200, Some("1000")));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let h = api.head(&format!("/api/library/upload/?uploadId={u}"));
    assert_eq!(
        (
            h.status,
            h.header("upload-offset"),
            h.header("upload-length")
        ),
        (200, Some("1000"), Some("5000"))
    );
    assert_eq!(h.header("cache-control"), Some("no-store"));
    let wrong = api.chunk(&u, 3, &f.data[3..10]);
    assert_error(&wrong, 409, "offset_mismatch");
    assert_eq!(wrong.json()["offset"].as_u64(), Some(1000));
    assert_eq!(wrong.header("upload-offset"), Some("1000"));
    let info = api.get(&format!(
        "/api/library/upload/?type=info&name={}&size=5000&last_modified={}",
        f.name, f.last_modified
    ));
    let v = info.json();
    assert_eq!(
        (
            v["status"].as_str(),
            v["offset"].as_u64(),
            v["upload_id"].as_str()
        ),
        (Some("partial"), Some(1000), Some(u.as_str()))
    );
    assert_eq!(v["content_id"].as_str(), Some("tt0000010"));
}

#[test]
fn a_chunked_transfer_body_is_accepted_and_overruns_are_cut_off() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Chunked.mkv", 300_000, 3);
    let u = api.start_upload(&f, "tt0000011");
    let auth: Vec<(&str, &str)> = api
        .auth
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = |off: usize| format!("/api/library/upload/?type=chunk&offset={off}&uploadId={u}");
    let r = crate::support::http::request_chunked(
        &api.addr,
        &path(0),
        &auth,
        &[&f.data[..100_000], &f.data[100_000..200_000]],
    );
    assert_eq!(
        (r.status, r.json()["offset"].as_u64()),
        (200, Some(200_000)),
        "{}",
        r.text()
    );
    // Without a Content-Length, the overrun is found while streaming; the chunk is discarded.
    let too_much = vec![5u8; 150_000];
    let r = crate::support::http::request_chunked(
        &api.addr,
        &path(200_000),
        &auth,
        &[&too_much[..60_000], &too_much[60_000..]],
    );
    assert_error(&r, 413, "size_exceeded");
    assert_eq!(
        api.offset(&u),
        200_000,
        "nothing of the overrunning chunk is kept"
    );
    api.send_from(&u, &f.data, 200_000, 100_000);
    assert_eq!(api.end(&u).status, 200);
    assert_eq!(
        crate::support::sha256_file(&dirs.media().join("tt0000011/tt0000011.mkv")),
        f.sha256()
    );
}

#[test]
fn info_lists_many_files_with_their_status() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let done = FileSpec::new("Done.mkv", 2000, 4);
    let half = FileSpec::new("Half.mkv", 4000, 5);
    api.upload(&done, "tt0000020");
    let u = api.start_upload(&half, "tt0000021");
    api.send_from(&u, &half.data[..1500], 0, 1500);
    let body = serde_json::json!([
        {"name": done.name, "size": 2000, "last_modified": done.last_modified},
        {"name": half.name, "size": 4000, "lastModified": half.last_modified},
        {"name": "New.mkv", "size": 100, "last_modified": 1},
    ]);
    let r = api.post_json("/api/library/upload/info", &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let row = |i: usize| {
        (
            v["files"][i]["status"].as_str().map(str::to_owned),
            v["files"][i]["offset"].as_u64(),
            v["files"][i]["content_id"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(
        row(0),
        (
            Some("complete".into()),
            Some(2000),
            Some("tt0000020".into())
        )
    );
    assert_eq!(
        row(1),
        (Some("partial".into()), Some(1500), Some("tt0000021".into()))
    );
    assert_eq!(row(2), (Some("none".into()), Some(0), None));
    assert_eq!(v["needed_bytes"].as_u64(), Some(2500 + 100));
    assert_eq!(v["fits"].as_bool(), Some(true));
    assert_eq!(v["files"][0]["file_id"].as_str().map(str::len), Some(64));
}
