//! The shapes of Twilio's JSON answers that twgate reads, and the paging envelope around lists.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::config::Redactor;
use crate::text::counted;

/// A Serverless service.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceModel {
    /// `ZS…`
    #[serde(deserialize_with = "sid")]
    pub sid: String,
    /// The service's unique name.
    pub unique_name: String,
    /// The service's friendly name.
    #[serde(default)]
    pub friendly_name: Option<String>,
}

/// An environment of a service.
#[derive(Debug, Clone, Deserialize)]
pub struct EnvironmentModel {
    /// `ZE…`
    #[serde(deserialize_with = "sid")]
    pub sid: String,
    /// The environment's unique name.
    pub unique_name: String,
    /// The domain suffix; null for a production environment without one.
    #[serde(default)]
    pub domain_suffix: Option<String>,
    /// The domain the environment serves on.
    #[serde(deserialize_with = "host_name")]
    pub domain_name: String,
    /// The deployed build; null when nothing is deployed. The key must be there: an environment without
    /// it is not one that serves nothing.
    #[serde(deserialize_with = "optional_sid")]
    pub build_sid: Option<String>,
}

/// A build: the versions it deploys.
#[derive(Debug, Clone, Deserialize)]
pub struct BuildModel {
    /// `ZB…`
    #[serde(deserialize_with = "sid")]
    pub sid: String,
    /// Function versions in the build: the key must be there, its value may be null.
    #[serde(deserialize_with = "Option::deserialize")]
    pub function_versions: Option<Vec<BuildEntry>>,
    /// Asset versions in the build: the key must be there, its value may be null.
    #[serde(deserialize_with = "Option::deserialize")]
    pub asset_versions: Option<Vec<BuildEntry>>,
}

/// One entry of a build's version lists: a full object (what the API returns), or a bare version SID
/// (what the spec's prose describes).
#[derive(Debug, Clone)]
pub enum BuildEntry {
    /// A bare `ZN…` SID, to be resolved through the versions endpoints.
    Sid(String),
    /// A version object.
    Version(VersionModel),
}

/// Told apart by the JSON type, in one pass (an untagged enum would buffer each entry and try both).
impl<'de> Deserialize<'de> for BuildEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;

        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = BuildEntry;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a version object or a version SID")
            }

            fn visit_str<E: de::Error>(self, sid: &str) -> Result<BuildEntry, E> {
                checked_sid(sid).map(|sid| BuildEntry::Sid(sid.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<BuildEntry, A::Error> {
                VersionModel::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(BuildEntry::Version)
            }
        }

        deserializer.deserialize_any(EntryVisitor)
    }
}

/// A function or asset version.
#[derive(Debug, Clone, Deserialize)]
pub struct VersionModel {
    /// `ZN…`
    #[serde(deserialize_with = "sid")]
    pub sid: String,
    /// The URL path, from `/`.
    #[serde(deserialize_with = "route_path")]
    pub path: String,
    /// The visibility string as Twilio sent it.
    pub visibility: String,
    /// The function's SID, for function versions.
    #[serde(default, deserialize_with = "optional_sid")]
    pub function_sid: Option<String>,
    /// The asset's SID, for asset versions.
    #[serde(default, deserialize_with = "optional_sid")]
    pub asset_sid: Option<String>,
}

/// A function or asset: only its SID is needed, to list its versions.
#[derive(Debug, Clone, Deserialize)]
pub struct ResourceModel {
    /// `ZH…`
    #[serde(deserialize_with = "sid")]
    pub sid: String,
}

/// The start of a value quoted in an error, so a huge or hostile value cannot flood the message.
pub(crate) fn quoted(value: &str) -> String {
    const SHOWN: usize = 40;
    match value.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{:?}…", &value[..end]),
        None => format!("{value:?}"),
    }
}

/// A SID as Twilio writes them: letters and digits only, so it is safe inside the URLs built from it.
fn checked_sid<E: de::Error>(sid: &str) -> Result<&str, E> {
    if !sid.is_empty() && sid.len() <= 64 && sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(sid)
    } else {
        Err(E::custom(format!(
            "{} is not a Twilio SID (letters and digits)",
            quoted(sid)
        )))
    }
}

fn sid<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let sid = String::deserialize(deserializer)?;
    checked_sid(&sid)?;
    Ok(sid)
}

fn optional_sid<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let sid = Option::<String>::deserialize(deserializer)?;
    if let Some(sid) = &sid {
        checked_sid(sid)?;
    }
    Ok(sid)
}

/// A string that `valid` accepts; else an error quoting its start and saying it is not `what`.
fn checked_string<'de, D: Deserializer<'de>>(
    deserializer: D,
    valid: impl Fn(&str) -> bool,
    what: &str,
) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    if valid(&text) {
        Ok(text)
    } else {
        Err(de::Error::custom(format!(
            "{} is not {what}",
            quoted(&text)
        )))
    }
}

/// A host name (letters, digits, `.`, `-`), so the live URLs built from it reach the host it names.
fn host_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let valid = |name: &str| {
        !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    };
    checked_string(deserializer, valid, "a host name")
}

/// A route path: from `/`, with no spaces or control characters, so it cannot change the live URL's host.
fn route_path<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let valid = |path: &str| {
        path.starts_with('/') && !path.chars().any(|c| c.is_whitespace() || c.is_control())
    };
    checked_string(
        deserializer,
        valid,
        "a route path (from \"/\", without spaces)",
    )
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The absolute URL of the next page, if there is one.
    pub next_page_url: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    key: Option<String>,
    /// Required, null on the last page: a `meta` without it may be cut short, and must not end the list.
    #[serde(deserialize_with = "Option::deserialize")]
    next_page_url: Option<String>,
}

/// Parses a list page whose items are under `key` (Twilio's `{"<key>": [...], "meta": {...}}`).
pub fn parse_page<T: DeserializeOwned>(body: &[u8], key: &str) -> Result<Page<T>, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let envelope = Envelope {
        key,
        items: PhantomData,
    }
    .deserialize(&mut deserializer)
    .and_then(|envelope| deserializer.end().map(|()| envelope))
    .map_err(|error| error.to_string())?;
    let meta = envelope.meta.ok_or("no \"meta\" object")?;
    if let Some(meta_key) = &meta.key
        && meta_key != key
    {
        return Err(format!("meta.key is \"{meta_key}\", expected \"{key}\""));
    }
    let items = envelope.items.ok_or_else(|| format!("no \"{key}\" list"))?;
    Ok(Page {
        items,
        next_page_url: meta.next_page_url.filter(|url| !url.is_empty()),
    })
}

/// Reads a list page in one pass: the items under `key` and the `meta` object, skipping the rest.
struct Envelope<'k, T> {
    key: &'k str,
    items: PhantomData<T>,
}

/// What an [`Envelope`] found.
struct EnvelopeParts<T> {
    items: Option<Vec<T>>,
    meta: Option<Meta>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Envelope<'_, T> {
    type Value = EnvelopeParts<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Envelope<'_, T> {
    type Value = EnvelopeParts<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut parts = EnvelopeParts {
            items: None,
            meta: None,
        };
        while let Some(name) = map.next_key::<String>()? {
            if name == self.key {
                if parts.items.is_some() {
                    return Err(de::Error::custom(format!("two \"{}\" lists", self.key)));
                }
                let items = map.next_value().map_err(|error| {
                    de::Error::custom(format!("bad \"{}\" list: {error}", self.key))
                })?;
                parts.items = Some(items);
            } else if name == "meta" {
                if parts.meta.is_some() {
                    return Err(de::Error::custom("two \"meta\" objects"));
                }
                let meta = map
                    .next_value()
                    .map_err(|error| de::Error::custom(format!("bad \"meta\": {error}")))?;
                parts.meta = Some(meta);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(parts)
    }
}

/// Twilio's error body: `{"code", "message", "more_info", "status"}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    /// Twilio's error code, such as 20003.
    #[serde(default)]
    pub code: Option<u64>,
    /// Twilio's message.
    #[serde(default)]
    pub message: Option<String>,
}

/// Twilio's error messages are a sentence; a longer one is cut here, so that a hostile answer cannot fill
/// every log line and report with megabytes.
const MAX_MESSAGE_CHARS: usize = 500;

impl ErrorBody {
    /// Parses an error body; anything unparseable gives an empty one. Echoes of the credentials in the
    /// message are replaced by `redactor` first, then a message longer than [`MAX_MESSAGE_CHARS`] is cut,
    /// saying how much was left out.
    pub fn parse(body: &[u8], redactor: &Redactor) -> ErrorBody {
        let mut parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        if let Some(message) = &mut parsed.message {
            redactor.in_place(message);
            if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
                let left_out = message[cut..].chars().count();
                message.truncate(cut);
                let more = counted(left_out, "more character", "more characters");
                message.push_str(&format!("… ({more})"));
            }
        }
        parsed
    }
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_yield_items_and_the_next_url() {
        let body = br#"{"services":[{"sid":"ZS1","unique_name":"a","friendly_name":null}],"meta":{"key":"services","next_page_url":"https://x/v1/Services?PageToken=PT1"}}"#;
        let page: Page<ServiceModel> = parse_page(body, "services").expect("valid");
        assert_eq!(page.items.len(), 1);
        assert_eq!(
            page.next_page_url.as_deref(),
            Some("https://x/v1/Services?PageToken=PT1")
        );
    }

    #[test]
    fn malformed_pages_are_errors() {
        for body in [
            &b"{}"[..],
            b"[]",
            b"{\"meta\":{}}",
            b"{\"meta\":{\"key\":\"other\"},\"services\":[]}",
            b"{\"meta\":{},\"services\":[{}]}",
            b"{\"meta\":{\"key\":\"services\"",
            b"{\"meta\":{\"key\":\"services\"},\"services\":[]}",
            br#"{"services":[{"sid":"ZS1","unique_name":"a"}],"services":[],"meta":{"next_page_url":null}}"#,
            br#"{"services":[],"meta":{"next_page_url":"https://x/v1/Services?Page=1"},"meta":{"next_page_url":null}}"#,
        ] {
            assert!(
                parse_page::<ServiceModel>(body, "services").is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_build_without_its_version_lists_is_an_error() {
        for body in [
            &br#"{"sid":"ZB1"}"#[..],
            br#"{"sid":"ZB1","function_versions":[]}"#,
            br#"{"sid":"ZB1","asset_versions":[]}"#,
        ] {
            let error = serde_json::from_slice::<BuildModel>(body).expect_err("incomplete build");
            assert!(error.to_string().contains("missing field"), "{error}");
        }
    }

    #[test]
    fn values_that_would_change_a_url_are_errors() {
        let bad_versions = [
            r#"{"sid":"ZN1","path":"@evil.example/x","visibility":"public"}"#,
            r#"{"sid":"ZN1","path":"","visibility":"public"}"#,
            r#"{"sid":"ZN1","path":"/a b","visibility":"public"}"#,
            r#"{"sid":"../ZN1","path":"/a","visibility":"public"}"#,
            r#"{"sid":"ZN1","path":"/a","visibility":"public","function_sid":"ZH1/../x"}"#,
        ];
        for body in bad_versions {
            assert!(
                serde_json::from_str::<VersionModel>(body).is_err(),
                "{body}"
            );
        }
        let bad_environments = [
            r#"{"sid":"ZE1","unique_name":"a","domain_name":"a.twil.io"}"#,
            r#"{"sid":"ZE1","unique_name":"a","domain_name":"evil.example/x","build_sid":null}"#,
            r#"{"sid":"ZE1","unique_name":"a","domain_name":"a.twil.io","build_sid":"../../Services"}"#,
            r#"{"sid":"ZE?x","unique_name":"a","domain_name":"a.twil.io","build_sid":null}"#,
        ];
        for body in bad_environments {
            assert!(
                serde_json::from_str::<EnvironmentModel>(body).is_err(),
                "{body}"
            );
        }
        let error = serde_json::from_str::<BuildModel>(
            r#"{"sid":"ZB1","function_versions":["ZN1/../../x"],"asset_versions":[]}"#,
        )
        .expect_err("a bare SID with a path in it");
        assert!(error.to_string().contains("is not a Twilio SID"), "{error}");
        let long = format!(r#"{{"sid":"{}","unique_name":"a"}}"#, "Z-".repeat(5000));
        let error = serde_json::from_str::<ServiceModel>(&long).expect_err("not a SID");
        assert!(error.to_string().len() < 200, "{error}");
    }

    #[test]
    fn build_entries_are_objects_or_bare_sids() {
        let body = br#"{"sid":"ZB1","function_versions":["ZN1",{"sid":"ZN2","path":"/a","visibility":"PUBLIC","function_sid":"ZH2"}],"asset_versions":null}"#;
        let build: BuildModel = serde_json::from_slice(body).expect("valid");
        let entries = build.function_versions.expect("present");
        assert!(matches!(&entries[0], BuildEntry::Sid(sid) if sid == "ZN1"));
        assert!(matches!(&entries[1], BuildEntry::Version(v) if v.visibility == "PUBLIC"));
        assert!(build.asset_versions.is_none());
    }

    #[test]
    fn build_entries_of_another_type_are_errors() {
        for entry in ["7", "null", "[]", "true", r#"{"sid":"ZN1"}"#] {
            let body = format!(r#"{{"sid":"ZB1","function_versions":[{entry}]}}"#);
            let error = serde_json::from_str::<BuildModel>(&body).expect_err(entry);
            assert!(
                error
                    .to_string()
                    .contains("version object or a version SID")
                    || error.to_string().contains("missing field"),
                "{entry}: {error}"
            );
        }
    }

    #[test]
    fn pages_skip_unknown_fields_and_say_what_is_wrong() {
        let body = br#"{"first":{"a":[1,{"b":null}]},"services":[{"sid":"ZS1","unique_name":"a","x":1}],"meta":{"key":"services","page":0,"next_page_url":null}}"#;
        let page: Page<ServiceModel> = parse_page(body, "services").expect("valid");
        assert_eq!(page.items[0].unique_name, "a");
        assert_eq!(page.next_page_url, None);
        for (body, expected) in [
            (
                &br#"{"services":[{"sid":1}],"meta":{}}"#[..],
                "bad \"services\" list",
            ),
            (br#"{"services":[],"meta":7}"#, "bad \"meta\""),
            (br#"{"services":[]}"#, "no \"meta\" object"),
            (
                br#"{"meta":{"next_page_url":null}}"#,
                "no \"services\" list",
            ),
            (
                br#"{"services":[],"meta":{"next_page_url":null}} x"#,
                "trailing characters",
            ),
            (b"[]", "expected a JSON object"),
            (
                br#"{"services":[],"meta":{}}"#,
                "missing field `next_page_url`",
            ),
            (
                br#"{"services":[],"services":[],"meta":{"next_page_url":null}}"#,
                "two \"services\" lists",
            ),
        ] {
            let error = parse_page::<ServiceModel>(body, "services").expect_err("malformed");
            assert!(error.contains(expected), "{error}");
        }
    }

    #[test]
    fn error_bodies_parse_leniently() {
        let body = ErrorBody::parse(
            br#"{"code":20003,"message":"Authenticate","status":401}"#,
            &redactor(),
        );
        assert_eq!(body.code, Some(20003));
        assert_eq!(ErrorBody::parse(b"<html>", &redactor()).code, None);
    }

    fn redactor() -> Redactor {
        Redactor::for_secret("tok3n")
    }

    #[test]
    fn an_echo_across_the_cut_is_redacted_before_it() {
        let escaped: String = "tok3n"
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let body = format!(
            r#"{{"message":"{}{escaped}"}}"#,
            "x".repeat(MAX_MESSAGE_CHARS - 2)
        );
        let message = ErrorBody::parse(body.as_bytes(), &redactor())
            .message
            .expect("a message");
        assert!(message.ends_with("x**… (1 more character)"), "{message}");
        assert!(!message.contains("to"), "{message}");
    }

    #[test]
    fn long_error_messages_are_cut() {
        let long = format!(
            r#"{{"code":1,"message":"{}é"}}"#,
            "x".repeat(MAX_MESSAGE_CHARS + 9)
        );
        let message = ErrorBody::parse(long.as_bytes(), &redactor())
            .message
            .expect("a message");
        assert_eq!(
            message,
            format!("{}… (10 more characters)", "x".repeat(MAX_MESSAGE_CHARS))
        );
        let exact = format!(r#"{{"message":"{}"}}"#, "é".repeat(MAX_MESSAGE_CHARS));
        let message = ErrorBody::parse(exact.as_bytes(), &redactor())
            .message
            .expect("a message");
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS, "not cut");
    }
}
