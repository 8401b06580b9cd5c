//! Writing a report file atomically: readers see the old file or the whole new one, never a part.

use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The directory a file path is in: its parent, or `.` for a bare file name.
pub fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Writes `contents` to `path` through a temporary file in the same directory and a rename.
/// On any failure the temporary file is removed and `path` is left as it was. A symbolic link is followed
/// (the file it names is replaced, the link kept), and a path that is not a regular file (`/dev/stdout`, a
/// FIFO, a device) is written straight through, never replaced.
///
/// The file is not synced to disk before the rename: other processes (the next CI step) never see a part of
/// it either way, and syncing a large report costs more than the rest of its writing (0.1 to 0.25 s for
/// 70 MB), to guard only against the machine itself crashing.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_atomically_with(path, |out| out.write_all(contents))
}

/// [`write_atomically`] with the contents streamed by `write` (buffered), so a large report is never held
/// whole in memory.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let resolved = fs::canonicalize(path).ok();
    if let Some(target) = &resolved
        && !fs::metadata(target)?.is_file()
        && !target.is_dir()
    {
        let mut file = BufWriter::new(OpenOptions::new().write(true).truncate(true).open(target)?);
        write(&mut file)?;
        return file.flush();
    }
    let path = resolved.as_deref().unwrap_or(path);
    let directory = directory_of(path);
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the output path names no file")
    })?;
    let temporary = directory.join(format!(
        ".{}.twgate-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = BufWriter::new(
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)?,
        );
        write(&mut file)?;
        file.flush()?;
        drop(file);
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.json");
        fs::write(&path, "old").expect("write");
        write_atomically(&path, b"new").expect("atomic write");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn special_files_are_written_through_and_links_kept() {
        write_atomically(Path::new("/dev/null"), b"discarded").expect("write to /dev/null");
        assert!(!fs::metadata("/dev/null").expect("stat").is_file());
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target.json");
        fs::write(&target, "old").expect("write");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        write_atomically(&link, b"new").expect("write through the link");
        assert!(
            fs::symlink_metadata(&link)
                .expect("lstat")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("is-a-directory");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("keep"), "x").expect("write");
        assert!(write_atomically(&target, b"new").is_err());
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
        assert!(write_atomically(&dir.path().join("missing/report.json"), b"x").is_err());
    }
}
