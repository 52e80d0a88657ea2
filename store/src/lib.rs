//! The one place that runs SQL: the schema and its migrations, the queries, and the domain types
//! (`ContentId`, `FileId`, `UploadId`) that every other crate passes around.

pub mod builtin;
mod catalog;
mod changes;
mod collections;
pub mod config;
mod db;
mod error;
mod files;
mod ids;
mod intents;
pub mod layout;
mod library;
mod library_files;
mod metadata;
mod render_index;
mod schema;
mod sessions;
pub mod text;
mod transcode;
mod uploads;
mod users;
mod watch;

pub use catalog::{Category, Title};
pub use changes::{Change, ChangeKind};
pub use collections::{Collection, CollectionKind, CollectionPatch};
pub use db::Store;
pub use error::{Error, Result};
pub use files::{AudioTrack, ContentFile, NewFile, SubtitleTrack, Technical};
pub use ids::{ContentId, FileId, IdError, UploadId, hex};
pub use intents::{Completed, Intent, IntentKind};
pub use layout::FileKind;
pub use library::{LibraryStats, MovieCard, MovieInfo};
pub use library_files::{LibraryFile, NewLibraryFile};
pub use metadata::{Duration, Metadata, MetadataRecord, Rating, URL_FIELDS, is_web_url};
pub use render_index::{
    Bulk, BulkList, CARD_BUCKETS, COUNTED_PREFIXES, CardRow, IndexReader, IndexTx, IndexView,
    Interner, ListRow, Member, RenderIndex, Shared, card_bucket, counted_prefixes,
};
pub use sessions::{Origin, Session, SessionInfo, TokenInfo};
pub use transcode::{JobState, TranscodeJob};
pub use uploads::{NewUpload, Upload, UploadMode, UploadState};
pub use users::{Grants, Invitation, Permission, Role, User, UserListing, UserPatch};
pub use watch::{WATCHED_AT, WatchState};

/// Seconds since the Unix epoch, the one clock the store records.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
