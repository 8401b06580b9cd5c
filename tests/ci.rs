//! twgate in CI: side files in one run, GitHub's job summary and step outputs, baselines with
//! `--fail-on`, `baseline create` and `policy init`, against the demo account over real HTTP.

mod common;

use std::path::Path;
use std::process::Command;

use common::twgate;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).expect("valid JSON")
}

/// The demo with annotations on standard output and every side file under `out/`.
const EVERY_FILE: &[&str] = &[
    "demo",
    "--format",
    "github",
    "--sarif",
    "out/r.sarif",
    "--json",
    "out/r.json",
    "--csv",
    "out/r.csv",
    "--junit",
    "out/r.xml",
    "--markdown",
    "out/r.md",
];

#[test]
fn one_run_writes_every_side_file_the_job_summary_and_the_step_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(dir.path(), EVERY_FILE, &[]);
    assert_eq!(run.code, 2, "the out/ directory does not exist yet");
    assert!(run.stderr.contains("out/r.sarif"), "{}", run.stderr);

    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("outputs.txt");
    let run = twgate(
        dir.path(),
        EVERY_FILE,
        &[
            ("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8")),
            ("GITHUB_OUTPUT", outputs.to_str().expect("utf-8")),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout.matches("::error ").count(), 5, "{}", run.stdout);
    assert!(run.stdout.ends_with("(--fail-on any)\n"), "{}", run.stdout);
    let report = json(&dir.path().join("out/r.json"));
    assert_eq!(report["summary"]["violations"], 5);
    assert!(report["summary"]["api_requests"].as_u64().expect("count") > 0);
    let sarif = json(&dir.path().join("out/r.sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    assert!(read(&dir.path().join("out/r.csv")).starts_with("type,url,path,SID"));
    assert!(read(&dir.path().join("out/r.xml")).contains("failures=\"5\""));
    let markdown = read(&dir.path().join("out/r.md"));
    assert!(markdown.starts_with("## twgate: 5 exposures failing the gate"));
    assert_eq!(
        read(&summary),
        markdown,
        "the job summary is the Markdown report"
    );
    assert_eq!(
        read(&outputs),
        "complete=true\nviolations=5\nnew-violations=5\n"
    );
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-schema-2.1.0.json");
    if !schema.exists() {
        eprintln!("skipped: {} is absent", schema.display());
        return;
    }
    let has_jsonschema = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .status()
        .is_ok_and(|status| status.success());
    if !has_jsonschema {
        eprintln!(
            "skipped: python3 with the jsonschema package is absent (pip install check-jsonschema)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = dir.path().join("base.json");
    std::fs::write(
        &baseline,
        r#"{"format": "twgate-baseline", "version": 1, "entries": [
            {"fingerprint": "v1|ACd851a9d325c1dfd0009957b81bb57a1c|patient-portal|production|function|/call-log", "reason": "moving behind auth"},
            {"fingerprint": "v1|ACd851a9d325c1dfd0009957b81bb57a1c|gone|production|asset|/x.csv", "reason": "old"}]}"#,
    )
    .expect("write baseline");
    let run = twgate(
        dir.path(),
        &["demo", "--sarif", "plain.sarif", "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let run = twgate(
        dir.path(),
        &[
            "demo",
            "--baseline",
            "base.json",
            "--fail-on",
            "new",
            "--sarif",
            "baselined.sarif",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let validation = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/validate_sarif.py"))
        .arg(&schema)
        .arg(dir.path().join("plain.sarif"))
        .arg(dir.path().join("baselined.sarif"))
        .arg(golden.join("report.sarif"))
        .arg(golden.join("report-baseline.sarif"))
        .output()
        .expect("run python3");
    assert!(
        validation.status.success(),
        "{}{}",
        String::from_utf8_lossy(&validation.stdout),
        String::from_utf8_lossy(&validation.stderr)
    );
    let sarif = json(&dir.path().join("baselined.sarif"));
    let suppressed = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|result| result["suppressions"].is_array())
        .count();
    assert_eq!(suppressed, 1 + 22, "1 baselined and 22 allowed exposures");
}

#[test]
fn a_baseline_turns_existing_violations_into_passes_under_fail_on_new() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(dir.path(), &["baseline", "create", "--demo"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("twgate-baseline.json"),
        "{}",
        run.stderr
    );
    let baseline = json(&dir.path().join("twgate-baseline.json"));
    assert_eq!(baseline["entries"].as_array().expect("entries").len(), 5);

    let run = twgate(
        dir.path(),
        &[
            "demo",
            "--baseline",
            "twgate-baseline.json",
            "--fail-on",
            "new",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("5 existing, 0 resolved"),
        "{}",
        run.stdout
    );
    let run = twgate(
        dir.path(),
        &["demo", "--baseline", "twgate-baseline.json"],
        &[],
    );
    assert_eq!(
        run.code, 1,
        "--fail-on any still fails on baselined violations"
    );

    let mut edited = baseline.clone();
    let entries = edited["entries"].as_array_mut().expect("entries");
    let dropped = entries.remove(0);
    entries.push(serde_json::json!({
        "fingerprint": "v1|ACd851a9d325c1dfd0009957b81bb57a1c|patient-portal|production|asset|/fixed.csv",
        "reason": "was public last week",
    }));
    std::fs::write(dir.path().join("edited.json"), edited.to_string()).expect("write");
    let run = twgate(
        dir.path(),
        &[
            "demo",
            "--baseline",
            "edited.json",
            "--fail-on",
            "new",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["summary"]["new_violations"], 1);
    assert_eq!(report["summary"]["resolved"], 1);
    assert_eq!(report["resolved"][0]["path"], "/fixed.csv");
    let new: Vec<&serde_json::Value> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["verdict"] == "violation" && r["baseline"] == "new")
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["fingerprint"], dropped["fingerprint"]);

    let run = twgate(
        dir.path(),
        &[
            "demo",
            "--baseline",
            "edited.json",
            "--service",
            "marketing-site",
            "--format",
            "json",
        ],
        &[],
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        report["summary"]["resolved"], 0,
        "routes of services filtered out were not read, so they are not resolved"
    );

    let run = twgate(
        dir.path(),
        &["demo", "--format", "json", "--output", "earlier.json"],
        &[],
    );
    assert_eq!(run.code, 1);
    let run = twgate(
        dir.path(),
        &["demo", "--baseline", "earlier.json", "--fail-on", "new"],
        &[],
    );
    assert_eq!(run.code, 0, "an earlier JSON report is a baseline too");
}

#[test]
fn snapshot_commands_never_replace_a_file_or_write_a_partial_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("twgate-baseline.json"), "keep me").expect("write");
    let run = twgate(dir.path(), &["baseline", "create", "--demo"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("already exists: pass --force"),
        "{}",
        run.stderr
    );
    assert_eq!(read(&dir.path().join("twgate-baseline.json")), "keep me");
    let run = twgate(
        dir.path(),
        &["baseline", "create", "--demo", "--force"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(read(&dir.path().join("twgate-baseline.json")).contains("twgate-baseline"));

    let unreachable = twgate(
        dir.path(),
        &[
            "policy",
            "init",
            "--api-url",
            "http://127.0.0.1:9",
            "--max-retries",
            "0",
        ],
        &[
            ("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000001"),
            ("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef"),
        ],
    );
    assert_eq!(unreachable.code, 3, "{}", unreachable.stderr);
    assert!(
        unreachable.stderr.contains("nothing was written"),
        "{}",
        unreachable.stderr
    );
    assert!(!dir.path().join("twgate.yaml").exists());
}

#[test]
fn policy_init_allows_what_is_public_today_so_the_gate_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(
        dir.path(),
        &["policy", "init", "--demo", "-o", "start.yaml"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = read(&dir.path().join("start.yaml"));
    assert!(
        text.contains("reason: \"TODO: why may these be public?"),
        "{text}"
    );
    assert!(text.contains("expires: "), "{text}");
    let validate = twgate(dir.path(), &["policy", "validate", "start.yaml"], &[]);
    assert_eq!(validate.code, 0, "{}{}", validate.stdout, validate.stderr);
    let run = twgate(dir.path(), &["demo", "--policy", "start.yaml"], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("PASS"), "{}", run.stdout);
}

#[test]
fn a_bad_baseline_is_a_usage_error_naming_the_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("b.json"), "{\n  \"format\": \"twgate-baseline\",\n  \"version\": 1,\n  \"entries\": [{\"fingerprint\": \"x\"}]\n}\n").expect("write");
    let run = twgate(dir.path(), &["demo", "--baseline", "b.json"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("b.json:4:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("missing field `reason`"),
        "{}",
        run.stderr
    );
    let run = twgate(dir.path(), &["demo", "--baseline", "missing.json"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read the baseline missing.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_run_that_cannot_start_still_explains_itself_in_the_job_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = dir.path().join("summary.md");
    let run = twgate(
        dir.path(),
        &["audit"],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8"))],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let text = read(&summary);
    assert!(
        text.starts_with("## twgate: the audit did not run"),
        "{text}"
    );
    assert!(text.contains("TWILIO\\_ACCOUNT\\_SID is not set"), "{text}");
}

#[test]
fn two_outputs_to_one_file_or_an_output_over_an_input_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("p.yaml"), "allow: []\n").expect("write");
    for (args, expected) in [
        (
            &["demo", "--json", "same.out", "--sarif", "./same.out"][..],
            "same.out is named twice (--sarif and --json)",
        ),
        (
            &["demo", "--policy", "p.yaml", "-o", "p.yaml"][..],
            "p.yaml is named twice (--policy and --output)",
        ),
    ] {
        let run = twgate(dir.path(), args, &[]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(expected), "{}", run.stderr);
    }
    assert_eq!(read(&dir.path().join("p.yaml")), "allow: []\n");
    assert!(!dir.path().join("same.out").exists());
}

#[test]
fn the_demo_snapshots_ignore_an_api_url_in_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    for api_url in ["", "http://127.0.0.1:9"] {
        for args in [
            ["baseline", "create", "--demo", "--force"],
            ["policy", "init", "--demo", "--force"],
        ] {
            let run = twgate(dir.path(), &args, &[("TWGATE_API_URL", api_url)]);
            assert_eq!(run.code, 0, "{args:?} with {api_url:?}: {}", run.stderr);
        }
    }
}
