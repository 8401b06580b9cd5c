//! Policies: which routes may be public, loaded and validated once, then evaluated against an inventory.

pub mod date;
pub mod evaluate;
pub mod glob;
pub mod index;
pub mod init;
pub mod load;
pub mod yaml;

#[cfg(test)]
mod proptests;

use std::path::PathBuf;
use std::sync::Arc;

pub use date::Date;
pub use evaluate::{Check, Decision, RouteFacts, Verdict};
pub use load::{PolicyError, Problem};

use crate::inventory::Kind;
use glob::PathGlob;
use index::RuleIndex;
use yaml::Position;

/// The policy used when neither `--policy` nor `twgate.yaml` is there: public static web assets only.
pub const DEFAULT_POLICY_YAML: &str = include_str!("default.yaml");

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where the policy came from.
    pub source: PolicySource,
    /// Whether a protected route needs an allow rule too (by default it does not).
    pub protected_requires_allow: bool,
    /// Rules that allow matching routes to be exposed.
    pub allow: Vec<AllowRule>,
    /// Globs that no allow rule can override.
    pub deny: Vec<DenyRule>,
    /// The globs of `allow` and `deny`, compiled together when the policy is loaded.
    index: RuleIndex,
}

/// Where a policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    /// A file the user named or twgate found.
    File(PathBuf),
    /// A policy compiled into twgate, by name.
    Builtin(&'static str),
}

/// A rule that allows routes to be exposed.
#[derive(Debug, Clone)]
pub struct AllowRule {
    /// 0-based position in the `allow` list.
    pub index: usize,
    /// Where the rule starts in the file.
    pub at: Position,
    /// The path globs the rule allows.
    pub paths: Vec<PathGlob>,
    /// Why these paths may be exposed.
    pub reason: Arc<str>,
    /// The rule's id in reports, `allow[N]`, made once.
    pub label: Arc<str>,
    /// Service unique names or SIDs the rule is limited to; empty means all.
    pub services: Vec<String>,
    /// Environment unique names or domain suffixes the rule is limited to; empty means all.
    pub environments: Vec<String>,
    /// Kinds the rule is limited to; empty means both.
    pub kinds: Vec<Kind>,
    /// The last day on which the rule allows anything.
    pub expires: Option<Date>,
}

/// Path globs that no allow rule can override.
#[derive(Debug, Clone)]
pub struct DenyRule {
    /// 0-based position in the `deny` list.
    pub index: usize,
    /// Where the rule starts in the file.
    pub at: Position,
    /// The path globs the rule denies; matched case-insensitively.
    pub paths: Vec<PathGlob>,
    /// The rule's id in reports, `deny[N]`, made once.
    pub label: Arc<str>,
    /// Why these paths must never be exposed.
    pub reason: Option<String>,
}

impl AllowRule {
    /// The rule's name in reports, such as `allow[2]`.
    pub fn id(&self) -> String {
        format!("allow[{}]", self.index)
    }

    /// Whether the rule has expired on `today`.
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|last_day| today > last_day)
    }
}

impl DenyRule {
    /// The rule's name in reports, such as `deny[0]`.
    pub fn id(&self) -> String {
        format!("deny[{}]", self.index)
    }
}

impl Policy {
    /// The built-in default policy.
    pub fn builtin_default() -> Policy {
        Policy::from_yaml(
            DEFAULT_POLICY_YAML,
            PolicySource::Builtin("built-in default policy"),
        )
        .expect("the built-in default policy is valid: checked by a unit test")
    }

    /// Allow rules that have expired on `today`.
    pub fn expired_rules(&self, today: Date) -> impl Iterator<Item = &AllowRule> {
        self.allow.iter().filter(move |rule| rule.is_expired(today))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_default_policy_is_valid() {
        let policy = Policy::builtin_default();
        assert!(!policy.allow.is_empty());
        assert!(!policy.deny.is_empty());
    }

    #[test]
    fn the_example_policy_is_valid() {
        let text = include_str!("../../policy.example.yaml");
        Policy::from_yaml(text, PolicySource::Builtin("policy.example.yaml"))
            .expect("valid example");
    }
}
