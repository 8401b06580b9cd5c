//! The GitHub Action's entry script (`action/run.sh`), run as a runner would run it: `INPUT_*` and `GITHUB_*`
//! variables, output and summary files in a temporary directory, a fake pull request event, and the twgate binary
//! built for these tests. Release downloads come from a `file://` "server" laid out like GitHub's release URLs,
//! so no test touches the network. Every test is skipped, with the reason printed, where bash is absent.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/action/run.sh");
const TWGATE: &str = env!("CARGO_BIN_EXE_twgate");
/// The target triple of the release binary for a Linux X64 runner.
const LINUX_X64: &str = "x86_64-unknown-linux-musl";
/// The target triple of the release binary for a Windows X64 runner.
const WINDOWS_X64: &str = "x86_64-pc-windows-msvc";
/// A fake pull request event, as a runner writes it to GITHUB_EVENT_PATH.
const PULL_REQUEST_EVENT: &str = r#"{"action": "opened", "number": 7,
  "pull_request": {"number": 7, "head": {"sha": "0123456789abcdef0123456789abcdef01234567"}, "base": {"ref": "main"}},
  "repository": {"full_name": "acme/site"}}"#;

/// Whether `program` is on PATH; prints why the calling test is skipped when it is not.
fn available(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).any(|dir| dir.join(program).is_file());
    if !found {
        eprintln!("skipped: `{program}` is not installed here, and the action's script needs it");
    }
    found
}

/// A runner's view of one job: its temp, workspace, event and output files.
struct Runner {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

/// What one run of the script left behind.
struct ActionRun {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: HashMap<String, String>,
    summary: String,
}

impl Runner {
    /// A Linux X64 runner on a `pull_request` event, running the action checked out as acme/twgate@v1, whose
    /// Cargo.toml says version 0.1.0.
    fn new() -> Runner {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in ["temp", "workspace", "_actions/acme/twgate/v1"] {
            fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        fs::write(
            dir.path().join("_actions/acme/twgate/v1/Cargo.toml"),
            "[workspace]\nmembers = [\".\"]\n\n[workspace.package]\nversion = \"9.9.9\"\n\n[package]\nname = \"twgate\"\nversion = \"0.1.0\"\n",
        )
        .expect("Cargo.toml");
        let event = dir.path().join("event.json");
        fs::write(&event, PULL_REQUEST_EVENT).expect("event");
        let path = |name: &str| dir.path().join(name).display().to_string();
        let env = [
            ("RUNNER_OS", "Linux".to_owned()),
            ("RUNNER_ARCH", "X64".to_owned()),
            ("RUNNER_TEMP", path("temp")),
            ("GITHUB_WORKSPACE", path("workspace")),
            ("GITHUB_OUTPUT", path("output.txt")),
            ("GITHUB_STEP_SUMMARY", path("summary.md")),
            ("GITHUB_EVENT_NAME", "pull_request".to_owned()),
            ("GITHUB_EVENT_PATH", event.display().to_string()),
            ("GITHUB_REPOSITORY", "acme/site".to_owned()),
            ("GITHUB_ACTION_PATH", path("_actions/acme/twgate/v1")),
            ("GITHUB_SERVER_URL", format!("file://{}", path("server"))),
            ("INPUT_COMMAND", "demo".to_owned()),
            ("INPUT_FORMAT", "github".to_owned()),
            ("INPUT_FAIL_ON", "any".to_owned()),
            ("INPUT_GITHUB_COMMENT", "false".to_owned()),
            ("INPUT_VERSION", String::new()),
            ("INPUT_BUILD_FROM_SOURCE", "false".to_owned()),
        ];
        let env = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Runner { dir, env }
    }

    /// Sets (or replaces) one environment variable of the step.
    fn set(mut self, key: &str, value: &str) -> Runner {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// A path inside the runner's directory.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the action's script in the workspace with this step's environment and nothing else.
    fn run(&self) -> ActionRun {
        let output = Command::new("bash")
            .arg(SCRIPT)
            .current_dir(self.path("workspace"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("run bash");
        let read = |name: &str| fs::read_to_string(self.path(name)).unwrap_or_default();
        let outputs = read("output.txt")
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        ActionRun {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs,
            summary: read("summary.md"),
        }
    }

    /// Publishes `asset` and a SHA256SUMS file listing `listed_content`'s checksum for it, as the release
    /// workflow does, under the release URL of `tag` (`latest` or e.g. `v0.1.0`) of acme/twgate.
    fn publish(&self, tag: &str, asset: &Path, listed_content: &Path) {
        let name = asset.file_name().expect("asset name").to_string_lossy();
        let release = if tag == "latest" {
            self.path("server/acme/twgate/releases/latest/download")
        } else {
            self.path(&format!("server/acme/twgate/releases/download/{tag}"))
        };
        fs::create_dir_all(&release).expect("mkdir release");
        fs::copy(asset, release.join(&*name)).expect("copy asset");
        let sum = Command::new("sha256sum")
            .arg(listed_content)
            .output()
            .expect("sha256sum");
        let sum = String::from_utf8(sum.stdout).expect("utf-8");
        let hash = sum.split_whitespace().next().expect("hash");
        let checksums = format!("{hash}  {name}\n{}  other-asset.zip\n", "0".repeat(64));
        fs::write(release.join("SHA256SUMS"), checksums).expect("SHA256SUMS");
    }
}

impl ActionRun {
    /// The step output `key`, failing the test when the script did not write it.
    fn output(&self, key: &str) -> &str {
        self.outputs
            .get(key)
            .unwrap_or_else(|| panic!("no output {key} in {:?}\n{}", self.outputs, self.stderr))
    }

    /// The `::error` workflow commands printed to the log.
    fn error_annotations(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|line| line.starts_with("::error"))
            .collect()
    }
}

/// Packs `binary` in `dir` as the release workflow packs the binary for `target`: `twgate-<target>/twgate` in a
/// .tar.gz (gzip's fastest level: the debug twgate is large), `twgate.exe` in a .zip for Windows. Returns the
/// archive.
fn pack_as_release(dir: &Path, binary: &Path, target: &str) -> PathBuf {
    let folder = format!("twgate-{target}");
    let windows = target.contains("-windows-");
    let name = if windows { "twgate.exe" } else { "twgate" };
    fs::create_dir_all(dir.join(&folder)).expect("mkdir staging");
    fs::copy(binary, dir.join(&folder).join(name)).expect("copy binary");
    let (archive, pack) = if windows {
        (
            format!("{folder}.zip"),
            r#"cd "$1" && zip -q -1 -r "$3" "$2""#,
        )
    } else {
        (
            format!("{folder}.tar.gz"),
            r#"set -o pipefail; tar -cf - -C "$1" "$2" | gzip -1 >"$3""#,
        )
    };
    let archive = dir.join(archive);
    let status = Command::new("bash")
        .arg("-c")
        .arg(pack)
        .arg("bash")
        .arg(dir)
        .arg(&folder)
        .arg(&archive)
        .status()
        .expect("bash");
    assert!(status.success(), "packing {} failed", archive.display());
    archive
}

/// Reads a file named by an output as JSON.
fn json_file(path: &str) -> serde_json::Value {
    let text = fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path} is not JSON: {error}"))
}

/// Asserts what a demo audit by the action leaves behind: exit 1, annotations, summary, SARIF, report, outputs.
fn assert_demo_audit(run: &ActionRun) {
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert_eq!(run.output("exit-code"), "1");
    assert_eq!(run.output("violations"), "5");
    assert_eq!(run.output("new-violations"), "5");

    let annotations = run.error_annotations();
    assert!(
        annotations
            .iter()
            .any(|line| line.contains("/exports/customers.csv")),
        "no annotation for /exports/customers.csv in\n{}",
        run.stdout
    );
    assert!(
        run.summary.contains("/exports/customers.csv"),
        "job summary:\n{}",
        run.summary
    );

    let sarif = json_file(run.output("sarif-file"));
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"]
        .as_array()
        .expect("SARIF results");
    assert!(!results.is_empty(), "SARIF has no results");

    let report = json_file(run.output("report"));
    assert_eq!(report["summary"]["violations"], 5);
}

#[test]
fn the_action_audits_the_demo_account_with_a_given_binary() {
    if !available("bash") {
        return;
    }
    let runner = Runner::new().set("TWGATE_BIN", TWGATE);
    let run = runner.run();
    assert_demo_audit(&run);
    assert!(
        !run.stderr.contains("Downloading"),
        "TWGATE_BIN must skip the download:\n{}",
        run.stderr
    );
}

#[test]
fn the_action_writes_sarif_where_the_sarif_file_input_says() {
    if !available("bash") {
        return;
    }
    let runner = Runner::new().set("TWGATE_BIN", TWGATE);
    let runner = runner.set("INPUT_SARIF_FILE", "results/twgate.sarif");
    fs::create_dir(runner.path("workspace/results")).expect("mkdir");
    let run = runner.run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.output("sarif-file"), "results/twgate.sarif");
    let sarif = json_file(
        &runner
            .path("workspace/results/twgate.sarif")
            .display()
            .to_string(),
    );
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn with_a_baseline_and_fail_on_new_the_action_passes_on_known_violations() {
    if !available("bash") {
        return;
    }
    let runner = Runner::new().set("TWGATE_BIN", TWGATE);
    let created = Command::new(TWGATE)
        .args(["baseline", "create", "--demo", "-o", "twgate-baseline.json"])
        .current_dir(runner.path("workspace"))
        .output()
        .expect("twgate baseline create");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let runner = runner
        .set("INPUT_BASELINE", "twgate-baseline.json")
        .set("INPUT_FAIL_ON", "new");
    let run = runner.run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("exit-code"), "0");
    assert_eq!(run.output("violations"), "5");
    assert_eq!(run.output("new-violations"), "0");
}

#[test]
fn a_comment_that_cannot_be_posted_never_changes_the_actions_exit_code() {
    if !available("bash") {
        return;
    }
    // Nothing listens on port 1 of this machine: the comment cannot be posted.
    let token = "ghs_actiontesttoken0000000000000000000";
    let runner = Runner::new()
        .set("TWGATE_BIN", TWGATE)
        .set("INPUT_GITHUB_COMMENT", "true")
        .set("GITHUB_TOKEN", token)
        .set("GITHUB_API_URL", "http://127.0.0.1:1");
    let run = runner.run();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("exit-code"), "1");
    assert!(
        run.stderr.contains("comment was not updated"),
        "no warning about the comment:\n{}",
        run.stderr
    );
    assert!(
        run.summary.contains("comment was not updated"),
        "{}",
        run.summary
    );
    assert!(!run.stdout.contains(token) && !run.stderr.contains(token));
}

#[test]
fn the_action_downloads_verifies_and_runs_the_release_binary() {
    if !["bash", "curl", "tar", "gzip", "sha256sum"]
        .into_iter()
        .all(available)
    {
        return;
    }
    let staging = tempfile::tempdir().expect("tempdir");
    let archive = pack_as_release(staging.path(), Path::new(TWGATE), LINUX_X64);
    for (version, tag) in [("", "v0.1.0"), ("0.2.0", "v0.2.0"), ("latest", "latest")] {
        let runner = Runner::new().set("INPUT_VERSION", version);
        runner.publish(tag, &archive, &archive);
        let run = runner.run();
        assert!(
            run.stderr
                .contains(&format!("SHA-256 of twgate-{LINUX_X64}.tar.gz matches")),
            "version {version}:\n{}",
            run.stderr
        );
        assert_demo_audit(&run);
    }
}

#[test]
fn a_windows_runner_gets_the_zip_and_runs_twgate_exe() {
    if !["bash", "curl", "zip", "unzip", "sha256sum"]
        .into_iter()
        .all(available)
    {
        return;
    }
    // This machine's twgate under the Windows asset's names: what is tested is the asset, not the platform.
    let runner = Runner::new().set("RUNNER_OS", "Windows");
    let archive = pack_as_release(&runner.path("staging"), Path::new(TWGATE), WINDOWS_X64);
    runner.publish("v0.1.0", &archive, &archive);
    let run = runner.run();
    assert!(
        run.stderr
            .contains(&format!("SHA-256 of twgate-{WINDOWS_X64}.zip matches")),
        "{}",
        run.stderr
    );
    assert_demo_audit(&run);
}

#[test]
fn a_tampered_release_binary_is_refused_and_never_run() {
    if !["bash", "curl", "tar", "gzip", "sha256sum"]
        .into_iter()
        .all(available)
    {
        return;
    }
    let runner = Runner::new();
    // A binary that passes the audit: had the script run it, the step would exit 0, not 3.
    let passing = runner.path("passing-twgate");
    fs::write(&passing, "#!/bin/sh\nexit 0\n").expect("write");
    let archive = pack_as_release(&runner.path("staging"), &passing, LINUX_X64);
    let original = runner.path("original.tar.gz");
    fs::copy(&archive, &original).expect("copy");
    let mut bytes = fs::read(&archive).expect("read");
    bytes.extend_from_slice(b"tampered");
    fs::write(&archive, bytes).expect("write");
    runner.publish("v0.1.0", &archive, &original);

    let run = runner.run();
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("exit-code"), "3");
    let annotations = run.error_annotations();
    assert!(
        annotations
            .iter()
            .any(|line| line.contains("SHA-256 mismatch")),
        "{}",
        run.stdout
    );
    assert!(run.summary.contains("SHA-256 mismatch"), "{}", run.summary);
    assert!(
        !run.outputs.contains_key("report"),
        "twgate ran: {:?}",
        run.outputs
    );
    assert!(!run.outputs.contains_key("violations"), "{:?}", run.outputs);
}

#[test]
fn a_release_that_does_not_exist_is_reported_with_what_to_do() {
    if !["bash", "curl"].into_iter().all(available) {
        return;
    }
    let run = Runner::new().set("INPUT_VERSION", "0.3.0").run();
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("exit-code"), "3");
    assert!(
        run.stdout
            .contains("is there a release 0.3.0 of acme/twgate?"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_checksum_check_refuses_a_tampered_file_a_missing_entry_and_a_duplicate() {
    if !available("bash") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("twgate-x86_64-unknown-linux-musl.tar.gz");
    let name = "twgate-x86_64-unknown-linux-musl.tar.gz";
    // SHA-256 of "twgate release asset\n".
    let good = "bce31ff63f615ccc5e300978f1c0e4ffccc178c0349aefbb8ff8a987af6138f9";
    let verify = |content: &str, checksums: &str| {
        fs::write(&file, content).expect("write file");
        fs::write(dir.path().join("SHA256SUMS"), checksums).expect("write sums");
        let output = Command::new("bash")
            .arg("-c")
            .arg(r#"source "$1" && verify_sha256 "$2" "$3" "$4""#)
            .arg("bash")
            .arg(SCRIPT)
            .arg(&file)
            .arg(dir.path().join("SHA256SUMS"))
            .arg(name)
            .output()
            .expect("bash");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };

    let listed = format!("{good}  {name}\n");
    assert_eq!(
        verify("twgate release asset\n", &listed),
        (true, String::new())
    );
    let binary_mode = format!("{}  other\n{good} *{name}\n", "1".repeat(64));
    assert!(verify("twgate release asset\n", &binary_mode).0);

    let (ok, why) = verify("twgate release asset!\n", &listed);
    assert!(!ok);
    assert!(why.contains("SHA-256 mismatch"), "{why}");

    let (ok, why) = verify("twgate release asset\n", &format!("{good}  {name}.sig\n"));
    assert!(!ok);
    assert!(why.contains("lists no checksum"), "{why}");

    let (ok, why) = verify(
        "twgate release asset\n",
        &format!("{good}  {name}\n{good}  {name}\n"),
    );
    assert!(!ok);
    assert!(why.contains("more than one"), "{why}");
}

#[test]
fn a_runner_with_no_release_binary_is_told_to_build_from_source() {
    if !available("bash") {
        return;
    }
    let run = Runner::new()
        .set("RUNNER_OS", "Windows")
        .set("RUNNER_ARCH", "ARM64")
        .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(run.output("exit-code"), "2");
    let annotations = run.error_annotations();
    assert!(
        annotations
            .iter()
            .any(|line| line.contains("build-from-source: true")),
        "{}",
        run.stdout
    );
}

#[test]
fn without_a_version_input_or_the_actions_cargo_toml_the_action_asks_for_a_version() {
    if !available("bash") {
        return;
    }
    let runner = Runner::new();
    let workspace = runner.path("workspace").display().to_string();
    let run = runner.set("GITHUB_ACTION_PATH", &workspace).run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("set version: to a release"),
        "{}",
        run.stdout
    );
}

#[test]
fn inputs_the_action_cannot_use_are_refused_and_cannot_inject_workflow_commands() {
    if !available("bash") {
        return;
    }
    for (input, value, says) in [
        (
            "INPUT_COMMAND",
            "policy",
            "input command must be audit or demo",
        ),
        (
            "INPUT_GITHUB_COMMENT",
            "yes",
            "input github-comment must be true or false",
        ),
        (
            "INPUT_VERSION",
            "1.0/../../evil",
            "input version must be latest",
        ),
        (
            "INPUT_SARIF_FILE",
            "a.sarif\nreport=/etc/passwd",
            "input sarif-file must be one line",
        ),
        (
            "INPUT_COMMAND",
            "x\n::warning::injected",
            "input command must be audit or demo",
        ),
    ] {
        let run = Runner::new()
            .set("TWGATE_BIN", TWGATE)
            .set(input, value)
            .run();
        assert_eq!(run.code, 2, "{input}={value:?}: {}", run.stdout);
        assert!(
            run.stdout.contains(says),
            "{input}={value:?}: {}",
            run.stdout
        );
        assert!(
            !run.stdout.lines().any(|line| line.starts_with("::warning")),
            "{input}={value:?} injected a command: {}",
            run.stdout
        );
        assert_eq!(
            run.outputs.keys().collect::<Vec<_>>(),
            ["exit-code"],
            "{input}={value:?}"
        );
    }
}

/// action.yml as JSON.
fn action_yml() -> serde_json::Value {
    let text =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).expect("action.yml");
    serde_saphyr::from_str(&text).expect("action.yml is YAML")
}

#[test]
fn every_input_reaches_the_script_only_through_env() {
    let action = action_yml();
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().expect("steps");
    let script = fs::read_to_string(SCRIPT).expect("script");
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "an expression inside run: {run}");
        }
    }
    let env = &steps[0]["env"];
    let inputs = action["inputs"].as_object().expect("inputs");
    for name in inputs.keys() {
        let variable = if name == "github-token" {
            "GITHUB_TOKEN".to_owned()
        } else {
            format!("INPUT_{}", name.to_uppercase().replace('-', "_"))
        };
        assert_eq!(
            env[&variable],
            format!("${{{{ inputs.{name} }}}}"),
            "input {name} must reach the script as {variable}"
        );
        assert!(
            script.contains(&variable),
            "the script never reads {variable}"
        );
    }
    for output in [
        "exit-code",
        "violations",
        "new-violations",
        "sarif-file",
        "report",
    ] {
        assert_eq!(
            action["outputs"][output]["value"],
            format!("${{{{ steps.twgate.outputs.{output} }}}}")
        );
        assert!(
            script.contains(&format!("write_output {output} ")),
            "the script never writes {output}"
        );
    }
}

#[test]
fn the_readme_shows_the_example_workflows_and_every_input() {
    let readme =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    for example in ["twgate.yml", "twgate-fork-prs.yml"] {
        let path = format!("{}/examples/github/{example}", env!("CARGO_MANIFEST_DIR"));
        let workflow = fs::read_to_string(&path).expect("example workflow");
        assert!(
            readme.contains(&format!("```yaml\n{workflow}```")),
            "README.md does not show {path} as it is"
        );
    }
    for name in action_yml()["inputs"].as_object().expect("inputs").keys() {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README.md lacks input {name}"
        );
    }
}
