//! The schema as an append-only list of migrations; `PRAGMA user_version` counts those applied.

/// Each entry moves the schema one version forward. Never edit an entry once released: append.
pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    can_upload    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used  INTEGER
);

CREATE TABLE user_settings (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- The notes' metadata table. Lists and objects are JSON text. fetched_at NULL: not fetched yet.
CREATE TABLE metadata (
    content_id        TEXT PRIMARY KEY,
    title             TEXT NOT NULL,
    original_title    TEXT,
    year              INTEGER,
    kind              TEXT,
    stars             TEXT,
    cast_members      TEXT,
    directors         TEXT,
    writers           TEXT,
    genres            TEXT,
    duration_minutes  INTEGER,
    plot_short        TEXT,
    plot_long         TEXT,
    rating_value      REAL,
    rating_votes      INTEGER,
    rating_max        REAL,
    poster_url        TEXT,
    parental_rating   TEXT,
    metascore         INTEGER,
    suggestions       TEXT,
    tagline           TEXT,
    wikidata_id       TEXT,
    rotten_tomatoes   TEXT,
    metacritic_url    TEXT,
    metacritic_rating INTEGER,
    details           TEXT,
    awards            TEXT,
    trailer_url       TEXT,
    poster_file       TEXT,
    fetched_at        INTEGER,
    fetch_error       TEXT,
    updated_at        INTEGER NOT NULL
);

-- A user's own values for metadata fields; a refresh of `metadata` never touches them.
CREATE TABLE metadata_overrides (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content_id TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, content_id, field)
);

-- One row per movie file in the library; the technical columns are filled by the prober.
CREATE TABLE content_files (
    file_id       TEXT PRIMARY KEY,
    content_id    TEXT NOT NULL REFERENCES metadata(content_id),
    label         TEXT NOT NULL DEFAULT '',
    path          TEXT NOT NULL UNIQUE,
    ext           TEXT NOT NULL,
    size          INTEGER NOT NULL,
    original_name TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    uploaded_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    container     TEXT,
    duration_ms   INTEGER,
    width         INTEGER,
    height        INTEGER,
    video_codec   TEXT,
    audio_codec   TEXT,
    bit_rate      INTEGER,
    probe_json    TEXT,
    probed_at     INTEGER,
    UNIQUE (content_id, label)
);

CREATE TABLE uploads (
    upload_id     TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    file_id       TEXT NOT NULL,
    content_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    size          INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    ext           TEXT NOT NULL,
    mode          TEXT NOT NULL CHECK (mode IN ('new', 'replace', 'version')),
    label         TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL CHECK (state IN ('active', 'complete', 'expired', 'cancelled')),
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    result_path   TEXT
);
CREATE INDEX uploads_file ON uploads(file_id, state);

-- File-system moves that must happen together with a row change: written before the rename,
-- removed in the transaction that records its result, replayed or dropped at start-up.
CREATE TABLE intents (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('file_upload', 'file_move')),
    from_path  TEXT NOT NULL,
    to_path    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE collections (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('franchise', 'sequel', 'custom')),
    builtin    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE collection_items (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    content_id    TEXT NOT NULL,
    PRIMARY KEY (collection_id, content_id)
);

CREATE TABLE categories (
    id       INTEGER PRIMARY KEY,
    slug     TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL,
    icon     TEXT
);

CREATE TABLE category_items (
    category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    content_id  TEXT NOT NULL,
    PRIMARY KEY (category_id, content_id)
);

-- Every change to what the catalogue shows, in order, for the renderer and the sync agent.
CREATE TABLE changes (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    content_id    TEXT,
    collection_id INTEGER
);
"#,
    r#"
-- Metadata fetching: how often it failed, when to try again.
ALTER TABLE metadata ADD COLUMN fetch_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE metadata ADD COLUMN next_fetch_at INTEGER;

-- Answers of the title-suggestion search, by query.
CREATE TABLE suggestion_cache (
    query      TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
);
"#,
    r#"
-- Access: what a member may do beyond browsing, invitations, and where a session came from.
ALTER TABLE users ADD COLUMN can_delete INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN can_edit_collections INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login INTEGER;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';

-- A link that lets a person choose their own name and password; used once.
CREATE TABLE invitations (
    id                   INTEGER PRIMARY KEY,
    token_hash           TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    can_upload           INTEGER NOT NULL DEFAULT 0,
    can_delete           INTEGER NOT NULL DEFAULT 0,
    can_edit_collections INTEGER NOT NULL DEFAULT 0,
    created_by           INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    used_by              INTEGER REFERENCES users(id) ON DELETE SET NULL,
    used_at              INTEGER
);
"#,
    r#"
-- A title's deletion is an intent too: its rows go with the intent's row, its files after.
-- So is moving a title between library roots (copy, switch the rows, remove the old copy).
CREATE TABLE intents_new (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('file_upload', 'file_move', 'title_delete',
                                             'title_move', 'files_delete')),
    from_path  TEXT NOT NULL,
    to_path    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO intents_new SELECT id, kind, from_path, to_path, payload, created_at FROM intents;
DROP TABLE intents;
ALTER TABLE intents_new RENAME TO intents;
"#,
    r#"
-- Every file in the library is a row: movies (their upload details stay in content_files),
-- posters, cards, trailers, subtitles. root is the library root's name: its place in the list of
-- roots, from '1'.
CREATE TABLE library_files (
    id         INTEGER PRIMARY KEY,
    content_id TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('movie', 'poster', 'card', 'trailer', 'subtitle',
                                             'subtitle_source', 'remux', 'subtitle_embedded')),
    label      TEXT NOT NULL DEFAULT '',
    root       TEXT NOT NULL DEFAULT '1',
    path       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    mtime      INTEGER NOT NULL,
    sha256     TEXT,
    UNIQUE (root, path)
);
CREATE INDEX library_files_by_title ON library_files (content_id, kind);
INSERT INTO library_files (content_id, kind, label, path, size, mtime)
    SELECT content_id, 'movie', label, path, size, created_at FROM content_files;
INSERT OR IGNORE INTO library_files (content_id, kind, path, size, mtime)
    SELECT content_id, 'poster', poster_file, 0, updated_at FROM metadata WHERE poster_file IS NOT NULL;
INSERT OR IGNORE INTO library_files (content_id, kind, path, size, mtime)
    SELECT content_id, 'card', substr(poster_file, 1, length(poster_file) - 4) || '.card.jpg', 0, updated_at
    FROM metadata WHERE poster_file LIKE '%.jpg';
"#,
    r#"
-- Several library roots: the root an upload is staged on (and will be filed on).
ALTER TABLE uploads ADD COLUMN root TEXT NOT NULL DEFAULT '1';
"#,
    r#"
-- What ffprobe reads of a movie file (container, duration, bit rate, size and codecs have their
-- columns from the first schema), and whether browsers play it as it is.
ALTER TABLE content_files ADD COLUMN video_profile TEXT;
ALTER TABLE content_files ADD COLUMN bit_depth INTEGER;
ALTER TABLE content_files ADD COLUMN hdr TEXT;
ALTER TABLE content_files ADD COLUMN audio_tracks TEXT;
ALTER TABLE content_files ADD COLUMN subtitle_tracks TEXT;
ALTER TABLE content_files ADD COLUMN playable TEXT;
"#,
    r#"
-- Transcoding: a movie file's HLS ladder is a kind of library file too.
CREATE TABLE library_files_new (
    id         INTEGER PRIMARY KEY,
    content_id TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('movie', 'poster', 'card', 'trailer', 'subtitle',
                                             'subtitle_source', 'remux', 'subtitle_embedded',
                                             'hls')),
    label      TEXT NOT NULL DEFAULT '',
    root       TEXT NOT NULL DEFAULT '1',
    path       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    mtime      INTEGER NOT NULL,
    sha256     TEXT,
    UNIQUE (root, path)
);
INSERT INTO library_files_new SELECT * FROM library_files;
DROP TABLE library_files;
ALTER TABLE library_files_new RENAME TO library_files;
CREATE INDEX library_files_by_title ON library_files (content_id, kind);

-- The server's settings as an admin changed them in the browser, laid over the configuration
-- file: the key is the configuration key, the value its JSON.
CREATE TABLE server_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    changed_at INTEGER NOT NULL
);

-- A movie file to transcode into its HLS ladder. One job per file; a job found running at
-- start-up was cut off by the process's end and is queued again.
CREATE TABLE transcode_jobs (
    id          INTEGER PRIMARY KEY,
    file_id     TEXT NOT NULL UNIQUE REFERENCES content_files(file_id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    error       TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER
);
"#,
    r#"
-- Where each person stopped in each title, and what they have watched: their own, never shown
-- to anyone else. file_id is the version they played (NULL once that file is gone).
CREATE TABLE watch_state (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content_id  TEXT NOT NULL,
    file_id     TEXT REFERENCES content_files(file_id) ON DELETE SET NULL,
    position_s  REAL NOT NULL DEFAULT 0,
    duration_s  REAL NOT NULL DEFAULT 0,
    watched     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, content_id)
);
CREATE INDEX watch_state_recent ON watch_state (user_id, updated_at);
"#,
    r#"
-- A title's side files in the order they are read (by kind, then path), from the index alone:
-- a render reads every title's, and sorted each title's apart before.
DROP INDEX library_files_by_title;
CREATE INDEX library_files_by_title ON library_files (content_id, kind, path);
"#,
];
