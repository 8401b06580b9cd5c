//! Building the inventory of a live account: every service, every environment, and the routes of each
//! environment's current build, fetched concurrently within the client's bound on requests in flight.
//! Work starts as soon as the page naming it arrives: a service's environments as soon as its page of
//! services is read, a build as soon as its page of environments is.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::OnceCell;
use tokio::task::JoinSet;

use super::client::{ApiError, Client};
use super::config::Redactor;
use super::models::{
    BuildEntry, BuildModel, EnvironmentModel, ResourceModel, ServiceModel, VersionModel,
};
use crate::inventory::{Account, Environment, Inventory, Kind, Route, Service, Visibility};

/// Which services and environments to audit; empty lists mean all.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Service unique names or SIDs.
    pub services: Vec<String>,
    /// Environment unique names or domain suffixes.
    pub environments: Vec<String>,
}

/// Why the inventory could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// A request failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A `--service` filter named no service of the account.
    #[error(
        "--service {0:?} matched no service of the account: give a service's unique name or its SID (ZS…)"
    )]
    UnknownService(String),
    /// An `--environment` filter named no environment of the audited services.
    #[error(
        "--environment {0:?} matched no environment of the audited services: give an environment's unique name or domain suffix"
    )]
    UnknownEnvironment(String),
    /// Twilio answered a build request with another build.
    #[error("asked for build {asked} of service {service}, Twilio answered with build {answered}")]
    WrongBuild {
        /// The service's unique name.
        service: String,
        /// The build the environment names.
        asked: String,
        /// The build in the answer.
        answered: String,
    },
    /// A build lists a version SID that none of the service's functions or assets has.
    #[error(
        "build {build_sid} of service {service} lists {kind} version {version_sid}, which no {kind} of the service has"
    )]
    UnresolvedVersion {
        /// The service's unique name.
        service: String,
        /// The build.
        build_sid: String,
        /// The version the build lists.
        version_sid: String,
        /// Function or asset.
        kind: Kind,
    },
}

/// What an audit read: the inventory, and the error that stopped it early, if any. An inventory with
/// an error is incomplete and must never be reported as a pass.
#[derive(Debug)]
pub struct Collected {
    /// What was read.
    pub inventory: Inventory,
    /// Why reading stopped early.
    pub error: Option<CollectError>,
}

impl Filters {
    fn wants_service(&self, service: &ServiceModel) -> bool {
        self.services.is_empty()
            || self
                .services
                .iter()
                .any(|wanted| names_service(wanted, &service.sid, &service.unique_name))
    }

    fn wants_environment(&self, environment: &EnvironmentModel) -> bool {
        self.environments.is_empty()
            || self.environments.iter().any(|wanted| {
                names_environment(
                    wanted,
                    &environment.unique_name,
                    environment.domain_suffix.as_deref(),
                )
            })
    }

    /// The first filter that matched nothing in `inventory`.
    fn unmatched(&self, inventory: &Inventory) -> Option<CollectError> {
        let services = || {
            inventory
                .accounts
                .iter()
                .flat_map(|account| &account.services)
        };
        if let Some(wanted) = self
            .services
            .iter()
            .find(|wanted| !services().any(|s| names_service(wanted, &s.sid, &s.unique_name)))
        {
            return Some(CollectError::UnknownService(wanted.clone()));
        }
        self.environments
            .iter()
            .find(|wanted| {
                !services()
                    .flat_map(|s| &s.environments)
                    .any(|e| names_environment(wanted, &e.unique_name, Some(&e.domain_suffix)))
            })
            .map(|wanted| CollectError::UnknownEnvironment(wanted.clone()))
    }
}

fn names_service(wanted: &str, sid: &str, unique_name: &str) -> bool {
    wanted == sid || wanted.eq_ignore_ascii_case(unique_name)
}

fn names_environment(wanted: &str, unique_name: &str, suffix: Option<&str>) -> bool {
    wanted.eq_ignore_ascii_case(unique_name)
        || suffix.is_some_and(|suffix| !suffix.is_empty() && wanted.eq_ignore_ascii_case(suffix))
}

/// Reads what `account_sid` serves. Services start as soon as their page of the list arrives. When one
/// fails, the others still finish, so an incomplete report shows everything that could be read.
pub async fn collect(client: Arc<Client>, account_sid: &str, filters: &Filters) -> Collected {
    let mut tasks = JoinSet::new();
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    let listing = client
        .for_each_page(
            client.url("/v1/Services", true),
            "services",
            |page: Vec<ServiceModel>| {
                for service in page.into_iter().filter(|service| {
                    filters.wants_service(service) && seen.insert(service.sid.clone())
                }) {
                    order.push(service.sid.clone());
                    tasks.spawn(read_service(client.clone(), service, filters.clone()));
                }
            },
        )
        .await;
    let mut error = listing.err().map(CollectError::from);
    let mut services = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((service, failure)) => {
                if let Some(failure) = failure {
                    keep_the_cause(&mut error, failure);
                }
                services.insert(service.sid.clone(), service);
            }
            Err(join_error) if join_error.is_cancelled() => {}
            Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
        }
    }
    let inventory = Inventory {
        accounts: vec![Account {
            sid: account_sid.to_string(),
            services: order
                .iter()
                .filter_map(|sid| services.remove(sid))
                .collect(),
        }],
    };
    let error = error.or_else(|| filters.unmatched(&inventory));
    Collected { inventory, error }
}

/// Records `failure` as why the audit stopped, unless an earlier one is already the cause: the first
/// failure wins, except over a request that was only not sent because the audit had given up.
fn keep_the_cause(cause: &mut Option<CollectError>, failure: CollectError) {
    let gave_up =
        |error: &CollectError| matches!(error, CollectError::Api(ApiError::NotSent { .. }));
    let replaces = match cause {
        None => true,
        Some(earlier) => gave_up(earlier) && !gave_up(&failure),
    };
    if replaces {
        *cause = Some(failure);
    }
}

/// Versions of a service's functions or assets, by SID: read only when a build lists a bare SID.
#[derive(Default)]
struct VersionIndex {
    functions: OnceCell<HashMap<String, VersionModel>>,
    assets: OnceCell<HashMap<String, VersionModel>>,
}

/// Reads one service: its environments and their builds. When a request fails, the service keeps every
/// environment and build that was read, and the first failure is returned beside it.
async fn read_service(
    client: Arc<Client>,
    service: ServiceModel,
    filters: Filters,
) -> (Service, Option<CollectError>) {
    let index = Arc::new(VersionIndex::default());
    // Only for error messages: redacted, control characters escaped, as all API text in them.
    let service_name = Arc::new(client.shown(&service.unique_name));
    let mut environments: Vec<EnvironmentModel> = Vec::new();
    let mut seen = HashSet::new();
    let mut builds = JoinSet::new();
    let listing = client
        .for_each_page(
            client.url(&format!("/v1/Services/{}/Environments", service.sid), true),
            "environments",
            |page: Vec<EnvironmentModel>| {
                for environment in page.into_iter().filter(|environment| {
                    filters.wants_environment(environment) && seen.insert(environment.sid.clone())
                }) {
                    if let Some(build_sid) = environment.build_sid.clone() {
                        let (client, index, service_sid, name, position) = (
                            client.clone(),
                            index.clone(),
                            service.sid.clone(),
                            service_name.clone(),
                            environments.len(),
                        );
                        builds.spawn(async move {
                            let routes =
                                read_build(&client, &service_sid, &name, &build_sid, &index).await;
                            (position, routes)
                        });
                    }
                    environments.push(environment);
                }
            },
        )
        .await;
    let mut error = listing.err().map(CollectError::from);
    let mut routes_by_position = HashMap::new();
    while let Some(joined) = builds.join_next().await {
        match joined {
            Ok((position, Ok(routes))) => {
                routes_by_position.insert(position, routes);
            }
            Ok((_, Err(failure))) => {
                keep_the_cause(&mut error, failure);
            }
            Err(join_error) if join_error.is_cancelled() => {}
            Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
        }
    }
    let mut read = Service {
        friendly_name: service
            .friendly_name
            .unwrap_or_else(|| service.unique_name.clone()),
        environments: environments
            .into_iter()
            .enumerate()
            .map(|(position, environment)| Environment {
                sid: environment.sid,
                unique_name: environment.unique_name,
                domain_suffix: environment.domain_suffix.unwrap_or_default(),
                domain_name: environment.domain_name,
                build_sid: environment.build_sid,
                routes: routes_by_position.remove(&position).unwrap_or_default(),
            })
            .collect(),
        sid: service.sid,
        unique_name: service.unique_name,
    };
    redact_service(&mut read, client.redactor());
    (read, error)
}

/// Replaces every echo of the credentials in what was read of a service, after JSON decoding, so that an
/// escaped copy (`\u0074ok…`) is caught too.
fn redact_service(service: &mut Service, redactor: &Redactor) {
    let strings = [
        &mut service.sid,
        &mut service.unique_name,
        &mut service.friendly_name,
    ];
    strings.into_iter().for_each(|text| redactor.in_place(text));
    for environment in &mut service.environments {
        let strings = [
            &mut environment.sid,
            &mut environment.unique_name,
            &mut environment.domain_suffix,
            &mut environment.domain_name,
        ];
        strings.into_iter().for_each(|text| redactor.in_place(text));
        environment
            .build_sid
            .iter_mut()
            .for_each(|text| redactor.in_place(text));
        for route in &mut environment.routes {
            redactor.in_place(&mut route.path);
            redactor.in_place(&mut route.version_sid);
            route
                .resource_sid
                .iter_mut()
                .for_each(|text| redactor.in_place(text));
            if let Visibility::Unknown(text) = &mut route.visibility {
                redactor.in_place(text);
            }
        }
    }
}

async fn read_build(
    client: &Client,
    service_sid: &str,
    service_name: &str,
    build_sid: &str,
    index: &VersionIndex,
) -> Result<Vec<Route>, CollectError> {
    let build: BuildModel = client
        .get(&client.url(
            &format!("/v1/Services/{service_sid}/Builds/{build_sid}"),
            false,
        ))
        .await?;
    if build.sid != build_sid {
        return Err(CollectError::WrongBuild {
            service: service_name.to_string(),
            asked: build_sid.to_string(),
            answered: build.sid,
        });
    }
    let mut routes = Vec::new();
    let mut seen = HashSet::new();
    for (kind, entries) in [
        (Kind::Function, build.function_versions.unwrap_or_default()),
        (Kind::Asset, build.asset_versions.unwrap_or_default()),
    ] {
        for entry in entries {
            let version = match entry {
                BuildEntry::Version(version) => version,
                BuildEntry::Sid(version_sid) => {
                    let versions = index.of(kind, client, service_sid).await?;
                    versions.get(&version_sid).cloned().ok_or_else(|| {
                        CollectError::UnresolvedVersion {
                            service: service_name.to_string(),
                            build_sid: build.sid.clone(),
                            version_sid,
                            kind,
                        }
                    })?
                }
            };
            if !seen.insert(version.sid.clone()) {
                continue;
            }
            let resource_sid = match kind {
                Kind::Function => version.function_sid,
                Kind::Asset => version.asset_sid,
            };
            let route = Route {
                kind,
                path: version.path,
                visibility: Visibility::parse(&version.visibility),
                version_sid: version.sid,
                resource_sid,
            };
            routes.extend(route.with_root_alias());
        }
    }
    Ok(routes)
}

impl VersionIndex {
    async fn of(
        &self,
        kind: Kind,
        client: &Client,
        service_sid: &str,
    ) -> Result<&HashMap<String, VersionModel>, ApiError> {
        let cell = match kind {
            Kind::Function => &self.functions,
            Kind::Asset => &self.assets,
        };
        cell.get_or_try_init(|| all_versions(client, service_sid, kind))
            .await
    }
}

/// Every version of every function (or asset) of a service, by version SID.
async fn all_versions(
    client: &Client,
    service_sid: &str,
    kind: Kind,
) -> Result<HashMap<String, VersionModel>, ApiError> {
    let (collection, key) = match kind {
        Kind::Function => ("Functions", "function_versions"),
        Kind::Asset => ("Assets", "asset_versions"),
    };
    let base = format!("/v1/Services/{service_sid}/{collection}");
    let resources: Vec<ResourceModel> = client
        .list(client.url(&base, true), &collection.to_ascii_lowercase())
        .await?;
    let mut versions = HashMap::new();
    for resource in resources {
        let url = client.url(&format!("{base}/{}/Versions", resource.sid), true);
        for mut version in client.list::<VersionModel>(url, key).await? {
            match kind {
                Kind::Function => version
                    .function_sid
                    .get_or_insert_with(|| resource.sid.clone()),
                Kind::Asset => version
                    .asset_sid
                    .get_or_insert_with(|| resource.sid.clone()),
            };
            versions.insert(version.sid.clone(), version);
        }
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_the_first_failure_that_is_not_a_request_left_unsent() {
        let not_sent = || CollectError::Api(ApiError::NotSent { url: "u".into() });
        let unknown = |name: &str| CollectError::UnknownService(name.into());
        let mut cause = None;
        keep_the_cause(&mut cause, not_sent());
        keep_the_cause(&mut cause, unknown("first"));
        keep_the_cause(&mut cause, not_sent());
        keep_the_cause(&mut cause, unknown("second"));
        assert!(
            matches!(&cause, Some(CollectError::UnknownService(name)) if name == "first"),
            "{cause:?}"
        );
        let mut cause = None;
        keep_the_cause(&mut cause, not_sent());
        keep_the_cause(&mut cause, not_sent());
        assert!(matches!(
            cause,
            Some(CollectError::Api(ApiError::NotSent { .. }))
        ));
    }
}
