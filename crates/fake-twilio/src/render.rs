//! JSON representations of world objects, field for field as Twilio's OpenAPI schemas list them.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::world::{
    Account, Build, BuildEntry, Environment, Resource, ResourceKind, Service, Version,
};

/// Every Serverless `date_created` / `date_updated` (ISO 8601).
pub const ISO_DATE: &str = "2024-03-05T10:00:00Z";
/// Every account `date_created` / `date_updated` (RFC 2822, as the 2010 API writes dates).
pub const RFC2822_DATE: &str = "Tue, 05 Mar 2024 10:00:00 +0000";

/// Absolute URL of a service.
pub fn service_url(base: &str, service: &Service) -> String {
    format!("{base}/v1/Services/{}", service.sid)
}

/// A Service resource.
pub fn service(base: &str, account_sid: &str, service: &Service) -> Value {
    let url = service_url(base, service);
    json!({
        "sid": service.sid,
        "account_sid": account_sid,
        "friendly_name": service.friendly_name(),
        "unique_name": service.unique_name,
        "include_credentials": true,
        "ui_editable": false,
        "domain_base": service.domain_base(),
        "date_created": ISO_DATE,
        "date_updated": ISO_DATE,
        "url": url,
        "links": {
            "environments": format!("{url}/Environments"),
            "functions": format!("{url}/Functions"),
            "assets": format!("{url}/Assets"),
            "builds": format!("{url}/Builds"),
        },
    })
}

/// An Environment resource.
pub fn environment(
    base: &str,
    account_sid: &str,
    service: &Service,
    environment: &Environment,
) -> Value {
    let url = format!(
        "{}/Environments/{}",
        service_url(base, service),
        environment.sid
    );
    json!({
        "sid": environment.sid,
        "account_sid": account_sid,
        "service_sid": service.sid,
        "build_sid": environment.build_sid,
        "unique_name": environment.unique_name,
        "domain_suffix": environment.domain_suffix,
        "domain_name": environment.domain_name(service),
        "date_created": ISO_DATE,
        "date_updated": ISO_DATE,
        "url": url,
        "links": {
            "variables": format!("{url}/Variables"),
            "deployments": format!("{url}/Deployments"),
            "logs": format!("{url}/Logs"),
        },
    })
}

/// A Build resource; its version lists hold version objects, or bare SIDs for entries marked `bare`.
pub fn build(base: &str, account_sid: &str, service: &Service, build: &Build) -> Value {
    let url = format!("{}/Builds/{}", service_url(base, service), build.sid);
    let entries = |kind: ResourceKind, entries: &[BuildEntry]| -> Vec<Value> {
        let versions: HashMap<&str, (&Resource, &Version)> = service
            .resources(kind)
            .iter()
            .flat_map(|resource| {
                (resource.versions.iter())
                    .map(move |version| (version.sid.as_str(), (resource, version)))
            })
            .collect();
        entries
            .iter()
            .map(|entry| match versions.get(entry.sid.as_str()).copied() {
                Some((resource, version)) if !entry.bare => {
                    build_entry(base, account_sid, service, kind, resource, version)
                }
                _ => Value::String(entry.sid.clone()),
            })
            .collect()
    };
    json!({
        "sid": build.sid,
        "account_sid": account_sid,
        "service_sid": service.sid,
        "status": build.status,
        "asset_versions": entries(ResourceKind::Asset, &build.asset_versions),
        "function_versions": entries(ResourceKind::Function, &build.function_versions),
        "dependencies": [
            {"name": "twilio", "version": "4.23.0"},
            {"name": "@twilio/runtime-handler", "version": "1.3.0"},
        ],
        "runtime": build.runtime,
        "date_created": ISO_DATE,
        "date_updated": ISO_DATE,
        "url": url,
        "links": {
            "build_status": format!("{url}/Status"),
        },
    })
}

/// The URL path segment of a kind: `Functions` or `Assets`.
pub fn collection(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Function => "Functions",
        ResourceKind::Asset => "Assets",
    }
}

/// The list key of a kind's versions: `function_versions` or `asset_versions`.
pub fn versions_key(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Function => "function_versions",
        ResourceKind::Asset => "asset_versions",
    }
}

/// Absolute URL of a function or asset.
fn resource_url(base: &str, service: &Service, kind: ResourceKind, resource: &Resource) -> String {
    format!(
        "{}/{}/{}",
        service_url(base, service),
        collection(kind),
        resource.sid
    )
}

/// A Function or Asset resource.
pub fn resource(
    base: &str,
    account_sid: &str,
    service: &Service,
    kind: ResourceKind,
    resource: &Resource,
) -> Value {
    let url = resource_url(base, service, kind, resource);
    let mut value = json!({
        "sid": resource.sid,
        "account_sid": account_sid,
        "service_sid": service.sid,
        "friendly_name": resource.friendly_name(),
        "date_created": ISO_DATE,
        "date_updated": ISO_DATE,
        "links": {},
    });
    value["links"][versions_key(kind)] = Value::String(format!("{url}/Versions"));
    value["url"] = Value::String(url);
    value
}

/// A Function Version or Asset Version resource (function versions also have a `links` map).
pub fn version(
    base: &str,
    account_sid: &str,
    service: &Service,
    kind: ResourceKind,
    resource: &Resource,
    version: &Version,
) -> Value {
    let mut value = build_entry(base, account_sid, service, kind, resource, version);
    if kind == ResourceKind::Function
        && let Some(url) = value["url"].as_str()
    {
        value["links"] = json!({ "function_version_content": format!("{url}/Content") });
    }
    value
}

/// A version as it appears inside a build: the version's fields without `links`.
fn build_entry(
    base: &str,
    account_sid: &str,
    service: &Service,
    kind: ResourceKind,
    resource: &Resource,
    version: &Version,
) -> Value {
    let parent_key = match kind {
        ResourceKind::Function => "function_sid",
        ResourceKind::Asset => "asset_sid",
    };
    let mut value = json!({
        "sid": version.sid,
        "account_sid": account_sid,
        "service_sid": service.sid,
        "path": version.path,
        "visibility": version.visibility,
        "date_created": ISO_DATE,
        "url": format!("{}/Versions/{}", resource_url(base, service, kind, resource), version.sid),
    });
    value[parent_key] = Value::String(resource.sid.clone());
    value
}

/// A 2010-04-01 Account resource (a main account is its own owner).
pub fn account(account: &Account) -> Value {
    json!({
        "auth_token": account.auth_token,
        "date_created": RFC2822_DATE,
        "date_updated": RFC2822_DATE,
        "friendly_name": account.friendly_name,
        "owner_account_sid": account.owner_account_sid.as_deref().unwrap_or(&account.sid),
        "sid": account.sid,
        "status": account.status.as_str(),
        "subresource_uris": {},
        "type": "Full",
        "uri": format!("/2010-04-01/Accounts/{}.json", account.sid),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

    const WORLD: &str = r#"
accounts:
  - sid: AC00000000000000000000000000000001
    auth_token: "00000000000000000000000000000001"
    friendly_name: Test
    services:
      - sid: ZS00000000000000000000000000000001
        unique_name: svc
        functions:
          - sid: ZH00000000000000000000000000000001
            versions:
              - {sid: ZN00000000000000000000000000000001, path: /f, visibility: PUBLIC}
        assets:
          - sid: ZH00000000000000000000000000000002
            versions:
              - {sid: ZN00000000000000000000000000000002, path: /a.css, visibility: weird}
        builds:
          - sid: ZB00000000000000000000000000000001
            function_versions: [{sid: ZN00000000000000000000000000000001, bare: true}]
            asset_versions: [ZN00000000000000000000000000000002]
"#;

    #[test]
    fn build_renders_objects_and_bare_sids() {
        let world = World::from_yaml(WORLD).expect("valid");
        let account = &world.accounts[0];
        let service = &account.services[0];
        let value = build("http://b", &account.sid, service, &service.builds[0]);
        assert_eq!(
            value["function_versions"],
            json!(["ZN00000000000000000000000000000001"])
        );
        let asset = &value["asset_versions"][0];
        assert_eq!(asset["visibility"], "weird");
        assert_eq!(asset["asset_sid"], "ZH00000000000000000000000000000002");
        assert_eq!(asset["path"], "/a.css");
        assert_eq!(asset["account_sid"], account.sid);
        assert_eq!(asset["service_sid"], service.sid);
        assert_eq!(asset["date_created"], ISO_DATE);
        assert!(asset.get("links").is_none());
        assert_eq!(value["status"], "completed");
        assert_eq!(
            value["links"]["build_status"],
            "http://b/v1/Services/ZS00000000000000000000000000000001/Builds/ZB00000000000000000000000000000001/Status"
        );
    }

    #[test]
    fn versions_and_resources_have_schema_fields() {
        let world = World::from_yaml(WORLD).expect("valid");
        let account = &world.accounts[0];
        let service = &account.services[0];
        let function = &service.functions[0];
        let value = version(
            "http://b",
            &account.sid,
            service,
            ResourceKind::Function,
            function,
            &function.versions[0],
        );
        assert_eq!(value["visibility"], "PUBLIC");
        assert_eq!(value["function_sid"], function.sid);
        assert!(
            value["links"]["function_version_content"]
                .as_str()
                .is_some_and(|u| u.ends_with("/Content"))
        );
        let asset = &service.assets[0];
        let value = resource(
            "http://b",
            &account.sid,
            service,
            ResourceKind::Asset,
            asset,
        );
        assert_eq!(
            value["links"]["asset_versions"],
            "http://b/v1/Services/ZS00000000000000000000000000000001/Assets/ZH00000000000000000000000000000002/Versions"
        );
        assert_eq!(value["friendly_name"], "a.css");
    }

    #[test]
    fn main_account_owns_itself() {
        let world = World::from_yaml(WORLD).expect("valid");
        let value = account(&world.accounts[0]);
        assert_eq!(
            value["owner_account_sid"],
            "AC00000000000000000000000000000001"
        );
        assert_eq!(value["type"], "Full");
        assert_eq!(value["status"], "active");
        assert_eq!(value["date_created"], RFC2822_DATE);
    }
}
