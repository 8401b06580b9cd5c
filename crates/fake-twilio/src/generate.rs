//! Generated worlds of any size: one account whose services all share one shape, for benchmarks.
//!
//! Every service has the same functions and assets, each with several saved versions; each environment
//! deploys its own build of one version of every function and asset (production an older version than the
//! others, so a scanner that reports the newest version is wrong there). Paths and visibilities vary, so a
//! policy finds violations, allowed routes and private ones. The output is deterministic.

use crate::faults::Faults;
use crate::world::{
    Account, AccountStatus, Build, BuildEntry, Environment, Resource, Service, Version, World,
};

/// The generated account's SID.
pub const ACCOUNT_SID: &str = "AC0000000000000000000000000000b0b0";
/// The generated account's auth token.
pub const AUTH_TOKEN: &str = "0000000000000000000000000000b0b0";

/// How big a generated account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Services in the account.
    pub services: usize,
    /// Environments per service, each with its own build; the first is production (no domain suffix).
    pub environments: usize,
    /// Functions per service; every build deploys each of them.
    pub functions: usize,
    /// Assets per service; every build deploys each of them.
    pub assets: usize,
    /// Saved versions of each function and asset.
    pub versions: usize,
}

impl Shape {
    /// Routes the account serves: one per deployed function and asset version.
    pub fn routes(&self) -> usize {
        self.services * self.environments * (self.functions + self.assets)
    }
}

/// Asset file extensions, cycled through: web files a policy allows, data files it denies.
const ASSET_EXTENSIONS: &[&str] = &[
    "html", "css", "js", "png", "woff2", "svg", "json", "csv", "pdf",
];
/// Folders assets are spread over.
const ASSET_FOLDERS: &[&str] = &["static", "img", "exports", "docs"];
/// Environment suffixes after production; more environments are named `e3`, `e4`…
const SUFFIXES: &[&str] = &["dev", "stage"];

/// One account of `shape`, in a world that serves pages as large as asked and injects no faults.
pub fn world(shape: Shape) -> World {
    let services = (0..shape.services)
        .map(|index| service(shape, index))
        .collect();
    World {
        accounts: vec![Account {
            sid: ACCOUNT_SID.to_string(),
            auth_token: AUTH_TOKEN.to_string(),
            friendly_name: "Generated account".to_string(),
            status: AccountStatus::Active,
            owner_account_sid: None,
            api_keys: Vec::new(),
            services,
        }],
        max_page_size: None,
        faults: Faults::default(),
    }
}

/// A SID: `prefix`, then `service` and `item` as 16 hex digits each (unique per prefix and pair).
fn sid(prefix: &str, service: usize, item: usize) -> String {
    format!("{prefix}{service:016x}{item:016x}")
}

/// The function path of function `index`.
fn function_path(index: usize) -> String {
    format!("/api/fn-{index}")
}

/// The asset path of asset `index`.
fn asset_path(index: usize) -> String {
    let folder = ASSET_FOLDERS[index % ASSET_FOLDERS.len()];
    let extension = ASSET_EXTENSIONS[index % ASSET_EXTENSIONS.len()];
    format!("/{folder}/file-{index}.{extension}")
}

/// Function versions are mostly protected (webhooks), some public, some private helpers.
fn function_visibility(index: usize, version: usize) -> &'static str {
    match (index + version) % 5 {
        0..=2 => "protected",
        3 => "public",
        _ => "private",
    }
}

/// Asset versions are mostly public, some private.
fn asset_visibility(index: usize, version: usize) -> &'static str {
    if (index + version) % 4 == 3 {
        "private"
    } else {
        "public"
    }
}

fn service(shape: Shape, index: usize) -> Service {
    // Versions are numbered per service across functions then assets, so each SID is unique.
    let resources = |count: usize,
                     first: usize,
                     path: fn(usize) -> String,
                     visibility: fn(usize, usize) -> &'static str| {
        (0..count)
            .map(|item| {
                let number = first + item;
                Resource {
                    sid: sid("ZH", index, number),
                    friendly_name: None,
                    versions: (0..shape.versions)
                        .map(|version| Version {
                            sid: sid("ZN", index, number * shape.versions + version),
                            path: path(item),
                            visibility: visibility(item, version).to_string(),
                        })
                        .collect(),
                }
            })
            .collect::<Vec<_>>()
    };
    let functions = resources(shape.functions, 0, function_path, function_visibility);
    let assets = resources(shape.assets, shape.functions, asset_path, asset_visibility);
    let builds: Vec<Build> = (0..shape.environments)
        .map(|environment| {
            // Production serves the second-newest version; every other environment the newest.
            let deployed = |resource: &Resource| {
                let newest = resource.versions.len().saturating_sub(1);
                let chosen = if environment == 0 {
                    newest.saturating_sub(1)
                } else {
                    newest
                };
                resource.versions.get(chosen).map(|version| BuildEntry {
                    sid: version.sid.clone(),
                    bare: false,
                })
            };
            Build {
                sid: sid("ZB", index, environment),
                status: "completed".to_string(),
                runtime: "node18".to_string(),
                function_versions: functions.iter().filter_map(deployed).collect(),
                asset_versions: assets.iter().filter_map(deployed).collect(),
            }
        })
        .collect();
    let environments = (0..shape.environments)
        .map(|environment| {
            let suffix = match environment {
                0 => None,
                n => Some(
                    SUFFIXES
                        .get(n - 1)
                        .map_or_else(|| format!("e{n}"), |suffix| suffix.to_string()),
                ),
            };
            Environment {
                sid: sid("ZE", index, environment),
                unique_name: suffix
                    .as_ref()
                    .map_or_else(|| "production".to_string(), |s| format!("{s}-environment")),
                domain_suffix: suffix,
                build_sid: Some(builds[environment].sid.clone()),
            }
        })
        .collect();
    Service {
        sid: sid("ZS", index, 0),
        unique_name: format!("service-{index}"),
        friendly_name: None,
        domain_base: None,
        functions,
        assets,
        builds,
        environments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::ResourceKind;

    const SMALL: Shape = Shape {
        services: 3,
        environments: 4,
        functions: 5,
        assets: 11,
        versions: 3,
    };

    #[test]
    fn the_world_has_the_asked_shape_and_is_valid() {
        let world = world(SMALL);
        world.validate().unwrap_or_else(|error| panic!("{error}"));
        let services = &world.accounts[0].services;
        assert_eq!(services.len(), 3);
        for service in services {
            assert_eq!(service.functions.len(), 5);
            assert_eq!(service.assets.len(), 11);
            assert!(
                service
                    .functions
                    .iter()
                    .chain(&service.assets)
                    .all(|resource| resource.versions.len() == 3)
            );
            assert_eq!(service.environments.len(), 4);
            for build in &service.builds {
                assert_eq!(build.function_versions.len(), 5);
                assert_eq!(build.asset_versions.len(), 11);
            }
        }
        let live: usize = services
            .iter()
            .flat_map(|service| &service.builds)
            .map(|build| build.function_versions.len() + build.asset_versions.len())
            .sum();
        assert_eq!(live, SMALL.routes());
    }

    #[test]
    fn environments_have_distinct_names_and_production_serves_an_older_version() {
        let world = world(SMALL);
        let service = &world.accounts[0].services[1];
        let names: Vec<&str> = service
            .environments
            .iter()
            .map(|environment| environment.unique_name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "production",
                "dev-environment",
                "stage-environment",
                "e3-environment"
            ]
        );
        let production = &service.builds[0].function_versions[0].sid;
        let dev = &service.builds[1].function_versions[0].sid;
        let versions = &service.functions[0].versions;
        assert_eq!(production, &versions[1].sid);
        assert_eq!(dev, &versions[2].sid);
        assert!(service.find_version(ResourceKind::Function, dev).is_some());
    }

    #[test]
    fn paths_and_visibilities_vary() {
        let world = world(SMALL);
        let service = &world.accounts[0].services[0];
        let visibilities: std::collections::HashSet<&str> = service
            .functions
            .iter()
            .chain(&service.assets)
            .flat_map(|resource| &resource.versions)
            .map(|version| version.visibility.as_str())
            .collect();
        assert_eq!(visibilities.len(), 3, "{visibilities:?}");
        assert_eq!(service.assets[7].versions[0].path, "/docs/file-7.csv");
        assert_eq!(service.functions[2].versions[0].path, "/api/fn-2");
    }
}
