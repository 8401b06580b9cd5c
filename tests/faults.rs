//! The fault matrix: `twgate audit` against a fake Twilio that misbehaves in one way at a time. Every case
//! ends in the complete, correct result (the same results as without the fault) or in exit 3 with a message
//! naming the URL and what went wrong: never exit 0 or 1 on an incomplete inventory, never a panic, and
//! never a credential sent to another origin (a second fake server stands for it and must see no request).

mod common;

use std::sync::OnceLock;

use common::{Fake, Run, TOKEN, sid, world};
use fake_twilio::World;
use fake_twilio::faults::{Fault, Faults, Injection, Trigger};
use serde_json::Value;

/// Four services in two pages: the first with three environments in two pages and a build that lists a
/// version as a bare SID (so its functions and their versions are read too), the second with one deployed
/// environment, the third with two environments deploying the same build, the fourth with nothing deployed.
fn services_yaml() -> String {
    let mut yaml = format!(
        "      - sid: {zs1}
        unique_name: portal
        domain_base: portal-1234
        functions:
          - sid: {zh1}
            versions:
              - {{sid: {zn1}, path: /call-log, visibility: public}}
              - {{sid: {zn2}, path: /call-log, visibility: protected}}
          - sid: {zh2}
            versions:
              - {{sid: {zn3}, path: /hook, visibility: PUBLIC}}
        assets:
          - sid: {zh3}
            versions:
              - {{sid: {zn4}, path: /assets/index.html, visibility: public}}
              - {{sid: {zn5}, path: /exports/customers.csv, visibility: public}}
        builds:
          - sid: {zb1}
            function_versions: [{zn1}, {{sid: {zn3}, bare: true}}]
            asset_versions: [{zn4}, {zn5}]
          - sid: {zb2}
            function_versions: [{zn2}]
        environments:
          - {{sid: {ze1}, unique_name: production, build_sid: {zb1}}}
          - {{sid: {ze2}, unique_name: dev-environment, domain_suffix: dev, build_sid: {zb2}}}
          - {{sid: {ze3}, unique_name: staging, domain_suffix: stage, build_sid: null}}
",
        zs1 = sid("ZS", 1),
        zh1 = sid("ZH", 1),
        zh2 = sid("ZH", 2),
        zh3 = sid("ZH", 3),
        zn1 = sid("ZN", 1),
        zn2 = sid("ZN", 2),
        zn3 = sid("ZN", 3),
        zn4 = sid("ZN", 4),
        zn5 = sid("ZN", 5),
        zb1 = sid("ZB", 1),
        zb2 = sid("ZB", 2),
        ze1 = sid("ZE", 1),
        ze2 = sid("ZE", 2),
        ze3 = sid("ZE", 3),
    );
    yaml.push_str(&data_services(&[(2, 1), (3, 2), (4, 0)]));
    yaml
}

/// Services `svc-S` for each `(S, E)`: each with one build serving `/data-S.json`, deployed in `E`
/// environments (or one idle environment when `E` is 0).
fn data_services(shapes: &[(u32, u32)]) -> String {
    let mut yaml = String::new();
    for &(s, environments) in shapes {
        yaml.push_str(&format!(
            "      - sid: {}\n        unique_name: svc-{s}\n        assets:\n          - sid: {}\n            versions:\n              - {{sid: {}, path: /data-{s}.json, visibility: public}}\n        builds:\n          - sid: {}\n            asset_versions: [{}]\n        environments:\n",
            sid("ZS", s),
            sid("ZH", s * 10),
            sid("ZN", s * 10),
            sid("ZB", s * 10),
            sid("ZN", s * 10),
        ));
        for e in 1..=environments {
            yaml.push_str(&format!(
                "          - {{sid: {}, unique_name: env-{e}, domain_suffix: e{e}, build_sid: {}}}\n",
                sid("ZE", s * 10 + e),
                sid("ZB", s * 10)
            ));
        }
        if environments == 0 {
            yaml.push_str(&format!(
                "          - {{sid: {}, unique_name: idle, build_sid: null}}\n",
                sid("ZE", s * 10)
            ));
        }
    }
    yaml
}

/// `count` services of one environment each, as [`data_services`] writes them.
fn one_environment_each(count: u32) -> String {
    let shapes: Vec<(u32, u32)> = (1..=count).map(|s| (s, 1)).collect();
    data_services(&shapes)
}

/// A world of `services` (YAML list items) served at most `page_size` items a page, with `faults`.
fn faulty_world(services: &str, page_size: Option<usize>, faults: Faults) -> World {
    let mut world = world(services, page_size);
    world.faults = faults;
    world
        .validate()
        .unwrap_or_else(|error| panic!("the faults are invalid: {error}"));
    world
}

/// Requests of a fault-free audit of the matrix world: 2 service pages, 5 environment pages, 5 builds,
/// and for the bare SID one function list and a version list per function (2).
const CLEAN_REQUESTS: usize = 2 + 5 + 5 + 1 + 2;

/// Flags every run gets: JSON, request logging, and limits that keep the matrix fast.
struct Limits {
    max_retries: &'static str,
    timeout: &'static str,
    concurrency: &'static str,
}

const FAST: Limits = Limits {
    max_retries: "2",
    timeout: "2",
    concurrency: "10",
};

/// What one audit under faults did.
struct Outcome {
    run: Run,
    report: Value,
    /// The requests the faulty fake saw.
    requests: Vec<fake_twilio::RequestRecord>,
    /// Its count of requests turned away by the in-flight cap.
    rejected: usize,
}

/// Audits a world of `services` served two items a page with the faults `faults(other_origin)` makes,
/// where `other_origin` is the base URL of a second server that must never be contacted, and checks what
/// every case must hold.
fn audit_under(services: &str, faults: impl FnOnce(&str) -> Faults, limits: &Limits) -> Outcome {
    audit_paged_under(services, Some(2), faults, limits)
}

/// [`audit_under`] with pages of at most `page_size` items.
fn audit_paged_under(
    services: &str,
    page_size: Option<usize>,
    faults: impl FnOnce(&str) -> Faults,
    limits: &Limits,
) -> Outcome {
    let other = Fake::start(faulty_world(services, page_size, Faults::default()));
    let fake = Fake::start(faulty_world(services, page_size, faults(&other.url())));
    let dir = tempfile::tempdir().expect("tempdir");
    let (run, report) = fake.audit_json(
        dir.path(),
        &[
            "-v",
            "--max-retries",
            limits.max_retries,
            "--timeout",
            limits.timeout,
            "--concurrency",
            limits.concurrency,
        ],
    );
    let output = run.all_output();
    assert!(!output.contains("panicked"), "{output}");
    assert!(!output.contains(TOKEN), "the token leaked:\n{output}");
    assert!(
        !output.contains("Basic QUMw"),
        "the Basic credentials leaked:\n{output}"
    );
    assert!(
        other.server.requests().is_empty(),
        "the other origin was contacted: {:?}",
        other.server.requests()
    );
    assert!(
        [1, 3].contains(&run.code),
        "exit {} is neither a complete audit with violations nor an incomplete one:\n{}",
        run.code,
        run.stderr
    );
    Outcome {
        rejected: fake.server.rejected_count(),
        requests: fake.server.requests(),
        run,
        report,
    }
}

/// The results of the matrix world without faults.
fn clean_results() -> &'static Value {
    static CLEAN: OnceLock<Value> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let outcome = audit_under(&services_yaml(), |_| Faults::default(), &FAST);
        assert_eq!(outcome.run.code, 1, "{}", outcome.run.stderr);
        assert_eq!(outcome.requests.len(), CLEAN_REQUESTS);
        assert_eq!(outcome.report["summary"]["routes"], 9);
        outcome.report["results"].clone()
    })
}

/// The audit under these faults is complete and finds exactly what a fault-free audit finds.
fn complete(faults: impl FnOnce(&str) -> Faults, limits: &Limits) -> Outcome {
    let outcome = audit_under(&services_yaml(), faults, limits);
    let Outcome { run, report, .. } = &outcome;
    assert_eq!(run.code, 1, "expected the complete audit:\n{}", run.stderr);
    assert_eq!(report["complete"], true);
    assert_eq!(&report["results"], clean_results());
    outcome
}

/// The audit under these faults stops with exit 3, and its error names each of `expected`.
fn incomplete(faults: impl FnOnce(&str) -> Faults, limits: &Limits, expected: &[&str]) -> Outcome {
    let outcome = audit_under(&services_yaml(), faults, limits);
    assert_incomplete(&outcome, expected);
    outcome
}

/// Exit 3, a report marked incomplete, and an error naming each of `expected`.
fn assert_incomplete(outcome: &Outcome, expected: &[&str]) {
    let Outcome { run, report, .. } = &outcome;
    assert_eq!(run.code, 3, "expected exit 3:\n{}", run.stderr);
    assert_eq!(report["complete"], false);
    let error = report["error"].as_str().unwrap_or_default();
    for needle in expected {
        assert!(
            error.contains(needle),
            "{needle:?} not in the error {error:?}"
        );
    }
    assert!(
        run.stderr
            .contains("twgate: error: the audit is incomplete"),
        "{}",
        run.stderr
    );
}

/// Faults with one injection: `then` on the requests `when` selects.
fn inject(when: Trigger, then: Fault) -> Faults {
    Faults {
        inject: vec![Injection { when, then }],
        ..Faults::default()
    }
}

fn path(pattern: &str) -> Trigger {
    Trigger {
        path: Some(pattern.to_owned()),
        ..Trigger::default()
    }
}

fn nth(n: u64, pattern: &str) -> Trigger {
    Trigger {
        nth: Some(n),
        ..path(pattern)
    }
}

const BUILDS: &str = "/v1/Services/*/Builds/*";
const ENVIRONMENTS: &str = "/v1/Services/*/Environments";
const SERVICES: &str = "/v1/Services";

fn status(code: u16, retry_after: Option<u64>) -> Fault {
    Fault::Status { code, retry_after }
}

fn injected(outcome: &Outcome, fault: &str) -> usize {
    outcome
        .requests
        .iter()
        .filter(|request| request.fault == Some(fault))
        .count()
}

/// How many requests the fake got whose path `matches`.
fn sent(outcome: &Outcome, matches: impl Fn(&str) -> bool) -> usize {
    outcome
        .requests
        .iter()
        .filter(|request| matches(&request.path))
        .count()
}

// ---- Faults a correct client rides out ----

#[test]
fn latency_with_jitter() {
    let faults = Faults {
        latency_ms: 3,
        latency_jitter_ms: 7,
        ..Faults::default()
    };
    let outcome = complete(|_| faults, &FAST);
    assert_eq!(outcome.requests.len(), CLEAN_REQUESTS);
}

#[test]
fn a_concurrency_cap_answering_429_is_met_by_backing_off() {
    let faults = Faults {
        latency_ms: 20,
        max_in_flight: Some(2),
        ..Faults::default()
    };
    let outcome = complete(
        |_| faults,
        &Limits {
            max_retries: "5",
            ..FAST
        },
    );
    assert!(outcome.rejected > 0, "the cap never bit");
    assert!(
        outcome
            .run
            .stderr
            .contains("Twilio answered 429: at most 5 requests in flight from now on"),
        "{}",
        outcome.run.stderr
    );
}

#[test]
fn a_burst_far_over_the_cap_converges_without_spending_the_retry_budget() {
    // 40 environment lists start at once against a cap of 3: most get 429 in the first burst. Only the
    // 429s that lower the bound count as retries; the others were sent under the old bound, so the
    // 30-retry budget (--max-retries 3; fewer than the 40 first tries) is not spent on one overload.
    let outcome = audit_paged_under(
        &one_environment_each(40),
        None,
        |_| Faults {
            latency_ms: 10,
            max_in_flight: Some(3),
            ..Faults::default()
        },
        &Limits {
            concurrency: "100",
            max_retries: "3",
            ..FAST
        },
    );
    assert_eq!(outcome.run.code, 1, "{}", outcome.run.stderr);
    assert_eq!(outcome.report["summary"]["routes"], 40);
    assert!(outcome.rejected > 20, "{} rejected", outcome.rejected);
    assert!(
        outcome.run.stderr.contains("not counted"),
        "{}",
        outcome.run.stderr
    );
}

#[test]
fn a_503_on_one_request_is_retried() {
    let outcome = complete(|_| inject(nth(3, "*"), status(503, Some(0))), &FAST);
    assert_eq!(injected(&outcome, "status"), 1);
    assert_eq!(outcome.requests.len(), CLEAN_REQUESTS + 1);
    let stderr = &outcome.run.stderr;
    assert!(stderr.contains("retrying GET"), "{stderr}");
    assert!(
        stderr.contains(&format!("{CLEAN_REQUESTS} API requests answered, 1 retry")),
        "the request count leaves the retry out: {stderr}"
    );
    assert_eq!(outcome.report["summary"]["api_requests"], CLEAN_REQUESTS);
}

#[test]
fn a_429_with_retry_after_is_retried_after_the_pause() {
    let started = std::time::Instant::now();
    let outcome = complete(
        |_| inject(nth(2, ENVIRONMENTS), status(429, Some(1))),
        &FAST,
    );
    assert_eq!(injected(&outcome, "status"), 1);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
}

#[test]
fn server_errors_at_a_seeded_rate_are_retried() {
    let mut faults = inject(path("*"), status(502, None));
    faults.inject[0].when.rate = Some(0.15);
    faults.seed = 11;
    let outcome = complete(
        |_| faults,
        &Limits {
            max_retries: "5",
            ..FAST
        },
    );
    assert!(injected(&outcome, "status") > 0, "no request failed");
}

#[test]
fn a_dropped_connection_is_retried() {
    let outcome = complete(|_| inject(nth(2, "*"), Fault::Reset), &FAST);
    let dropped: Vec<u16> = outcome
        .requests
        .iter()
        .filter(|request| request.fault == Some("reset"))
        .map(|request| request.status)
        .collect();
    assert_eq!(dropped, [0]);
}

#[test]
fn a_request_that_times_out_once_is_retried() {
    complete(
        |_| inject(nth(1, BUILDS), Fault::Stall { ms: 3_000 }),
        &Limits {
            timeout: "1",
            ..FAST
        },
    );
}

#[test]
fn a_slow_body_within_the_timeout_is_read_whole() {
    let outcome = complete(
        |_| {
            inject(
                path("*"),
                Fault::SlowBody {
                    chunk_bytes: 256,
                    delay_ms: 1,
                },
            )
        },
        &FAST,
    );
    assert_eq!(injected(&outcome, "slow_body"), CLEAN_REQUESTS);
}

#[test]
fn all_the_mild_faults_at_once() {
    let faults = Faults {
        latency_ms: 5,
        latency_jitter_ms: 10,
        max_in_flight: Some(3),
        seed: 5,
        inject: vec![
            Injection {
                when: nth(1, ENVIRONMENTS),
                then: Fault::Reset,
            },
            Injection {
                when: nth(2, BUILDS),
                then: status(500, None),
            },
            Injection {
                when: nth(1, SERVICES),
                then: Fault::SlowBody {
                    chunk_bytes: 100,
                    delay_ms: 2,
                },
            },
        ],
    };
    complete(
        |_| faults,
        &Limits {
            max_retries: "5",
            ..FAST
        },
    );
}

#[test]
fn requests_in_flight_stay_within_the_concurrency_bound() {
    let fake = Fake::start(faulty_world(
        &one_environment_each(12),
        None,
        Faults {
            latency_ms: 30,
            ..Faults::default()
        },
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    let (run, report) = fake.audit_json(dir.path(), &["--concurrency", "4"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(report["summary"]["routes"], 12);
    let peak = fake.server.peak_in_flight();
    assert!((2..=4).contains(&peak), "{peak} requests in flight at once");
}

// ---- Faults that must end the audit with exit 3 ----

/// `twgate audit -v --format json` against `url`, which no fake serves.
fn audit_unserved(url: &str) -> Run {
    common::twgate(
        std::path::Path::new("."),
        &["audit", "-v", "--format", "json", "--api-url", url],
        &[
            ("TWILIO_ACCOUNT_SID", common::ACCOUNT),
            ("TWILIO_AUTH_TOKEN", TOKEN),
        ],
    )
}

#[test]
fn a_host_name_that_does_not_resolve_is_not_retried() {
    let run = audit_unserved("https://twgate-test.invalid");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "could not reach Twilio at GET https://twgate-test.invalid/v1/Services?PageSize=1000"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("retrying"), "{}", run.stderr);
}

#[test]
fn a_tls_handshake_that_fails_is_not_retried() {
    let plain_http = Fake::start(faulty_world(&services_yaml(), None, Faults::default()));
    let https = plain_http.url().replace("http://", "https://");
    let run = audit_unserved(&https);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "could not reach Twilio at GET {https}/v1/Services"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("retrying"), "{}", run.stderr);
    assert!(!run.all_output().contains(TOKEN));
}

#[test]
fn connections_dropped_every_time() {
    incomplete(
        |_| inject(path(BUILDS), Fault::Reset),
        &FAST,
        &[
            "could not reach Twilio at GET http://",
            "/Builds/ZB",
            "(after 3 attempts)",
        ],
    );
}

#[test]
fn a_build_that_never_answers_in_time() {
    incomplete(
        |_| inject(path(BUILDS), Fault::Stall { ms: 5_000 }),
        &Limits {
            max_retries: "1",
            timeout: "1",
            ..FAST
        },
        &[
            "/Builds/ZB",
            "timed out",
            "(no complete answer within --timeout 1 s)",
            "(after 2 attempts)",
        ],
    );
}

#[test]
fn a_body_slower_than_the_timeout() {
    incomplete(
        |_| {
            inject(
                path(BUILDS),
                Fault::SlowBody {
                    chunk_bytes: 16,
                    delay_ms: 200,
                },
            )
        },
        &Limits {
            max_retries: "1",
            timeout: "1",
            ..FAST
        },
        &["/Builds/ZB", "(no complete answer within --timeout 1 s)"],
    );
}

#[test]
fn truncated_json_in_a_build() {
    incomplete(
        |_| inject(path(BUILDS), Fault::Truncate),
        &FAST,
        &["unexpected answer from GET http://", "/Builds/ZB"],
    );
}

#[test]
fn truncated_json_in_a_page_of_services() {
    incomplete(
        |_| inject(nth(2, SERVICES), Fault::Truncate),
        &FAST,
        &[
            "unexpected answer from GET http://",
            "/v1/Services?",
            "PageToken=",
        ],
    );
}

#[test]
fn a_next_page_on_another_origin_is_not_followed() {
    let outcome = incomplete(
        |other| {
            inject(
                path(SERVICES),
                Fault::NextPageUrl(format!("{other}/v1/Services?PageSize=2&Page=1")),
            )
        },
        &FAST,
        &[
            "refusing to follow next_page_url http://",
            "not on the API origin",
        ],
    );
    assert_eq!(sent(&outcome, |path| path == SERVICES), 1);
}

#[test]
fn a_next_page_that_loops_back_is_not_followed() {
    incomplete(
        |_| inject(path(ENVIRONMENTS), Fault::NextPageSelf),
        &FAST,
        &[
            "refusing to follow next_page_url",
            "/Environments",
            "already read",
        ],
    );
}

#[test]
fn a_redirect_to_another_origin_is_not_followed() {
    incomplete(
        |other| {
            inject(
                nth(1, BUILDS),
                Fault::Redirect(format!("{other}/v1/Services")),
            )
        },
        &FAST,
        &[
            "Twilio answered HTTP 307 for GET http://",
            "/Builds/ZB",
            "/v1/Services: twgate never follows redirects",
        ],
    );
}

#[test]
fn a_404_is_not_retried() {
    let outcome = incomplete(
        |_| inject(nth(1, BUILDS), status(404, None)),
        &FAST,
        &[
            "HTTP 404, Twilio error 20404: Not Found for GET http://",
            "/Builds/ZB",
        ],
    );
    assert_eq!(injected(&outcome, "status"), 1);
}

#[test]
fn a_403_names_the_permission_problem() {
    incomplete(
        |_| inject(nth(1, ENVIRONMENTS), status(403, None)),
        &FAST,
        &[
            "permission denied (HTTP 403, Twilio error 20403: Forbidden)",
            "/Environments",
        ],
    );
}

#[test]
fn a_429_that_never_ends() {
    let outcome = incomplete(
        |_| inject(path(SERVICES), status(429, Some(0))),
        &FAST,
        &[
            "Twilio answered HTTP 429, Twilio error 20429: Too Many Requests for GET http://",
            "/v1/Services?PageSize=1000",
            "(after 3 attempts)",
        ],
    );
    assert_eq!(outcome.requests.len(), 3);
}

#[test]
fn a_server_that_keeps_failing() {
    incomplete(
        |_| inject(path("*"), status(503, Some(0))),
        &FAST,
        &[
            "HTTP 503, Twilio error 20503: Service Unavailable",
            "(after 3 attempts)",
        ],
    );
}

#[test]
fn a_failing_api_spends_the_audits_retry_budget() {
    // 30 builds that always fail, each allowed 20 retries: the audit's budget of 200 retries runs out
    // long before the 600 retries the requests could make on their own.
    let outcome = audit_under(
        &one_environment_each(30),
        |_| inject(path(BUILDS), status(503, Some(0))),
        &Limits {
            max_retries: "20",
            ..FAST
        },
    );
    assert_incomplete(
        &outcome,
        &[
            "/Builds/ZB",
            "giving up: the audit's budget of 200 retries is spent",
        ],
    );
    let builds_sent = sent(&outcome, |path| path.contains("/Builds/"));
    assert!(
        builds_sent <= 30 + 200 + 10,
        "first tries + the budget + at most one retry in flight per slot of --concurrency 10: {builds_sent}"
    );
}

#[test]
fn an_incomplete_audit_still_reports_every_service_it_could_read() {
    // svc-2's environments are forbidden; svc-1 and svc-3 are read in full and their routes reported.
    let outcome = audit_under(
        &data_services(&[(1, 1), (2, 1), (3, 1)]),
        |_| {
            inject(
                path(&format!("/v1/Services/{}/Environments", sid("ZS", 2))),
                status(403, None),
            )
        },
        &FAST,
    );
    assert_incomplete(&outcome, &["403"]);
    let paths: Vec<&str> = outcome.report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| result["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, ["/data-1.json", "/data-3.json"]);
}

#[test]
fn a_failed_build_loses_only_its_own_environment() {
    // svc-1's two environments deploy the same build; the first read of it is forbidden, the second is
    // read and reported, and the summary counts what was read.
    let outcome = audit_under(
        &data_services(&[(1, 2), (2, 1)]),
        |_| inject(nth(1, BUILDS), status(403, None)),
        &FAST,
    );
    assert_incomplete(&outcome, &["403"]);
    let summary = &outcome.report["summary"];
    assert_eq!(summary["services"], 2, "{summary}");
    assert_eq!(summary["environments"], 3, "{summary}");
    let results = outcome.report["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(
        results.iter().any(|r| r["path"] == "/data-1.json"),
        "{results:?}"
    );
}

#[test]
fn once_the_retry_budget_is_spent_nothing_more_is_sent() {
    // 60 services whose environments always fail, each request allowed one retry: the audit's budget of
    // 10 retries is spent within the first few rounds, and the environments not yet asked for never are.
    let outcome = audit_paged_under(
        &one_environment_each(60),
        Some(100),
        |_| inject(path(ENVIRONMENTS), status(503, Some(0))),
        &Limits {
            max_retries: "1",
            ..FAST
        },
    );
    assert_incomplete(&outcome, &["HTTP 503", "/Environments"]);
    let environments_sent = sent(&outcome, |path| path.ends_with("/Environments"));
    assert!(
        environments_sent <= 10 + 10 + 10,
        "first tries before the budget ran out, its 10 retries, and at most --concurrency 10 in flight \
         when it did: {environments_sent}"
    );
}

#[test]
fn throttling_that_never_lets_up_spends_the_retry_budget() {
    // Half of all environment lists answer 429 however few are in flight: the bound falls to one and
    // every answer between the 429s grows it back. Each 429 that takes the bound to one draws on the
    // audit's budget (20 retries for --max-retries 2), so the audit gives up instead of retrying on.
    let outcome = audit_paged_under(
        &one_environment_each(60),
        Some(100),
        |_| Faults {
            inject: vec![Injection {
                when: Trigger {
                    rate: Some(0.5),
                    ..path(ENVIRONMENTS)
                },
                then: status(429, Some(0)),
            }],
            ..Faults::default()
        },
        &Limits {
            max_retries: "2",
            ..FAST
        },
    );
    assert_incomplete(&outcome, &["HTTP 429", "/Environments"]);
    let most_sends = (1..=60)
        .map(|s| {
            let list = format!("/v1/Services/{}/Environments", sid("ZS", s));
            sent(&outcome, |path| path == list)
        })
        .max();
    assert!(
        most_sends <= Some(2 + 1 + 4),
        "no list is sent more than --max-retries + 1 times, plus one 429 not counted per halving \
         of the bound from 10 to 1: {most_sends:?}"
    );
}
