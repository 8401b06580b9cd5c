//! HTTP Basic authentication against the world: account SID + auth token, or API key SID + secret.

use crate::error::ApiError;
use crate::world::{AccountStatus, World};

/// Resolves an `Authorization` header value to the index (in `world.accounts`) of the account it acts as.
///
/// Missing or wrong credentials give 401 / 20003; a suspended or closed account gives 403 / 20403.
pub fn authenticate(world: &World, authorization: Option<&str>) -> Result<usize, ApiError> {
    let (username, password) = authorization
        .and_then(parse_basic)
        .ok_or_else(ApiError::unauthenticated)?;
    let index = world
        .accounts
        .iter()
        .position(|account| {
            (account.sid == username && account.auth_token == password)
                || account
                    .api_keys
                    .iter()
                    .any(|key| key.sid == username && key.secret == password)
        })
        .ok_or_else(ApiError::unauthenticated)?;
    match world.accounts[index].status {
        AccountStatus::Active => Ok(index),
        AccountStatus::Suspended | AccountStatus::Closed => Err(ApiError::forbidden()),
    }
}

/// Splits `Basic base64(user:password)` into user and password.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Decodes standard base64 (padding optional); `None` on any invalid character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// Standard base64 with padding (used by tests to build `Authorization` headers).
#[cfg(test)]
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for text in ["", "a", "ab", "abc", "AC123:token/with+odd?chars"] {
            let encoded = base64_encode(text.as_bytes());
            assert_eq!(base64_decode(&encoded).as_deref(), Some(text.as_bytes()));
        }
        assert_eq!(base64_encode(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn parses_basic_header() {
        assert_eq!(
            parse_basic("Basic dXNlcjpwYXNz"),
            Some(("user".to_owned(), "pass".to_owned()))
        );
        assert_eq!(parse_basic("Bearer dXNlcjpwYXNz"), None);
        assert_eq!(parse_basic("Basic dXNlcnBhc3M="), None);
    }
}
