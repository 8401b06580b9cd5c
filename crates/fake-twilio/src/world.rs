//! The fake's data model: a YAML "world" of accounts and their Serverless resources, its loading and validation.

use std::collections::HashSet;

use serde::Deserialize;

use crate::faults::Faults;

/// Everything the fake serves: accounts (with their subaccounts, API keys and Serverless services).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// All accounts, main accounts and subaccounts alike, in listing order.
    pub accounts: Vec<Account>,
    /// The largest page the fake serves, whatever `PageSize` asks for (as a server may); default: as asked.
    /// Lets tests page through small worlds.
    #[serde(default)]
    pub max_page_size: Option<usize>,
    /// Faults to inject into the answers (latency, a 429 cap, errors, dropped connections…); default: none.
    #[serde(default)]
    pub faults: Faults,
}

/// A Twilio account (`AC…`), possibly a subaccount of another one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// `AC` + 32 hex digits.
    pub sid: String,
    /// The password that goes with `sid` in HTTP Basic auth.
    pub auth_token: String,
    /// Display name, also matched by the `FriendlyName` filter of `Accounts.json`.
    pub friendly_name: String,
    /// Only `active` accounts may call the API; others get 403 / 20403.
    #[serde(default)]
    pub status: AccountStatus,
    /// When set, this account is a subaccount of that (main) account.
    #[serde(default)]
    pub owner_account_sid: Option<String>,
    /// API keys (`SK…`) that authenticate as this account.
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    /// The account's Serverless services (reachable only with this account's own credentials).
    #[serde(default)]
    pub services: Vec<Service>,
}

/// Account status as Twilio spells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Usable.
    #[default]
    Active,
    /// Temporarily blocked: requests are refused with 403.
    Suspended,
    /// Permanently closed: requests are refused with 403.
    Closed,
}

impl AccountStatus {
    /// The wire spelling (`active`, `suspended`, `closed`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
        }
    }
}

/// An API key: `sid` and `secret` authenticate as the owning account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// `SK` + 32 hex digits.
    pub sid: String,
    /// The password that goes with `sid`.
    pub secret: String,
}

/// A Serverless service (`ZS…`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// `ZS` + 32 hex digits.
    pub sid: String,
    /// Unique within the account; usable instead of the SID in URLs.
    pub unique_name: String,
    /// Defaults to `unique_name`.
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// Defaults to `unique_name` + `-` + 4 digits derived from the SID.
    #[serde(default)]
    pub domain_base: Option<String>,
    /// Functions (`ZH…`) with their versions.
    #[serde(default)]
    pub functions: Vec<Resource>,
    /// Assets (`ZH…`) with their versions.
    #[serde(default)]
    pub assets: Vec<Resource>,
    /// Builds (`ZB…`).
    #[serde(default)]
    pub builds: Vec<Build>,
    /// Environments (`ZE…`).
    #[serde(default)]
    pub environments: Vec<Environment>,
}

impl Service {
    /// The friendly name, or the unique name when none was given.
    pub fn friendly_name(&self) -> &str {
        self.friendly_name.as_deref().unwrap_or(&self.unique_name)
    }

    /// The domain base, or `unique_name-NNNN` with 4 digits derived from the SID when none was given.
    pub fn domain_base(&self) -> String {
        match &self.domain_base {
            Some(base) => base.clone(),
            None => {
                let digits = self.sid.bytes().fold(0u32, |acc, b| {
                    acc.wrapping_mul(31).wrapping_add(u32::from(b))
                }) % 10_000;
                format!("{}-{digits:04}", self.unique_name)
            }
        }
    }

    /// Finds a function or asset version of this service by SID, with its parent resource.
    pub fn find_version(&self, kind: ResourceKind, sid: &str) -> Option<(&Resource, &Version)> {
        self.resources(kind).iter().find_map(|resource| {
            resource
                .versions
                .iter()
                .find(|version| version.sid == sid)
                .map(|version| (resource, version))
        })
    }

    /// The functions or the assets of this service.
    pub fn resources(&self, kind: ResourceKind) -> &[Resource] {
        match kind {
            ResourceKind::Function => &self.functions,
            ResourceKind::Asset => &self.assets,
        }
    }
}

/// Which of the two deployable kinds a [`Resource`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// A function (`/Functions`).
    Function,
    /// An asset (`/Assets`).
    Asset,
}

/// A function or an asset (`ZH…`) and its versions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// `ZH` + 32 hex digits.
    pub sid: String,
    /// Defaults to the path of the newest version (or the SID when there is none).
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// Oldest first, newest last.
    #[serde(default)]
    pub versions: Vec<Version>,
}

impl Resource {
    /// The friendly name, else the newest version's path without its leading slash, else the SID.
    pub fn friendly_name(&self) -> &str {
        match (&self.friendly_name, self.versions.last()) {
            (Some(name), _) => name,
            (None, Some(newest)) => newest.path.trim_start_matches('/'),
            (None, None) => &self.sid,
        }
    }
}

/// A function or asset version (`ZN…`): a path and a visibility.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Version {
    /// `ZN` + 32 hex digits.
    pub sid: String,
    /// The URL path, e.g. `/call-log`.
    pub path: String,
    /// Stored and served exactly as written (`public`, `PUBLIC`, `weird`…).
    pub visibility: String,
}

/// A build (`ZB…`): the set of versions an environment serves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// `ZB` + 32 hex digits.
    pub sid: String,
    /// `building`, `completed` or `failed` (served as written).
    #[serde(default = "default_build_status")]
    pub status: String,
    /// E.g. `node18` (served as written).
    #[serde(default = "default_runtime")]
    pub runtime: String,
    /// Versions of this service's functions.
    #[serde(default)]
    pub function_versions: Vec<BuildEntry>,
    /// Versions of this service's assets.
    #[serde(default)]
    pub asset_versions: Vec<BuildEntry>,
}

fn default_build_status() -> String {
    "completed".to_owned()
}

fn default_runtime() -> String {
    "node18".to_owned()
}

/// One version in a build. Written in YAML as a bare `ZN…` string or as a map `{sid, bare}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "BuildEntryRepr")]
pub struct BuildEntry {
    /// The version SID.
    pub sid: String,
    /// When true the build lists this version as a bare SID string instead of a version object.
    pub bare: bool,
}

/// The two YAML spellings of a [`BuildEntry`].
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "expected a version SID (ZN…) or a map {sid, bare}"
)]
enum BuildEntryRepr {
    Sid(String),
    Map(BuildEntryMap),
}

/// The map spelling of a [`BuildEntry`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildEntryMap {
    sid: String,
    #[serde(default)]
    bare: bool,
}

impl From<BuildEntryRepr> for BuildEntry {
    fn from(repr: BuildEntryRepr) -> Self {
        match repr {
            BuildEntryRepr::Sid(sid) => BuildEntry { sid, bare: false },
            BuildEntryRepr::Map(map) => BuildEntry {
                sid: map.sid,
                bare: map.bare,
            },
        }
    }
}

/// An environment (`ZE…`): a domain and the build it currently serves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// `ZE` + 32 hex digits.
    pub sid: String,
    /// E.g. `dev-environment`.
    pub unique_name: String,
    /// E.g. `dev`; `None` or empty for the production environment.
    #[serde(default)]
    pub domain_suffix: Option<String>,
    /// The deployed build; `None` when nothing is deployed.
    #[serde(default)]
    pub build_sid: Option<String>,
}

impl Environment {
    /// `{domain_base}-{domain_suffix}.twil.io`, or `{domain_base}.twil.io` without a suffix.
    pub fn domain_name(&self, service: &Service) -> String {
        match self.domain_suffix.as_deref() {
            Some(suffix) if !suffix.is_empty() => {
                format!("{}-{suffix}.twil.io", service.domain_base())
            }
            _ => format!("{}.twil.io", service.domain_base()),
        }
    }
}

/// Why a world file was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// Not YAML, or not the world's shape (unknown key, wrong type…); the message has line and column.
    #[error("cannot parse world YAML: {0}")]
    Parse(#[from] serde_saphyr::Error),
    /// Well-formed but inconsistent: every problem found, one per entry.
    #[error("invalid world ({} problem(s)):\n  - {}", .0.len(), .0.join("\n  - "))]
    Invalid(Vec<String>),
}

impl World {
    /// Parses a world from YAML and validates it, reporting every problem at once.
    pub fn from_yaml(text: &str) -> Result<World, WorldError> {
        let world: World = serde_saphyr::from_str(text)?;
        world.validate()?;
        Ok(world)
    }

    /// Checks SID shapes, uniqueness and cross references; reports all problems in one error.
    pub fn validate(&self) -> Result<(), WorldError> {
        let mut checker = Checker::default();
        let account_sids: HashSet<&str> = self.accounts.iter().map(|a| a.sid.as_str()).collect();
        for account in &self.accounts {
            checker.sid("account", "AC", &account.sid);
            if account.auth_token.is_empty() {
                checker.problem(format!("account {}: auth_token is empty", account.sid));
            }
            if let Some(owner) = &account.owner_account_sid {
                if owner == &account.sid {
                    checker.problem(format!(
                        "account {}: owner_account_sid is itself",
                        account.sid
                    ));
                } else if !account_sids.contains(owner.as_str()) {
                    checker.problem(format!(
                        "account {}: owner_account_sid {owner} is not an account of this world",
                        account.sid
                    ));
                }
            }
            for key in &account.api_keys {
                checker.sid("API key", "SK", &key.sid);
                if key.secret.is_empty() {
                    checker.problem(format!("API key {}: secret is empty", key.sid));
                }
            }
            let mut unique_names = HashSet::new();
            for service in &account.services {
                if !unique_names.insert(service.unique_name.as_str()) {
                    checker.problem(format!(
                        "account {}: duplicate service unique_name {:?}",
                        account.sid, service.unique_name
                    ));
                }
                checker.service(service);
            }
        }
        checker.problems.extend(self.faults.problems());
        if checker.problems.is_empty() {
            Ok(())
        } else {
            Err(WorldError::Invalid(checker.problems))
        }
    }

    /// The account with this SID.
    pub fn account(&self, sid: &str) -> Option<&Account> {
        self.accounts.iter().find(|account| account.sid == sid)
    }
}

/// Collects validation problems and the SIDs seen so far (SIDs are unique across the whole world).
#[derive(Default)]
struct Checker {
    seen: HashSet<String>,
    problems: Vec<String>,
}

impl Checker {
    fn problem(&mut self, problem: String) {
        self.problems.push(problem);
    }

    /// Checks one SID's shape and that it was not seen before.
    fn sid(&mut self, what: &str, prefix: &str, sid: &str) {
        if !is_sid(prefix, sid) {
            self.problem(format!(
                "{what} SID {sid:?} is not {prefix} followed by 32 hex digits"
            ));
        }
        if !self.seen.insert(sid.to_owned()) {
            self.problem(format!("duplicate SID {sid}"));
        }
    }

    /// Checks a service, its resources, builds and environments.
    fn service(&mut self, service: &Service) {
        self.sid("service", "ZS", &service.sid);
        for (kind, label) in [
            (ResourceKind::Function, "function"),
            (ResourceKind::Asset, "asset"),
        ] {
            for resource in service.resources(kind) {
                self.sid(label, "ZH", &resource.sid);
                for version in &resource.versions {
                    self.sid(&format!("{label} version"), "ZN", &version.sid);
                    if !version.path.starts_with('/') {
                        self.problem(format!(
                            "{label} version {}: path {:?} does not start with '/'",
                            version.sid, version.path
                        ));
                    }
                }
            }
        }
        for build in &service.builds {
            self.sid("build", "ZB", &build.sid);
            for (kind, entries, field, kinds) in [
                (
                    ResourceKind::Function,
                    &build.function_versions,
                    "function_versions",
                    "functions",
                ),
                (
                    ResourceKind::Asset,
                    &build.asset_versions,
                    "asset_versions",
                    "assets",
                ),
            ] {
                for entry in entries {
                    if service.find_version(kind, &entry.sid).is_none() {
                        self.problem(format!(
                            "build {}: {field} entry {} is not a version of service {}'s {kinds}",
                            build.sid, entry.sid, service.unique_name
                        ));
                    }
                }
            }
        }
        for environment in &service.environments {
            self.sid("environment", "ZE", &environment.sid);
            if let Some(build_sid) = &environment.build_sid
                && !service.builds.iter().any(|build| &build.sid == build_sid)
            {
                self.problem(format!(
                    "environment {}: build_sid {build_sid} is not a build of service {}",
                    environment.sid, service.unique_name
                ));
            }
        }
    }
}

/// True when `sid` is `prefix` followed by exactly 32 hex digits.
pub fn is_sid(prefix: &str, sid: &str) -> bool {
    sid.len() == 34
        && sid.starts_with(prefix)
        && sid[prefix.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
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
              - sid: ZN00000000000000000000000000000001
                path: /hello
                visibility: PUBLIC
        builds:
          - sid: ZB00000000000000000000000000000001
            function_versions:
              - ZN00000000000000000000000000000001
              - {sid: ZN00000000000000000000000000000001, bare: true}
        environments:
          - sid: ZE00000000000000000000000000000001
            unique_name: production
            build_sid: ZB00000000000000000000000000000001
          - sid: ZE00000000000000000000000000000002
            unique_name: dev-environment
            domain_suffix: dev
"#;

    #[test]
    fn parses_defaults_and_both_entry_spellings() {
        let world = World::from_yaml(MINIMAL).expect("valid world");
        let account = &world.accounts[0];
        assert_eq!(account.status, AccountStatus::Active);
        let service = &account.services[0];
        assert_eq!(service.friendly_name(), "svc");
        let base = service.domain_base();
        assert!(
            base.starts_with("svc-") && base.len() == "svc-".len() + 4,
            "{base}"
        );
        assert_eq!(
            service.environments[0].domain_name(service),
            format!("{base}.twil.io")
        );
        assert_eq!(
            service.environments[1].domain_name(service),
            format!("{base}-dev.twil.io")
        );
        let build = &service.builds[0];
        assert_eq!(build.status, "completed");
        assert_eq!(build.runtime, "node18");
        assert!(!build.function_versions[0].bare);
        assert!(build.function_versions[1].bare);
        assert_eq!(service.functions[0].versions[0].visibility, "PUBLIC");
        assert_eq!(service.functions[0].friendly_name(), "hello");
    }

    #[test]
    fn unknown_key_is_rejected_with_location() {
        let text = MINIMAL.replace(
            "friendly_name: Test",
            "friendly_name: Test\n    colour: blue",
        );
        let err = World::from_yaml(&text).expect_err("unknown key");
        let message = err.to_string();
        assert!(matches!(err, WorldError::Parse(_)));
        assert!(message.contains("colour"), "{message}");
        assert!(message.contains("line"), "{message}");
    }

    #[test]
    fn all_problems_are_reported_together() {
        let text = MINIMAL
            .replace(
                "sid: ZH00000000000000000000000000000001",
                "sid: ZX00000000000000000000000000000001",
            )
            .replace(
                "build_sid: ZB00000000000000000000000000000001",
                "build_sid: ZB0000000000000000000000000000000f",
            )
            .replace(
                "- ZN00000000000000000000000000000001\n",
                "- ZN00000000000000000000000000000009\n",
            )
            .replace(
                "sid: ZE00000000000000000000000000000002",
                "sid: ZE00000000000000000000000000000001",
            );
        let Err(WorldError::Invalid(problems)) = World::from_yaml(&text) else {
            panic!("expected validation problems");
        };
        let joined = problems.join("\n");
        assert!(joined.contains("function SID \"ZX"), "{joined}");
        assert!(
            joined.contains("ZN00000000000000000000000000000009 is not a version"),
            "{joined}"
        );
        assert!(
            joined.contains("build_sid ZB0000000000000000000000000000000f"),
            "{joined}"
        );
        assert!(
            joined.contains("duplicate SID ZE00000000000000000000000000000001"),
            "{joined}"
        );
        assert_eq!(problems.len(), 4, "{joined}");
    }

    #[test]
    fn asset_version_in_function_versions_is_rejected() {
        let text = MINIMAL.replace(
            "        builds:",
            "        assets:\n          - sid: ZH00000000000000000000000000000002\n            versions:\n              - {sid: ZN00000000000000000000000000000002, path: /a.css, visibility: public}\n        builds:",
        )
        .replace("- ZN00000000000000000000000000000001\n", "- ZN00000000000000000000000000000002\n");
        let Err(WorldError::Invalid(problems)) = World::from_yaml(&text) else {
            panic!("expected validation problems");
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("function_versions entry ZN00000000000000000000000000000002"));
    }

    #[test]
    fn sid_shape() {
        assert!(is_sid("AC", "ACabcdefABCDEF0123456789abcdef0123"));
        assert!(!is_sid("AC", "ACabc"));
        assert!(!is_sid("AC", "SKabcdefABCDEF0123456789abcdef0123"));
        assert!(!is_sid("AC", "ACabcdefABCDEF0123456789abcdef012g"));
    }
}
