//! HTTP-level tests of the running fake: auth, paging, rendering, errors and the request log.

use std::net::SocketAddr;

use serde_json::Value;

use crate::testclient::{get, request};
use crate::{FakeTwilio, World, demo};

const UNAUTHENTICATED: &str = r#"{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}"#;

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn start_demo() -> FakeTwilio {
    FakeTwilio::start(demo::world(), local())
        .await
        .expect("bind a free port")
}

/// A world whose main account has `n` services svc-0… and a subaccount with one service.
fn many_services(n: usize) -> World {
    let mut yaml = String::from(
        "accounts:\n  - sid: AC00000000000000000000000000000001\n    auth_token: tok1\n    friendly_name: Main\n    services:\n",
    );
    for i in 0..n {
        yaml.push_str(&format!(
            "      - {{sid: ZS{i:032x}, unique_name: svc-{i}}}\n"
        ));
    }
    yaml.push_str(
        "  - sid: AC00000000000000000000000000000002\n    auth_token: tok2\n    friendly_name: Sub\n    owner_account_sid: AC00000000000000000000000000000001\n    services:\n      - {sid: ZSffffffffffffffffffffffffffffffff, unique_name: sub-svc}\n",
    );
    World::from_yaml(&yaml).unwrap_or_else(|err| panic!("{err}"))
}

#[tokio::test]
async fn pages_of_two_follow_absolute_next_urls() {
    let fake = FakeTwilio::start(many_services(5), local())
        .await
        .expect("start");
    let base = fake.base_url();
    let mut url = format!("{base}/v1/Services?PageSize=2");
    let mut names = Vec::new();
    let mut tokens = Vec::new();
    for page in 0..3 {
        let response = get(&url, "AC00000000000000000000000000000001", "tok1").await;
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.content_type.as_deref(), Some("application/json"));
        let meta = &response.json["meta"];
        assert_eq!(meta["key"], "services");
        assert_eq!(meta["page"], page);
        assert_eq!(meta["page_size"], 2);
        assert_eq!(
            meta["first_page_url"],
            format!("{base}/v1/Services?PageSize=2&Page=0")
        );
        assert_eq!(meta["previous_page_url"].is_null(), page == 0);
        for service in response.json["services"]
            .as_array()
            .expect("services array")
        {
            names.push(service["unique_name"].as_str().expect("name").to_owned());
            assert_eq!(service["account_sid"], "AC00000000000000000000000000000001");
        }
        match meta["next_page_url"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&format!(
                    "{base}/v1/Services?PageSize=2&Page={}&PageToken=PT",
                    page + 1
                )));
                let token = next.rsplit_once("PageToken=").expect("token").1.to_owned();
                assert_eq!(token.len(), 18, "opaque fixed-width token: {token}");
                tokens.push(token);
                url = next.to_owned();
            }
            None => {
                assert_eq!(page, 2);
                url.clear();
            }
        }
    }
    assert!(url.is_empty(), "the third page is the last");
    assert_eq!(names, ["svc-0", "svc-1", "svc-2", "svc-3", "svc-4"]);
    assert_ne!(tokens[0], tokens[1]);

    let bad_size = get(
        &format!("{base}/v1/Services?PageSize=0"),
        "AC00000000000000000000000000000001",
        "tok1",
    )
    .await;
    assert_eq!(
        (bad_size.status, bad_size.json["code"].as_u64()),
        (400, Some(20001))
    );
    let big = get(
        &format!("{base}/v1/Services?PageSize=1001"),
        "AC00000000000000000000000000000001",
        "tok1",
    )
    .await;
    assert_eq!(big.status, 400);
    let bad_token = get(
        &format!("{base}/v1/Services?PageToken=PAbogus"),
        "AC00000000000000000000000000000001",
        "tok1",
    )
    .await;
    assert_eq!(
        (bad_token.status, bad_token.json["status"].as_u64()),
        (400, Some(400))
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_twilios_401() {
    let fake = start_demo().await;
    let url = format!("{}/v1/Services", fake.base_url());
    let wrong = get(&url, demo::ACCOUNT_SID, "00000000000000000000000000000000").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.text, UNAUTHENTICATED);
    let missing = request("GET", &url, None).await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (401, UNAUTHENTICATED)
    );
    let garbage = request("GET", &url, Some("Basic !!!")).await;
    assert_eq!(garbage.status, 401);
    let unknown_path = request("GET", &format!("{}/v1/Nope", fake.base_url()), None).await;
    assert_eq!(
        unknown_path.status, 401,
        "authentication comes before routing"
    );
}

#[tokio::test]
async fn api_key_acts_as_its_account() {
    let fake = start_demo().await;
    let url = format!("{}/v1/Services/patient-portal", fake.base_url());
    let response = get(&url, demo::API_KEY_SID, demo::API_KEY_SECRET).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["account_sid"], demo::ACCOUNT_SID);
    assert_eq!(response.json["unique_name"], "patient-portal");
    let wrong = get(&url, demo::API_KEY_SID, demo::AUTH_TOKEN).await;
    assert_eq!(wrong.status, 401);
}

#[tokio::test]
async fn subaccount_services_need_subaccount_credentials() {
    let fake = start_demo().await;
    let base = fake.base_url();
    let parent_list = get(
        &format!("{base}/v1/Services"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    let names: Vec<&str> = parent_list.json["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|service| service["unique_name"].as_str())
        .collect();
    assert_eq!(names, ["patient-portal", "ivr-flows", "marketing-site"]);

    let url = format!("{base}/v1/Services/research-dashboard");
    let parent = get(&url, demo::ACCOUNT_SID, demo::AUTH_TOKEN).await;
    assert_eq!(parent.status, 404);
    assert_eq!(
        parent.text,
        r#"{"code":20404,"message":"The requested resource /Services/research-dashboard was not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}"#
    );
    let own = get(&url, demo::SUBACCOUNT_SID, demo::SUBACCOUNT_AUTH_TOKEN).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.json["account_sid"], demo::SUBACCOUNT_SID);
}

#[tokio::test]
async fn suspended_account_gets_403() {
    let world = demo::world();
    let token = world
        .account(demo::SUSPENDED_SUBACCOUNT_SID)
        .expect("legacy account")
        .auth_token
        .clone();
    let fake = FakeTwilio::start(world, local()).await.expect("start");
    let response = get(
        &format!("{}/v1/Services", fake.base_url()),
        demo::SUSPENDED_SUBACCOUNT_SID,
        &token,
    )
    .await;
    assert_eq!(response.status, 403);
    assert_eq!(response.json["code"], 20403);
    assert_eq!(
        response.json["more_info"],
        "https://www.twilio.com/docs/errors/20403"
    );
}

#[tokio::test]
async fn builds_render_objects_bare_sids_and_stored_visibility() {
    let fake = start_demo().await;
    let base = fake.base_url();
    let environments = get(
        &format!("{base}/v1/Services/patient-portal/Environments"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(environments.json["meta"]["key"], "environments");
    let envs = environments.json["environments"]
        .as_array()
        .expect("environments");
    let by_name = |name: &str| -> &Value {
        envs.iter()
            .find(|env| env["unique_name"] == name)
            .expect("environment present")
    };
    let production = by_name("production");
    assert_eq!(production["domain_name"], "patient-portal-4821.twil.io");
    assert_eq!(production["domain_suffix"], Value::Null);
    assert_eq!(
        by_name("dev-environment")["domain_name"],
        "patient-portal-4821-dev.twil.io"
    );
    let service_sid = production["service_sid"].as_str().expect("service sid");

    let build_url = |env: &Value| {
        format!(
            "{base}/v1/Services/{service_sid}/Builds/{}",
            env["build_sid"].as_str().expect("deployed")
        )
    };
    let prod_build = get(&build_url(production), demo::ACCOUNT_SID, demo::AUTH_TOKEN).await;
    assert_eq!(prod_build.status, 200);
    let assets = prod_build.json["asset_versions"]
        .as_array()
        .expect("asset versions");
    let csv = assets
        .iter()
        .find(|entry| entry["path"] == "/exports/customers.csv")
        .expect("the leaking CSV is live in production");
    assert_eq!(csv["visibility"], "PUBLIC");
    assert!(
        csv["asset_sid"]
            .as_str()
            .is_some_and(|sid| sid.starts_with("ZH"))
    );
    let call_log = prod_build.json["function_versions"]
        .as_array()
        .expect("function versions")
        .iter()
        .find(|entry| entry["path"] == "/call-log")
        .expect("call-log is live");
    assert_eq!(call_log["visibility"], "public");

    let stage_build = get(
        &build_url(by_name("stage-environment")),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    let functions = stage_build.json["function_versions"]
        .as_array()
        .expect("function versions");
    let bare: Vec<&str> = functions.iter().filter_map(Value::as_str).collect();
    assert_eq!(bare.len(), 1, "stage lists /login as a bare SID");
    assert!(bare[0].starts_with("ZN"));
    let version_url = format!(
        "{base}/v1/Services/{service_sid}/Functions/{}/Versions/{}",
        functions[0]["function_sid"].as_str().expect("object entry"),
        functions[0]["sid"].as_str().expect("object entry")
    );
    let version = get(&version_url, demo::ACCOUNT_SID, demo::AUTH_TOKEN).await;
    assert_eq!(version.status, 200, "{}", version.text);
    assert_eq!(version.json["url"], version_url);

    let staging = get(
        &format!("{base}/v1/Services/ivr-flows/Environments"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    let staging = staging.json["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .find(|env| env["unique_name"] == "staging")
        .cloned()
        .expect("staging");
    assert_eq!(staging["build_sid"], Value::Null);
}

#[tokio::test]
async fn functions_assets_and_versions_are_listed() {
    let fake = start_demo().await;
    let base = fake.base_url();
    let functions = get(
        &format!("{base}/v1/Services/patient-portal/Functions?PageSize=2"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(functions.json["meta"]["key"], "functions");
    assert_eq!(
        functions.json["functions"].as_array().map(Vec::len),
        Some(2)
    );
    let call_log = &functions.json["functions"][0];
    let versions_url = call_log["links"]["function_versions"]
        .as_str()
        .expect("link");
    let versions = get(versions_url, demo::ACCOUNT_SID, demo::AUTH_TOKEN).await;
    assert_eq!(versions.json["meta"]["key"], "function_versions");
    let visibilities: Vec<&str> = versions.json["function_versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|version| version["visibility"].as_str())
        .collect();
    assert_eq!(visibilities, ["public", "protected"]);

    let assets = get(
        &format!("{base}/v1/Services/patient-portal/Assets"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(assets.json["meta"]["key"], "assets");
    let asset_versions_url = assets.json["assets"][0]["links"]["asset_versions"]
        .as_str()
        .expect("link");
    let asset_versions = get(asset_versions_url, demo::ACCOUNT_SID, demo::AUTH_TOKEN).await;
    assert_eq!(asset_versions.json["meta"]["key"], "asset_versions");
    assert_eq!(
        asset_versions.json["asset_versions"][0]["path"],
        "/index.html"
    );

    let wrong_kind = get(
        &format!("{base}/v1/Services/patient-portal/Widgets"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(wrong_kind.status, 404);
    let post = request("POST", &format!("{base}/v1/Services"), None).await;
    assert_eq!(post.status, 405);
}

#[tokio::test]
async fn accounts_list_has_the_2010_envelope() {
    let fake = start_demo().await;
    let url = format!("{}/2010-04-01/Accounts.json", fake.base_url());
    let all = get(&url, demo::ACCOUNT_SID, demo::AUTH_TOKEN).await;
    assert_eq!(all.status, 200, "{}", all.text);
    let sids: Vec<&str> = all.json["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter_map(|account| account["sid"].as_str())
        .collect();
    assert_eq!(
        sids,
        [
            demo::ACCOUNT_SID,
            demo::SUBACCOUNT_SID,
            demo::SUSPENDED_SUBACCOUNT_SID
        ]
    );
    assert_eq!(
        all.json["accounts"][1]["auth_token"],
        demo::SUBACCOUNT_AUTH_TOKEN
    );
    assert_eq!(
        all.json["accounts"][1]["owner_account_sid"],
        demo::ACCOUNT_SID
    );
    assert_eq!(
        all.json["first_page_uri"],
        "/2010-04-01/Accounts.json?PageSize=50&Page=0"
    );
    assert_eq!(all.json["end"], 2);

    let active = get(
        &format!("{url}?Status=active&PageSize=1"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(active.json["accounts"].as_array().map(Vec::len), Some(1));
    let next = active.json["next_page_uri"]
        .as_str()
        .expect("a second page");
    assert!(
        next.starts_with("/2010-04-01/Accounts.json?Status=active&PageSize=1&Page=1&PageToken="),
        "{next}"
    );
    let second = get(
        &format!("{}{next}", fake.base_url()),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(second.json["accounts"][0]["sid"], demo::SUBACCOUNT_SID);
    assert_eq!(second.json["next_page_uri"], Value::Null);

    let by_name = get(
        &format!("{url}?FriendlyName=Acme%20Health%20Research"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(by_name.json["accounts"].as_array().map(Vec::len), Some(1));

    let sub = get(&url, demo::SUBACCOUNT_SID, demo::SUBACCOUNT_AUTH_TOKEN).await;
    assert_eq!(sub.json["accounts"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn requests_are_logged_without_credentials() {
    let fake = start_demo().await;
    let base = fake.base_url();
    get(
        &format!("{base}/v1/Services?PageSize=1"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    request(
        "GET",
        &format!("{base}/v1/Services/ZS00000000000000000000000000000000"),
        None,
    )
    .await;
    get(
        &format!("{base}/v1/Services/ZS00000000000000000000000000000000"),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    assert_eq!(fake.request_count(), 3);
    let log = fake.requests();
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/v1/Services");
    assert_eq!(log[0].query, "PageSize=1");
    assert_eq!((log[0].status, log[0].had_authorization), (200, true));
    assert_eq!(
        (
            log[1].status,
            log[1].had_authorization,
            log[1].query.as_str()
        ),
        (401, false, "")
    );
    assert_eq!(log[2].status, 404);
    assert!(!format!("{log:?}").contains(demo::AUTH_TOKEN));
}

#[tokio::test]
async fn shutdown_stops_serving_and_drop_does_not_hang() {
    let fake = start_demo().await;
    let addr = fake.local_addr();
    assert_eq!(fake.base_url(), format!("http://{addr}"));
    fake.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let dropped = start_demo().await;
    get(
        &format!("{}/v1/Services", dropped.base_url()),
        demo::ACCOUNT_SID,
        demo::AUTH_TOKEN,
    )
    .await;
    drop(dropped);
}
