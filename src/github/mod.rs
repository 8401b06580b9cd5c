//! GitHub: the files Actions hands a step (job summary, step outputs), and the pull-request comment, which
//! finds the pull request from the Actions environment and keeps one twgate comment on it current through
//! GitHub's REST API (octocrab). Called after the report is rendered; nothing here decides the exit code.

pub mod actions;
mod api;
pub mod comment;
pub mod context;
pub mod error;

pub use comment::{
    CommentOutcome, MARKER, MAX_BODY_CHARS, MAX_COMMENT_CHARS, Posted, SyncOptions, sync_comment,
    sync_comment_with,
};
pub use context::PullRequest;
pub use error::CommentError;
