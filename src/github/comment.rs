//! Keeping one pull-request comment current: find twgate's earlier comment by a hidden marker, then update
//! it, leave it alone, or create one, and delete any duplicates, with the body always within GitHub's limit.

use std::fmt;
use std::time::Duration;

use super::api::{Api, Comment, backoff};
use super::context::PullRequest;
use super::error::CommentError;

/// The hidden first line that marks twgate's comment; [`sync_comment`] adds it to every body.
pub const MARKER: &str = "<!-- twgate:pr-comment -->";
/// GitHub's limit on a comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 65_536;
/// The most a caller's body may hold, in UTF-16 code units (never fewer than characters), leaving room for
/// the marker line. A longer body is cut, with a note saying so.
pub const MAX_BODY_CHARS: usize = MAX_COMMENT_CHARS - MARKER.len() - 1;

/// Ends a body that was cut to fit.
const CUT_NOTE: &str = "\n\n---\n*twgate cut this comment at GitHub's 65,536-character limit: \
                        the full report is in the workflow run's job summary and report files.*";
/// Room kept for closing what the cut left open (`</details>` tags, a code fence).
const CLOSERS_ROOM: usize = 200;

/// How [`sync_comment_with`] talks to GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// Time limit of one request, from sending to the end of the answer.
    pub timeout: Duration,
    /// Retries after a 5xx, a network failure or a time-out (a create is retried only after looking again).
    pub max_retries: u32,
    /// The wait before the first retry; each later one waits twice as long as the one before.
    pub backoff: Duration,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            timeout: Duration::from_secs(15),
            max_retries: 2,
            backoff: Duration::from_secs(1),
        }
    }
}

/// The comment twgate left in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// GitHub's comment id.
    pub id: u64,
    /// Where a person sees it.
    pub url: String,
    /// Earlier twgate comments on the same pull request that were deleted (the oldest one is kept).
    pub duplicates_deleted: usize,
    /// Whether the body was cut to GitHub's limit.
    pub truncated: bool,
}

/// What [`sync_comment`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentOutcome {
    /// There was no twgate comment; one was created.
    Created(Posted),
    /// The earlier comment was changed to the new body.
    Updated(Posted),
    /// The earlier comment already said this.
    Unchanged(Posted),
    /// There was no twgate comment and nothing worth creating one for.
    NotNeeded,
}

impl fmt::Display for CommentOutcome {
    /// One line for the log, such as "updated the pull request comment https://…; deleted 1 duplicate".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let posted = match self {
            CommentOutcome::Created(posted) => {
                write!(f, "created the pull request comment {}", posted.url)?;
                posted
            }
            CommentOutcome::Updated(posted) => {
                write!(f, "updated the pull request comment {}", posted.url)?;
                posted
            }
            CommentOutcome::Unchanged(posted) => {
                write!(
                    f,
                    "the pull request comment {} is already up to date",
                    posted.url
                )?;
                posted
            }
            CommentOutcome::NotNeeded => {
                return f.write_str(
                    "no pull request comment: nothing to report, and none was posted before",
                );
            }
        };
        match posted.duplicates_deleted {
            0 => {}
            1 => f.write_str("; deleted 1 duplicate")?,
            n => write!(f, "; deleted {n} duplicates")?,
        }
        if posted.truncated {
            f.write_str("; its body was cut to GitHub's 65,536-character limit")?;
        }
        Ok(())
    }
}

/// Keeps one twgate comment on `pr` current with `body` (Markdown, without the marker): finds the earlier
/// comment by its hidden marker on every page of comments, updates it if the body changed, leaves it alone if
/// not, creates one only when `worth_creating`, and deletes duplicates (keeping the oldest). Uses
/// [`SyncOptions::default`].
pub async fn sync_comment(
    pr: &PullRequest,
    body: &str,
    worth_creating: bool,
) -> Result<CommentOutcome, CommentError> {
    sync_comment_with(pr, body, worth_creating, &SyncOptions::default()).await
}

/// [`sync_comment`] with explicit time limits and retries.
pub async fn sync_comment_with(
    pr: &PullRequest,
    body: &str,
    worth_creating: bool,
    options: &SyncOptions,
) -> Result<CommentOutcome, CommentError> {
    let (text, truncated) = comment_text(body);
    let api = Api::new(pr, options)?;
    let posted = |comment: &Comment, duplicates_deleted| Posted {
        id: comment.id,
        url: comment.html_url.clone(),
        duplicates_deleted,
        truncated,
    };
    let mut posts = 0;
    loop {
        let mut ours: Vec<Comment> = api
            .list()
            .await?
            .into_iter()
            .filter(|comment| comment.body.as_deref().is_some_and(is_ours))
            .collect();
        ours.sort_by_key(|comment| comment.id);
        if ours.is_empty() {
            if !worth_creating {
                return Ok(CommentOutcome::NotNeeded);
            }
            posts += 1;
            match api.create(&text).await {
                Ok(comment) => return Ok(CommentOutcome::Created(posted(&comment, 0))),
                // The comment may have been stored although the answer was lost: look again, then decide.
                Err(failure) if failure.transient && posts <= options.max_retries => {
                    tokio::time::sleep(backoff(options, posts)).await;
                    continue;
                }
                Err(failure) => return Err(failure.error),
            }
        }
        let kept = ours.remove(0);
        let outcome = if kept
            .body
            .as_deref()
            .is_some_and(|old| same_text(old, &text))
        {
            let posted = posted(&kept, ours.len());
            // After a lost answer to our post, the comment found is the one we created.
            if posts > 0 {
                CommentOutcome::Created(posted)
            } else {
                CommentOutcome::Unchanged(posted)
            }
        } else {
            CommentOutcome::Updated(posted(&api.update(kept.id, &text).await?, ours.len()))
        };
        for duplicate in &ours {
            api.delete(duplicate.id).await?;
        }
        return Ok(outcome);
    }
}

/// Whether a comment body is twgate's.
fn is_ours(body: &str) -> bool {
    body.trim_start().starts_with(MARKER)
}

/// Whether two bodies read the same; GitHub may hand back CRLF line ends and drop trailing blanks.
fn same_text(old: &str, new: &str) -> bool {
    old.replace("\r\n", "\n").trim_end() == new.replace("\r\n", "\n").trim_end()
}

/// The whole comment: the marker line, then `body` cut to fit; and whether it was cut.
fn comment_text(body: &str) -> (String, bool) {
    let (body, truncated) = fit_body(body);
    (format!("{MARKER}\n{body}"), truncated)
}

/// `body` within [`MAX_BODY_CHARS`] UTF-16 code units. A longer one is cut at a character boundary
/// (at the last line break, unless that loses more than half), what the cut left open is closed, and a note is added.
fn fit_body(body: &str) -> (String, bool) {
    if utf16_len(body) <= MAX_BODY_CHARS {
        return (body.to_owned(), false);
    }
    let room = MAX_BODY_CHARS - utf16_len(CUT_NOTE) - CLOSERS_ROOM;
    let mut used = 0;
    let mut end = 0;
    for (index, character) in body.char_indices() {
        used += character.len_utf16();
        if used > room {
            break;
        }
        end = index + character.len_utf8();
    }
    let kept = &body[..end];
    let kept = match kept.rfind('\n') {
        Some(line_end) if line_end >= kept.len() / 2 => &kept[..line_end],
        _ => kept,
    };
    let mut closers = String::new();
    if kept
        .lines()
        .filter(|line| line.trim_start().starts_with("```"))
        .count()
        % 2
        == 1
    {
        closers.push_str("\n```");
    }
    let open_details = kept
        .matches("<details")
        .count()
        .saturating_sub(kept.matches("</details>").count());
    closers.push_str(&"\n</details>".repeat(open_details.min(16)));
    (format!("{kept}{closers}{CUT_NOTE}"), true)
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_bodies_are_kept_whole_after_the_marker() {
        let (text, truncated) = comment_text("## twgate\n\nall clear");
        assert_eq!(text, "<!-- twgate:pr-comment -->\n## twgate\n\nall clear");
        assert!(!truncated);
        assert!(is_ours(&text) && is_ours(&format!("\r\n{text}")));
        assert!(!is_ours("> <!-- twgate:pr-comment -->\nquoted"));
        let (exact, truncated) = comment_text(&"a".repeat(MAX_BODY_CHARS));
        assert!(!truncated);
        assert_eq!(utf16_len(&exact), MAX_COMMENT_CHARS);
    }

    #[test]
    fn long_bodies_are_cut_at_a_line_with_a_note() {
        let line = "| /secret.csv | production | https://x.twil.io/secret.csv | denied |\n";
        let body = line.repeat(MAX_BODY_CHARS / line.len() + 10);
        let (text, truncated) = comment_text(&body);
        assert!(truncated);
        assert!(
            utf16_len(&text) <= MAX_COMMENT_CHARS,
            "{}",
            utf16_len(&text)
        );
        let kept = text.strip_suffix(CUT_NOTE).expect("the note ends it");
        assert!(
            kept.ends_with("| denied |"),
            "cut at a line end: {:?}",
            &kept[kept.len() - 20..]
        );
    }

    #[test]
    fn wide_characters_are_never_split_and_count_twice() {
        // Each emoji is one character but two UTF-16 units: 40,000 of them are 80,000 units.
        let body = "🔓".repeat(40_000);
        let (text, truncated) = comment_text(&body);
        assert!(truncated);
        assert!(utf16_len(&text) <= MAX_COMMENT_CHARS);
        let kept = text
            .strip_prefix(MARKER)
            .and_then(|rest| rest.strip_suffix(CUT_NOTE))
            .expect("marker and note");
        assert!(kept.trim_start_matches('\n').chars().all(|c| c == '🔓'));
        assert!(kept.chars().count() > 30_000);
    }

    #[test]
    fn a_cut_closes_open_details_and_code_fences() {
        let body = format!(
            "<details><summary>all</summary>\n\n```\n{}",
            "x\n".repeat(40_000)
        );
        let (text, truncated) = comment_text(&body);
        assert!(truncated);
        assert!(
            text.ends_with(&format!("x\n```\n</details>{CUT_NOTE}")),
            "{}",
            &text[text.len() - 300..]
        );
        assert!(utf16_len(&text) <= MAX_COMMENT_CHARS);
    }

    #[test]
    fn line_ends_and_trailing_blanks_do_not_count_as_changes() {
        assert!(same_text("a\r\nb\r\n", "a\nb"));
        assert!(!same_text("a\nb", "a\nc"));
    }

    #[test]
    fn outcomes_read_as_one_log_line() {
        let posted = |duplicates_deleted, truncated| Posted {
            id: 1,
            url: "https://github.com/a/b/pull/1#issuecomment-1".to_owned(),
            duplicates_deleted,
            truncated,
        };
        assert_eq!(
            CommentOutcome::Updated(posted(2, true)).to_string(),
            "updated the pull request comment https://github.com/a/b/pull/1#issuecomment-1; deleted 2 \
             duplicates; its body was cut to GitHub's 65,536-character limit"
        );
        assert_eq!(
            CommentOutcome::Unchanged(posted(1, false)).to_string(),
            "the pull request comment https://github.com/a/b/pull/1#issuecomment-1 is already up to date; \
             deleted 1 duplicate"
        );
        assert!(
            CommentOutcome::Created(posted(0, false))
                .to_string()
                .starts_with("created")
        );
        assert!(
            CommentOutcome::NotNeeded
                .to_string()
                .starts_with("no pull request comment")
        );
    }
}
