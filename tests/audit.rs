//! `twgate audit` end to end: the binary against fake-twilio over real HTTP.

mod common;

use common::{ACCOUNT, Fake, KEY, KEY_SECRET, TOKEN, row, rows, sid, twgate, world};

/// A service whose environments deploy different builds: production (objects, a bare SID, upper-case
/// and unknown visibilities, data files), dev (a newer version of /call-log), and staging (nothing).
fn portal() -> String {
    let n = |prefix: &str, i: u32| sid(prefix, i);
    format!(
        r#"      - sid: {zs}
        unique_name: portal
        domain_base: portal-1234
        functions:
          - sid: {zh1}
            versions:
              - {{sid: {zn1}, path: /call-log, visibility: public}}
              - {{sid: {zn2}, path: /call-log, visibility: protected}}
          - sid: {zh2}
            versions:
              - {{sid: {zn4}, path: /hook, visibility: PUBLIC}}
          - sid: {zh3}
            versions:
              - {{sid: {zn5}, path: /lib/db, visibility: private}}
          - sid: {zh4}
            versions:
              - {{sid: {zn6}, path: /report, visibility: private}}
              - {{sid: {zn7}, path: /report, visibility: public}}
        assets:
          - sid: {zh10}
            versions:
              - {{sid: {zn10}, path: /assets/index.html, visibility: public}}
          - sid: {zh11}
            versions:
              - {{sid: {zn11}, path: /exports/customers.csv, visibility: public}}
          - sid: {zh12}
            versions:
              - {{sid: {zn12}, path: /brochure.pdf, visibility: public}}
          - sid: {zh13}
            versions:
              - {{sid: {zn13}, path: /beta.txt, visibility: semi-public}}
        builds:
          - sid: {zb1}
            function_versions: [{zn1}, {{sid: {zn4}, bare: true}}, {zn5}, {zn6}]
            asset_versions: [{zn10}, {zn11}, {zn12}, {zn13}]
          - sid: {zb2}
            function_versions: [{zn2}]
        environments:
          - {{sid: {ze1}, unique_name: production, build_sid: {zb1}}}
          - {{sid: {ze2}, unique_name: dev-environment, domain_suffix: dev, build_sid: {zb2}}}
          - {{sid: {ze3}, unique_name: staging, domain_suffix: stage, build_sid: null}}
"#,
        zs = n("ZS", 1),
        zh1 = n("ZH", 1),
        zh2 = n("ZH", 2),
        zh3 = n("ZH", 3),
        zh4 = n("ZH", 4),
        zh10 = n("ZH", 10),
        zh11 = n("ZH", 11),
        zh12 = n("ZH", 12),
        zh13 = n("ZH", 13),
        zn1 = n("ZN", 1),
        zn2 = n("ZN", 2),
        zn4 = n("ZN", 4),
        zn5 = n("ZN", 5),
        zn6 = n("ZN", 6),
        zn7 = n("ZN", 7),
        zn10 = n("ZN", 10),
        zn11 = n("ZN", 11),
        zn12 = n("ZN", 12),
        zn13 = n("ZN", 13),
        zb1 = n("ZB", 1),
        zb2 = n("ZB", 2),
        ze1 = n("ZE", 1),
        ze2 = n("ZE", 2),
        ze3 = n("ZE", 3),
    )
}

const POLICY: &str = r#"allow:
  - paths: ["*.html", "/"]
    kinds: [asset]
    reason: web page
  - paths: "*.csv"
    reason: an allow rule that a deny glob must beat
  - paths: /brochure.pdf
    reason: brochure, until the new site ships
    expires: 2020-01-31
deny:
  - paths: "*.csv"
    reason: data files must never be public
"#;

fn dir_with_policy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("policy.yaml"), POLICY).expect("write policy");
    dir
}

#[test]
fn every_live_route_is_judged_by_what_each_environment_deploys() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let (run, report) = fake.audit_json(dir.path(), &["--policy", "policy.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["complete"], true);
    assert_eq!(
        rows(&report),
        [
            row("dev-environment", "/call-log", "protected", "ok"),
            row("production", "/call-log", "public", "violation"),
            row("production", "/hook", "public", "violation"),
            row("production", "/lib/db", "private", "ok"),
            row("production", "/report", "private", "ok"),
            row("production", "/", "public", "allowed"),
            row("production", "/assets/index.html", "public", "allowed"),
            row("production", "/beta.txt", "semi-public", "violation"),
            row("production", "/brochure.pdf", "public", "violation"),
            row(
                "production",
                "/exports/customers.csv",
                "public",
                "violation"
            ),
        ]
    );
    let summary = &report["summary"];
    assert_eq!(
        (
            summary["services"].as_u64(),
            summary["environments"].as_u64(),
            summary["routes"].as_u64()
        ),
        (Some(1), Some(3), Some(10))
    );
    assert_eq!(
        (
            summary["public"].as_u64(),
            summary["protected"].as_u64(),
            summary["private"].as_u64(),
            summary["violations"].as_u64()
        ),
        (Some(6), Some(1), Some(2), Some(5))
    );
}

fn result<'a>(
    report: &'a serde_json::Value,
    environment: &str,
    path: &str,
) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["environment"] == environment && r["path"] == path)
        .unwrap_or_else(|| panic!("no result for {environment} {path}"))
}

#[test]
fn results_carry_the_documented_fields() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let (_, report) = fake.audit_json(dir.path(), &["--policy", "policy.yaml"]);
    let csv = result(&report, "production", "/exports/customers.csv");
    assert_eq!(csv["account_sid"], ACCOUNT);
    assert_eq!(csv["service_sid"], sid("ZS", 1));
    assert_eq!(csv["service_name"], "portal");
    assert_eq!(csv["domain_name"], "portal-1234.twil.io");
    assert_eq!(csv["kind"], "asset");
    assert_eq!(
        csv["url"],
        "https://portal-1234.twil.io/exports/customers.csv"
    );
    assert_eq!(csv["version_sid"], sid("ZN", 11));
    assert_eq!(
        csv["fingerprint"],
        format!("v1|{ACCOUNT}|portal|production|asset|/exports/customers.csv")
    );
    let private = result(&report, "production", "/lib/db");
    assert_eq!(
        private["url"],
        serde_json::Value::Null,
        "private routes have no reachable URL"
    );
    assert_eq!(report["policy"]["source"], "policy.yaml");
    assert_eq!(report["policy"]["kind"], "file");
}

#[test]
fn a_deny_glob_beats_an_allow_rule() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let (_, report) = fake.audit_json(dir.path(), &["--policy", "policy.yaml"]);
    let csv = result(&report, "production", "/exports/customers.csv");
    assert_eq!(csv["verdict"], "violation");
    assert_eq!(csv["rule"], "deny[0]");
    assert_eq!(
        csv["reason"],
        "public and matches deny glob \"*.csv\": data files must never be public"
    );
}

#[test]
fn an_expired_allow_rule_no_longer_allows_and_the_output_says_so() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let (_, report) = fake.audit_json(dir.path(), &["--policy", "policy.yaml"]);
    let brochure = result(&report, "production", "/brochure.pdf");
    assert_eq!(brochure["verdict"], "violation");
    assert_eq!(brochure["rule"], "allow[2]");
    assert!(
        brochure["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("expired on 2020-01-31"),
        "{brochure}"
    );
    assert_eq!(report["policy"]["expired_rules"][0]["rule"], "allow[2]");
    assert_eq!(report["policy"]["expired_rules"][0]["line"], 7);
    let table = fake.audit(dir.path(), &["--policy", "policy.yaml"]);
    assert!(
        table
            .stdout
            .contains("note: allow[2] (line 7) expired on 2020-01-31"),
        "{}",
        table.stdout
    );
}

#[test]
fn upper_case_bare_and_unknown_visibilities_are_read_correctly() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let (_, report) = fake.audit_json(dir.path(), &["--policy", "policy.yaml"]);
    let hook = result(&report, "production", "/hook");
    assert_eq!(
        (&hook["visibility"], &hook["version_sid"]),
        (&"public".into(), &sid("ZN", 4).into())
    );
    let beta = result(&report, "production", "/beta.txt");
    assert!(
        beta["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("unknown visibility \"semi-public\"")
    );
    // The bare SID was resolved through the function versions, fetched once and only for functions.
    let requests = fake.server.requests();
    assert!(requests.iter().any(|r| {
        r.path
            .ends_with(&format!("/Functions/{}/Versions", sid("ZH", 2)))
    }));
    assert!(
        !requests.iter().any(|r| r.path.contains("/Assets")),
        "assets needed no lookup"
    );
}

#[test]
fn the_newest_saved_version_is_not_reported_when_it_is_not_deployed() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let (_, report) = fake.audit_json(dir.path(), &["--policy", "policy.yaml"]);
    let reports: Vec<_> = rows(&report)
        .into_iter()
        .filter(|r| r.1 == "/report")
        .collect();
    assert_eq!(reports, [row("production", "/report", "private", "ok")]);
    let call_logs: Vec<_> = rows(&report)
        .into_iter()
        .filter(|r| r.1 == "/call-log")
        .collect();
    assert_eq!(
        call_logs,
        [
            row("dev-environment", "/call-log", "protected", "ok"),
            row("production", "/call-log", "public", "violation")
        ]
    );
}

#[test]
fn an_environment_without_a_build_is_audited_and_serves_nothing() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let (run, report) = fake.audit_json(
        dir.path(),
        &["--policy", "policy.yaml", "--environment", "stage"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report["summary"]["environments"], 1);
    assert_eq!(report["summary"]["routes"], 0);
    assert!(
        !fake
            .server
            .requests()
            .iter()
            .any(|r| r.path.contains("/Builds/")),
        "no build to fetch"
    );
}

/// Five services, the first with five environments, served two items a page.
fn paged_world() -> fake_twilio::World {
    let mut services = String::new();
    for s in 1..=5u32 {
        let environments = if s == 1 { 5 } else { 1 };
        services.push_str(&format!(
            "      - sid: {}\n        unique_name: svc-{s}\n        assets:\n          - sid: {}\n            versions:\n              - {{sid: {}, path: /data-{s}.json, visibility: public}}\n        builds:\n          - sid: {}\n            asset_versions: [{}]\n        environments:\n",
            sid("ZS", s),
            sid("ZH", s),
            sid("ZN", s),
            sid("ZB", s),
            sid("ZN", s)
        ));
        for e in 1..=environments {
            let build = if e == environments {
                sid("ZB", s)
            } else {
                "null".to_string()
            };
            services.push_str(&format!(
                "          - {{sid: {}, unique_name: env-{e}, domain_suffix: e{e}, build_sid: {build}}}\n",
                sid("ZE", s * 100 + e)
            ));
        }
    }
    world(&services, Some(2))
}

#[test]
fn every_page_of_services_and_environments_is_read() {
    let fake = Fake::start(paged_world());
    let dir = tempfile::tempdir().expect("tempdir");
    let (run, report) = fake.audit_json(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(report["summary"]["services"], 5);
    assert_eq!(report["summary"]["environments"], 9);
    let paths: Vec<_> = rows(&report).into_iter().map(|r| r.1).collect();
    assert_eq!(
        paths,
        [
            "/data-1.json",
            "/data-2.json",
            "/data-3.json",
            "/data-4.json",
            "/data-5.json"
        ]
    );
    let requests = fake.server.requests();
    let service_pages = requests.iter().filter(|r| r.path == "/v1/Services").count();
    let environment_pages = requests
        .iter()
        .filter(|r| r.path.ends_with("/Environments"))
        .count();
    assert_eq!(service_pages, 3, "5 services, 2 a page");
    assert_eq!(
        environment_pages,
        3 + 4,
        "5 environments in 3 pages, then 1 page each"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.path.ends_with("/Environments") && r.query.contains("PageToken="))
    );
    assert_eq!(
        requests.len(),
        3 + 7 + 5,
        "service pages + environment pages + one build per deployed environment"
    );
}

#[test]
fn filters_select_services_and_environments_and_unknown_filters_are_errors() {
    let fake = Fake::start(paged_world());
    let dir = tempfile::tempdir().expect("tempdir");
    let (run, report) = fake.audit_json(
        dir.path(),
        &[
            "--service",
            "svc-1",
            "--service",
            &sid("ZS", 3),
            "--environment",
            "e5",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let paths: Vec<_> = rows(&report).into_iter().map(|r| r.1).collect();
    assert_eq!(paths, ["/data-1.json"]);
    let unknown = fake.audit(dir.path(), &["--service", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("--service \"nope\" matched no service"),
        "{}",
        unknown.stderr
    );
    let unknown = fake.audit(dir.path(), &["--environment", "qa"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("--environment \"qa\" matched no environment"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_clean_account_passes_with_exit_0() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let run = fake.audit(
        dir.path(),
        &["--policy", "policy.yaml", "--environment", "dev"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("PASS"), "{}", run.stdout);
}

#[test]
fn wrong_credentials_exit_3_naming_the_variables() {
    let fake = Fake::start(world(&portal(), None));
    let dir = tempfile::tempdir().expect("tempdir");
    let url = fake.url();
    let wrong = twgate(
        dir.path(),
        &["audit", "--api-url", &url],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT),
            ("TWILIO_AUTH_TOKEN", "0000000000000000000000000000dead"),
        ],
    );
    assert_eq!(wrong.code, 3, "{}", wrong.stderr);
    assert!(
        wrong
            .stderr
            .contains("check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"),
        "{}",
        wrong.stderr
    );
    assert!(wrong.stderr.contains("20003"), "{}", wrong.stderr);
    let wrong_key = twgate(
        dir.path(),
        &["audit", "--api-url", &url],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT),
            ("TWILIO_API_KEY", KEY),
            ("TWILIO_API_SECRET", "nope"),
        ],
    );
    assert_eq!(wrong_key.code, 3);
    assert!(
        wrong_key
            .stderr
            .contains("check TWILIO_ACCOUNT_SID, TWILIO_API_KEY and TWILIO_API_SECRET"),
        "{}",
        wrong_key.stderr
    );
}

#[test]
fn an_api_key_reaches_the_account() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let url = fake.url();
    let run = twgate(
        dir.path(),
        &[
            "audit",
            "--api-url",
            &url,
            "--policy",
            "policy.yaml",
            "--format",
            "json",
        ],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT),
            ("TWILIO_API_KEY", KEY),
            ("TWILIO_API_SECRET", KEY_SECRET),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("\"complete\": true"));
}

#[test]
fn missing_credentials_are_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = twgate(dir.path(), &["audit"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("TWILIO_ACCOUNT_SID is not set"),
        "{}",
        run.stderr
    );
    let run = twgate(dir.path(), &["audit"], &[("TWILIO_ACCOUNT_SID", ACCOUNT)]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("TWILIO_AUTH_TOKEN"), "{}", run.stderr);
}

/// `twgate audit -vv --format json` against an API that will fail, retrying once.
fn audit_failing_api(dir: &std::path::Path, url: &str) -> common::Run {
    twgate(
        dir,
        &[
            "audit",
            "-vv",
            "--api-url",
            url,
            "--format",
            "json",
            "--max-retries",
            "1",
        ],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT),
            ("TWILIO_AUTH_TOKEN", TOKEN),
        ],
    )
}

#[test]
fn an_unreachable_api_is_an_incomplete_audit_never_a_pass() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let dir = tempfile::tempdir().expect("tempdir");
    let run = audit_failing_api(dir.path(), &closed);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(report["complete"], false);
    assert!(
        report["error"]
            .as_str()
            .unwrap_or_default()
            .contains("could not reach Twilio"),
        "{report}"
    );
    assert!(
        run.stderr.contains("the audit is incomplete"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_auth_token_appears_in_no_output_at_any_verbosity() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let url = fake.url();
    let report = dir.path().join("report.json");
    let report_arg = report.to_string_lossy().to_string();
    for verbosity in [None, Some("-v"), Some("-vv"), Some("-vvv")] {
        for token in [TOKEN, "0000000000000000000000000000dead"] {
            for format in ["table", "json", "csv"] {
                let mut args = vec![
                    "audit",
                    "--api-url",
                    &url,
                    "--policy",
                    "policy.yaml",
                    "--format",
                    format,
                ];
                args.extend(verbosity);
                let run = twgate(
                    dir.path(),
                    &args,
                    &[
                        ("TWILIO_ACCOUNT_SID", ACCOUNT),
                        ("TWILIO_AUTH_TOKEN", token),
                    ],
                );
                assert!(
                    !run.all_output().contains(token),
                    "token leaked with {verbosity:?} {format}"
                );
                if verbosity.is_some() && token == TOKEN {
                    assert!(
                        run.stderr.contains("GET "),
                        "-v logs requests: {}",
                        run.stderr
                    );
                }
                args.extend(["--output", &report_arg]);
                let run = twgate(
                    dir.path(),
                    &args,
                    &[
                        ("TWILIO_ACCOUNT_SID", ACCOUNT),
                        ("TWILIO_AUTH_TOKEN", token),
                    ],
                );
                assert!(!run.all_output().contains(token));
                if let Ok(written) = std::fs::read_to_string(&report) {
                    assert!(!written.contains(token));
                }
            }
        }
    }
    let run = twgate(
        dir.path(),
        &["audit", "-vv", "--api-url", &url],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT),
            ("TWILIO_API_KEY", KEY),
            ("TWILIO_API_SECRET", KEY_SECRET),
        ],
    );
    assert!(!run.all_output().contains(KEY_SECRET));
}

#[test]
fn output_files_are_written_whole_or_not_at_all() {
    let fake = Fake::start(world(&portal(), None));
    let dir = dir_with_policy();
    let run = fake.audit(
        dir.path(),
        &["--policy", "policy.yaml", "--output", "out/report.json"],
    );
    assert_eq!(run.code, 2, "missing directory: {}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot write the report to out/report.json"),
        "{}",
        run.stderr
    );
    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    let run = fake.audit(
        dir.path(),
        &[
            "--policy",
            "policy.yaml",
            "--format",
            "csv",
            "--output",
            "out/report.csv",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let csv = std::fs::read_to_string(dir.path().join("out/report.csv")).expect("report written");
    assert!(
        csv.starts_with(
            "type,url,path,SID,service_name,service_sid,environment,visibility,verdict"
        )
    );
    assert_eq!(csv.lines().count(), 11);
    assert_eq!(
        std::fs::read_dir(dir.path().join("out"))
            .expect("list")
            .count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn twgate_yaml_in_the_working_directory_is_the_default_policy() {
    let fake = Fake::start(world(&portal(), None));
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, report) = fake.audit_json(dir.path(), &[]);
    assert_eq!(report["policy"]["source"], "built-in default policy");
    std::fs::write(dir.path().join("twgate.yaml"), POLICY).expect("write");
    let (_, report) = fake.audit_json(dir.path(), &[]);
    assert_eq!(report["policy"]["source"], "twgate.yaml");
    std::fs::write(dir.path().join("twgate.yaml"), "allow: 3\n").expect("write");
    let run = fake.audit(dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("twgate.yaml:1:8: allow must be a list of rules"),
        "{}",
        run.stderr
    );
}

/// A plain HTTP/1.1 server on 127.0.0.1 for answers fake-twilio would never give: it serves up to
/// `requests` connections, each answered with what `answer` returns for the request target and its
/// Authorization header (`{base}` in the body replaced by the server's own URL). Returns that URL.
fn tiny_server(
    requests: usize,
    answer: impl Fn(&str, &str) -> (String, String) + Send + 'static,
) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let own_url = base.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests).flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut authorization = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                if let Some(value) = line.strip_prefix("authorization: ") {
                    authorization = value.trim().to_string();
                }
                line.clear();
            }
            let target = request_line.split(' ').nth(1).unwrap_or_default();
            let (status, body) = answer(target, &authorization);
            let body = body.replace("{base}", &own_url);
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

/// A server that answers every request with `status` and a Twilio-style error whose message echoes the
/// request's Authorization header and the token itself, as a careless proxy might.
fn echoing_server(status: u16) -> String {
    tiny_server(20, move |_, authorization| {
        let body = format!(
            r#"{{"code":20001,"message":"invalid {ACCOUNT}:{TOKEN} ({authorization})","status":{status}}}"#
        );
        (format!("{status} Echo"), body)
    })
}

#[test]
fn credentials_echoed_by_the_server_are_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    for status in [400, 500] {
        let url = echoing_server(status);
        let run = audit_failing_api(dir.path(), &url);
        assert_eq!(run.code, 3, "{}", run.stderr);
        assert!(run.stderr.contains("20001"), "{}", run.stderr);
        let redacted = format!("invalid {ACCOUNT}:*** (Basic ***)");
        assert!(run.stderr.contains(&redacted), "{}", run.stderr);
        let output = run.all_output();
        assert!(!output.contains(TOKEN), "token leaked:\n{output}");
        assert!(
            !output.contains("Basic QUMw"),
            "Basic credentials leaked:\n{output}"
        );
    }
}

/// A server that answers each request path (query ignored) with the JSON body `answers` gives for it,
/// `{base}` replaced by the server's own URL, and 404 for any other path.
fn scripted_server(answers: Vec<(String, String)>) -> String {
    tiny_server(50, move |target, _| {
        let path = target.split('?').next().unwrap_or_default();
        match answers.iter().find(|(known, _)| known == path) {
            Some((_, body)) => ("200 OK".to_string(), body.clone()),
            None => (
                "404 Not Found".to_string(),
                r#"{"code":20404,"message":"not found","status":404}"#.to_string(),
            ),
        }
    })
}

/// Answers for an account of one service whose `production` environment deploys `build`; `environments`
/// is the environments page (use `{env}` for the environment object).
fn one_build_account(environments: &str, build: &str) -> Vec<(String, String)> {
    let environment = format!(
        r#"{{"sid":"{}","unique_name":"production","domain_suffix":null,"domain_name":"portal-1234.twil.io","build_sid":"{}"}}"#,
        sid("ZE", 1),
        sid("ZB", 1)
    );
    vec![
        (
            "/v1/Services".to_string(),
            format!(
                r#"{{"services":[{{"sid":"{}","unique_name":"portal","friendly_name":"Portal"}}],"meta":{{"key":"services","next_page_url":null}}}}"#,
                sid("ZS", 1)
            ),
        ),
        (
            format!("/v1/Services/{}/Environments", sid("ZS", 1)),
            environments.replace("{env}", &environment),
        ),
        (
            format!("/v1/Services/{}/Environments/page2", sid("ZS", 1)),
            format!(
                r#"{{"environments":[{environment}],"meta":{{"key":"environments","next_page_url":null}}}}"#
            ),
        ),
        (
            format!("/v1/Services/{}/Builds/{}", sid("ZS", 1), sid("ZB", 1)),
            build.to_string(),
        ),
    ]
}

const ONE_PAGE_OF_ENVIRONMENTS: &str =
    r#"{"environments":[{env}],"meta":{"key":"environments","next_page_url":null}}"#;

fn build_json(sid_value: &str, function_versions: &str) -> String {
    format!(
        r#"{{"sid":"{sid_value}","status":"completed","function_versions":{function_versions},"asset_versions":[]}}"#
    )
}

#[test]
fn an_environment_listed_on_two_pages_is_audited_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let environments_then_again = format!(
        r#"{{"environments":[{{env}}],"meta":{{"key":"environments","next_page_url":"{{base}}/v1/Services/{}/Environments/page2?PageToken=PT1"}}}}"#,
        sid("ZS", 1)
    );
    let version = format!(
        r#"[{{"sid":"{}","path":"/hook","visibility":"public","function_sid":"{}"}},{{"sid":"{}","path":"/hook","visibility":"public","function_sid":"{}"}}]"#,
        sid("ZN", 1),
        sid("ZH", 1),
        sid("ZN", 1),
        sid("ZH", 1)
    );
    let url = scripted_server(one_build_account(
        &environments_then_again,
        &build_json(&sid("ZB", 1), &version),
    ));
    let run = audit_failing_api(dir.path(), &url);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(report["summary"]["environments"], 1, "{report}");
    assert_eq!(report["summary"]["routes"], 1, "{report}");
}

#[test]
fn answers_that_do_not_add_up_end_the_audit_incomplete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let public_hook = format!(
        r#"[{{"sid":"{}","path":"/hook","visibility":"public"}}]"#,
        sid("ZN", 1)
    );
    let cases = [
        (
            build_json(&sid("ZB", 2), &public_hook),
            "Twilio answered with build ZB",
        ),
        (
            format!(r#"{{"sid":"{}","status":"completed"}}"#, sid("ZB", 1)),
            "missing field `function_versions`",
        ),
        (
            build_json(
                &sid("ZB", 1),
                &format!(
                    r#"[{{"sid":"{}","path":"@evil.example/x","visibility":"public"}}]"#,
                    sid("ZN", 1)
                ),
            ),
            "is not a route path",
        ),
        (
            build_json(&sid("ZB", 1), r#"["../../Functions"]"#),
            "is not a Twilio SID",
        ),
    ];
    for (build, expected) in cases {
        let url = scripted_server(one_build_account(ONE_PAGE_OF_ENVIRONMENTS, &build));
        let run = audit_failing_api(dir.path(), &url);
        assert_eq!(run.code, 3, "{build}\n{}", run.stderr);
        assert!(run.stderr.contains(expected), "{build}\n{}", run.stderr);
        assert!(!run.stdout.contains("twil.io@"), "{}", run.stdout);
    }
}

/// `text` with every character written as a JSON `\uXXXX` escape, as a server may echo it.
fn json_unicode_escaped(text: &str) -> String {
    text.chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect()
}

#[test]
fn credentials_echoed_in_account_data_reach_no_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let escaped = json_unicode_escaped(TOKEN);
    for echo in [TOKEN.to_string(), escaped] {
        let leaky_function = format!(
            r#"[{{"sid":"{}","path":"/{echo}/calls","visibility":"public"}}]"#,
            sid("ZN", 1)
        );
        let mut answers = one_build_account(
            ONE_PAGE_OF_ENVIRONMENTS,
            &build_json(&sid("ZB", 1), &leaky_function),
        );
        answers[0].1 = answers[0].1.replace(
            r#""friendly_name":"Portal""#,
            &format!(r#""friendly_name":"{ACCOUNT}:{echo}""#),
        );
        for format in [
            "json", "table", "csv", "sarif", "junit", "markdown", "github",
        ] {
            let url = scripted_server(answers.clone());
            let run = twgate(
                dir.path(),
                &["audit", "-vv", "--api-url", &url, "--format", format],
                &[
                    ("TWILIO_ACCOUNT_SID", ACCOUNT),
                    ("TWILIO_AUTH_TOKEN", TOKEN),
                ],
            );
            assert_eq!(run.code, 1, "{format}: {}", run.stderr);
            let output = run.all_output();
            assert!(
                !output.contains(TOKEN),
                "{format} leaked the token:\n{output}"
            );
            assert!(output.contains("/***/calls"), "{format}:\n{output}");
        }
    }
}

#[test]
fn api_text_cannot_forge_lines_or_drive_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    for status in ["404 Not Found", "503 Unavailable"] {
        let url = tiny_server(20, move |_, _| {
            let body = r#"{"code":20404,"message":"x\n::error title=twgate::forged\r\u001b[2J\u0007","status":404}"#;
            (status.to_string(), body.to_string())
        });
        let run = twgate(
            dir.path(),
            &[
                "audit",
                "-v",
                "--api-url",
                &url,
                "--format",
                "github",
                "--max-retries",
                "1",
            ],
            &[
                ("TWILIO_ACCOUNT_SID", ACCOUNT),
                ("TWILIO_AUTH_TOKEN", TOKEN),
            ],
        );
        assert_eq!(run.code, 3, "{}", run.stderr);
        let output = run.all_output();
        assert!(
            !output
                .lines()
                .any(|line| line.starts_with("::error title=twgate::forged")),
            "{output}"
        );
        assert!(!output.contains(['\u{1b}', '\u{7}', '\r']), "{output:?}");
        assert!(
            run.stderr
                .contains(r"x\n::error title=twgate::forged\r\u{1b}[2J\u{7}"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn an_answer_that_is_not_json_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (body, expected) in [
        (
            "<html><body>Proxy login</body></html>",
            "the answer is not JSON: it starts with \"<html><body>Proxy login</body></html>\"",
        ),
        ("  \n", "the answer is empty, not JSON"),
        ("\u{feff}{}", "starts with a byte-order mark (U+FEFF)"),
        ("null", "invalid type: null, expected a JSON object"),
        ("{\"services\":[", "EOF while parsing"),
    ] {
        let url = tiny_server(5, move |_, _| ("200 OK".to_string(), body.to_string()));
        let run = audit_failing_api(dir.path(), &url);
        assert_eq!(run.code, 3, "{}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("unexpected answer from GET {url}/v1/Services")),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(expected), "{}", run.stderr);
    }
}

#[test]
fn names_in_errors_about_answers_that_do_not_add_up_are_redacted_and_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let escaped = json_unicode_escaped(TOKEN);
    for echo in [TOKEN.to_string(), escaped] {
        let mut answers =
            one_build_account(ONE_PAGE_OF_ENVIRONMENTS, &build_json(&sid("ZB", 2), "[]"));
        answers[0].1 = answers[0].1.replace(
            r#""unique_name":"portal""#,
            &format!(r#""unique_name":"svc{echo}\n::error::forged\u001b[31m""#),
        );
        let run = audit_failing_api(dir.path(), &scripted_server(answers));
        assert_eq!(run.code, 3, "{}", run.stderr);
        let output = run.all_output();
        assert!(!output.contains(TOKEN), "{output}");
        assert!(
            run.stderr.contains(
                r"of service svc***\n::error::forged\u{1b}[31m, Twilio answered with build ZB"
            ),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn an_echo_cut_short_in_a_long_message_is_still_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = tiny_server(5, |_, _| {
        let message = format!("{}{TOKEN}", "A".repeat(490));
        let body = format!(r#"{{"code":20404,"message":"{message}","status":404}}"#);
        ("404 Not Found".to_string(), body)
    });
    let run = audit_failing_api(dir.path(), &url);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(!run.all_output().contains(&TOKEN[..8]), "{}", run.stderr);
    assert!(run.stderr.contains("AAA***"), "{}", run.stderr);
}
