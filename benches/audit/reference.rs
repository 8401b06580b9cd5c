//! The article's approach, as a yardstick: list every function and asset of every service, then every
//! version of each, one request at a time, and take each one's newest version as what is live.

use serde_json::Value;

/// What a reference scan read and found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Requests sent.
    pub requests: usize,
    /// Functions and assets listed.
    pub resources: usize,
    /// Functions and assets whose newest version is public (what the article's tool reports).
    pub public_newest: usize,
}

/// Scans the account at `base_url` (such as `http://127.0.0.1:8080`) the article's way.
pub async fn scan(base_url: &str, account_sid: &str, auth_token: &str) -> Result<Tally, String> {
    // reqwest is built without a default TLS provider (twgate installs ring); plain HTTP still asks for one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let scanner = Scanner {
        http: reqwest::Client::new(),
        account_sid,
        auth_token,
        tally: Tally::default(),
    };
    scanner.run(base_url).await
}

struct Scanner<'a> {
    http: reqwest::Client,
    account_sid: &'a str,
    auth_token: &'a str,
    tally: Tally,
}

impl Scanner<'_> {
    async fn run(mut self, base_url: &str) -> Result<Tally, String> {
        let services = self
            .list(format!("{base_url}/v1/Services"), "services")
            .await?;
        for service in &services {
            let sid = text(service, "sid")?;
            for (collection, key, versions_key) in [
                ("Functions", "functions", "function_versions"),
                ("Assets", "assets", "asset_versions"),
            ] {
                let resources_url = format!("{base_url}/v1/Services/{sid}/{collection}");
                for resource in self.list(resources_url.clone(), key).await? {
                    self.tally.resources += 1;
                    let versions_url =
                        format!("{resources_url}/{}/Versions", text(&resource, "sid")?);
                    let versions = self.list(versions_url, versions_key).await?;
                    if let Some(newest) = versions.last()
                        && text(newest, "visibility")?.eq_ignore_ascii_case("public")
                    {
                        self.tally.public_newest += 1;
                    }
                }
            }
        }
        Ok(self.tally)
    }

    /// Every item of a list, following `next_page_url` with the API's default page size, as the
    /// Twilio helper libraries' `list()` does.
    async fn list(&mut self, first: String, key: &str) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            self.tally.requests += 1;
            let response = self
                .http
                .get(&url)
                .basic_auth(self.account_sid, Some(self.auth_token))
                .send()
                .await
                .map_err(|error| format!("GET {url}: {error}"))?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("GET {url}: HTTP {status}"));
            }
            let mut page: Value = response
                .json()
                .await
                .map_err(|error| format!("GET {url}: {error}"))?;
            match page[key].take() {
                Value::Array(found) => items.extend(found),
                _ => return Err(format!("GET {url}: no {key:?} list")),
            }
            next = page["meta"]["next_page_url"].as_str().map(str::to_string);
        }
        Ok(items)
    }
}

fn text<'v>(value: &'v Value, key: &str) -> Result<&'v str, String> {
    value[key]
        .as_str()
        .ok_or_else(|| format!("an item without a {key:?} string"))
}
