//! Contract test: fake-twilio's JSON answers, checked against Twilio's official OpenAPI specs (`../shared/twilio-oai`).
//!
//! Every GET route the fake serves is requested once or more against the demo world, and each body is validated
//! against the 200 response schema of the matching spec operation with a small hand-written validator. Error
//! answers are checked against Twilio's error JSON. All mismatches are collected and reported together.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fake_twilio::{FakeTwilio, demo};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The Serverless v1 spec file inside the spec directory.
const SERVERLESS_SPEC: &str = "twilio_serverless_v1.json";
/// The cut-down 2010-04-01 spec (Accounts paths only) inside the spec directory.
const ACCOUNTS_SPEC: &str = "twilio_api_v2010_accounts_only.json";

/// Demo SIDs used below (see `worlds/demo.yaml`).
const PORTAL: &str = "ZS0067b2030be901a201aaa7c40735ea7f";
const IVR: &str = "ZS2741ac1e52152d7dbcfde64f516a9cb2";
const PORTAL_PRODUCTION_ENV: &str = "ZE43dc7b2e21ca3325563e353d345c8875";
const IVR_STAGING_ENV: &str = "ZEe122b9aaa59bdced6286ca1704efbde2";
const PORTAL_PRODUCTION_BUILD: &str = "ZB91b58c832f9278d9b3a645d48f52e8d4";
const PORTAL_STAGE_BUILD: &str = "ZBe42164524d057d547fc6c7b7b53806fe";
const IVR_BUILD: &str = "ZBb4bdee7086cc2d2e913f517ea052e72e";
const CALL_LOG_FUNCTION: &str = "ZHffea4c2544706d83ea4cebe569ef4cdb";
const CALL_LOG_PUBLIC_VERSION: &str = "ZN96c096ee46bec0ef5f44f87d8c44f08b";
const APP_JS_ASSET: &str = "ZHddd9efa0c90aa6f583619c05a393b425";
const APP_JS_VERSION: &str = "ZN703e8c0ab2b6870d4f61d55406f91ade";
/// The `/login` function version that the stage build lists as a bare SID.
const LOGIN_VERSION: &str = "ZNf3014487337c713b9498abd951bae338";

/// The spec templates of every GET route fake-twilio serves; the test fails if one is never exercised.
const SERVED_TEMPLATES: &[&str] = &[
    "/2010-04-01/Accounts.json",
    "/v1/Services",
    "/v1/Services/{Sid}",
    "/v1/Services/{ServiceSid}/Environments",
    "/v1/Services/{ServiceSid}/Environments/{Sid}",
    "/v1/Services/{ServiceSid}/Builds",
    "/v1/Services/{ServiceSid}/Builds/{Sid}",
    "/v1/Services/{ServiceSid}/Functions",
    "/v1/Services/{ServiceSid}/Functions/{Sid}",
    "/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions",
    "/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions/{Sid}",
    "/v1/Services/{ServiceSid}/Assets",
    "/v1/Services/{ServiceSid}/Assets/{Sid}",
    "/v1/Services/{ServiceSid}/Assets/{AssetSid}/Versions",
    "/v1/Services/{ServiceSid}/Assets/{AssetSid}/Versions/{Sid}",
];

/// Where the spec files live: next to the repository, not inside it.
fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/twilio-oai")
}

/// One loaded OpenAPI document.
struct Spec {
    /// File name, for messages.
    name: &'static str,
    /// The parsed document.
    doc: Value,
    /// Whether `format: uri` values may be paths relative to the API host. The 2010 API's `*_uri` fields are
    /// (its spec's own examples show `/2010-04-01/Accounts.json?...`); Serverless v1 URLs are absolute.
    relative_uris: bool,
}

impl Spec {
    /// Reads and parses `dir/name`.
    fn load(dir: &Path, name: &'static str, relative_uris: bool) -> Spec {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
        let doc = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("parse {}: {err}", path.display()));
        Spec {
            name,
            doc,
            relative_uris,
        }
    }

    /// The path template of the spec matching a concrete request path (query stripped), preferring the
    /// template with the most literal segments when several match.
    fn template_for(&self, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let actual: Vec<&str> = path.split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        paths
            .keys()
            .filter_map(|template| {
                let segments: Vec<&str> = template.split('/').collect();
                if segments.len() != actual.len() {
                    return None;
                }
                let mut literals = 0;
                for (want, got) in segments.iter().zip(&actual) {
                    if want.starts_with('{') && want.ends_with('}') {
                        if got.is_empty() {
                            return None;
                        }
                    } else if want == got {
                        literals += 1;
                    } else {
                        return None;
                    }
                }
                Some((literals, template))
            })
            .max_by_key(|(literals, _)| *literals)
            .map(|(_, template)| template.clone())
    }

    /// The `application/json` content of the 200 response of `GET template`.
    fn ok_content(&self, template: &str) -> Option<&Value> {
        self.doc["paths"][template]["get"]["responses"]["200"]["content"].get("application/json")
    }

    /// The schema a `$ref` such as `#/components/schemas/NAME` points at, with its name.
    fn resolve<'a>(&'a self, reference: &'a str) -> Option<(&'a str, &'a Value)> {
        let name = reference.strip_prefix("#/components/schemas/")?;
        self.doc["components"]["schemas"]
            .get(name)
            .map(|schema| (name, schema))
    }

    /// The keys of `links` in a fetch example of a GET operation whose 200 schema is `$ref` to `schema_name`.
    fn example_link_keys(&self, schema_name: &str) -> Option<BTreeSet<String>> {
        let wanted = format!("#/components/schemas/{schema_name}");
        let paths = self.doc["paths"].as_object()?;
        paths.keys().find_map(|template| {
            let content = self.ok_content(template)?;
            if content["schema"]["$ref"].as_str() != Some(wanted.as_str()) {
                return None;
            }
            content["examples"]
                .as_object()?
                .values()
                .find_map(|example| example["value"]["links"].as_object())
                .map(|links| links.keys().cloned().collect())
        })
    }
}

/// Collects mismatches between JSON values and spec schemas.
struct Checker<'a> {
    /// The spec schemas are taken from.
    spec: &'a Spec,
    /// Every mismatch found so far, each prefixed with the request and JSON location.
    failures: &'a mut Vec<String>,
    /// The request being checked, e.g. `GET /v1/Services`, prefixed to every failure.
    request: String,
    /// While true, properties the schema declares may be absent (used for build entries, whose schema is `{}`).
    allow_missing: bool,
    /// While true, string enums compare case-insensitively (only visibility inside build entries).
    enum_ignore_case: bool,
}

impl Checker<'_> {
    /// Records one failure at JSON location `at`.
    fn fail(&mut self, at: &str, message: impl std::fmt::Display) {
        self.failures.push(format!(
            "{} [{}] {at}: {message}",
            self.request, self.spec.name
        ));
    }

    /// Validates `value` (at JSON location `at`) against `schema`.
    fn check(&mut self, schema: &Value, value: &Value, at: &str) {
        if let Some(reference) = schema["$ref"].as_str() {
            match self.spec.resolve(reference) {
                Some((name, target)) => {
                    self.check(target, value, at);
                    if value.is_object() {
                        self.check_links_against_example(name, value, at);
                    }
                }
                None => self.fail(at, format!("unresolvable $ref {reference}")),
            }
            return;
        }
        let Some(schema_map) = schema.as_object() else {
            self.fail(at, format!("schema is not an object: {schema}"));
            return;
        };
        if schema_map.is_empty() {
            return; // `{}` accepts anything.
        }
        if value.is_null() {
            if schema["nullable"] != Value::Bool(true) {
                self.fail(at, "null, but the schema is not nullable");
            }
            return;
        }
        let declared_type = schema["type"]
            .as_str()
            .or_else(|| schema_map.contains_key("properties").then_some("object"));
        match declared_type {
            Some("object") => match value.as_object() {
                Some(object) => self.check_object(schema, object, at),
                None => self.fail(at, format!("expected an object, got {value}")),
            },
            Some("array") => match value.as_array() {
                Some(items) => {
                    let item_schema = schema.get("items").cloned().unwrap_or(Value::Null);
                    if item_schema.is_null() {
                        self.fail(at, "array schema without items");
                    } else {
                        for (index, item) in items.iter().enumerate() {
                            self.check(&item_schema, item, &format!("{at}[{index}]"));
                        }
                    }
                }
                None => self.fail(at, format!("expected an array, got {value}")),
            },
            Some("string") => match value.as_str() {
                Some(text) => self.check_string(schema, text, at),
                None => self.fail(at, format!("expected a string, got {value}")),
            },
            Some("integer") => {
                if !(value.is_i64() || value.is_u64()) {
                    self.fail(at, format!("expected an integer, got {value}"));
                }
            }
            Some("number") => {
                if !value.is_number() {
                    self.fail(at, format!("expected a number, got {value}"));
                }
            }
            Some("boolean") => {
                if !value.is_boolean() {
                    self.fail(at, format!("expected a boolean, got {value}"));
                }
            }
            other => self.fail(at, format!("unsupported schema type {other:?}")),
        }
    }

    /// Object rules: every declared property present, nothing undeclared; `uri-map` values are URLs.
    fn check_object(&mut self, schema: &Value, object: &Map<String, Value>, at: &str) {
        match schema["properties"].as_object() {
            Some(properties) => {
                for (name, property) in properties {
                    match object.get(name) {
                        Some(value) => self.check(property, value, &format!("{at}.{name}")),
                        None if self.allow_missing => {}
                        None => self.fail(
                            &format!("{at}.{name}"),
                            "declared by the schema but missing (Twilio always sends it, null if unset)",
                        ),
                    }
                }
                for name in object.keys() {
                    if !properties.contains_key(name) {
                        self.fail(&format!("{at}.{name}"), "not declared by the schema");
                    }
                }
            }
            None if schema["format"] == "uri-map" => {
                for (name, value) in object {
                    match value.as_str() {
                        Some(url) => self.check_uri(url, &format!("{at}.{name}")),
                        None => self.fail(
                            &format!("{at}.{name}"),
                            format!("uri-map value is not a string: {value}"),
                        ),
                    }
                }
            }
            None => {}
        }
    }

    /// String rules: enum, pattern, length bounds and the formats `uri`, `date-time`, `date-time-rfc-2822`.
    fn check_string(&mut self, schema: &Value, text: &str, at: &str) {
        if let Some(allowed) = schema["enum"].as_array() {
            let ignore_case = self.enum_ignore_case;
            let matches = allowed
                .iter()
                .filter_map(Value::as_str)
                .any(|option| option == text || (ignore_case && option.eq_ignore_ascii_case(text)));
            if !matches {
                self.fail(
                    at,
                    format!("{text:?} is not one of {}", Value::from(allowed.clone())),
                );
            }
        }
        if let Some(pattern) = schema["pattern"].as_str() {
            match sid_pattern_matches(pattern, text) {
                Some(true) => {}
                Some(false) => self.fail(at, format!("{text:?} does not match {pattern}")),
                None => self.fail(at, format!("validator cannot check pattern {pattern}")),
            }
        }
        let length = text.chars().count() as u64;
        if let Some(min) = schema["minLength"].as_u64()
            && length < min
        {
            self.fail(at, format!("{text:?} is shorter than {min}"));
        }
        if let Some(max) = schema["maxLength"].as_u64()
            && length > max
        {
            self.fail(at, format!("{text:?} is longer than {max}"));
        }
        match schema["format"].as_str() {
            Some("uri") => self.check_uri(text, at),
            Some("date-time") if !is_iso8601(text) => {
                self.fail(at, format!("{text:?} is not an ISO 8601 date-time"));
            }
            Some("date-time-rfc-2822") if !is_rfc2822(text) => {
                self.fail(at, format!("{text:?} is not an RFC 2822 date-time"));
            }
            _ => {}
        }
    }

    /// A URL must be absolute http(s); in the 2010 API a path relative to the API host is accepted too.
    fn check_uri(&mut self, text: &str, at: &str) {
        let absolute = text.starts_with("http://") || text.starts_with("https://");
        let relative = self.spec.relative_uris && text.starts_with("/2010-04-01/");
        if !absolute && !relative {
            self.fail(at, format!("{text:?} is not an absolute http(s) URL"));
        }
    }

    /// The keys of a resource's `links` must be those of the spec's fetch example for the same schema.
    fn check_links_against_example(&mut self, schema_name: &str, value: &Value, at: &str) {
        let Some(links) = value.get("links").and_then(Value::as_object) else {
            return;
        };
        let Some(expected) = self.spec.example_link_keys(schema_name) else {
            return;
        };
        let actual: BTreeSet<String> = links.keys().cloned().collect();
        if actual != expected {
            self.fail(
                &format!("{at}.links"),
                format!("keys {actual:?} differ from the spec example's {expected:?}"),
            );
        }
    }
}

/// Checks a SID pattern of the form `^PREFIX[0-9a-fA-F]{N}$` (the only kind these specs use for the fields
/// checked here). `None` when the pattern has another shape.
fn sid_pattern_matches(pattern: &str, text: &str) -> Option<bool> {
    let inner = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let (prefix, rest) = inner.split_once("[0-9a-fA-F]{")?;
    let count: usize = rest.strip_suffix('}')?.parse().ok()?;
    if !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(
        text.strip_prefix(prefix)
            .is_some_and(|hex| hex.len() == count && hex.chars().all(|c| c.is_ascii_hexdigit())),
    )
}

/// Whether `text` has the shape `YYYY-MM-DDTHH:MM:SS` + optional fraction + `Z` or `±HH:MM`.
fn is_iso8601(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits(8..10)
        && bytes.get(10) == Some(&b'T')
        && digits(11..13)
        && bytes.get(13) == Some(&b':')
        && digits(14..16)
        && bytes.get(16) == Some(&b':')
        && digits(17..19))
    {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(fraction.len());
        if end == 0 {
            return false;
        }
        rest = &fraction[end..];
    }
    rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.as_bytes()[3] == b':'
            && rest[1..3]
                .chars()
                .chain(rest[4..].chars())
                .all(|c| c.is_ascii_digit()))
}

/// Whether `text` has the shape `Tue, 05 Mar 2024 10:00:00 +0000`.
fn is_rfc2822(text: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = text.split(' ').collect();
    let all_digits =
        |part: &str, len: usize| part.len() == len && part.chars().all(|c| c.is_ascii_digit());
    let [day, date, month, year, time, zone] = parts.as_slice() else {
        return false;
    };
    let time_ok = time.len() == 8
        && time
            .split(':')
            .collect::<Vec<_>>()
            .iter()
            .all(|part| all_digits(part, 2))
        && time.matches(':').count() == 2;
    day.strip_suffix(',').is_some_and(|day| DAYS.contains(&day))
        && all_digits(date, 2)
        && MONTHS.contains(month)
        && all_digits(year, 4)
        && time_ok
        && (zone.starts_with('+') || zone.starts_with('-'))
        && all_digits(&zone[1..], 4)
}

/// A response as the raw client saw it.
struct Response {
    /// HTTP status code.
    status: u16,
    /// The `Content-Type` header, when present.
    content_type: Option<String>,
    /// The body parsed as JSON (`Value::Null` when it is not JSON).
    json: Value,
    /// The raw body, for messages.
    text: String,
}

/// Standard base64 with padding, for the Basic auth header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let buffer = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(
                    ALPHABET[(buffer >> (18 - 6 * index)) as usize & 63],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `GET url` (absolute `http://host:port/...`) over a fresh connection, with optional Basic credentials.
async fn http_get(url: &str, credentials: Option<(&str, &str)>) -> Response {
    let rest = url
        .strip_prefix("http://")
        .expect("the fake's URLs are http://");
    let (host, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).await.expect("connect to the fake");
    let mut head = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some((user, password)) = credentials {
        let token = base64(format!("{user}:{password}").as_bytes());
        head.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the request");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .expect("read the response");
    let raw = String::from_utf8(raw).expect("the fake answers UTF-8");
    let (head, text) = raw
        .split_once("\r\n\r\n")
        .expect("a complete HTTP response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("an HTTP status line");
    let content_type = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_owned())
    });
    Response {
        status,
        content_type,
        json: serde_json::from_str(text).unwrap_or(Value::Null),
        text: text.to_owned(),
    }
}

/// The running fake, the specs, and everything checked so far.
struct Contract {
    /// Base URL of the running fake.
    base: String,
    /// Serverless v1.
    serverless: Spec,
    /// 2010-04-01 Accounts.
    accounts: Spec,
    /// Every mismatch found.
    failures: Vec<String>,
    /// Spec templates exercised with a 200 answer.
    templates: BTreeSet<String>,
    /// Number of 200 bodies validated against a schema.
    bodies: usize,
    /// Number of error bodies validated.
    errors: usize,
}

impl Contract {
    /// `GET path` as the demo's main account; validates the 200 body against the spec and returns it.
    async fn ok(&mut self, path: &str) -> Value {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let path = url.strip_prefix(&self.base).unwrap_or(&url).to_owned();
        let request = format!("GET {path}");
        let response = http_get(&url, Some((demo::ACCOUNT_SID, demo::AUTH_TOKEN))).await;
        if response.status != 200 {
            self.failures.push(format!(
                "{request}: expected 200, got {}: {}",
                response.status, response.text
            ));
            return Value::Null;
        }
        if response.content_type.as_deref() != Some("application/json") {
            self.failures.push(format!(
                "{request}: Content-Type {:?}, expected application/json",
                response.content_type
            ));
        }
        let spec = if path.starts_with("/2010-04-01/") {
            &self.accounts
        } else {
            &self.serverless
        };
        let Some(template) = spec.template_for(&path) else {
            self.failures
                .push(format!("{request}: no path in {} matches", spec.name));
            return response.json;
        };
        let Some(schema) = spec.ok_content(&template).map(|content| &content["schema"]) else {
            self.failures.push(format!(
                "{request}: {} has no GET 200 application/json response for {template}",
                spec.name
            ));
            return response.json;
        };
        let mut checker = Checker {
            spec,
            failures: &mut self.failures,
            request: format!("{request} ({template})"),
            allow_missing: false,
            enum_ignore_case: false,
        };
        checker.check(schema, &response.json, "$");
        if let Some(properties) = schema["properties"].as_object()
            && let Some(meta) = properties.get("meta")
        {
            let key = properties
                .keys()
                .find(|name| *name != "meta")
                .cloned()
                .unwrap_or_default();
            check_v1_meta(&mut checker, meta, &response.json["meta"], &key);
        }
        if let Some(reference) = schema["$ref"].as_str()
            && reference.ends_with("serverless.v1.service.build")
        {
            check_build_entries(&mut checker, &response.json);
        }
        self.templates.insert(template);
        self.bodies += 1;
        response.json
    }

    /// `GET path` with `credentials`; expects `status` and Twilio's error JSON with a matching `status` field.
    async fn error(&mut self, path: &str, credentials: Option<(&str, &str)>, status: u16) {
        let request = format!(
            "GET {path} (credentials: {})",
            credentials.map_or("none", |(user, _)| user)
        );
        let response = http_get(&format!("{}{path}", self.base), credentials).await;
        let body = &response.json;
        let mut problems = Vec::new();
        if response.status != status {
            problems.push(format!(
                "HTTP status {}, expected {status}",
                response.status
            ));
        }
        if response.content_type.as_deref() != Some("application/json") {
            problems.push(format!(
                "Content-Type {:?}, expected application/json",
                response.content_type
            ));
        }
        match body.as_object() {
            None => problems.push(format!("body is not a JSON object: {:?}", response.text)),
            Some(object) => {
                if !(body["code"].is_u64() || body["code"].is_i64()) {
                    problems.push(format!("code is not an integer: {}", body["code"]));
                }
                if !body["message"].is_string() {
                    problems.push(format!("message is not a string: {}", body["message"]));
                }
                match body["more_info"].as_str() {
                    Some(url) if url.starts_with("https://") => {}
                    _ => problems.push(format!(
                        "more_info is not an https URL string: {}",
                        body["more_info"]
                    )),
                }
                if body["status"].as_u64() != Some(u64::from(response.status)) {
                    problems.push(format!(
                        "status field {} differs from the HTTP status {}",
                        body["status"], response.status
                    ));
                }
                for name in object.keys() {
                    if !["code", "message", "more_info", "status"].contains(&name.as_str()) {
                        problems.push(format!("unexpected error field {name:?}"));
                    }
                }
            }
        }
        self.failures.extend(
            problems
                .into_iter()
                .map(|problem| format!("{request}: {problem}")),
        );
        self.errors += 1;
    }
}

/// v1 list `meta`: all seven fields (the schema check already required them), `key` naming the list's
/// property, and absolute URLs.
fn check_v1_meta(checker: &mut Checker<'_>, meta_schema: &Value, meta: &Value, key: &str) {
    for field in [
        "first_page_url",
        "key",
        "next_page_url",
        "page",
        "page_size",
        "previous_page_url",
        "url",
    ] {
        if meta_schema["properties"].get(field).is_none() {
            checker.fail("$.meta", format!("the spec's meta schema lacks {field}"));
        }
    }
    if meta["key"].as_str() != Some(key) {
        checker.fail(
            "$.meta.key",
            format!("{} does not name the list property {key:?}", meta["key"]),
        );
    }
    for field in [
        "first_page_url",
        "url",
        "next_page_url",
        "previous_page_url",
    ] {
        if let Some(url) = meta[field].as_str()
            && !url.starts_with("http")
        {
            checker.fail(
                &format!("$.meta.{field}"),
                format!("{url:?} is not absolute"),
            );
        }
    }
}

/// A Build's `function_versions` / `asset_versions` are `{}` in the spec (a known quirk): each entry must be a
/// bare `ZN…` SID or an object with `sid`, `path` and `visibility`, whose fields otherwise follow the stand-alone
/// version schema (visibility compared case-insensitively: the spec's own Build example says `"PUBLIC"`).
fn check_build_entries(checker: &mut Checker<'_>, build: &Value) {
    for (list, version_schema) in [
        (
            "function_versions",
            "#/components/schemas/serverless.v1.service.function.function_version",
        ),
        (
            "asset_versions",
            "#/components/schemas/serverless.v1.service.asset.asset_version",
        ),
    ] {
        let Some(entries) = build[list].as_array() else {
            continue; // The schema check reported a non-array.
        };
        let Some((_, schema)) = checker.spec.resolve(version_schema) else {
            checker.fail("$", format!("the spec lacks {version_schema}"));
            continue;
        };
        for (index, entry) in entries.iter().enumerate() {
            let at = format!("$.{list}[{index}]");
            match entry {
                Value::String(sid) => {
                    if sid_pattern_matches("^ZN[0-9a-fA-F]{32}$", sid) != Some(true) {
                        checker.fail(&at, format!("bare entry {sid:?} is not a ZN SID"));
                    }
                }
                Value::Object(object) => {
                    for field in ["sid", "path", "visibility"] {
                        if !object.get(field).is_some_and(Value::is_string) {
                            checker.fail(&at, format!("entry lacks a string {field}"));
                        }
                    }
                    checker.allow_missing = true;
                    checker.enum_ignore_case = true;
                    checker.check(schema, entry, &at);
                    checker.allow_missing = false;
                    checker.enum_ignore_case = false;
                }
                other => checker.fail(
                    &at,
                    format!("entry is neither a SID nor an object: {other}"),
                ),
            }
        }
    }
}

#[tokio::test]
async fn fake_twilio_answers_match_the_official_openapi_spec() {
    let dir = spec_dir();
    if !dir.is_dir() {
        println!(
            "skipped: Twilio OpenAPI specs not found at {} (they live outside the repository)",
            dir.display()
        );
        return;
    }
    let fake = FakeTwilio::start(
        demo::world(),
        "127.0.0.1:0".parse().expect("a valid socket address"),
    )
    .await
    .expect("bind a free local port");
    let mut contract = Contract {
        base: fake.base_url(),
        serverless: Spec::load(&dir, SERVERLESS_SPEC, false),
        accounts: Spec::load(&dir, ACCOUNTS_SPEC, true),
        failures: Vec::new(),
        templates: BTreeSet::new(),
        bodies: 0,
        errors: 0,
    };

    // Services: list, a paged list followed through next/previous links, by SID and by unique name.
    contract.ok("/v1/Services").await;
    let first = contract.ok("/v1/Services?PageSize=1").await;
    if let Some(next) = first["meta"]["next_page_url"].as_str() {
        let second = contract.ok(next).await;
        match second["meta"]["previous_page_url"].as_str() {
            Some(previous) => {
                contract.ok(previous).await;
            }
            None => contract
                .failures
                .push("GET /v1/Services page 2: previous_page_url is null".to_owned()),
        }
    } else {
        contract
            .failures
            .push("GET /v1/Services?PageSize=1: next_page_url is null with 3 services".to_owned());
    }
    contract.ok(&format!("/v1/Services/{PORTAL}")).await;
    let by_name = contract.ok("/v1/Services/patient-portal").await;
    if by_name["sid"] != PORTAL {
        contract.failures.push(format!(
            "GET /v1/Services/patient-portal: sid {} is not {PORTAL}",
            by_name["sid"]
        ));
    }

    // Environments: list, a deployed one with a null domain_suffix, an undeployed one with a null build_sid.
    contract
        .ok(&format!("/v1/Services/{PORTAL}/Environments"))
        .await;
    contract
        .ok(&format!(
            "/v1/Services/{PORTAL}/Environments/{PORTAL_PRODUCTION_ENV}"
        ))
        .await;
    contract
        .ok(&format!(
            "/v1/Services/{IVR}/Environments/{IVR_STAGING_ENV}"
        ))
        .await;

    // Builds: list, production (an upper-case "PUBLIC" asset), stage (a bare-SID entry), a node20 build.
    contract.ok(&format!("/v1/Services/{PORTAL}/Builds")).await;
    contract
        .ok(&format!(
            "/v1/Services/{PORTAL}/Builds/{PORTAL_PRODUCTION_BUILD}"
        ))
        .await;
    let stage = contract
        .ok(&format!(
            "/v1/Services/{PORTAL}/Builds/{PORTAL_STAGE_BUILD}"
        ))
        .await;
    let has_bare_login = stage["function_versions"]
        .as_array()
        .is_some_and(|entries| entries.iter().any(|entry| entry == LOGIN_VERSION));
    if !has_bare_login {
        contract.failures.push(format!(
            "GET stage build: expected {LOGIN_VERSION} as a bare SID in function_versions"
        ));
    }
    contract
        .ok(&format!("/v1/Services/{IVR}/Builds/{IVR_BUILD}"))
        .await;

    // Functions and their versions.
    contract
        .ok(&format!("/v1/Services/{PORTAL}/Functions"))
        .await;
    contract
        .ok(&format!(
            "/v1/Services/{PORTAL}/Functions/{CALL_LOG_FUNCTION}"
        ))
        .await;
    contract
        .ok(&format!(
            "/v1/Services/{PORTAL}/Functions/{CALL_LOG_FUNCTION}/Versions"
        ))
        .await;
    contract
        .ok(&format!(
            "/v1/Services/{PORTAL}/Functions/{CALL_LOG_FUNCTION}/Versions/{CALL_LOG_PUBLIC_VERSION}"
        ))
        .await;

    // Assets and their versions.
    contract.ok(&format!("/v1/Services/{PORTAL}/Assets")).await;
    contract
        .ok(&format!("/v1/Services/{PORTAL}/Assets/{APP_JS_ASSET}"))
        .await;
    contract
        .ok(&format!(
            "/v1/Services/{PORTAL}/Assets/{APP_JS_ASSET}/Versions"
        ))
        .await;
    contract
        .ok(&format!(
            "/v1/Services/{PORTAL}/Assets/{APP_JS_ASSET}/Versions/{APP_JS_VERSION}"
        ))
        .await;

    // 2010-04-01 Accounts: the main account and its two subaccounts (one suspended).
    contract.ok("/2010-04-01/Accounts.json").await;

    // Errors.
    let main = Some((demo::ACCOUNT_SID, demo::AUTH_TOKEN));
    contract.error("/v1/Services", None, 401).await;
    contract
        .error(
            "/v1/Services",
            Some((demo::ACCOUNT_SID, "wrong-token")),
            401,
        )
        .await;
    contract.error("/2010-04-01/Accounts.json", None, 401).await;
    contract
        .error("/v1/Services/ZS00000000000000000000000000000000", main, 404)
        .await;
    contract
        .error(
            &format!("/v1/Services/{PORTAL}/Builds/ZB00000000000000000000000000000000"),
            main,
            404,
        )
        .await;
    contract.error("/v1/Services?PageSize=0", main, 400).await;
    let world = demo::world();
    let suspended_token = world
        .account(demo::SUSPENDED_SUBACCOUNT_SID)
        .map(|account| account.auth_token.clone())
        .expect("the demo world has a suspended subaccount");
    contract
        .error(
            "/v1/Services",
            Some((demo::SUSPENDED_SUBACCOUNT_SID, &suspended_token)),
            403,
        )
        .await;

    for template in SERVED_TEMPLATES {
        if !contract.templates.contains(*template) {
            contract.failures.push(format!(
                "route {template} was never validated with a 200 answer"
            ));
        }
    }
    fake.shutdown().await;

    println!(
        "validated {} bodies on {} spec routes and {} error bodies",
        contract.bodies,
        contract.templates.len(),
        contract.errors
    );
    assert!(
        contract.failures.is_empty(),
        "{} mismatch(es) between fake-twilio and the Twilio OpenAPI spec:\n{}",
        contract.failures.len(),
        contract.failures.join("\n")
    );
}

/// The validator itself must catch each kind of mismatch, or a passing contract test proves nothing.
#[test]
fn validator_reports_each_kind_of_mismatch() {
    let dir = spec_dir();
    if !dir.is_dir() {
        println!(
            "skipped: Twilio OpenAPI specs not found at {}",
            dir.display()
        );
        return;
    }
    let spec = Spec::load(&dir, SERVERLESS_SPEC, false);
    let schema = serde_json::json!({"$ref": "#/components/schemas/serverless.v1.service.build"});
    let body = serde_json::json!({
        "sid": "ZB0000000000000000000000000000000g",
        "account_sid": null,
        "service_sid": "ZS00000000000000000000000000000000",
        "status": "done",
        "asset_versions": [{"sid": "ZN00000000000000000000000000000000", "path": "/a", "visibility": "Public"}],
        "function_versions": [42, {"sid": "ZN00000000000000000000000000000001", "visibility": "secret"}],
        "dependencies": [],
        "runtime": null,
        "date_created": "2024-03-05 10:00:00",
        "url": "/v1/Services/ZS00000000000000000000000000000000/Builds/ZB00000000000000000000000000000000",
        "links": {"status": "https://serverless.twilio.com/x"},
        "extra": true,
    });
    let mut failures = Vec::new();
    let mut checker = Checker {
        spec: &spec,
        failures: &mut failures,
        request: "self-test".to_owned(),
        allow_missing: false,
        enum_ignore_case: false,
    };
    checker.check(&schema, &body, "$");
    check_build_entries(&mut checker, &body);
    let expected = [
        "$.sid: \"ZB0000000000000000000000000000000g\" does not match",
        "$.status: \"done\" is not one of",
        "$.runtime: null, but the schema is not nullable",
        "$.date_created: \"2024-03-05 10:00:00\" is not an ISO 8601",
        "$.date_updated: declared by the schema but missing",
        "$.url: \"/v1/Services/",
        "$.links: keys",
        "$.extra: not declared by the schema",
        "$.function_versions[0]: entry is neither a SID nor an object",
        "$.function_versions[1]: entry lacks a string path",
        "$.function_versions[1].visibility: \"secret\" is not one of",
    ];
    for needle in expected {
        assert!(
            failures.iter().any(|failure| failure.contains(needle)),
            "no failure contains {needle:?}; got:\n{}",
            failures.join("\n")
        );
    }
    assert_eq!(
        failures.len(),
        expected.len(),
        "unexpected extra failures (\"Public\" in a build entry and a null nullable account_sid are fine):\n{}",
        failures.join("\n")
    );
}

/// The hand-written format checks accept Twilio's shapes and reject near misses.
#[test]
fn format_checks() {
    assert!(is_iso8601("2024-03-05T10:00:00Z"));
    assert!(is_iso8601("2024-03-05T10:00:00.123+01:00"));
    assert!(!is_iso8601("2024-03-05T10:00:00"));
    assert!(!is_iso8601("Tue, 05 Mar 2024 10:00:00 +0000"));
    assert!(is_rfc2822("Tue, 05 Mar 2024 10:00:00 +0000"));
    assert!(!is_rfc2822("2024-03-05T10:00:00Z"));
    assert!(!is_rfc2822("Tue, 05 Mar 2024 10:00 +0000"));
    assert_eq!(
        sid_pattern_matches("^ZS[0-9a-fA-F]{32}$", "ZS0067b2030be901a201aaa7c40735ea7f"),
        Some(true)
    );
    assert_eq!(
        sid_pattern_matches("^ZS[0-9a-fA-F]{32}$", "ZE0067b2030be901a201aaa7c40735ea7f"),
        Some(false)
    );
    assert_eq!(sid_pattern_matches("^[a-z]+$", "abc"), None);
    assert_eq!(base64(b"AC1:tok"), "QUMxOnRvaw==");
    assert_eq!(base64(b"ab"), "YWI=");
    assert_eq!(base64(b"abc"), "YWJj");
}
