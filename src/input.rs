//! Reading an input file (policy, baseline) whole, with a size limit, so a wrong path (`/dev/zero`, a
//! disk image) fails at once with a clear error instead of filling memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// A mebibyte, for limits.
pub const MIB: u64 = 1024 * 1024;

/// Reads the file at `path`, failing when it holds more than `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it holds more than {} MiB, far more than this kind of file needs: check the path",
                limit / MIB
            ),
        ));
    }
    Ok(bytes)
}

/// [`read_limited`] for a file that must be UTF-8 text.
pub fn read_text_limited(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_limited(path, limit)?).map_err(|error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it is not UTF-8 text (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_within_the_limit_is_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("policy.yaml");
        std::fs::write(&path, "x".repeat(1024)).expect("write");
        assert_eq!(read_limited(&path, 1024).expect("read").len(), 1024);
        assert_eq!(read_text_limited(&path, 1024).expect("read").len(), 1024);
    }

    #[test]
    fn an_endless_or_oversized_input_fails_fast() {
        let error = read_limited(Path::new("/dev/zero"), MIB).expect_err("endless");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("more than 1 MiB"), "{error}");
    }

    #[test]
    fn text_that_is_not_utf8_names_the_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("baseline.json");
        std::fs::write(&path, b"{\"a\xff").expect("write");
        let error = read_text_limited(&path, MIB).expect_err("not UTF-8");
        assert!(error.to_string().contains("offset 3"), "{error}");
    }
}
