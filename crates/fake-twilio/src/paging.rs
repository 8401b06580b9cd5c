//! Twilio-style paging: `PageSize` / `Page` / `PageToken` parsing, page windows, and the v1 `meta` and 2010 envelopes.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::error::ApiError;

/// Page size when the client sends none.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest page size Twilio accepts.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Mixed into the offset so that tokens do not read as plain numbers: clients must treat them as opaque.
const TOKEN_MASK: u64 = 0x5f3a_91c4_0d2e_b768;

/// A parsed paging request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page, 1..=1000.
    pub page_size: usize,
    /// Page index as the client counts it (client state, echoed back).
    pub page: usize,
    /// Index of the first item of this page.
    pub offset: usize,
    /// The token the client sent, echoed in `url`.
    token: Option<String>,
}

impl PageRequest {
    /// Reads `PageSize`, `Page` and `PageToken`. Without a token the offset is `Page * PageSize`.
    pub fn from_query(query: &HashMap<String, String>) -> Result<PageRequest, ApiError> {
        let page_size = match query.get("PageSize") {
            None => DEFAULT_PAGE_SIZE,
            Some(raw) => match raw.parse::<usize>() {
                Ok(size) if (1..=MAX_PAGE_SIZE).contains(&size) => size,
                _ => {
                    return Err(ApiError::invalid_parameter(format!(
                        "Invalid PageSize {raw:?}: must be an integer between 1 and {MAX_PAGE_SIZE}"
                    )));
                }
            },
        };
        let page = match query.get("Page") {
            None => 0,
            Some(raw) => raw.parse::<usize>().map_err(|_| {
                ApiError::invalid_parameter(format!(
                    "Invalid Page {raw:?}: must be a non-negative integer"
                ))
            })?,
        };
        let (offset, token) = match query.get("PageToken") {
            None => (page.saturating_mul(page_size), None),
            Some(token) => (
                decode_token(token).ok_or_else(|| {
                    ApiError::invalid_parameter(format!("Invalid PageToken {token:?}"))
                })?,
                Some(token.clone()),
            ),
        };
        Ok(PageRequest {
            page_size,
            page,
            offset,
            token,
        })
    }

    /// The items of this page.
    pub fn window<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = self.offset.min(items.len());
        let end = self.offset.saturating_add(self.page_size).min(items.len());
        &items[start..end]
    }

    /// The v1 `meta` object for a list of `total` items at `base_url` + `path`; all URLs absolute.
    pub fn v1_meta(&self, base_url: &str, path: &str, key: &str, total: usize) -> Value {
        let link = |query: String| format!("{base_url}{path}?{query}");
        let (first, current, previous, next) = self.links(&[], total);
        json!({
            "first_page_url": link(first),
            "key": key,
            "next_page_url": next.map(link),
            "page": self.page,
            "page_size": self.page_size,
            "previous_page_url": previous.map(link),
            "url": link(current),
        })
    }

    /// The 2010-04-01 list envelope: `key` holds `items`, URIs are relative to the API host and carry `filters`.
    pub fn v2010_envelope(
        &self,
        path: &str,
        filters: &[(&str, &str)],
        key: &str,
        items: Vec<Value>,
        total: usize,
    ) -> Value {
        let link = |query: String| format!("{path}?{query}");
        let (first, current, previous, next) = self.links(filters, total);
        let start = self.offset;
        let end = if items.is_empty() {
            start
        } else {
            start + items.len() - 1
        };
        let mut envelope = json!({
            "end": end,
            "first_page_uri": link(first),
            "next_page_uri": next.map(link),
            "page": self.page,
            "page_size": self.page_size,
            "previous_page_uri": previous.map(link),
            "start": start,
            "uri": link(current),
        });
        envelope[key] = Value::Array(items);
        envelope
    }

    /// Query strings of the first, current, previous and next pages.
    fn links(
        &self,
        filters: &[(&str, &str)],
        total: usize,
    ) -> (String, String, Option<String>, Option<String>) {
        let query = |page: usize, token: Option<&str>| {
            let mut parts: Vec<String> = filters
                .iter()
                .map(|(name, value)| format!("{name}={}", percent_encode(value)))
                .collect();
            parts.push(format!("PageSize={}", self.page_size));
            parts.push(format!("Page={page}"));
            if let Some(token) = token {
                parts.push(format!("PageToken={}", percent_encode(token)));
            }
            parts.join("&")
        };
        let next_offset = self.offset.saturating_add(self.page_size);
        let next =
            (next_offset < total).then(|| query(self.page + 1, Some(&encode_token(next_offset))));
        let previous = (self.offset > 0).then(|| {
            let previous_offset = self.offset.saturating_sub(self.page_size);
            query(
                self.page.saturating_sub(1),
                Some(&encode_token(previous_offset)),
            )
        });
        (
            query(0, None),
            query(self.page, self.token.as_deref()),
            previous,
            next,
        )
    }
}

/// An opaque token for a page starting at `offset`.
fn encode_token(offset: usize) -> String {
    format!("PT{:016x}", (offset as u64) ^ TOKEN_MASK)
}

/// The offset a token of [`encode_token`] stands for; `None` if it is not one.
fn decode_token(token: &str) -> Option<usize> {
    let hex = token.strip_prefix("PT")?;
    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let offset = u64::from_str_radix(hex, 16).ok()? ^ TOKEN_MASK;
    usize::try_from(offset).ok()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults() {
        let request = PageRequest::from_query(&HashMap::new()).expect("defaults are valid");
        assert_eq!(
            (request.page_size, request.page, request.offset),
            (50, 0, 0)
        );
    }

    #[test]
    fn bad_page_size_and_token_are_400() {
        for pairs in [
            [("PageSize", "0")],
            [("PageSize", "1001")],
            [("PageSize", "x")],
            [("PageToken", "PT12")],
            [("PageToken", "garbage")],
            [("Page", "-1")],
        ] {
            let err = PageRequest::from_query(&query(&pairs)).expect_err("invalid");
            assert_eq!((err.status.as_u16(), err.code), (400, 20001), "{pairs:?}");
        }
    }

    #[test]
    fn tokens_round_trip_and_do_not_show_the_offset() {
        for offset in [0, 1, 2, 50, 999_999] {
            let token = encode_token(offset);
            assert_eq!(decode_token(&token), Some(offset));
            assert_ne!(token, format!("PT{offset:016x}"));
        }
    }

    #[test]
    fn walks_pages_of_two() {
        let items = [1, 2, 3, 4, 5];
        let mut request = PageRequest::from_query(&query(&[("PageSize", "2")])).expect("valid");
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            seen.extend_from_slice(request.window(&items));
            pages += 1;
            let meta = request.v1_meta("http://h:1", "/v1/Things", "things", items.len());
            assert_eq!(meta["key"], "things");
            assert_eq!(meta["page"], pages - 1);
            assert_eq!(
                meta["first_page_url"],
                "http://h:1/v1/Things?PageSize=2&Page=0"
            );
            let Some(next) = meta["next_page_url"].as_str() else {
                break;
            };
            let (_, next_query) = next.split_once('?').expect("next has a query");
            assert!(next.starts_with("http://h:1/v1/Things?PageSize=2&Page="));
            let params: HashMap<String, String> = next_query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert!(params["PageToken"].starts_with("PT"));
            request = PageRequest::from_query(&params).expect("server-issued URL is valid");
            let url =
                request.v1_meta("http://h:1", "/v1/Things", "things", items.len())["url"].clone();
            assert_eq!(url, next);
        }
        assert_eq!(seen, items);
        assert_eq!(pages, 3);
    }

    #[test]
    fn v2010_envelope_is_relative_and_keeps_filters() {
        let request = PageRequest::from_query(&query(&[("PageSize", "1")])).expect("valid");
        let envelope = request.v2010_envelope(
            "/2010-04-01/Accounts.json",
            &[("FriendlyName", "Acme Health")],
            "accounts",
            vec![json!({"sid": "AC1"})],
            2,
        );
        assert_eq!(
            envelope["first_page_uri"],
            "/2010-04-01/Accounts.json?FriendlyName=Acme%20Health&PageSize=1&Page=0"
        );
        let next = envelope["next_page_uri"].as_str().expect("a next page");
        assert!(next.starts_with(
            "/2010-04-01/Accounts.json?FriendlyName=Acme%20Health&PageSize=1&Page=1&PageToken=PT"
        ));
        assert_eq!(envelope["previous_page_uri"], Value::Null);
        assert_eq!(
            (envelope["start"].as_u64(), envelope["end"].as_u64()),
            (Some(0), Some(0))
        );
        assert_eq!(envelope["accounts"][0]["sid"], "AC1");
    }
}
