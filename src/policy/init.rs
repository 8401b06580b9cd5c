//! `twgate policy init`: a starting policy that allows exactly what is public today, one rule per service
//! environment, each with a reason to fill in and an expiry, so an account can adopt the gate without
//! failing on day one and without accepting anything for ever.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Date;
use crate::report::Report;

/// How long the rules of a starting policy allow anything.
pub const STARTING_RULE_DAYS: i64 = 90;

/// Writes the starting policy for the routes of `report` (a complete audit) on `today`.
pub fn starting_policy(report: &Report, today: Date) -> String {
    let expires = today.plus_days(STARTING_RULE_DAYS);
    let mut public: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for finding in &report.results {
        match &*finding.visibility {
            "public" => public
                .entry((&finding.service_name, &finding.environment))
                .or_default()
                .push(&finding.path),
            "protected" | "private" => {}
            _ => unknown.push(finding),
        }
    }
    let mut out = format!(
        "# twgate policy, written by `twgate policy init` on {today} from what the account served then.\n\
         # Each rule allows routes that were public that day. Before committing this file:\n\
         #   - replace every TODO reason with why the routes may be public (reports show it),\n\
         #   - narrow the paths to globs you mean, or delete a rule and make its routes private or\n\
         #     protected (`.private` / `.protected` in the file name) and deploy again.\n\
         # The rules expire on {expires}: after that day their routes fail the gate again.\n\
         # Check it with: twgate policy validate FILE\n\
         version: 1\n"
    );
    if public.is_empty() {
        out.push_str("allow: []\n");
    } else {
        out.push_str("allow:\n");
    }
    for ((service, environment), paths) in &public {
        let _ = writeln!(
            out,
            "  - services: [{}]\n    environments: [{}]\n    reason: {}\n    expires: {expires}\n    paths:",
            quoted(service),
            quoted(environment),
            quoted(&format!(
                "TODO: why may these be public? ({} public on {today})",
                paths.len()
            )),
        );
        for path in paths {
            let _ = writeln!(out, "      - {}", quoted(&literal_glob(path)));
        }
    }
    out.push_str(
        "# Deny globs win over every allow rule; for example:\n\
         # deny:\n\
         #   - paths: [\"*.csv\", \"*.sql\", \"*.env\", \"*.log\"]\n\
         #     reason: data and configuration files must never be public\n",
    );
    for finding in unknown {
        let _ = writeln!(
            out,
            "# note: {} / {} {} has visibility {}, which no rule can allow: check it in the Twilio console.",
            finding.service_name,
            finding.environment,
            quoted(&finding.path),
            quoted(&finding.visibility)
        );
    }
    out
}

/// A glob that matches exactly `path`: glob metacharacters backslash-escaped.
fn literal_glob(path: &str) -> String {
    let mut glob = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\' | '!' | ',') {
            glob.push('\\');
        }
        glob.push(c);
    }
    glob
}

/// A YAML double-quoted scalar (JSON string syntax, which YAML reads the same way).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, PolicySource, glob::Case, glob::PathGlob};
    use crate::report::{fixtures, golden::assert_golden};

    fn today() -> Date {
        Date::parse("2026-12-03").expect("valid")
    }

    #[test]
    fn the_starting_policy_matches_the_golden_file_and_is_valid() {
        let text = starting_policy(&fixtures::report(), today());
        assert_golden("policy-init.yaml", &text);
        let policy = Policy::from_yaml(&text, PolicySource::Builtin("init")).expect("valid");
        assert_eq!(policy.allow.len(), 1);
        assert_eq!(
            policy.allow[0].expires,
            Some(Date::parse("2027-03-03").expect("valid"))
        );
    }

    #[test]
    fn literal_globs_match_only_their_path() {
        for path in [
            "/a*b",
            "/x[1].csv",
            "/{a,b}",
            "/q?.txt",
            "/back\\slash",
            "/!neg",
        ] {
            let glob = PathGlob::new(&literal_glob(path), Case::Sensitive).expect("valid glob");
            assert!(glob.is_match(path), "{path}");
            assert!(!glob.is_match("/aXb"), "{path}");
        }
    }
}
