//! The evaluation workload: a generated account's routes as an inventory, and a 200-rule policy of the
//! kinds people write (deny by extension or folder, allow per service, allow single paths account-wide).

use fake_twilio::world::{ResourceKind, World};
use twgate::inventory::{Account, Environment, Inventory, Kind, Route, Service, Visibility};
use twgate::policy::{Date, Policy, RouteFacts, Verdict};

/// Deny globs: data, secrets and back-office folders, two to a rule.
const DENY_GLOBS: &[(&str, &str)] = &[
    ("*.csv", "*.tsv"),
    ("*.sql", "*.sqlite"),
    ("*.env", ".env.*"),
    ("*.pem", "*.key"),
    ("*.p12", "*.pfx"),
    ("*.bak", "*.old"),
    ("*.log", "*.dump"),
    ("*.xlsx", "*.xls"),
    ("*.zip", "*.tar.gz"),
    ("/admin/**", "/internal/**"),
    ("/backup/**", "/exports/**"),
    ("*.db", "*.mdb"),
    ("*.jks", "*.keystore"),
    ("*.ini", "*.cfg"),
    ("*.yml", "*.yaml"),
    ("id_rsa*", "*.ppk"),
    ("*.har", "*.pcap"),
    ("/debug/**", "/test/**"),
    ("*.parquet", "*.avro"),
    ("*secret*", "*credential*"),
];

/// Every live route of `world`'s first account, as twgate's collector would read it.
pub fn inventory(world: &World) -> Inventory {
    let account = &world.accounts[0];
    let services = account
        .services
        .iter()
        .map(|service| Service {
            sid: service.sid.clone(),
            unique_name: service.unique_name.clone(),
            friendly_name: service.friendly_name().to_string(),
            environments: service
                .environments
                .iter()
                .map(|environment| {
                    let build = service
                        .builds
                        .iter()
                        .find(|build| Some(&build.sid) == environment.build_sid.as_ref())
                        .expect("generated environments all have a build");
                    let entries = build
                        .function_versions
                        .iter()
                        .map(|entry| (ResourceKind::Function, Kind::Function, entry))
                        .chain(
                            build
                                .asset_versions
                                .iter()
                                .map(|entry| (ResourceKind::Asset, Kind::Asset, entry)),
                        );
                    let routes = entries
                        .flat_map(|(resource_kind, kind, entry)| {
                            let (resource, version) = service
                                .find_version(resource_kind, &entry.sid)
                                .expect("generated builds list versions of their service");
                            Route {
                                kind,
                                path: version.path.clone(),
                                visibility: Visibility::parse(&version.visibility),
                                version_sid: version.sid.clone(),
                                resource_sid: Some(resource.sid.clone()),
                            }
                            .with_root_alias()
                        })
                        .collect();
                    Environment {
                        sid: environment.sid.clone(),
                        unique_name: environment.unique_name.clone(),
                        domain_suffix: environment.domain_suffix.clone().unwrap_or_default(),
                        domain_name: environment.domain_name(service),
                        build_sid: environment.build_sid.clone(),
                        routes,
                    }
                })
                .collect(),
        })
        .collect();
    Inventory {
        accounts: vec![Account {
            sid: account.sid.clone(),
            services,
        }],
    }
}

/// A policy of exactly `rules` rules (at least the 20 deny rules) for services named `service-N`:
/// two thirds of the allow rules each cover one service's web assets (some only in one environment,
/// some expired), the rest allow one function path and one font folder account-wide.
pub fn policy_yaml(rules: usize) -> String {
    let mut text = String::from("version: 1\ndeny:\n");
    for (first, second) in DENY_GLOBS {
        text.push_str(&format!(
            "  - paths: [\"{first}\", \"{second}\"]\n    reason: data and secrets\n"
        ));
    }
    text.push_str("allow:\n");
    let allow = rules.saturating_sub(DENY_GLOBS.len());
    let per_service = allow * 2 / 3;
    for index in 0..per_service {
        text.push_str(&format!(
            "  - paths: [\"/static/**/*.{{html,css,js}}\", \"/img/**/*.{{png,svg}}\", \"/docs/*.pdf\"]\n    \
             reason: web site of service-{index}\n    services: [service-{index}]\n    kinds: [asset]\n"
        ));
        if index % 10 == 3 {
            text.push_str("    environments: [dev]\n");
        }
        if index % 7 == 5 {
            text.push_str("    expires: 2025-12-31\n");
        }
    }
    for index in 0..allow - per_service {
        text.push_str(&format!(
            "  - paths: [\"/api/fn-{index}\", \"/fonts/{index}/*.woff2\"]\n    reason: public endpoint {index}\n"
        ));
    }
    text
}

/// Judges every route of `inventory` under `policy` and nothing else (no report): the policy's share of
/// `Report::build`. Returns the number of violations.
pub fn judge_only(inventory: &Inventory, policy: &Policy, today: Date) -> usize {
    let mut violations = 0;
    for service in inventory
        .accounts
        .iter()
        .flat_map(|account| &account.services)
    {
        for environment in &service.environments {
            for route in &environment.routes {
                if policy
                    .evaluate(&RouteFacts::new(service, environment, route), today)
                    .verdict
                    == Verdict::Violation
                {
                    violations += 1;
                }
            }
        }
    }
    violations
}
