//! Path globs: whole-path matching where `*` stays inside one segment and `**` crosses segments.

use globset::{Glob, GlobBuilder};

/// A parsed path glob; a policy's globs are compiled together, into its rule index.
#[derive(Debug, Clone)]
pub struct PathGlob {
    text: String,
    glob: Glob,
}

/// Whether letter case matters when matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `/Data.csv` and `/data.csv` are different paths.
    Sensitive,
    /// `*.csv` also matches `/EXPORT.CSV`.
    Insensitive,
}

impl PathGlob {
    /// Parses `text`. A glob starting with `/` is anchored at the root of the domain; any other glob
    /// may match at any depth, as if it started with `/**/`.
    pub fn new(text: &str, case: Case) -> Result<PathGlob, String> {
        if text.trim().is_empty() {
            return Err("a glob must not be empty".to_string());
        }
        let anchored = if text.starts_with('/') {
            text.to_string()
        } else {
            format!("/**/{text}")
        };
        let glob = GlobBuilder::new(&anchored)
            .literal_separator(true)
            .case_insensitive(case == Case::Insensitive)
            .backslash_escape(true)
            .build()
            .map_err(|error| format!("invalid glob \"{text}\": {}", error.kind()))?;
        Ok(PathGlob {
            text: text.to_string(),
            glob,
        })
    }

    /// The glob as matched, anchored and with its letter case setting.
    pub fn glob(&self) -> &Glob {
        &self.glob
    }

    /// Whether the route path (starting with `/`) matches. Compiles a matcher for this one question:
    /// for tests and one-off checks; evaluation matches every glob of a policy at once, in its rule index.
    pub fn is_match(&self, path: &str) -> bool {
        self.glob.compile_matcher().is_match(path)
    }

    /// The glob as written in the policy.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(glob: &str, path: &str) -> bool {
        PathGlob::new(glob, Case::Sensitive)
            .expect(glob)
            .is_match(path)
    }

    #[test]
    fn single_star_stays_in_one_segment() {
        assert!(matches("/api/*", "/api/users"));
        assert!(!matches("/api/*", "/api/users/1"));
        assert!(!matches("/*.html", "/docs/index.html"));
    }

    #[test]
    fn double_star_crosses_segments() {
        assert!(matches("/api/**", "/api/users/1"));
        assert!(matches("/**/*.css", "/styles.css"));
        assert!(matches("/**/*.css", "/a/b/styles.css"));
    }

    #[test]
    fn unanchored_globs_match_at_any_depth() {
        assert!(matches("*.csv", "/customers.csv"));
        assert!(matches("*.csv", "/exports/2026/customers.csv"));
        assert!(!matches("*.csv", "/customers.csv.html"));
    }

    #[test]
    fn globs_match_whole_paths() {
        assert!(!matches("/index", "/index.html"));
        assert!(matches("/", "/"));
        assert!(!matches("/", "/index.html"));
    }

    #[test]
    fn case_insensitive_globs_catch_upper_case_extensions() {
        let glob = PathGlob::new("*.csv", Case::Insensitive).expect("valid");
        assert!(glob.is_match("/EXPORT.CSV"));
        assert!(!matches("*.csv", "/EXPORT.CSV"));
    }

    #[test]
    fn bad_globs_are_explained() {
        let error = PathGlob::new("/a/[b", Case::Sensitive).expect_err("unclosed class");
        assert!(error.contains("/a/[b"), "{error}");
        assert!(PathGlob::new("  ", Case::Sensitive).is_err());
    }
}
