//! The JSON report (schema version 1): the whole [`Report`], for machines.

use super::Report;

/// Renders `report` as pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Streams [`render`]'s text to `out`, without holding it whole in memory.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    super::write_pretty_json(report, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{fixtures, golden::assert_golden};

    #[test]
    fn json_matches_the_golden_file() {
        assert_golden("report.json", &render(&fixtures::report()));
    }

    #[test]
    fn json_has_the_documented_top_level_shape() {
        let value: serde_json::Value =
            serde_json::from_str(&render(&fixtures::report())).expect("valid JSON");
        assert_eq!(value["schema_version"], 1);
        assert_eq!(value["complete"], true);
        for key in ["routes", "public", "protected", "private", "violations"] {
            assert!(value["summary"][key].is_u64(), "summary.{key}");
        }
        for key in [
            "account_sid",
            "service_sid",
            "service_name",
            "environment",
            "domain_name",
            "kind",
            "path",
            "url",
            "visibility",
            "verdict",
            "rule",
            "reason",
            "fingerprint",
        ] {
            assert!(value["results"][0].get(key).is_some(), "results[].{key}");
        }
    }
}
