//! Shared helpers for the CLI integration tests: YAML worlds for fake-twilio, a server per test, and
//! running the `twgate` binary with a clean environment.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::path::Path;
use std::process::{Command, Output};

use fake_twilio::{FakeTwilio, World};

/// The test account's SID and token.
pub const ACCOUNT: &str = "AC00000000000000000000000000000001";
/// The test account's auth token: must never appear in any output.
pub const TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
/// An API key of the test account.
pub const KEY: &str = "SK00000000000000000000000000000001";
/// The API key's secret: must never appear in any output.
pub const KEY_SECRET: &str = "5ecre75ecre75ecre75ecre75ecre7aa";

/// A SID: `prefix` followed by `n` as 32 hex digits.
pub fn sid(prefix: &str, n: u32) -> String {
    format!("{prefix}{n:032x}")
}

/// A world of one account holding `services_yaml` (the YAML list items under `services:`, indented by 6).
pub fn world(services_yaml: &str, max_page_size: Option<usize>) -> World {
    let cap = max_page_size
        .map(|n| format!("max_page_size: {n}\n"))
        .unwrap_or_default();
    let text = format!(
        "{cap}accounts:\n  - sid: {ACCOUNT}\n    auth_token: \"{TOKEN}\"\n    friendly_name: Test\n    api_keys:\n      - sid: {KEY}\n        secret: \"{KEY_SECRET}\"\n    services:\n{services_yaml}"
    );
    World::from_yaml(&text).unwrap_or_else(|error| panic!("test world is invalid: {error}\n{text}"))
}

/// A running fake-twilio and the runtime that drives it.
pub struct Fake {
    /// The server.
    pub server: FakeTwilio,
    runtime: tokio::runtime::Runtime,
}

impl Fake {
    /// Starts fake-twilio on a free loopback port.
    pub fn start(world: World) -> Fake {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(FakeTwilio::start(
                world,
                "127.0.0.1:0".parse().expect("addr"),
            ))
            .expect("start fake-twilio");
        Fake { server, runtime }
    }

    /// The base URL to pass as `--api-url`.
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// Runs `twgate audit ARGS` against this server with the account's auth token.
    pub fn audit(&self, dir: &Path, args: &[&str]) -> Run {
        let mut all = vec!["audit", "--api-url"];
        let url = self.url();
        all.push(&url);
        all.extend_from_slice(args);
        twgate(
            dir,
            &all,
            &[
                ("TWILIO_ACCOUNT_SID", ACCOUNT),
                ("TWILIO_AUTH_TOKEN", TOKEN),
            ],
        )
    }

    /// Runs `twgate audit --format json ARGS` and parses the report.
    pub fn audit_json(&self, dir: &Path, args: &[&str]) -> (Run, serde_json::Value) {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let run = self.audit(dir, &all);
        let json = serde_json::from_str(&run.stdout).unwrap_or_else(|error| {
            panic!(
                "stdout is not JSON ({error}):\n{}\nstderr:\n{}",
                run.stdout, run.stderr
            )
        });
        (run, json)
    }
}

/// What a run of `twgate` printed and returned.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Both streams, for searching.
    pub fn all_output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs the `twgate` binary in `dir` with only the variables in `env` set.
pub fn twgate(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_twgate"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("run twgate");
    Run {
        code: status.code().expect("exited normally"),
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

/// The results of a JSON report as (environment, path, visibility, verdict) tuples.
pub fn rows(report: &serde_json::Value) -> Vec<(String, String, String, String)> {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
            (
                text("environment"),
                text("path"),
                text("visibility"),
                text("verdict"),
            )
        })
        .collect()
}

/// One row of [`rows`], for comparisons.
pub fn row(
    environment: &str,
    path: &str,
    visibility: &str,
    verdict: &str,
) -> (String, String, String, String) {
    (
        environment.into(),
        path.into(),
        visibility.into(),
        verdict.into(),
    )
}
