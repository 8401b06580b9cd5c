//! The demo world: the fictional "Acme Health" account with leaky and clean Serverless services (worlds/demo.yaml).

use crate::world::World;

/// The demo world's YAML source.
pub const YAML: &str = include_str!("../worlds/demo.yaml");

/// SID of the demo's main account, "Acme Health" (fake; valid only against fake-twilio).
pub const ACCOUNT_SID: &str = "ACd851a9d325c1dfd0009957b81bb57a1c";
/// Auth token of [`ACCOUNT_SID`].
pub const AUTH_TOKEN: &str = "9d944422e638bf48d971123c727d8612";
/// An API key of [`ACCOUNT_SID`].
pub const API_KEY_SID: &str = "SK5613995535aae09def37a75efc2fc8e2";
/// Secret of [`API_KEY_SID`].
pub const API_KEY_SECRET: &str = "d1d8d7d4790b84fc9340f00edb91f674";
/// SID of the active subaccount "Acme Health Research" (owns the `research-dashboard` service).
pub const SUBACCOUNT_SID: &str = "ACaa253747e3173bdc4152661879d47843";
/// Auth token of [`SUBACCOUNT_SID`].
pub const SUBACCOUNT_AUTH_TOKEN: &str = "b2a07e99c670a366900d0ebae0c9c8b0";
/// SID of the suspended subaccount "Acme Health Legacy" (its credentials get 403).
pub const SUSPENDED_SUBACCOUNT_SID: &str = "ACf2f1082ed0d376d344fb1109a01ae416";

/// The demo world, parsed and validated.
pub fn world() -> World {
    World::from_yaml(YAML)
        .expect("worlds/demo.yaml is embedded at compile time and checked by this module's tests")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::AccountStatus;

    #[test]
    fn demo_world_parses_and_validates() {
        let world = World::from_yaml(YAML).unwrap_or_else(|err| panic!("{err}"));
        let main = world.account(ACCOUNT_SID).expect("main account");
        assert_eq!(main.auth_token, AUTH_TOKEN);
        assert_eq!(main.friendly_name, "Acme Health");
        assert_eq!(main.api_keys[0].sid, API_KEY_SID);
        assert_eq!(main.api_keys[0].secret, API_KEY_SECRET);
        let research = world.account(SUBACCOUNT_SID).expect("subaccount");
        assert_eq!(research.auth_token, SUBACCOUNT_AUTH_TOKEN);
        assert_eq!(research.owner_account_sid.as_deref(), Some(ACCOUNT_SID));
        let legacy = world
            .account(SUSPENDED_SUBACCOUNT_SID)
            .expect("suspended subaccount");
        assert_eq!(legacy.status, AccountStatus::Suspended);
        let names: Vec<&str> = main
            .services
            .iter()
            .map(|s| s.unique_name.as_str())
            .collect();
        assert_eq!(names, ["patient-portal", "ivr-flows", "marketing-site"]);
    }

    #[test]
    fn production_portal_serves_the_leaks() {
        let world = world();
        let portal = &world.account(ACCOUNT_SID).expect("main").services[0];
        let production = portal
            .environments
            .iter()
            .find(|env| env.unique_name == "production")
            .expect("production environment");
        assert_eq!(
            production.domain_name(portal),
            "patient-portal-4821.twil.io"
        );
        let build_sid = production.build_sid.as_deref().expect("deployed");
        let build = portal
            .builds
            .iter()
            .find(|b| b.sid == build_sid)
            .expect("build");
        let live: Vec<(&str, &str)> = build
            .function_versions
            .iter()
            .filter_map(|e| portal.find_version(crate::world::ResourceKind::Function, &e.sid))
            .chain(
                build
                    .asset_versions
                    .iter()
                    .filter_map(|e| portal.find_version(crate::world::ResourceKind::Asset, &e.sid)),
            )
            .map(|(_, v)| (v.path.as_str(), v.visibility.as_str()))
            .collect();
        assert!(live.contains(&("/call-log", "public")));
        assert!(live.contains(&("/exports/customers.csv", "PUBLIC")));
        assert!(live.contains(&("/config.json", "private")));
        assert!(!live.iter().any(|(path, _)| *path == "/admin/export"));
    }
}
