//! JSON representations of world objects, field for field as Twilio's OpenAPI schemas list them.

use std::collections::HashMap;

use serde::Serialize;
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
/// Typed rather than a JSON tree: a build of a large account lists hundreds of versions.
pub fn build<'a>(
    base: &str,
    account_sid: &'a str,
    service: &'a Service,
    build: &'a Build,
) -> BuildJson<'a> {
    let url = format!("{}/Builds/{}", service_url(base, service), build.sid);
    let entries =
        |kind: ResourceKind, entries: &'a [BuildEntry]| -> Vec<BuildEntryJson<'a>> {
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
                    Some((resource, version)) if !entry.bare => BuildEntryJson::Version(
                        build_entry(base, account_sid, service, kind, resource, version),
                    ),
                    _ => BuildEntryJson::Sid(&entry.sid),
                })
                .collect()
        };
    BuildJson {
        sid: &build.sid,
        account_sid,
        service_sid: &service.sid,
        status: &build.status,
        asset_versions: entries(ResourceKind::Asset, &build.asset_versions),
        function_versions: entries(ResourceKind::Function, &build.function_versions),
        dependencies: [
            Dependency {
                name: "twilio",
                version: "4.23.0",
            },
            Dependency {
                name: "@twilio/runtime-handler",
                version: "1.3.0",
            },
        ],
        runtime: &build.runtime,
        date_created: ISO_DATE,
        date_updated: ISO_DATE,
        links: BuildLinks {
            build_status: format!("{url}/Status"),
        },
        url,
    }
}

/// A Build resource as JSON.
#[derive(Debug, Serialize)]
pub struct BuildJson<'a> {
    sid: &'a str,
    account_sid: &'a str,
    service_sid: &'a str,
    status: &'a str,
    asset_versions: Vec<BuildEntryJson<'a>>,
    function_versions: Vec<BuildEntryJson<'a>>,
    dependencies: [Dependency; 2],
    runtime: &'a str,
    date_created: &'static str,
    date_updated: &'static str,
    url: String,
    links: BuildLinks,
}

/// One entry of a build's version list: a version object or a bare version SID.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BuildEntryJson<'a> {
    /// A version object.
    Version(VersionJson<'a>),
    /// A bare `ZN…` SID.
    Sid(&'a str),
}

/// A package a build depends on.
#[derive(Debug, Serialize)]
struct Dependency {
    name: &'static str,
    version: &'static str,
}

#[derive(Debug, Serialize)]
struct BuildLinks {
    build_status: String,
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
pub fn version<'a>(
    base: &str,
    account_sid: &'a str,
    service: &'a Service,
    kind: ResourceKind,
    resource: &'a Resource,
    version: &'a Version,
) -> VersionJson<'a> {
    let mut json = build_entry(base, account_sid, service, kind, resource, version);
    if kind == ResourceKind::Function {
        json.links = Some(VersionLinks {
            function_version_content: format!("{}/Content", json.url),
        });
    }
    json
}

/// A version as it appears inside a build: the version's fields without `links`.
fn build_entry<'a>(
    base: &str,
    account_sid: &'a str,
    service: &'a Service,
    kind: ResourceKind,
    resource: &'a Resource,
    version: &'a Version,
) -> VersionJson<'a> {
    let (function_sid, asset_sid) = match kind {
        ResourceKind::Function => (Some(resource.sid.as_str()), None),
        ResourceKind::Asset => (None, Some(resource.sid.as_str())),
    };
    VersionJson {
        sid: &version.sid,
        account_sid,
        service_sid: &service.sid,
        function_sid,
        asset_sid,
        path: &version.path,
        visibility: &version.visibility,
        date_created: ISO_DATE,
        url: format!(
            "{}/Versions/{}",
            resource_url(base, service, kind, resource),
            version.sid
        ),
        links: None,
    }
}

/// A Function Version or Asset Version as JSON.
#[derive(Debug, Serialize)]
pub struct VersionJson<'a> {
    sid: &'a str,
    account_sid: &'a str,
    service_sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    asset_sid: Option<&'a str>,
    path: &'a str,
    visibility: &'a str,
    date_created: &'static str,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<VersionLinks>,
}

#[derive(Debug, Serialize)]
struct VersionLinks {
    function_version_content: String,
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
        let value =
            serde_json::to_value(build("http://b", &account.sid, service, &service.builds[0]))
                .expect("serializes");
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
        let value = serde_json::to_value(version(
            "http://b",
            &account.sid,
            service,
            ResourceKind::Function,
            function,
            &function.versions[0],
        ))
        .expect("serializes");
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
