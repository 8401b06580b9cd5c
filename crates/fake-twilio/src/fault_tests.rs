//! HTTP-level tests of fault injection: each fault as a client on the wire sees it, and the counters.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::faults::{Fault, Faults, Injection, Trigger};
use crate::testclient::{basic, exchange, get};
use crate::{FakeTwilio, World, demo};

async fn start(faults: Faults) -> FakeTwilio {
    let mut world = demo::world();
    world.faults = faults;
    world.validate().unwrap_or_else(|err| panic!("{err}"));
    FakeTwilio::start(world, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind a free port")
}

/// Faults with one injection of `then` on requests that `when` selects.
fn injecting(when: Trigger, then: Fault) -> Faults {
    Faults {
        inject: vec![Injection { when, then }],
        ..Faults::default()
    }
}

fn on_path(path: &str) -> Trigger {
    Trigger {
        path: Some(path.to_owned()),
        ..Trigger::default()
    }
}

async fn services(fake: &FakeTwilio, query: &str) -> crate::testclient::TestResponse {
    get(
        &format!("{}/v1/Services{query}", fake.base_url()),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await
}

#[test]
fn a_world_file_spells_every_fault() {
    let yaml = format!(
        "{}\nfaults:\n  latency_ms: 20\n  latency_jitter_ms: 5\n  max_in_flight: 100\n  seed: 7\n  inject:\n    \
         - {{when: {{path: /v1/Services, nth: 2, times: 3}}, then: {{status: {{code: 503, retry_after: 1}}}}}}\n    \
         - {{when: {{rate: 0.5}}, then: reset}}\n    \
         - {{then: {{stall: {{ms: 10}}}}}}\n    \
         - {{then: {{slow_body: {{chunk_bytes: 8, delay_ms: 1}}}}}}\n    \
         - {{then: truncate}}\n    \
         - {{then: {{next_page_url: 'http://127.0.0.1:1/v1/Services'}}}}\n    \
         - {{then: next_page_self}}\n    \
         - {{then: {{redirect: 'http://127.0.0.1:1/'}}}}\n",
        demo::YAML
    );
    let world = World::from_yaml(&yaml).unwrap_or_else(|err| panic!("{err}"));
    let faults = &world.faults;
    assert_eq!(
        (
            faults.latency_ms,
            faults.latency_jitter_ms,
            faults.max_in_flight,
            faults.seed
        ),
        (20, 5, Some(100), 7)
    );
    let names: Vec<&str> = faults.inject.iter().map(|i| i.then.name()).collect();
    assert_eq!(
        names,
        [
            "status",
            "reset",
            "stall",
            "slow_body",
            "truncate",
            "next_page_url",
            "next_page_self",
            "redirect"
        ]
    );
    assert_eq!(faults.inject[0].when.times, Some(3));
    let bad = yaml.replace("rate: 0.5", "rate: 2");
    let err = World::from_yaml(&bad).expect_err("rate 2 is refused");
    assert!(
        err.to_string().contains("faults.inject[1]: rate 2"),
        "{err}"
    );
    let unknown = yaml.replace("seed: 7", "sead: 7");
    assert!(World::from_yaml(&unknown).is_err());
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let fake = start(Faults {
        latency_ms: 150,
        ..Faults::default()
    })
    .await;
    let started = Instant::now();
    assert_eq!(services(&fake, "").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn above_the_cap_requests_get_twilios_429() {
    let fake = start(Faults {
        latency_ms: 400,
        max_in_flight: Some(2),
        ..Faults::default()
    })
    .await;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let url = format!("{}/v1/Services", fake.base_url());
        requests.spawn(async move { get(&url, demo::ACCOUNT_SID, demo::AUTH_TOKEN).await });
    }
    let answers = requests.join_all().await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 429, 429, 429, 429]);
    let rejected = answers.iter().find(|a| a.status == 429).expect("a 429");
    assert_eq!(
        rejected.text,
        r#"{"code":20429,"message":"Too Many Requests","more_info":"https://www.twilio.com/docs/errors/20429","status":429}"#
    );
    assert_eq!((fake.peak_in_flight(), fake.rejected_count()), (6, 4));
    let log = fake.requests();
    assert_eq!(
        log.iter()
            .filter(|r| r.fault == Some("max_in_flight"))
            .count(),
        4
    );
    assert_eq!(services(&fake, "").await.status, 200, "the cap frees up");
}

#[tokio::test]
async fn a_status_on_the_nth_request_with_retry_after() {
    let fake = start(injecting(
        Trigger {
            nth: Some(2),
            ..on_path("/v1/Services")
        },
        Fault::Status {
            code: 503,
            retry_after: Some(3),
        },
    ))
    .await;
    let first = services(&fake, "").await;
    let second = services(&fake, "").await;
    let third = services(&fake, "").await;
    assert_eq!((first.status, second.status, third.status), (200, 503, 200));
    assert_eq!(second.header("retry-after"), Some("3"));
    assert_eq!(second.json["code"], 20503);
    assert_eq!(first.header("retry-after"), None);
    let faults: Vec<_> = fake.requests().iter().map(|r| r.fault).collect();
    assert_eq!(faults, [None, Some("status"), None]);
}

#[tokio::test]
async fn a_rate_hits_the_same_requests_for_the_same_seed() {
    let pattern = |seed: u64| async move {
        let mut faults = injecting(
            Trigger {
                rate: Some(0.5),
                ..Trigger::default()
            },
            Fault::Status {
                code: 500,
                retry_after: None,
            },
        );
        faults.seed = seed;
        let fake = start(faults).await;
        let mut statuses = Vec::new();
        for _ in 0..24 {
            statuses.push(services(&fake, "").await.status);
        }
        statuses
    };
    let first = pattern(1).await;
    assert_eq!(first, pattern(1).await);
    assert_ne!(first, pattern(2).await);
    let failed = first.iter().filter(|&&s| s == 500).count();
    assert!((4..=20).contains(&failed), "{first:?}");
}

#[tokio::test]
async fn reset_drops_the_connection_without_an_answer() {
    let fake = start(injecting(on_path("/v1/Services"), Fault::Reset)).await;
    let received = exchange(
        "GET",
        &format!("{}/v1/Services", fake.base_url()),
        Some(&basic(demo::ACCOUNT_SID, demo::AUTH_TOKEN)),
    )
    .await;
    match received {
        Ok(bytes) => assert!(bytes.is_empty(), "{}", String::from_utf8_lossy(&bytes)),
        Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset),
    }
    let log = fake.requests();
    assert_eq!((log[0].status, log[0].fault), (0, Some("reset")));
    let other = get(
        &format!("{}/v1/Services/patient-portal", fake.base_url()),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(other.status, 200, "other paths and connections are served");
}

#[tokio::test]
async fn truncate_sends_half_a_body_in_a_well_framed_answer() {
    let second = Trigger {
        nth: Some(2),
        ..Trigger::default()
    };
    let fake = start(injecting(second, Fault::Truncate)).await;
    let whole = services(&fake, "").await.text;
    let cut = services(&fake, "").await;
    assert_eq!(cut.status, 200);
    assert_eq!(cut.text, whole[..whole.len() / 2]);
    assert_eq!(
        cut.header("content-length"),
        Some(&*cut.text.len().to_string())
    );
    assert!(serde_json::from_str::<Value>(&cut.text).is_err());
}

#[tokio::test]
async fn slow_body_trickles_the_whole_answer() {
    let fake = start(injecting(
        Trigger::default(),
        Fault::SlowBody {
            chunk_bytes: 200,
            delay_ms: 10,
        },
    ))
    .await;
    let started = Instant::now();
    let slow = services(&fake, "").await;
    let pieces = slow.text.len().div_ceil(200) as u32;
    assert!(pieces >= 3, "{pieces}");
    assert!(started.elapsed() >= Duration::from_millis(10) * pieces);
    assert_eq!(slow.json["meta"]["key"], "services", "the body is whole");
    assert_eq!(
        slow.header("content-length"),
        Some(&*slow.text.len().to_string())
    );
}

#[tokio::test]
async fn stall_waits_before_answering() {
    let fake = start(injecting(Trigger::default(), Fault::Stall { ms: 150 })).await;
    let started = Instant::now();
    assert_eq!(services(&fake, "").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn next_page_links_can_leave_the_origin_or_loop() {
    let away = "http://127.0.0.1:9/v1/Services?PageToken=PTx";
    let fake = start(injecting(
        on_path("/v1/Services"),
        Fault::NextPageUrl(away.to_owned()),
    ))
    .await;
    let page = services(&fake, "?PageSize=1").await;
    assert_eq!(page.json["meta"]["next_page_url"], away);
    assert_eq!(page.json["services"].as_array().map(Vec::len), Some(1));

    let fake = start(injecting(Trigger::default(), Fault::NextPageSelf)).await;
    let page = services(&fake, "?PageSize=50").await;
    assert_eq!(
        page.json["meta"]["next_page_url"],
        format!("{}/v1/Services?PageSize=50", fake.base_url())
    );
    let service = get(
        &format!("{}/v1/Services/patient-portal", fake.base_url()),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(
        service.json["unique_name"], "patient-portal",
        "a resource (no meta) is left alone"
    );
}

#[tokio::test]
async fn redirect_points_elsewhere() {
    let fake = start(injecting(
        Trigger::default(),
        Fault::Redirect("http://127.0.0.1:9/v1/Services".to_owned()),
    ))
    .await;
    let answer = services(&fake, "").await;
    assert_eq!(answer.status, 307);
    assert_eq!(
        answer.header("location"),
        Some("http://127.0.0.1:9/v1/Services")
    );
}
