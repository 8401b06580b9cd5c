//! Small text helpers shared by the renderers, the API client and the policy loader: escaping untrusted
//! text for terminals, and plurals.

/// Text from the API shown on a terminal: control characters (escape sequences, line breaks) are
/// printed escaped, so a crafted path cannot rewrite the screen or forge lines.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Unicode bidirectional controls, which can make a terminal show text in another order than it is.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `one` when `count` is 1, else `many`.
pub fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

/// `"{count} {noun}"` with the noun's plural when needed.
pub fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", plural(count, one, many))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("/a\u{1b}[31mred\nx"), "/a\\u{1b}[31mred\\nx");
        assert_eq!(clean("/gpj.\u{202e}exe"), "/gpj.\\u{202e}exe");
    }

    #[test]
    fn counts_take_the_right_noun() {
        assert_eq!(counted(1, "route", "routes"), "1 route");
        assert_eq!(counted(0, "route", "routes"), "0 routes");
    }
}
