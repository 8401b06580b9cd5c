//! Property tests of the API models: any bytes and any JSON, shaped like Twilio's answers or not, parse
//! into a model or give an error, never a panic; well-formed pages keep every item and the next URL.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;

/// Field names of the models and of the list envelope, so random objects often hit real fields.
const FIELDS: &[&str] = &[
    "sid",
    "unique_name",
    "friendly_name",
    "domain_suffix",
    "domain_name",
    "build_sid",
    "function_versions",
    "asset_versions",
    "path",
    "visibility",
    "function_sid",
    "asset_sid",
    "code",
    "message",
    "meta",
    "key",
    "next_page_url",
    "services",
    "environments",
];

/// The list keys twgate asks for.
const LIST_KEYS: &[&str] = &[
    "services",
    "environments",
    "functions",
    "assets",
    "function_versions",
    "asset_versions",
];

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FIELDS).prop_map(str::to_string),
        1 => text(),
    ]
}

/// Any short text, control characters and all scripts included.
fn text() -> impl Strategy<Value = String> {
    "(?s).{0,12}"
}

/// Any JSON value, with object keys drawn mostly from the models' field names.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
        "(ZN|ZS|ZE|ZB|ZH)[0-9a-f]{0,32}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Feeds `bytes` to every parser twgate runs on an answer; none may panic.
fn parse_everything(bytes: &[u8]) {
    for key in LIST_KEYS {
        let _ = parse_page::<ServiceModel>(bytes, key);
        let _ = parse_page::<EnvironmentModel>(bytes, key);
        let _ = parse_page::<ResourceModel>(bytes, key);
        let _ = parse_page::<VersionModel>(bytes, key);
    }
    let _ = serde_json::from_slice::<BuildModel>(bytes);
    let _ = serde_json::from_slice::<VersionModel>(bytes);
    let _ = ErrorBody::parse(bytes, &Redactor::for_secret("tok3n"));
}

/// Feeds `value` to every model directly, then as bytes.
fn parse_value(value: &Value) {
    let _ = serde_json::from_value::<ServiceModel>(value.clone());
    let _ = serde_json::from_value::<EnvironmentModel>(value.clone());
    let _ = serde_json::from_value::<BuildModel>(value.clone());
    let _ = serde_json::from_value::<BuildEntry>(value.clone());
    let _ = serde_json::from_value::<VersionModel>(value.clone());
    let _ = serde_json::from_value::<ResourceModel>(value.clone());
    let _ = serde_json::from_value::<ErrorBody>(value.clone());
    parse_everything(&serde_json::to_vec(value).expect("a JSON value serialises"));
}

/// A version object as Twilio sends it, with random values in the fields twgate reads.
fn version_object() -> impl Strategy<Value = Value> {
    (text(), text(), text(), prop::option::of(text())).prop_map(version_json)
}

/// A version object with a valid SID and path and any visibility: what twgate must read as sent.
fn valid_version_object() -> impl Strategy<Value = Value> {
    (
        "ZN[0-9a-f]{32}",
        "/[^\\s\\p{Cc}]{0,40}",
        text(),
        prop::option::of("ZH[0-9a-f]{32}"),
    )
        .prop_map(version_json)
}

fn version_json(
    (sid, path, visibility, function_sid): (String, String, String, Option<String>),
) -> Value {
    json!({"sid": sid, "path": path, "visibility": visibility, "function_sid": function_sid,
           "account_sid": "AC1", "date_created": "2024-03-05T10:00:00Z"})
}

proptest! {
    #[test]
    fn any_bytes_parse_or_fail(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&bytes);
    }

    #[test]
    fn any_json_parses_or_fails(value in json_value()) {
        parse_value(&value);
    }

    #[test]
    fn any_items_in_a_page_envelope_parse_or_fail(
        key in prop::sample::select(LIST_KEYS),
        items in prop::collection::vec(json_value(), 0..6),
        meta in json_value(),
    ) {
        parse_value(&json!({ key: items, "meta": meta }));
        parse_value(&json!({ key: items, "meta": {"key": key, "next_page_url": meta} }));
    }

    #[test]
    fn builds_with_random_entries_parse_or_fail(
        entries in prop::collection::vec(prop_oneof![version_object(), json_value()], 0..6),
    ) {
        parse_value(&json!({"sid": "ZB1", "function_versions": entries, "asset_versions": entries}));
    }

    #[test]
    fn well_formed_pages_keep_every_item_and_the_next_url(
        versions in prop::collection::vec(valid_version_object(), 0..12),
        next in prop::option::of("https://[a-z.]{1,12}/v1/[A-Za-z/?=&0-9]{0,30}"),
    ) {
        let body = json!({
            "function_versions": versions,
            "meta": {"key": "function_versions", "next_page_url": next, "page": 0, "page_size": 1000},
        });
        let page = parse_page::<VersionModel>(&serde_json::to_vec(&body).expect("serialises"), "function_versions")
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(page.items.len(), versions.len());
        for (parsed, sent) in page.items.iter().zip(&versions) {
            prop_assert_eq!(&parsed.path, &sent["path"]);
            prop_assert_eq!(&parsed.visibility, &sent["visibility"]);
        }
        prop_assert_eq!(page.next_page_url, next.filter(|url| !url.is_empty()));
    }
}
