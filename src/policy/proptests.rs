//! Property tests of the policy loader: any file, any text, and any YAML document shaped like a policy with
//! keys, values, globs and dates, gives a policy or a list of located problems, never a panic.

use proptest::prelude::*;

use super::{Policy, PolicyError, PolicySource};

/// A YAML value to render as text.
#[derive(Debug, Clone)]
enum Doc {
    /// Written exactly as given: may be any scalar, or break the document.
    Plain(String),
    /// A double-quoted string.
    Quoted(String),
    Seq(Vec<Doc>),
    Map(Vec<(String, Doc)>),
}

impl Doc {
    /// Block style at `indent`; collections nested in a list item are written in flow style.
    fn block(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            Doc::Map(entries) if !entries.is_empty() => {
                for (key, value) in entries {
                    out.push_str(&format!("{pad}{key}:"));
                    value.after_key(indent, out);
                }
            }
            Doc::Seq(items) if !items.is_empty() => {
                for item in items {
                    match item {
                        Doc::Map(entries) if !entries.is_empty() => {
                            for (position, (key, value)) in entries.iter().enumerate() {
                                let lead = if position == 0 { "- " } else { "  " };
                                out.push_str(&format!("{pad}{lead}{key}: {}\n", value.flow()));
                            }
                        }
                        other => out.push_str(&format!("{pad}- {}\n", other.flow())),
                    }
                }
            }
            scalar => out.push_str(&format!("{pad}{}\n", scalar.flow())),
        }
    }

    /// The value after `key:`: inline when it is a scalar or empty, else on the next lines.
    fn after_key(&self, indent: usize, out: &mut String) {
        match self {
            Doc::Map(entries) if !entries.is_empty() => {
                out.push('\n');
                self.block(indent + 2, out);
            }
            Doc::Seq(items) if !items.is_empty() => {
                out.push('\n');
                self.block(indent + 2, out);
            }
            other => out.push_str(&format!(" {}\n", other.flow())),
        }
    }

    /// Flow style on one line.
    fn flow(&self) -> String {
        match self {
            Doc::Plain(text) => text.clone(),
            Doc::Quoted(text) => serde_json::to_string(text).expect("a string serialises"),
            Doc::Seq(items) => format!(
                "[{}]",
                items.iter().map(Doc::flow).collect::<Vec<_>>().join(", ")
            ),
            Doc::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(key, value)| format!("{key}: {}", value.flow()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        self.block(0, &mut out);
        out
    }
}

/// Globs from the characters globs are made of, valid or not (unclosed `[`, `{`, stray `\`…).
fn glob_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9/*?.{},\\[\\]!\\\\-]{0,24}",
        "/?(\\*\\*/)?[a-z]{1,6}(/\\*)?\\.(css|html|[a-z]{1,4})",
    ]
}

/// Dates in the policy's shape with any digits (month 13, day 31 of a short month, year 0000), or near it.
fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
        "[0-9-]{0,12}",
    ]
}

/// Any scalar a policy might hold, in the forms YAML reads differently.
fn scalar() -> impl Strategy<Value = Doc> {
    prop_oneof![
        glob_text().prop_map(Doc::Quoted),
        glob_text().prop_map(Doc::Plain),
        date_text().prop_map(Doc::Plain),
        any::<String>().prop_map(Doc::Quoted),
        "[a-zA-Z0-9 _.~-]{0,12}".prop_map(Doc::Plain),
        prop_oneof![
            Just("true"),
            Just("no"),
            Just("~"),
            Just("1"),
            Just("2"),
            Just("-0.5e3"),
            Just("function"),
            Just("asset"),
            Just("&a x"),
            Just("*a"),
            Just("!!binary aGk="),
        ]
        .prop_map(|text| Doc::Plain(text.to_string())),
    ]
}

/// Mapping keys: the policy's own, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop_oneof![
            Just("version"),
            Just("protected_requires_allow"),
            Just("allow"),
            Just("deny"),
            Just("paths"),
            Just("reason"),
            Just("services"),
            Just("environments"),
            Just("kinds"),
            Just("expires"),
        ]
        .prop_map(str::to_string),
        1 => "[a-z_]{1,8}",
        1 => "\"[^\"\\\\]{0,6}\"",
    ]
}

/// Any value: scalars, lists and mappings nested a few levels deep.
fn value() -> impl Strategy<Value = Doc> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Doc::Seq),
            prop::collection::vec((key(), inner), 0..6).prop_map(Doc::Map),
        ]
    })
}

/// A rule: mostly the keys a rule has, with values of the right type or not.
fn rule() -> impl Strategy<Value = Doc> {
    let paths = prop_oneof![
        glob_text().prop_map(Doc::Quoted),
        prop::collection::vec(glob_text().prop_map(Doc::Quoted), 0..4).prop_map(Doc::Seq),
        value(),
    ];
    let names = prop_oneof![
        prop::collection::vec("[a-z-]{0,8}".prop_map(Doc::Quoted), 0..3).prop_map(Doc::Seq),
        value(),
    ];
    let entry = prop_oneof![
        3 => paths.prop_map(|value| ("paths".to_string(), value)),
        3 => scalar().prop_map(|value| ("reason".to_string(), value)),
        1 => names.clone().prop_map(|value| ("services".to_string(), value)),
        1 => names.prop_map(|value| ("environments".to_string(), value)),
        1 => value().prop_map(|value| ("kinds".to_string(), value)),
        2 => date_text().prop_map(|date| ("expires".to_string(), Doc::Plain(date))),
        1 => (key(), value()),
    ];
    prop_oneof![
        6 => prop::collection::vec(entry, 0..7).prop_map(Doc::Map),
        1 => glob_text().prop_map(Doc::Quoted),
        1 => value(),
    ]
}

/// A policy-shaped document: the top-level keys with rule lists and flags, plus strays.
fn policy_document() -> impl Strategy<Value = Doc> {
    let entry = prop_oneof![
        3 => prop::collection::vec(rule(), 0..5).prop_map(|rules| ("allow".to_string(), Doc::Seq(rules))),
        3 => prop::collection::vec(rule(), 0..5).prop_map(|rules| ("deny".to_string(), Doc::Seq(rules))),
        1 => scalar().prop_map(|value| ("version".to_string(), value)),
        1 => scalar().prop_map(|value| ("protected_requires_allow".to_string(), value)),
        1 => (key(), value()),
    ];
    prop::collection::vec(entry, 0..5).prop_map(Doc::Map)
}

/// Loads `text`; a rejection must list at least one problem, each placed inside the text.
fn check(text: &str) -> Result<(), TestCaseError> {
    match Policy::from_yaml(text, PolicySource::Builtin("proptest.yaml")) {
        Ok(_) => Ok(()),
        Err(PolicyError::Invalid { problems, .. }) => {
            prop_assert!(!problems.is_empty());
            // YAML ends a line at "\r\n", "\r" or "\n"; a problem may sit just past the last line break.
            let lines = text.replace("\r\n", "\n").matches(['\r', '\n']).count() as u64 + 1;
            for problem in &problems {
                if let Some(at) = problem.at {
                    prop_assert!(
                        at.line >= 1 && at.line <= lines && at.column >= 1,
                        "problem {:?} at {at} is outside the text",
                        problem.message
                    );
                }
            }
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!("unexpected error {other}"))),
    }
}

proptest! {
    #[test]
    fn any_file_is_loaded_or_rejected(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let mut file = tempfile::NamedTempFile::new().expect("temporary file");
        std::io::Write::write_all(&mut file, &bytes).expect("write");
        match Policy::load(file.path()) {
            Ok(_) => {}
            Err(PolicyError::Invalid { problems, .. }) => prop_assert!(!problems.is_empty()),
            Err(other) => return Err(TestCaseError::fail(format!("unexpected error {other}"))),
        }
    }

    #[test]
    fn any_text_is_loaded_or_rejected(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn yaml_like_text_is_loaded_or_rejected(text in "[a-z:\\[\\]{}'\" \n\t*&!|>#,.0-9-]{0,160}") {
        check(&text)?;
    }

    #[test]
    fn any_yaml_document_is_loaded_or_rejected(document in value()) {
        check(&document.render())?;
    }

    #[test]
    fn policy_shaped_documents_are_loaded_or_rejected(document in policy_document()) {
        check(&document.render())?;
    }

    #[test]
    fn well_formed_rules_always_load(
        allow in prop::collection::vec(
            (
                prop::collection::vec("/(\\*\\*/)?[a-z]{1,6}(/\\*)?(\\.[a-z]{1,4})?", 1..4),
                "[a-z][a-z ]{0,20}",
                prop::option::of("20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"),
            ),
            0..6,
        ),
        deny in prop::collection::vec("\\*\\.[a-z]{1,4}", 0..6),
    ) {
        let mut text = String::from("version: 1\nallow:\n");
        for (paths, reason, expires) in &allow {
            text.push_str(&format!("  - paths: {paths:?}\n    reason: \"x {reason}\"\n"));
            if let Some(date) = expires {
                text.push_str(&format!("    expires: {date}\n"));
            }
        }
        text.push_str("deny:\n");
        for glob in &deny {
            text.push_str(&format!("  - \"{glob}\"\n"));
        }
        let policy = Policy::from_yaml(&text, PolicySource::Builtin("proptest.yaml"))
            .map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))?;
        prop_assert_eq!(policy.allow.len(), allow.len());
        prop_assert_eq!(policy.deny.len(), deny.len());
    }
}
