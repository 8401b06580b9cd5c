//! Reading a policy file: every problem (unknown key, wrong type, bad glob, bad date, missing reason)
//! is collected with its line and column, so a user fixes them all in one pass.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::date::Date;
use super::glob::{Case, PathGlob};
use super::index::RuleIndex;
use super::yaml::{self, Key, Node, Position, Value};
use super::{AllowRule, DenyRule, Policy, PolicySource};
use crate::input::{MIB, read_limited};
use crate::inventory::Kind;
use crate::text::counted;

/// The largest policy file read: a 200-rule policy is about 20 KB.
const MAX_POLICY_BYTES: u64 = 4 * MIB;

/// One thing wrong with a policy file, at its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is; `None` when the parser could not say.
    pub at: Option<Position>,
    /// What is wrong and what to do.
    pub message: String,
}

/// Why a policy could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy file {path}: {source}")]
    Read {
        /// The file's path as given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid policy.
    #[error("{}", render_problems(origin, problems))]
    Invalid {
        /// The file's name, used as the prefix of each problem.
        origin: String,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

fn render_problems(origin: &str, problems: &[Problem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|problem| match problem.at {
            Some(at) => format!("{origin}:{at}: {}", problem.message),
            None => format!("{origin}: {}", problem.message),
        })
        .collect();
    let count = counted(problems.len(), "problem", "problems");
    format!("invalid policy {origin} ({count}):\n{}", lines.join("\n"))
}

/// The problem for a file that is not UTF-8, at the first byte that is not.
fn not_utf8(bytes: &[u8], valid_up_to: usize) -> Problem {
    let before = String::from_utf8_lossy(&bytes[..valid_up_to]);
    let line = before.matches('\n').count() as u64 + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count()) as u64
        + 1;
    Problem {
        at: Some(Position { line, column }),
        message: "the file is not UTF-8 text: save it as UTF-8".to_string(),
    }
}

const TOP_KEYS: &[&str] = &["version", "protected_requires_allow", "allow", "deny"];
const ALLOW_KEYS: &[&str] = &[
    "paths",
    "reason",
    "services",
    "environments",
    "kinds",
    "expires",
];
const DENY_KEYS: &[&str] = &["paths", "reason"];

impl Policy {
    /// Reads and validates the policy file at `path`.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let bytes = read_limited(path, MAX_POLICY_BYTES).map_err(|source| PolicyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let source = PolicySource::File(path.to_path_buf());
        match String::from_utf8(bytes) {
            Ok(text) => Policy::from_yaml(&text, source),
            Err(error) => Err(PolicyError::Invalid {
                origin: source.to_string(),
                problems: vec![not_utf8(error.as_bytes(), error.utf8_error().valid_up_to())],
            }),
        }
    }

    /// Validates the policy text `text`; `source` says where it came from, for messages and reports.
    pub fn from_yaml(text: &str, source: PolicySource) -> Result<Policy, PolicyError> {
        let origin = source.to_string();
        let mut checker = Checker::default();
        let policy = match yaml::parse(text) {
            Ok(document) => checker.policy(&document, source),
            Err((at, message)) => {
                checker.problems.push(Problem { at, message });
                None
            }
        };
        let indexed = match policy {
            Some(policy) if checker.problems.is_empty() => checker.indexed(policy),
            _ => None,
        };
        indexed.ok_or(PolicyError::Invalid {
            origin,
            problems: checker.problems,
        })
    }
}

/// Walks the document, building the policy and recording problems as it goes.
#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, at: Position, message: impl Into<String>) {
        self.problems.push(Problem {
            at: Some(at),
            message: message.into(),
        });
    }

    /// The entries of a mapping, with unknown keys reported; `None` (and a problem) if `node` is not a mapping.
    fn mapping<'a>(
        &mut self,
        node: &'a Node,
        what: &str,
        known: &[&str],
    ) -> Option<&'a [(Key, Node)]> {
        let Value::Map(entries) = &node.value else {
            self.problem(
                node.at,
                format!("{what} must be a mapping, not {}", node.value.type_name()),
            );
            return None;
        };
        for (key, _) in entries {
            if !known.contains(&key.name.as_str()) {
                self.problem(
                    key.at,
                    format!(
                        "unknown key \"{}\" in {what}; expected one of: {}",
                        key.name,
                        known.join(", ")
                    ),
                );
            }
        }
        Some(entries)
    }

    /// `policy` with its globs compiled into its rule index; `None` (and a problem) when they cannot be.
    fn indexed(&mut self, mut policy: Policy) -> Option<Policy> {
        match RuleIndex::new(&policy.allow, &policy.deny) {
            Ok(index) => {
                policy.index = index;
                Some(policy)
            }
            Err(error) => {
                self.problems.push(Problem {
                    at: None,
                    message: format!(
                        "the policy's globs cannot be compiled together ({error}): use fewer or simpler globs"
                    ),
                });
                None
            }
        }
    }

    fn policy(&mut self, document: &Node, source: PolicySource) -> Option<Policy> {
        let mut policy = Policy {
            source,
            protected_requires_allow: false,
            allow: Vec::new(),
            deny: Vec::new(),
            index: RuleIndex::default(),
        };
        if document.value == Value::Null {
            return Some(policy);
        }
        let entries = self.mapping(document, "the policy", TOP_KEYS)?;
        for (key, value) in entries {
            match key.name.as_str() {
                "version" => self.version(value),
                "protected_requires_allow" => {
                    if let Some(flag) = self.boolean(value, "protected_requires_allow") {
                        policy.protected_requires_allow = flag;
                    }
                }
                "allow" => {
                    for (index, rule) in self.list(value, "allow").iter().enumerate() {
                        if let Some(rule) = self.allow_rule(rule, index) {
                            policy.allow.push(rule);
                        }
                    }
                }
                "deny" => {
                    for (index, rule) in self.list(value, "deny").iter().enumerate() {
                        if let Some(rule) = self.deny_rule(rule, index) {
                            policy.deny.push(rule);
                        }
                    }
                }
                _ => {}
            }
        }
        Some(policy)
    }

    fn version(&mut self, node: &Node) {
        match &node.value {
            Value::Number(number) if number == "1" => {}
            Value::Number(number) => self.problem(
                node.at,
                format!("unsupported policy version {number}: this twgate reads version 1"),
            ),
            other => self.problem(
                node.at,
                format!(
                    "version must be the number 1, not {}: write `version: 1`",
                    other.type_name()
                ),
            ),
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.value {
            Value::Bool(flag) => Some(flag),
            _ => {
                self.problem(
                    node.at,
                    format!(
                        "{what} must be true or false, not {}",
                        node.value.type_name()
                    ),
                );
                None
            }
        }
    }

    fn list<'a>(&mut self, node: &'a Node, what: &str) -> &'a [Node] {
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            other => {
                self.problem(
                    node.at,
                    format!("{what} must be a list of rules, not {}", other.type_name()),
                );
                &[]
            }
        }
    }

    fn string<'a>(&mut self, node: &'a Node, what: &str) -> Option<&'a str> {
        match &node.value {
            Value::String(text) => Some(text),
            other => {
                let hint = if matches!(other, Value::Bool(_)) {
                    " (YAML reads yes, no, on, off, y and n as booleans: put the value in quotes)"
                } else {
                    ""
                };
                self.problem(
                    node.at,
                    format!("{what} must be a string, not {}{hint}", other.type_name()),
                );
                None
            }
        }
    }

    /// A string or a list of strings.
    fn strings(&mut self, node: &Node, what: &str) -> Vec<(Position, String)> {
        match &node.value {
            Value::String(text) => vec![(node.at, text.clone())],
            Value::Seq(items) => {
                if items.is_empty() {
                    self.problem(node.at, format!("{what} must not be an empty list"));
                }
                items
                    .iter()
                    .filter_map(|item| {
                        self.string(item, what)
                            .map(|text| (item.at, text.to_string()))
                    })
                    .collect()
            }
            other => {
                self.problem(
                    node.at,
                    format!(
                        "{what} must be a string or a list of strings, not {}",
                        other.type_name()
                    ),
                );
                Vec::new()
            }
        }
    }

    fn globs(&mut self, node: &Node, case: Case) -> Vec<PathGlob> {
        self.strings(node, "paths")
            .into_iter()
            .filter_map(|(at, text)| match PathGlob::new(&text, case) {
                Ok(glob) => Some(glob),
                Err(message) => {
                    self.problem(at, message);
                    None
                }
            })
            .collect()
    }

    fn reason(&mut self, node: &Node) -> Option<String> {
        let text = self.string(node, "reason")?;
        if text.trim().is_empty() {
            self.problem(node.at, "reason must not be empty: say why the rule exists");
            return None;
        }
        Some(text.to_string())
    }

    fn allow_rule(&mut self, node: &Node, index: usize) -> Option<AllowRule> {
        let what = format!("allow[{index}]");
        let entries = self.mapping(node, &what, ALLOW_KEYS)?;
        let mut rule = AllowRule {
            index,
            at: node.at,
            paths: Vec::new(),
            reason: Arc::from(""),
            label: Arc::from(format!("allow[{index}]")),
            services: Vec::new(),
            environments: Vec::new(),
            kinds: Vec::new(),
            expires: None,
        };
        let (mut has_paths, mut has_reason) = (false, false);
        for (key, value) in entries {
            match key.name.as_str() {
                "paths" => {
                    has_paths = true;
                    rule.paths = self.globs(value, Case::Sensitive);
                }
                "reason" => {
                    has_reason = true;
                    rule.reason = self.reason(value).unwrap_or_default().into();
                }
                "services" => rule.services = self.names(value, "services"),
                "environments" => rule.environments = self.names(value, "environments"),
                "kinds" => rule.kinds = self.kinds(value),
                "expires" => rule.expires = self.date(value),
                _ => {}
            }
        }
        self.require(
            node.at,
            &what,
            has_paths,
            "paths",
            "the path globs it allows, such as `paths: [\"/**/*.css\"]`",
        );
        self.require(
            node.at,
            &what,
            has_reason,
            "reason",
            "why these paths may be public",
        );
        Some(rule)
    }

    fn deny_rule(&mut self, node: &Node, index: usize) -> Option<DenyRule> {
        // A bare string is the short form of a deny rule: one glob, no reason.
        if let Value::String(_) = node.value {
            let paths = self.globs(node, Case::Insensitive);
            return Some(DenyRule {
                index,
                at: node.at,
                paths,
                label: Arc::from(format!("deny[{index}]")),
                reason: None,
            });
        }
        let what = format!("deny[{index}]");
        let entries = self.mapping(node, &what, DENY_KEYS)?;
        let mut rule = DenyRule {
            index,
            at: node.at,
            paths: Vec::new(),
            label: Arc::from(format!("deny[{index}]")),
            reason: None,
        };
        let mut has_paths = false;
        for (key, value) in entries {
            match key.name.as_str() {
                "paths" => {
                    has_paths = true;
                    rule.paths = self.globs(value, Case::Insensitive);
                }
                "reason" => rule.reason = self.reason(value),
                _ => {}
            }
        }
        self.require(
            node.at,
            &what,
            has_paths,
            "paths",
            "the path globs it denies, such as `paths: [\"*.csv\"]`",
        );
        Some(rule)
    }

    fn require(&mut self, at: Position, what: &str, present: bool, key: &str, hint: &str) {
        if !present {
            self.problem(at, format!("{what} has no `{key}`: give {hint}"));
        }
    }

    fn names(&mut self, node: &Node, what: &str) -> Vec<String> {
        self.strings(node, what)
            .into_iter()
            .map(|(_, text)| text)
            .collect()
    }

    fn kinds(&mut self, node: &Node) -> Vec<Kind> {
        self.strings(node, "kinds")
            .into_iter()
            .filter_map(|(at, text)| match text.as_str() {
                "function" => Some(Kind::Function),
                "asset" => Some(Kind::Asset),
                _ => {
                    self.problem(
                        at,
                        format!("unknown kind \"{text}\"; expected function or asset"),
                    );
                    None
                }
            })
            .collect()
    }

    fn date(&mut self, node: &Node) -> Option<Date> {
        let text = self.string(node, "expires")?;
        match Date::parse(text) {
            Ok(date) => Some(date),
            Err(message) => {
                self.problem(node.at, format!("expires: {message}"));
                None
            }
        }
    }
}

impl fmt::Display for PolicySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicySource::File(path) => write!(f, "{}", path.display()),
            PolicySource::Builtin(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match Policy::from_yaml(text, PolicySource::Builtin("test.yaml")) {
            Ok(_) => Vec::new(),
            Err(PolicyError::Invalid { problems, .. }) => problems
                .into_iter()
                .map(|p| match p.at {
                    Some(at) => format!("{at}: {}", p.message),
                    None => p.message,
                })
                .collect(),
            Err(other) => panic!("unexpected error {other}"),
        }
    }

    #[test]
    fn a_complete_policy_loads() {
        let text = "version: 1\nprotected_requires_allow: true\nallow:\n  - paths: ['/**/*.css', '/']\n    reason: site\n    services: [web]\n    environments: [dev]\n    kinds: [asset]\n    expires: 2030-01-31\ndeny:\n  - '*.csv'\n  - paths: ['*.sql']\n    reason: dumps\n";
        let policy = Policy::from_yaml(text, PolicySource::Builtin("t")).expect("valid");
        assert!(policy.protected_requires_allow);
        assert_eq!(policy.allow.len(), 1);
        assert_eq!(policy.allow[0].paths.len(), 2);
        assert_eq!(policy.allow[0].kinds, [Kind::Asset]);
        assert_eq!(
            policy.allow[0].expires.map(|d| d.to_string()).as_deref(),
            Some("2030-01-31")
        );
        assert_eq!(policy.deny.len(), 2);
        assert_eq!(policy.deny[1].reason.as_deref(), Some("dumps"));
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let text = "versoin: 1\nallow:\n  - paths: ['/a/[b']\n    expires: 2026-02-30\n  - paths: '/x'\n    reason: ''\n    kinds: [lambda]\n    color: red\n";
        assert_eq!(
            problems(text),
            [
                "1:1: unknown key \"versoin\" in the policy; expected one of: version, protected_requires_allow, allow, deny",
                "3:13: invalid glob \"/a/[b\": unclosed character class; missing ']'",
                "4:14: expires: \"2026-02-30\" is not a day of that month",
                "3:5: allow[0] has no `reason`: give why these paths may be public",
                "8:5: unknown key \"color\" in allow[1]; expected one of: paths, reason, services, environments, kinds, expires",
                "6:13: reason must not be empty: say why the rule exists",
                "7:13: unknown kind \"lambda\"; expected function or asset",
            ]
        );
    }

    #[test]
    fn wrong_types_are_reported() {
        assert_eq!(
            problems("allow: yes\ndeny: [42]\nprotected_requires_allow: 'no'\n"),
            [
                "1:8: allow must be a list of rules, not a boolean",
                "2:8: deny[0] must be a mapping, not a number",
                "3:27: protected_requires_allow must be true or false, not a string",
            ]
        );
    }

    #[test]
    fn syntax_errors_and_duplicate_keys_are_problems() {
        let duplicate = problems("deny: []\ndeny: []\n");
        assert_eq!(duplicate.len(), 1);
        assert!(duplicate[0].starts_with("2:"), "{duplicate:?}");
        assert_eq!(problems("allow: [\n").len(), 1);
    }

    #[test]
    fn non_utf8_files_are_located() {
        let problem = not_utf8(b"allow:\n  - x\xff", 12);
        assert_eq!(problem.at, Some(Position { line: 2, column: 6 }));
    }

    #[test]
    fn yaml_booleans_where_strings_belong_get_a_hint() {
        let found = problems("allow:\n  - paths: '*.css'\n    reason: y\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("put the value in quotes"), "{found:?}");
        assert_eq!(
            problems("version: '1'\n"),
            ["1:10: version must be the number 1, not a string: write `version: 1`"]
        );
    }

    #[test]
    fn unsupported_version_is_rejected() {
        assert_eq!(
            problems("version: 2\n"),
            ["1:10: unsupported policy version 2: this twgate reads version 1"]
        );
    }

    #[test]
    fn an_empty_document_is_an_empty_policy() {
        assert!(problems("").is_empty());
        assert!(problems("# nothing allowed\n").is_empty());
    }

    #[test]
    fn error_display_prefixes_every_line_with_the_file() {
        let error = Policy::from_yaml("a: 1\nb: 2\n", PolicySource::Builtin("p.yaml"))
            .expect_err("invalid");
        let text = error.to_string();
        assert!(text.contains("\np.yaml:1:1: unknown key \"a\""), "{text}");
        assert!(text.contains("\np.yaml:2:1: unknown key \"b\""), "{text}");
    }
}
