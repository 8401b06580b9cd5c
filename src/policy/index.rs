//! A policy's globs compiled into one set per rule list, so that a single pass over a route's path finds
//! every deny and allow rule whose globs match it, however many rules there are.

use std::collections::HashMap;

use globset::{Candidate, Glob, GlobSet, GlobSetBuilder};

use super::glob::PathGlob;
use super::{AllowRule, DenyRule};

/// Every `(rule, glob)` position where each distinct glob of a set is written, by set number, in policy
/// order (rules often share globs, which the set then holds once).
type Owners = Vec<Vec<(usize, usize)>>;

/// The distinct globs of the deny rules and of the allow rules, each compiled into one set.
#[derive(Debug, Clone, Default)]
pub struct RuleIndex {
    deny: GlobSet,
    deny_owners: Owners,
    allow: GlobSet,
    allow_owners: Owners,
}

/// What matched one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathMatches {
    /// The first deny rule with a matching glob, and the first such glob in it (positions); deny wins,
    /// so allow rules were not looked at.
    Deny {
        /// The rule's position in the deny list.
        rule: usize,
        /// The glob's position in the rule.
        glob: usize,
    },
    /// No deny rule matched; these allow rules (positions) have a matching glob, in policy order, each once.
    Allow(Vec<usize>),
}

impl RuleIndex {
    /// Compiles the globs of `allow` and `deny`; fails only when they are too many or too large to
    /// compile together.
    pub fn new(allow: &[AllowRule], deny: &[DenyRule]) -> Result<RuleIndex, globset::Error> {
        let (deny, deny_owners) = compile(deny.iter().map(|rule| rule.paths.as_slice()))?;
        let (allow, allow_owners) = compile(allow.iter().map(|rule| rule.paths.as_slice()))?;
        Ok(RuleIndex {
            deny,
            deny_owners,
            allow,
            allow_owners,
        })
    }

    /// The rules whose globs match `path`.
    pub fn matches(&self, path: &str) -> PathMatches {
        let candidate = Candidate::new(path);
        let mut found = Vec::new();
        self.deny.matches_candidate_into(&candidate, &mut found);
        if let Some(&(rule, glob)) = found
            .iter()
            .flat_map(|&number| &self.deny_owners[number])
            .min()
        {
            return PathMatches::Deny { rule, glob };
        }
        self.allow.matches_candidate_into(&candidate, &mut found);
        let mut rules: Vec<usize> = found
            .iter()
            .flat_map(|&number| self.allow_owners[number].iter().map(|&(rule, _)| rule))
            .collect();
        rules.sort_unstable();
        rules.dedup();
        PathMatches::Allow(rules)
    }
}

/// One set of the distinct globs of `rules`, and where each is written.
fn compile<'a>(
    rules: impl Iterator<Item = &'a [PathGlob]>,
) -> Result<(GlobSet, Owners), globset::Error> {
    let mut builder = GlobSetBuilder::new();
    let mut numbers: HashMap<&Glob, usize> = HashMap::new();
    let mut owners: Owners = Vec::new();
    for (rule, globs) in rules.enumerate() {
        for (position, glob) in globs.iter().enumerate() {
            let number = *numbers.entry(glob.glob()).or_insert_with(|| {
                builder.add(glob.glob().clone());
                owners.push(Vec::new());
                owners.len() - 1
            });
            owners[number].push((rule, position));
        }
    }
    Ok((builder.build()?, owners))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::PathMatches;
    use crate::policy::{Policy, PolicySource};

    fn policy(text: &str) -> Policy {
        Policy::from_yaml(text, PolicySource::Builtin("test")).expect("valid policy")
    }

    const RULES: &str = "\
allow:
  - paths: ['/a/*', '*.css']
    reason: zero
  - paths: '/a/**'
    reason: one
  - paths: ['/b', '/a/x.css']
    reason: two
deny:
  - paths: ['/secret/**', '*.csv']
    reason: zero
  - paths: ['*.CSV', '/q/*']
    reason: one
";

    fn allow(policy: &Policy, path: &str) -> Vec<usize> {
        match policy.index.matches(path) {
            PathMatches::Allow(rules) => rules,
            denied => panic!("{path} denied: {denied:?}"),
        }
    }

    fn deny(policy: &Policy, path: &str) -> Option<(usize, usize)> {
        match policy.index.matches(path) {
            PathMatches::Deny { rule, glob } => Some((rule, glob)),
            PathMatches::Allow(_) => None,
        }
    }

    #[test]
    fn allow_rules_come_in_policy_order_each_once() {
        let policy = policy(RULES);
        assert_eq!(allow(&policy, "/a/x.css"), [0, 1, 2]);
        assert_eq!(allow(&policy, "/a/b/c"), [1]);
        assert_eq!(allow(&policy, "/b"), [2]);
        assert!(allow(&policy, "/c").is_empty());
    }

    #[test]
    fn a_glob_shared_by_rules_matches_for_each_of_them() {
        let text = "allow:\n  - paths: ['*.css', '/x']\n    reason: a\n  - paths: '/y'\n    reason: b\n  - paths: ['/x', '*.css']\n    reason: c\ndeny:\n  - paths: ['/z', '*.sql']\n    reason: a\n  - paths: '*.sql'\n    reason: b\n";
        let policy = policy(text);
        assert_eq!(allow(&policy, "/x"), [0, 2]);
        assert_eq!(allow(&policy, "/q/s.css"), [0, 2]);
        assert_eq!(deny(&policy, "/d.sql"), Some((0, 1)));
    }

    #[test]
    fn the_first_deny_rule_and_its_first_matching_glob_win() {
        let policy = policy(RULES);
        assert_eq!(deny(&policy, "/secret/x.csv"), Some((0, 0)));
        assert_eq!(deny(&policy, "/x/DATA.Csv"), Some((0, 1)));
        assert_eq!(deny(&policy, "/Q/readme"), Some((1, 1)));
        assert_eq!(deny(&policy, "/q/b/readme"), None);
    }

    #[test]
    fn a_policy_without_rules_matches_nothing() {
        assert_eq!(
            policy("").index.matches("/anything"),
            PathMatches::Allow(Vec::new())
        );
    }

    /// Globs and paths over a few names, so that rules overlap and share globs.
    fn glob() -> impl Strategy<Value = String> {
        "(/|\\*\\*/)?(a|b|\\*)(/(a|B|c\\.css|\\*|\\*\\*|\\*\\.(css|CSV)))?"
    }

    fn path() -> impl Strategy<Value = String> {
        "(/(a|b|A|c)){0,2}/(a|b|x\\.css|x\\.csv|X\\.CSV)"
    }

    fn rules() -> impl Strategy<Value = Vec<Vec<String>>> {
        prop::collection::vec(prop::collection::vec(glob(), 1..4), 0..4)
    }

    proptest! {
        #[test]
        fn the_index_agrees_with_matching_each_glob_in_turn(
            allow in rules(),
            deny in rules(),
            paths in prop::collection::vec(path(), 1..8),
        ) {
            let list = |rules: &[Vec<String>]| -> String {
                rules
                    .iter()
                    .map(|globs| format!("  - paths: {globs:?}\n    reason: r\n"))
                    .collect()
            };
            let text = format!("allow:\n{}deny:\n{}", list(&allow), list(&deny));
            let policy = policy(&text);
            for path in &paths {
                let one_by_one = |rules: Vec<&[super::PathGlob]>| -> Vec<(usize, usize)> {
                    rules
                        .iter()
                        .enumerate()
                        .flat_map(|(rule, globs)| {
                            globs
                                .iter()
                                .enumerate()
                                .filter(|(_, glob)| glob.is_match(path))
                                .map(move |(position, _)| (rule, position))
                        })
                        .collect()
                };
                let denied = one_by_one(policy.deny.iter().map(|rule| rule.paths.as_slice()).collect());
                let expected = match denied.first() {
                    Some(&(rule, glob)) => PathMatches::Deny { rule, glob },
                    None => {
                        let mut rules: Vec<usize> = one_by_one(
                            policy.allow.iter().map(|rule| rule.paths.as_slice()).collect(),
                        )
                        .into_iter()
                        .map(|(rule, _)| rule)
                        .collect();
                        rules.dedup();
                        PathMatches::Allow(rules)
                    }
                };
                prop_assert_eq!(policy.index.matches(path), expected, "{}\n{}", path, text);
            }
        }
    }
}
