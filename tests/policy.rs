//! `twgate policy validate` and policy errors through the CLI: every problem, at its line and column.

mod common;

use common::twgate;

fn validate(text: &str) -> common::Run {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("p.yaml"), text).expect("write");
    twgate(dir.path(), &["policy", "validate", "p.yaml"], &[])
}

#[test]
fn every_kind_of_policy_error_is_listed_with_line_and_column() {
    let run = validate(
        "version: 1\n\
         colour: blue\n\
         allow:\n\
         \x20 - paths: ['/a/[b']\n\
         \x20   reason: bad glob\n\
         \x20 - paths: '*.pdf'\n\
         \x20   reason: bad date\n\
         \x20   expires: 2026-13-01\n\
         \x20 - paths: '*.txt'\n\
         \x20   kinds: [asset]\n\
         deny:\n\
         \x20 - paths: '*.csv'\n\
         \x20   why: unknown key\n",
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "twgate: error: invalid policy p.yaml (5 problems):\n\
         p.yaml:2:1: unknown key \"colour\" in the policy; expected one of: version, protected_requires_allow, allow, deny\n\
         p.yaml:4:13: invalid glob \"/a/[b\": unclosed character class; missing ']'\n\
         p.yaml:8:14: expires: \"2026-13-01\" has no month 13\n\
         p.yaml:9:5: allow[2] has no `reason`: give why these paths may be public\n\
         p.yaml:13:5: unknown key \"why\" in deny[0]; expected one of: paths, reason\n"
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn yaml_syntax_errors_and_duplicate_keys_have_positions() {
    let run = validate("allow:\n  - paths: [\n");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("p.yaml:"), "{}", run.stderr);
    let run = validate("deny: []\ndeny: []\n");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("p.yaml:2:1: "), "{}", run.stderr);
}

#[test]
fn a_valid_policy_is_described() {
    let run = validate(
        "allow:\n  - paths: '*.css'\n    reason: styles\n    expires: 2020-01-01\ndeny: ['*.csv']\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "p.yaml: valid policy (1 allow rule, 1 deny rule, protected routes do not need an allow rule)\n\
         p.yaml:2:5: note: allow[0] expired on 2020-01-01 and no longer allows anything\n"
    );
}

#[test]
fn the_shipped_example_policy_is_valid() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policy.example.yaml");
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(
        dir.path(),
        &["policy", "validate", &example.to_string_lossy()],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn missing_files_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(dir.path(), &["policy", "validate"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no twgate.yaml in this directory"),
        "{}",
        run.stderr
    );
    let run = twgate(dir.path(), &["policy", "validate", "nope.yaml"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot read policy file nope.yaml"),
        "{}",
        run.stderr
    );
    let run = twgate(dir.path(), &["audit", "--policy", "nope.yaml"], &[]);
    assert_eq!(
        run.code, 2,
        "a bad policy is reported before credentials are needed"
    );
}
