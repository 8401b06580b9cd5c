//! A YAML document read as a tree of values that each remember their line and column, so that a
//! policy's every problem can be reported at its place rather than stopping at the first.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A 1-based line and column in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: u64,
    /// Column, from 1.
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl Position {
    fn of<T>(spanned: &Spanned<T>) -> Position {
        Position {
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
        }
    }
}

/// A value of the document with the position where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the value starts.
    pub at: Position,
    /// The value.
    pub value: Value,
}

/// The shapes a YAML value can take.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number.
    Number(String),
    /// A string scalar.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping whose keys are strings, in document order.
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// Where the key is written.
    pub at: Position,
    /// The key's text.
    pub name: String,
}

impl Value {
    /// A short description of the value's type for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Parses `text` as one YAML document. The error is the parser's message and, when known, where it failed.
pub fn parse(text: &str) -> Result<Node, (Option<Position>, String)> {
    let spanned: Spanned<Value> = serde_saphyr::from_str(text).map_err(|error| {
        let at = error.location().map(|location| Position {
            line: location.line(),
            column: location.column(),
        });
        (at, tidy_parser_message(&error.to_string()))
    })?;
    Ok(Node {
        at: Position::of(&spanned),
        value: spanned.value,
    })
}

/// The parser's message as a user should read it: its first line (a source snippet may follow), without
/// the position (reported separately) and without advice about the library's own options.
fn tidy_parser_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let first = match (first.strip_prefix("line "), first.find(": ")) {
        (Some(_), Some(colon)) if first[..colon].contains(" column ") => &first[colon + 2..],
        _ => first,
    };
    if first.contains("budget breached") {
        return "the document is larger or more deeply nested than a policy can be (too many nodes, aliases or levels)"
            .to_string();
    }
    match first.split_once(", set DuplicateKeyPolicy") {
        Some((duplicate, _)) => format!(
            "{}: each key may appear once",
            duplicate.replace("duplicate mapping key", "duplicate key")
        ),
        None => first.to_string(),
    }
}

fn node(spanned: Spanned<Value>) -> Node {
    Node {
        at: Position::of(&spanned),
        value: spanned.value,
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Value>>()? {
            items.push(node(item));
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<Value>>()?;
            let key = Key {
                at: Position::of(&key),
                name: key.value.0,
            };
            entries.push((key, node(value)));
        }
        Ok(Value::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// A mapping key: any scalar, kept as the text it was written as.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KeyText, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) | Value::Number(text) => Ok(KeyText(text)),
            Value::Bool(flag) => Ok(KeyText(flag.to_string())),
            Value::Null => Ok(KeyText("~".to_string())),
            other => Err(de::Error::custom(format!(
                "a mapping key must be a plain value, not {}",
                other.type_name()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_values_keep_their_positions() {
        let doc = parse("allow:\n  - paths: ['/a']\n    reason: x\n").expect("valid yaml");
        let Value::Map(top) = doc.value else {
            panic!("not a map")
        };
        assert_eq!(top[0].0.name, "allow");
        assert_eq!(top[0].0.at, Position { line: 1, column: 1 });
        let Value::Seq(rules) = &top[0].1.value else {
            panic!("not a seq")
        };
        let Value::Map(rule) = &rules[0].value else {
            panic!("not a map")
        };
        assert_eq!(rule[1].0.name, "reason");
        assert_eq!(rule[1].0.at, Position { line: 3, column: 5 });
        assert_eq!(
            rule[1].1.at,
            Position {
                line: 3,
                column: 13
            }
        );
        let Value::Seq(paths) = &rule[0].1.value else {
            panic!("not a seq")
        };
        assert_eq!(paths[0].value, Value::String("/a".into()));
        assert_eq!(
            paths[0].at,
            Position {
                line: 2,
                column: 13
            }
        );
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let (at, message) = parse("allow: [\n").expect_err("invalid yaml");
        assert!(at.is_some(), "{message}");
        assert!(!message.is_empty());
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let (at, message) = parse("deny: []\ndeny: []\n").expect_err("duplicate key");
        assert_eq!(at.map(|p| p.line), Some(2), "{message}");
        assert_eq!(message, "duplicate key: deny: each key may appear once");
    }

    #[test]
    fn parser_messages_carry_no_position_or_library_advice() {
        let (_, message) = parse("allow:\n\t- x\n").expect_err("tab");
        assert!(!message.contains("line "), "{message}");
        let mut bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n".to_string();
        for (name, previous) in ["b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g"])
        {
            let items = vec![format!("*{previous}"); 10].join(",");
            bomb.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        let (_, message) = parse(&bomb).expect_err("alias bomb");
        assert!(
            message.starts_with("the document is larger or more deeply nested"),
            "{message}"
        );
    }

    #[test]
    fn scalars_keep_their_types() {
        let doc = parse("[1, true, ~, text, 2026-01-01]").expect("valid yaml");
        let Value::Seq(items) = doc.value else {
            panic!("not a seq")
        };
        let values: Vec<_> = items.into_iter().map(|n| n.value).collect();
        assert_eq!(
            values,
            [
                Value::Number("1".into()),
                Value::Bool(true),
                Value::Null,
                Value::String("text".into()),
                Value::String("2026-01-01".into()),
            ]
        );
    }
}
