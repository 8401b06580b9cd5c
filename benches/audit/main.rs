//! `cargo bench --bench audit`: twgate's speed and memory on a large generated account served by
//! fake-twilio with Twilio-like latency and a 429 cap, against the floor the API allows and against the
//! article's one-request-at-a-time approach; and the CPU time of judging 100,000 routes under 200 rules.
//!
//! `-- --runs N` repeats each twgate measurement N times (default 5) and prints medians.

mod child;
#[path = "../../tests/common/mod.rs"]
mod common;
mod evaluation;
mod reference;

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use fake_twilio::faults::Faults;
use fake_twilio::generate::{self, Shape};
use twgate::policy::{Date, Policy, PolicySource};
use twgate::report::Report;

use child::{Measured, measure, process_cpu_time, thread_cpu_time};
use common::Fake;

/// Latency the fake adds to every answer.
const LATENCY: Duration = Duration::from_millis(20);
/// Requests in flight above which the fake answers 429, as Twilio does.
const MAX_IN_FLIGHT: usize = 100;
/// twgate's default `--concurrency`, which the benchmark leaves as it is.
const DEFAULT_CONCURRENCY: u32 = 10;
/// Requests that must follow one another: the services page, a service's environments, a build.
const CRITICAL_PATH_REQUESTS: u32 = 3;

/// The account of the issue: 200 services x 3 environments, builds of 50 functions + 100 assets.
const FULL: Shape = Shape {
    services: 200,
    environments: 3,
    functions: 50,
    assets: 100,
    versions: 5,
};
/// The same account cut to 20 services, where the article's approach takes about a minute.
const SUBSET: Shape = Shape {
    services: 20,
    ..FULL
};
/// 100,000 routes: 200 services x 4 environments x (25 functions + 100 assets).
const EVALUATION: Shape = Shape {
    services: 200,
    environments: 4,
    functions: 25,
    assets: 100,
    versions: 1,
};
const POLICY_RULES: usize = 200;

const WALL_OVER_FLOOR_TARGET: f64 = 1.3;
const SPEEDUP_TARGET: f64 = 100.0;
const EVALUATION_TARGET: Duration = Duration::from_millis(200);
const PEAK_MEMORY_TARGET_MIB: f64 = 100.0;

fn main() -> ExitCode {
    let runs = match runs_from_args() {
        Ok(runs) => runs,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut verdicts = Vec::new();
    println!(
        "twgate benchmark: fake Twilio on 127.0.0.1 answering each request {} ms after it arrives, and with 429 above {MAX_IN_FLIGHT} in flight; \
         twgate at its default concurrency {DEFAULT_CONCURRENCY}; {runs} run(s) per twgate figure, medians shown",
        LATENCY.as_millis()
    );
    evaluate(runs, &mut verdicts);
    audit_full_account(runs, &mut verdicts);
    compare_with_reference(runs, &mut verdicts);
    let failed = verdicts.iter().filter(|ok| !**ok).count();
    println!();
    if failed == 0 {
        println!("all targets met");
        ExitCode::SUCCESS
    } else {
        println!("{failed} target(s) missed");
        ExitCode::FAILURE
    }
}

fn runs_from_args() -> Result<usize, String> {
    let mut runs = 5;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // cargo bench passes --bench to every bench target.
            "--bench" => {}
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|value| value.parse().ok())
                    .filter(|runs| *runs > 0)
                    .ok_or("--runs needs a whole number of runs, at least 1")?;
            }
            other => {
                return Err(format!(
                    "unexpected argument {other:?}; usage: cargo bench --bench audit [-- --runs N]"
                ));
            }
        }
    }
    Ok(runs)
}

/// Prints a target check and records whether it was met.
fn check(verdicts: &mut Vec<bool>, label: &str, measured: String, target: &str, met: bool) {
    println!(
        "  {label:<20} {measured}   (target {target}) {}",
        if met { "ok" } else { "MISSED" }
    );
    verdicts.push(met);
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

fn spread(values: &[Duration]) -> String {
    let min = values.iter().min().copied().unwrap_or_default();
    let max = values.iter().max().copied().unwrap_or_default();
    format!("min {} max {}", seconds(min), seconds(max))
}

fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The CPU time of `Report::build` on 100,000 routes and a 200-rule policy.
fn evaluate(runs: usize, verdicts: &mut Vec<bool>) {
    let world = generate::world(EVALUATION);
    let inventory = evaluation::inventory(&world);
    let policy = Policy::from_yaml(
        &evaluation::policy_yaml(POLICY_RULES),
        PolicySource::Builtin("benchmark policy"),
    )
    .expect("the benchmark policy is valid");
    let today = Date::parse("2026-06-15").expect("a valid date");
    println!(
        "\npolicy evaluation: {} routes against {} rules ({} allow, {} deny), Report::build",
        EVALUATION.routes(),
        policy.allow.len() + policy.deny.len(),
        policy.allow.len(),
        policy.deny.len()
    );
    let mut times = Vec::new();
    let mut walls = Vec::new();
    let mut summary = None;
    for _ in 0..runs {
        // Report::build judges on every core: its CPU time is the whole process's (no server runs yet).
        let inventory = inventory.clone();
        let (started, wall_started) = (process_cpu_time(), Instant::now());
        let report = Report::build(inventory, &policy, today, None);
        times.push(process_cpu_time() - started);
        walls.push(wall_started.elapsed());
        // Dropping the report is not part of building it.
        summary = Some(report.summary);
    }
    let summary = summary.unwrap_or_default();
    println!(
        "  verdicts             {} routes: {} violations, {} allowed, {} ok",
        summary.routes,
        summary.violations,
        summary.allowed,
        summary.routes - summary.violations - summary.allowed
    );
    let judging: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = thread_cpu_time();
            let violations = evaluation::judge_only(&inventory, &policy, today);
            let spent = thread_cpu_time() - started;
            assert_eq!(
                violations, summary.violations,
                "the same verdicts as the report's"
            );
            spent
        })
        .collect();
    println!(
        "  {:<20} {} ms ({}): Policy::evaluate on every route, without building the report",
        "of which judging",
        median(judging.clone()).as_millis(),
        spread(&judging)
    );
    let cpu = median(times.clone());
    println!(
        "  {:<20} {} ms ({}) on {} threads",
        "wall time",
        median(walls.clone()).as_millis(),
        spread(&walls),
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    check(
        verdicts,
        "CPU time",
        format!("{} ms ({}), all threads", cpu.as_millis(), spread(&times)),
        &format!("< {} ms", EVALUATION_TARGET.as_millis()),
        cpu < EVALUATION_TARGET && summary.routes == EVALUATION.routes(),
    );
}

/// A world of `shape` answering after `latency`, behind Twilio's concurrency cap.
fn serve(shape: Shape, latency: Duration) -> Fake {
    let mut world = generate::world(shape);
    world.faults = Faults {
        latency_ms: latency.as_millis() as u64,
        max_in_flight: Some(MAX_IN_FLIGHT),
        ..Faults::default()
    };
    world
        .validate()
        .expect("generated worlds are valid: checked by fake-twilio's tests");
    Fake::start(world)
}

/// One twgate audit of the served account, and what the server saw of it.
struct Audit {
    measured: Measured,
    /// When the last API answer reached twgate (from its `-v` log); the rest is judging and reporting.
    last_answer: Option<Duration>,
    /// CPU time the fake server used meanwhile, on the same machine as twgate.
    server_cpu: Duration,
    requests: usize,
    rejected: usize,
    routes: Option<u64>,
    complete: bool,
}

fn run_twgate(fake: &Fake) -> Audit {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let report_path = directory.path().join("report.json");
    let (requests_before, rejected_before) =
        (fake.server.request_count(), fake.server.rejected_count());
    // This process runs the fake server; its main thread only waits for twgate, so the process's CPU
    // time less the main thread's is the server's (and the small log reader's).
    let (process_before, thread_before) = (process_cpu_time(), thread_cpu_time());
    let measured = measure(
        Command::new(env!("CARGO_BIN_EXE_twgate"))
            .args([
                "audit",
                "--api-url",
                &fake.url(),
                "--format",
                "json",
                "--output",
            ])
            .arg(&report_path)
            .current_dir(directory.path())
            .env_clear()
            .env("TWILIO_ACCOUNT_SID", generate::ACCOUNT_SID)
            .env("TWILIO_AUTH_TOKEN", generate::AUTH_TOKEN)
            .arg("-v")
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    )
    .expect("run twgate");
    let server_cpu =
        (process_cpu_time() - process_before).saturating_sub(thread_cpu_time() - thread_before);
    let report: serde_json::Value = std::fs::read(&report_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let last_answer = measured
        .stderr
        .iter()
        .rev()
        .find(|(_, line)| line.contains(" GET "))
        .map(|(at, _)| *at);
    Audit {
        measured,
        last_answer,
        server_cpu,
        requests: fake.server.request_count() - requests_before,
        rejected: fake.server.rejected_count() - rejected_before,
        routes: report["summary"]["routes"].as_u64(),
        complete: report["complete"].as_bool() == Some(true),
    }
}

/// Requests twgate needs for an account of `shape` (one page of services and of environments each):
/// the services page, each service's environments, each environment's build.
fn needed_requests(shape: Shape) -> usize {
    1 + shape.services + shape.services * shape.environments
}

/// The floor: the dependent requests one after another, then the rest `DEFAULT_CONCURRENCY` at a time.
fn floor(requests: usize) -> Duration {
    LATENCY * CRITICAL_PATH_REQUESTS + LATENCY * requests as u32 / DEFAULT_CONCURRENCY
}

/// Runs twgate `runs` times; prints and checks whether every audit was complete, correct and economical.
fn audits(fake: &Fake, shape: Shape, runs: usize, verdicts: &mut Vec<bool>) -> Vec<Audit> {
    let audits: Vec<Audit> = (0..runs).map(|_| run_twgate(fake)).collect();
    let expected = needed_requests(shape);
    let all_correct = audits.iter().all(|audit| {
        audit.complete
            && audit.measured.exit_code == Some(1)
            && audit.routes == Some(shape.routes() as u64)
    });
    check(
        verdicts,
        "report",
        format!(
            "{} of {runs} complete with all {} routes, exit 1 (violations)",
            audits.iter().filter(|audit| audit.complete).count(),
            shape.routes()
        ),
        "every run",
        all_correct,
    );
    let requests: Vec<usize> = audits.iter().map(|audit| audit.requests).collect();
    check(
        verdicts,
        "requests",
        format!("{requests:?} per run"),
        &format!(
            "{expected} = 1 + {} + {}",
            shape.services,
            shape.services * shape.environments
        ),
        requests.iter().all(|count| *count == expected),
    );
    println!(
        "  {:<20} {} 429 answers in all runs; at most {} requests in flight at the server",
        "429s",
        audits.iter().map(|audit| audit.rejected).sum::<usize>(),
        fake.server.peak_in_flight()
    );
    audits
}

/// twgate on the full account: wall time against the floor, peak memory.
fn audit_full_account(runs: usize, verdicts: &mut Vec<bool>) {
    println!(
        "\nfull account: {} services x {} environments, builds of {} functions + {} assets, {} saved versions each ({} live routes)",
        FULL.services,
        FULL.environments,
        FULL.functions,
        FULL.assets,
        FULL.versions,
        FULL.routes()
    );
    let fake = serve(FULL, LATENCY);
    let audits = audits(&fake, FULL, runs, verdicts);
    let walls: Vec<Duration> = audits.iter().map(|audit| audit.measured.wall).collect();
    let wall = median(walls.clone());
    let requests = audits.first().map_or(0, |audit| audit.requests);
    let floor = floor(requests);
    println!(
        "  {:<20} {} ({})",
        "wall time",
        seconds(wall),
        spread(&walls)
    );
    if let Some(fetched) = audits
        .iter()
        .map(|audit| audit.last_answer)
        .collect::<Option<Vec<_>>>()
    {
        let reporting: Vec<Duration> = audits
            .iter()
            .zip(&fetched)
            .map(|(audit, fetched)| audit.measured.wall.saturating_sub(*fetched))
            .collect();
        println!(
            "  {:<20} {} reading the account (to the last API answer), then {} judging, reporting and exiting",
            "of which",
            seconds(median(fetched)),
            seconds(median(reporting))
        );
    }
    println!(
        "  {:<20} {} = {CRITICAL_PATH_REQUESTS} dependent requests x {} ms + {requests} requests / {DEFAULT_CONCURRENCY} in flight x {} ms",
        "floor",
        seconds(floor),
        LATENCY.as_millis(),
        LATENCY.as_millis()
    );
    let ratio = wall.as_secs_f64() / floor.as_secs_f64();
    check(
        verdicts,
        "wall / floor",
        format!("{ratio:.2}x"),
        &format!("<= {WALL_OVER_FLOOR_TARGET}x"),
        ratio <= WALL_OVER_FLOOR_TARGET,
    );
    let memory = median(
        audits
            .iter()
            .map(|audit| audit.measured.peak_rss_bytes)
            .collect(),
    );
    check(
        verdicts,
        "peak memory",
        format!("{:.1} MiB", mib(memory)),
        &format!("< {PEAK_MEMORY_TARGET_MIB} MiB"),
        mib(memory) < PEAK_MEMORY_TARGET_MIB,
    );
    let cpu = median(audits.iter().map(|audit| audit.measured.cpu).collect());
    println!(
        "  {:<20} {} (user + system)",
        "twgate CPU time",
        seconds(cpu)
    );
    let server_cpu = median(audits.iter().map(|audit| audit.server_cpu).collect());
    println!(
        "  {:<20} {} (the fake Twilio, on the same {} cores as twgate)",
        "server CPU time",
        seconds(server_cpu),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    drop(fake);
    let at_once = serve(FULL, Duration::ZERO);
    let walls: Vec<Duration> = (0..runs)
        .map(|_| run_twgate(&at_once).measured.wall)
        .collect();
    println!(
        "  {:<20} {} ({}): the same audit with answers at once, so only CPU (fake server and twgate) and I/O",
        "without latency",
        seconds(median(walls.clone())),
        spread(&walls)
    );
}

/// twgate against the article's approach on the same 20-service account.
fn compare_with_reference(runs: usize, verdicts: &mut Vec<bool>) {
    println!(
        "\n{}-service subset (same shape): twgate against the article's approach (every function and asset, then every version of each, one request at a time)",
        SUBSET.services
    );
    let fake = serve(SUBSET, LATENCY);
    let audits = audits(&fake, SUBSET, runs, verdicts);
    let walls: Vec<Duration> = audits.iter().map(|audit| audit.measured.wall).collect();
    let twgate_wall = median(walls.clone());
    println!(
        "  {:<20} {} ({})",
        "twgate wall time",
        seconds(twgate_wall),
        spread(&walls)
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let started = Instant::now();
    let tally = runtime.block_on(reference::scan(
        &fake.url(),
        generate::ACCOUNT_SID,
        generate::AUTH_TOKEN,
    ));
    let reference_wall = started.elapsed();
    let tally = match tally {
        Ok(tally) => tally,
        Err(message) => {
            check(
                verdicts,
                "article's approach",
                message,
                "a complete scan",
                false,
            );
            return;
        }
    };
    println!(
        "  {:<20} {} ({} requests, {} functions and assets, {} reported public by their newest version)",
        "article's approach",
        seconds(reference_wall),
        tally.requests,
        tally.resources,
        tally.public_newest
    );
    let speedup = reference_wall.as_secs_f64() / twgate_wall.as_secs_f64();
    check(
        verdicts,
        "speed-up",
        format!("{speedup:.0}x"),
        &format!(">= {SPEEDUP_TARGET:.0}x"),
        speedup >= SPEEDUP_TARGET,
    );
}
