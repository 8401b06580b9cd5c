//! `twgate demo`: the audit against the built-in demo account, through real HTTP, with no credentials.

mod common;

use common::twgate;

#[test]
fn the_demo_finds_the_demo_accounts_violations_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(dir.path(), &["demo"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "Policy: policy.example.yaml (built-in copy)",
        "https://patient-portal-4821.twil.io/exports/customers.csv",
        "https://patient-portal-4821.twil.io/call-log",
        "https://marketing-site-5573.twil.io/brochure.pdf",
        "FAIL: 5 violations (--fail-on any).",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in\n{}",
            run.stdout
        );
    }
    assert!(
        run.stderr
            .contains("twgate demo: auditing the demo account"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_demo_json_is_the_documented_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(dir.path(), &["demo", "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON only");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["complete"], true);
    assert_eq!(report["summary"]["services"], 3);
    assert_eq!(report["summary"]["violations"], 5);
    let staging = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["service_name"] == "ivr-flows" && r["environment"] == "staging")
        .count();
    assert_eq!(staging, 0, "ivr-flows staging has nothing deployed");
}

#[test]
fn the_demo_accepts_the_audit_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(
        dir.path(),
        &["demo", "--service", "marketing-site", "--format", "csv"],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1 + 7);
    std::fs::write(
        dir.path().join("allow-all.yaml"),
        "allow:\n  - paths: '/**'\n    reason: everything\n",
    )
    .expect("write");
    let run = twgate(
        dir.path(),
        &[
            "demo",
            "--policy",
            "allow-all.yaml",
            "--service",
            "marketing-site",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn help_documents_exit_codes_and_variables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(dir.path(), &["audit", "--help"], &[]);
    assert_eq!(run.code, 0);
    for expected in [
        "Exit codes:",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_KEY",
        "TWGATE_API_URL",
        "--environment",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected} in --help"
        );
    }
    let run = twgate(dir.path(), &["audit", "--format", "xml"], &[]);
    assert_eq!(run.code, 2, "clap's usage errors exit 2 too");
}
