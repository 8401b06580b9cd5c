//! The inventory: plain data describing what an account serves, the only thing the policy ever looks at.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Everything that was read from one audit source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// The accounts that were read.
    pub accounts: Vec<Account>,
}

/// One Twilio account and its Serverless services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The account SID (`AC…`).
    pub sid: String,
    /// The services of the account, in the order the API listed them.
    pub services: Vec<Service>,
}

/// One Serverless service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// The service SID (`ZS…`).
    pub sid: String,
    /// The service's unique name.
    pub unique_name: String,
    /// The service's friendly name.
    pub friendly_name: String,
    /// The environments of the service that were audited.
    pub environments: Vec<Environment>,
}

/// One environment of a service and the routes its current build serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// The environment SID (`ZE…`).
    pub sid: String,
    /// The environment's unique name.
    pub unique_name: String,
    /// The domain suffix (empty for a production environment without one).
    pub domain_suffix: String,
    /// The domain the environment serves on, such as `portal-1234-dev.twil.io`.
    pub domain_name: String,
    /// The build currently deployed, or `None` when nothing is deployed.
    pub build_sid: Option<String>,
    /// The routes of the current build.
    pub routes: Vec<Route>,
}

/// Whether a route is a function or an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A Twilio Function.
    Function,
    /// A static asset.
    Asset,
}

impl Kind {
    /// The lower-case name used in policies and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::Asset => "asset",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who can reach a route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone with the URL.
    Public,
    /// Only requests signed with the account's auth token.
    Protected,
    /// Only other functions of the same service.
    Private,
    /// A value Twilio returned that twgate does not know; never treated as safe.
    Unknown(String),
}

impl Visibility {
    /// Parses the API's visibility string, case-insensitively.
    pub fn parse(raw: &str) -> Visibility {
        match raw.to_ascii_lowercase().as_str() {
            "public" => Visibility::Public,
            "protected" => Visibility::Protected,
            "private" => Visibility::Private,
            _ => Visibility::Unknown(raw.to_string()),
        }
    }

    /// The name shown in reports; an unknown value is shown as Twilio sent it.
    pub fn as_str(&self) -> &str {
        match self {
            Visibility::Public => "public",
            Visibility::Protected => "protected",
            Visibility::Private => "private",
            Visibility::Unknown(raw) => raw,
        }
    }

    /// [`Visibility::as_str`] without a copy for the known values.
    pub fn name(&self) -> Cow<'static, str> {
        match self {
            Visibility::Public => Cow::Borrowed("public"),
            Visibility::Protected => Cow::Borrowed("protected"),
            Visibility::Private => Cow::Borrowed("private"),
            Visibility::Unknown(raw) => Cow::Owned(raw.clone()),
        }
    }

    /// Whether a request from the internet can reach the route at its URL.
    pub fn is_reachable(&self) -> bool {
        !matches!(self, Visibility::Private)
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One path served by an environment's build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Function or asset.
    pub kind: Kind,
    /// The URL path, starting with `/`.
    pub path: String,
    /// The visibility of the deployed version.
    pub visibility: Visibility,
    /// The deployed version's SID (`ZN…`).
    pub version_sid: String,
    /// The function's or asset's SID (`ZH…`), when known.
    pub resource_sid: Option<String>,
}

impl Route {
    /// Routes a build serves for its versions: each version's own path, plus `/` for a public
    /// `/assets/index.html` (Twilio's runtime serves that asset at the root too).
    pub fn with_root_alias(self) -> Vec<Route> {
        let root = (self.kind == Kind::Asset
            && self.path == "/assets/index.html"
            && self.visibility == Visibility::Public)
            .then(|| Route {
                path: "/".to_string(),
                ..self.clone()
            });
        std::iter::once(self).chain(root).collect()
    }
}

/// The public URL of `path` on `domain_name`, or `None` for a route nobody outside the service can reach.
pub fn live_url(domain_name: &str, path: &str, visibility: &Visibility) -> Option<String> {
    visibility
        .is_reachable()
        .then(|| format!("https://{domain_name}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_is_case_insensitive_and_keeps_unknown_values() {
        assert_eq!(Visibility::parse("PUBLIC"), Visibility::Public);
        assert_eq!(Visibility::parse("Protected"), Visibility::Protected);
        assert_eq!(Visibility::parse("private"), Visibility::Private);
        assert_eq!(
            Visibility::parse("Semi-Public"),
            Visibility::Unknown("Semi-Public".into())
        );
        assert!(Visibility::parse("weird").is_reachable());
    }

    fn asset(path: &str, visibility: Visibility) -> Route {
        Route {
            kind: Kind::Asset,
            path: path.into(),
            visibility,
            version_sid: "ZN1".into(),
            resource_sid: None,
        }
    }

    #[test]
    fn public_assets_index_is_also_served_at_root() {
        let routes = asset("/assets/index.html", Visibility::Public).with_root_alias();
        let paths: Vec<_> = routes.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["/assets/index.html", "/"]);
    }

    #[test]
    fn other_assets_have_no_root_alias() {
        assert_eq!(
            asset("/index.html", Visibility::Public)
                .with_root_alias()
                .len(),
            1
        );
        assert_eq!(
            asset("/assets/index.html", Visibility::Private)
                .with_root_alias()
                .len(),
            1
        );
    }

    #[test]
    fn private_routes_have_no_url() {
        assert_eq!(live_url("a.twil.io", "/x", &Visibility::Private), None);
        assert_eq!(
            live_url("a.twil.io", "/x", &Visibility::Protected).as_deref(),
            Some("https://a.twil.io/x")
        );
    }
}
