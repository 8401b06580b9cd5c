//! Writing a report file atomically: readers see the old file or the whole new one, never a part.

use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// How many symbolic links [`resolve_file`] follows before it stops (the kernel's own limit).
const MAX_LINKS: usize = 40;

/// The directory a file path is in: its parent, or `.` for a bare file name.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// The file `path` names, as one absolute name: symbolic links followed (a dangling one to the file it
/// would create), `.`, `..` and linked directories resolved. Two paths naming the same file resolve alike.
pub fn resolve_file(path: &Path) -> PathBuf {
    if let Ok(resolved) = fs::canonicalize(path) {
        return resolved;
    }
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::read_link(&current) {
            Ok(target) => current = directory_of(&current).join(target),
            Err(_) => break,
        }
    }
    let directory = directory_of(&current);
    let directory = fs::canonicalize(directory).unwrap_or_else(|_| directory.to_path_buf());
    match current.file_name() {
        Some(name) => directory.join(name),
        None => directory,
    }
}

/// Whether `path` is itself a symbolic link (not followed).
fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// Whether `path` names one of this process's open descriptors (`/dev/stdout`, `/dev/fd/N`,
/// `/proc/self/fd/N`): what the shell opened there (a pipe, or a file it truncated or opens for appending)
/// is written to, never replaced.
fn names_open_descriptor(path: &Path) -> bool {
    ["/dev/stdout", "/dev/stderr"]
        .iter()
        .any(|name| path == Path::new(name))
        || ["/dev/fd/", "/proc/self/fd/"]
            .iter()
            .any(|prefix| path.starts_with(prefix) && path != Path::new(prefix))
}

/// How a report reaches the file a path names.
enum Destination {
    /// Written straight through, appending: a FIFO, a device, an open descriptor.
    Stream,
    /// Replaced whole: `file` (links resolved) through `temporary` beside it.
    Replace { file: PathBuf, temporary: PathBuf },
}

/// How `path` is written, or why it cannot be: it is a directory, its directory does not exist, or it is a
/// loop of links.
fn destination(path: &Path) -> io::Result<Destination> {
    let special = fs::metadata(path).is_ok_and(|meta| !meta.is_file() && !meta.is_dir());
    if special || names_open_descriptor(path) {
        return Ok(Destination::Stream);
    }
    let file = resolve_file(path);
    let refuse = |kind, why: String| Err(io::Error::new(kind, why));
    if is_symlink(&file) {
        return refuse(
            io::ErrorKind::InvalidInput,
            format!("more than {MAX_LINKS} symbolic links, or a loop of them"),
        );
    }
    if file.is_dir() {
        return refuse(io::ErrorKind::InvalidInput, "it is a directory".into());
    }
    let directory = directory_of(&file);
    if !directory.is_dir() {
        return refuse(
            io::ErrorKind::NotFound,
            "its directory does not exist".into(),
        );
    }
    let Some(name) = file.file_name() else {
        return refuse(io::ErrorKind::InvalidInput, "the path names no file".into());
    };
    let temporary = directory.join(format!(
        ".{}.twgate-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    Ok(Destination::Replace { file, temporary })
}

/// Checks, before any work, that a report could be written to `path`: its directory exists and takes a
/// new file, or the stream it names opens for writing.
pub fn check_writable(path: &Path) -> io::Result<()> {
    match destination(path)? {
        Destination::Stream => OpenOptions::new().append(true).open(path).map(drop),
        Destination::Replace { temporary, .. } => {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)
                .map_err(|error| {
                    io::Error::new(
                        error.kind(),
                        format!("its directory does not take a new file: {error}"),
                    )
                })?;
            fs::remove_file(&temporary)
        }
    }
}

/// Writes `contents` to `path` through a temporary file in the same directory and a rename.
/// On any failure the temporary file is removed and `path` is left as it was. A symbolic link is followed
/// (the file it names is replaced, the link kept; a dangling link's file is created), and the replaced
/// file keeps its permissions. A path that is not a regular file (a FIFO, a device) or that names an open
/// descriptor (`/dev/stdout`, `/dev/fd/N`) is written straight through, appending, never replaced.
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
    let (path, temporary) = match destination(path)? {
        Destination::Stream => {
            let mut file = BufWriter::new(OpenOptions::new().append(true).open(path)?);
            write(&mut file)?;
            return file.flush();
        }
        Destination::Replace { file, temporary } => (file, temporary),
    };
    let permissions = fs::metadata(&path).ok().map(|meta| meta.permissions());
    let result = (|| {
        let mut file = BufWriter::new(
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)?,
        );
        write(&mut file)?;
        file.flush()?;
        if let Some(permissions) = permissions {
            file.get_ref().set_permissions(permissions)?;
        }
        drop(file);
        fs::rename(&temporary, &path)
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
        assert!(is_symlink(&link));
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
    }

    #[test]
    fn a_dangling_link_creates_its_file_and_stays_a_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("made.json", &link).expect("symlink");
        write_atomically(&link, b"new").expect("write through the dangling link");
        assert!(is_symlink(&link));
        assert_eq!(
            fs::read_to_string(dir.path().join("made.json")).expect("read"),
            "new"
        );
    }

    #[test]
    fn a_loop_of_links_is_an_error_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::os::unix::fs::symlink("b", &a).expect("symlink");
        std::os::unix::fs::symlink("a", &b).expect("symlink");
        assert!(write_atomically(&a, b"new").is_err());
        assert!(is_symlink(&a));
        assert!(is_symlink(&b));
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 2);
    }

    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.sarif");
        fs::write(&path, "old").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        write_atomically(&path, b"new").expect("atomic write");
        let mode = fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn the_same_file_resolves_alike_through_links_and_dots() {
        let dir = tempfile::tempdir().expect("tempdir");
        let policy = dir.path().join("twgate.yaml");
        fs::write(&policy, "x").expect("write");
        let link = dir.path().join("plink");
        std::os::unix::fs::symlink("twgate.yaml", &link).expect("symlink");
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("sub/../new.json", &dangling).expect("symlink");
        fs::create_dir(dir.path().join("sub")).expect("mkdir");
        assert_eq!(resolve_file(&link), resolve_file(&policy));
        assert_eq!(
            resolve_file(&dir.path().join("sub/../twgate.yaml")),
            resolve_file(&policy)
        );
        assert_eq!(
            resolve_file(&dangling),
            resolve_file(&dir.path().join("new.json"))
        );
    }

    #[test]
    fn descriptors_are_told_from_files() {
        for path in ["/dev/stdout", "/dev/stderr", "/dev/fd/1", "/proc/self/fd/3"] {
            assert!(names_open_descriptor(Path::new(path)), "{path}");
        }
        for path in [
            "/dev/fd",
            "/dev/fd/",
            "/tmp/dev/fd/1",
            "report.json",
            "/dev/null",
        ] {
            assert!(!names_open_descriptor(Path::new(path)), "{path}");
        }
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
