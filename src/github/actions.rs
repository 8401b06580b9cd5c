//! Files GitHub Actions hands a step: the job summary (`GITHUB_STEP_SUMMARY`) and the step outputs
//! (`GITHUB_OUTPUT`). Both are appended to; failing to write them is a warning, never a changed verdict.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// GitHub's limit on one step's job summary, in bytes.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// Appends `markdown` to the job summary file, cut to fit GitHub's limit at a character boundary.
pub fn append_step_summary(path: &Path, markdown: &str) {
    let mut end = markdown.len().min(STEP_SUMMARY_LIMIT);
    while !markdown.is_char_boundary(end) {
        end -= 1;
    }
    append(
        path,
        &markdown[..end],
        "the job summary (GITHUB_STEP_SUMMARY)",
    );
}

/// Appends `name=value` lines to the step outputs file.
pub fn append_outputs(path: &Path, outputs: &[(&str, usize)]) {
    let text: String = outputs
        .iter()
        .map(|(name, value)| format!("{name}={value}\n"))
        .collect();
    append(path, &text, "the step outputs (GITHUB_OUTPUT)");
}

fn append(path: &Path, text: &str, what: &str) {
    let written = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(error) = written {
        eprintln!(
            "twgate: warning: cannot append to {what} at {}: {error}",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_and_summaries_are_appended() {
        let directory = tempfile::tempdir().expect("temp dir");
        let outputs = directory.path().join("out");
        std::fs::write(&outputs, "earlier=1\n").expect("write");
        append_outputs(&outputs, &[("violations", 5), ("new-violations", 2)]);
        assert_eq!(
            std::fs::read_to_string(&outputs).expect("read"),
            "earlier=1\nviolations=5\nnew-violations=2\n"
        );
        let summary = directory.path().join("summary");
        append_step_summary(&summary, "## a\n");
        append_step_summary(&summary, &"é".repeat(STEP_SUMMARY_LIMIT));
        let text = std::fs::read_to_string(&summary).expect("read: valid UTF-8");
        assert!(text.starts_with("## a\n"));
        assert!(text.len() <= STEP_SUMMARY_LIMIT + 5);
    }

    #[test]
    fn an_unwritable_file_is_only_a_warning() {
        append_outputs(Path::new("/nonexistent-dir/out"), &[("violations", 1)]);
    }
}
