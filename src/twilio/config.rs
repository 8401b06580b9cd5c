//! Where to reach Twilio and with which credentials, read from the environment the Twilio CLI uses.

use std::fmt;

use memchr::memmem;
use reqwest::Url;

/// A secret (a Twilio auth token or API key secret, a GitHub token) that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How twgate authenticates: the account to audit, and the Basic-auth pair that reaches it.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account being audited (`AC…`).
    pub account_sid: String,
    /// The Basic-auth user: the account SID, or an API key SID (`SK…`).
    pub username: String,
    /// The auth token or API key secret.
    pub secret: Secret,
}

/// A configuration problem found before any request is made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{0}")]
    Missing(String),
    /// A variable is set to something that cannot be right.
    #[error("{0}")]
    Invalid(String),
}

impl Credentials {
    /// Reads `TWILIO_ACCOUNT_SID` with `TWILIO_AUTH_TOKEN`, or with `TWILIO_API_KEY` + `TWILIO_API_SECRET`
    /// (the API key wins when both are set). `lookup` reads one environment variable.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Credentials, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let account_sid = get("TWILIO_ACCOUNT_SID").ok_or_else(|| {
            ConfigError::Missing(
                "TWILIO_ACCOUNT_SID is not set: set it to the SID (AC…) of the account to audit, \
                 with TWILIO_AUTH_TOKEN, or with TWILIO_API_KEY and TWILIO_API_SECRET"
                    .to_string(),
            )
        })?;
        let account_sid = account_sid.trim().to_string();
        if !is_sid(&account_sid, "AC") {
            return Err(ConfigError::Invalid(format!(
                "TWILIO_ACCOUNT_SID must be an account SID: AC followed by 32 hexadecimal digits \
                 (it is {} characters long{})",
                account_sid.len(),
                if account_sid.starts_with("SK") {
                    " and starts with SK: that is an API key, which goes in TWILIO_API_KEY"
                } else {
                    ""
                }
            )));
        }
        match (get("TWILIO_API_KEY"), get("TWILIO_API_SECRET")) {
            (Some(key), Some(secret)) => {
                let key = key.trim().to_string();
                if !is_sid(&key, "SK") {
                    return Err(ConfigError::Invalid(
                        "TWILIO_API_KEY must be an API key SID: SK followed by 32 hexadecimal digits".to_string(),
                    ));
                }
                Ok(Credentials {
                    account_sid,
                    username: key,
                    secret: secret_from("TWILIO_API_SECRET", &secret)?,
                })
            }
            (Some(_), None) => Err(ConfigError::Missing(
                "TWILIO_API_KEY is set but TWILIO_API_SECRET is not: set the key's secret too"
                    .to_string(),
            )),
            (None, Some(_)) => Err(ConfigError::Missing(
                "TWILIO_API_SECRET is set but TWILIO_API_KEY is not: set the key's SID (SK…) too"
                    .to_string(),
            )),
            (None, None) => {
                let token = get("TWILIO_AUTH_TOKEN").ok_or_else(|| {
                    ConfigError::Missing(
                        "no secret: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET"
                            .to_string(),
                    )
                })?;
                Ok(Credentials {
                    username: account_sid.clone(),
                    account_sid,
                    secret: secret_from("TWILIO_AUTH_TOKEN", &token)?,
                })
            }
        }
    }

    /// What finds every form of the secret a server could echo: the secret itself and the Basic-auth
    /// value (base64 of `username:secret`, with or without padding).
    pub fn redactor(&self) -> Redactor {
        let secret = self.secret.expose();
        if secret.is_empty() {
            return Redactor { forms: Vec::new() };
        }
        let basic = base64(format!("{}:{secret}", self.username).as_bytes());
        let unpadded = basic.trim_end_matches('=').to_string();
        Redactor {
            forms: [basic, unpadded, secret.to_string()]
                .iter()
                .map(|form| memmem::Finder::new(form.as_bytes()).into_owned())
                .collect(),
        }
    }

    /// The environment variables a user should check when Twilio rejects these credentials.
    pub fn variables(&self) -> &'static str {
        if self.username.starts_with("SK") {
            "TWILIO_ACCOUNT_SID, TWILIO_API_KEY and TWILIO_API_SECRET"
        } else {
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        }
    }
}

/// The secret in `variable`, without the spaces or line break a copy and paste leaves around it. Anything
/// but visible ASCII inside it is an error that names the variable and never quotes the value.
fn secret_from(variable: &str, value: &str) -> Result<Secret, ConfigError> {
    let secret = value.trim();
    if secret.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Secret::new(secret))
    } else {
        Err(ConfigError::Invalid(format!(
            "{variable} holds a space, a line break or a character that is not printable ASCII: \
             copy it again from the Twilio console"
        )))
    }
}

/// Replaces every echo of one secret by `***`, in error messages, logs and everything read from the API.
/// Built once per audit by [`Credentials::redactor`]; its `Debug` shows nothing of the secret.
pub struct Redactor {
    forms: Vec<memmem::Finder<'static>>,
}

impl Redactor {
    /// `text` with every form of the secret replaced by `***`.
    pub fn text(&self, text: &str) -> String {
        let mut redacted = text.to_string();
        self.in_place(&mut redacted);
        redacted
    }

    /// Replaces every form of the secret in `text` by `***`; copies only when one is there.
    pub fn in_place(&self, text: &mut String) {
        for form in &self.forms {
            if let Some(replaced) = replace_all(text.as_bytes(), form) {
                // A match of a whole UTF-8 string starts and ends on character boundaries, so the
                // result is UTF-8 too.
                *text = String::from_utf8_lossy(&replaced).into_owned();
            }
        }
    }

    /// Replaces every form of the secret in `bytes` (an API answer, before it is parsed) by `***`;
    /// copies only when one is there.
    pub fn in_place_bytes(&self, bytes: &mut Vec<u8>) {
        for form in &self.forms {
            if let Some(replaced) = replace_all(bytes, form) {
                *bytes = replaced;
            }
        }
    }
}

#[cfg(test)]
impl Redactor {
    /// The redactor of an account whose secret is `secret`, for tests.
    pub fn for_secret(secret: &str) -> Redactor {
        Credentials {
            account_sid: "AC1".into(),
            username: "AC1".into(),
            secret: Secret::new(secret),
        }
        .redactor()
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor(***)")
    }
}

/// `haystack` with every match of `form` replaced by `***`, or `None` when there is none.
fn replace_all(haystack: &[u8], form: &memmem::Finder<'_>) -> Option<Vec<u8>> {
    let mut matches = form.find_iter(haystack).peekable();
    matches.peek()?;
    let mut out = Vec::with_capacity(haystack.len());
    let mut copied_up_to = 0;
    for start in matches {
        out.extend_from_slice(&haystack[copied_up_to..start]);
        out.extend_from_slice(b"***");
        copied_up_to = start + form.needle().len();
    }
    out.extend_from_slice(&haystack[copied_up_to..]);
    Some(out)
}

/// Standard base64 with padding (RFC 4648), as HTTP Basic auth encodes credentials.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for position in 0..4 {
            if position <= chunk.len() {
                out.push(char::from(
                    ALPHABET[(group >> (18 - 6 * position) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn is_sid(text: &str, prefix: &str) -> bool {
    text.len() == 34 && text.starts_with(prefix) && text[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The Serverless API's base URL: `api_url` when given and not empty, else the regional host named by
/// `TWILIO_REGION` / `TWILIO_EDGE`, else `https://serverless.twilio.com`.
pub fn api_base_url(
    api_url: Option<&str>,
    region: Option<&str>,
    edge: Option<&str>,
) -> Result<Url, ConfigError> {
    let lower = |value: Option<&str>| {
        value
            .map(|value| value.trim().to_ascii_lowercase())
            .filter(|value| !value.is_empty())
    };
    let (region, edge) = (lower(region), lower(edge));
    let (region, edge) = (region.as_deref(), edge.as_deref());
    let api_url = api_url.map(str::trim).filter(|url| !url.is_empty());
    let text = match (api_url, region, edge) {
        (Some(url), _, _) => url.to_string(),
        (None, None, None) => "https://serverless.twilio.com".to_string(),
        (None, region, edge) => {
            let region = region.unwrap_or("us1");
            let edge = match edge {
                Some(edge) => edge,
                None => default_edge(region).ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "TWILIO_REGION={region} has no default edge twgate knows: set TWILIO_EDGE too"
                    ))
                })?,
            };
            for (name, value) in [("TWILIO_REGION", region), ("TWILIO_EDGE", edge)] {
                if !value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                {
                    return Err(ConfigError::Invalid(format!(
                        "{name} may only hold letters, digits and dashes"
                    )));
                }
            }
            format!("https://serverless.{edge}.{region}.twilio.com")
        }
    };
    parse_base(&text)
}

fn default_edge(region: &str) -> Option<&'static str> {
    match region {
        "us1" => Some("ashburn"),
        "ie1" => Some("dublin"),
        "au1" => Some("sydney"),
        _ => None,
    }
}

/// `text` as an error may show it: any `user:password@` before the host replaced by `***@`, so a URL that
/// fails to parse cannot echo the credentials written into it.
fn without_userinfo(text: &str) -> String {
    let authority_start = text.find("://").map_or(0, |scheme_end| scheme_end + 3);
    let authority_end = text[authority_start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |end| authority_start + end);
    match text[authority_start..authority_end].rfind('@') {
        Some(at) => format!(
            "{}***{}",
            &text[..authority_start],
            &text[authority_start + at..]
        ),
        None => text.to_string(),
    }
}

fn parse_base(text: &str) -> Result<Url, ConfigError> {
    let shown = without_userinfo(text);
    let invalid = |why: &str| {
        ConfigError::Invalid(format!(
            "the API URL (--api-url or TWGATE_API_URL) \"{shown}\" {why}"
        ))
    };
    let url = Url::parse(text).map_err(|error| invalid(&format!("is not a URL ({error})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::Invalid(
            "the API URL must not contain credentials: set them in TWILIO_* variables".to_string(),
        ));
    }
    let host = url.host_str().ok_or_else(|| invalid("has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(invalid(
                "uses plain http to a host that is not this machine: credentials would cross the network unencrypted; use https",
            ));
        }
        _ => return Err(invalid("must start with https://")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    let mut base = url;
    let trimmed = base.path().trim_end_matches('/').to_string();
    base.set_path(&trimmed);
    Ok(base)
}

/// Whether `host` (a URL host, IPv6 in brackets or not) is this machine.
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn api_urls_that_do_not_parse_never_echo_their_credentials() {
        for text in [
            "http://u:hunter2@127.0.0.1:99999",
            "u:hunter2@127.0.0.1:1",
            "http://u:hunter2@[::1",
            "https://hunter2@/v1",
            "http://a:b@c:hunter2@127.0.0.1:99999/x?y",
        ] {
            let error = parse_base(text).expect_err(text).to_string();
            assert!(!error.contains("hunter2"), "{text}: {error}");
        }
        assert_eq!(
            without_userinfo("http://u:p@host:1/a@b"),
            "http://***@host:1/a@b"
        );
        assert_eq!(without_userinfo("https://host/a@b"), "https://host/a@b");
    }

    const AC: &str = "AC0123456789abcdef0123456789abcdef";
    const SK: &str = "SK0123456789abcdef0123456789abcdef";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn auth_token_credentials() {
        let creds = Credentials::from_env(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_AUTH_TOKEN", "tok"),
        ]))
        .expect("valid");
        assert_eq!(creds.username, AC);
        assert_eq!(creds.secret.expose(), "tok");
        assert_eq!(
            creds.variables(),
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        );
    }

    #[test]
    fn secrets_lose_the_whitespace_around_them_and_may_hold_none_inside() {
        for (variable, pairs) in [
            ("TWILIO_AUTH_TOKEN", vec![("TWILIO_AUTH_TOKEN", " tok\n")]),
            (
                "TWILIO_API_SECRET",
                vec![("TWILIO_API_KEY", SK), ("TWILIO_API_SECRET", "\tsec \r\n")],
            ),
        ] {
            let mut all = vec![("TWILIO_ACCOUNT_SID", AC)];
            all.extend(pairs.iter().copied());
            let creds = Credentials::from_env(env(&all)).expect(variable);
            assert!(matches!(creds.secret.expose(), "tok" | "sec"), "{variable}");
            let (_, value) = all.last_mut().expect("the secret");
            let broken = value.replace('o', "o\n").replace('e', "e ");
            *value = &broken;
            let error = Credentials::from_env(env(&all))
                .expect_err(variable)
                .to_string();
            assert!(
                error.starts_with(&format!("{variable} holds a space")),
                "{error}"
            );
            assert!(!error.contains(broken.trim()), "never quoted: {error}");
        }
        let error = Credentials::from_env(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_AUTH_TOKEN", "tök"),
        ]))
        .expect_err("not ASCII")
        .to_string();
        assert!(error.contains("not printable ASCII"), "{error}");
    }

    #[test]
    fn api_key_credentials_win_over_the_token() {
        let creds = Credentials::from_env(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_AUTH_TOKEN", "tok"),
            ("TWILIO_API_KEY", SK),
            ("TWILIO_API_SECRET", "sec"),
        ]))
        .expect("valid");
        assert_eq!(creds.username, SK);
        assert_eq!(creds.account_sid, AC);
        assert_eq!(creds.secret.expose(), "sec");
    }

    #[test]
    fn missing_or_malformed_variables_are_explained() {
        let error = |pairs: &[(&str, &str)]| {
            Credentials::from_env(env(pairs))
                .expect_err("invalid")
                .to_string()
        };
        assert!(error(&[]).contains("TWILIO_ACCOUNT_SID is not set"));
        assert!(error(&[("TWILIO_ACCOUNT_SID", AC)]).contains("TWILIO_AUTH_TOKEN"));
        assert!(
            error(&[("TWILIO_ACCOUNT_SID", "AC123"), ("TWILIO_AUTH_TOKEN", "t")])
                .contains("32 hexadecimal")
        );
        assert!(
            error(&[("TWILIO_ACCOUNT_SID", SK), ("TWILIO_AUTH_TOKEN", "t")])
                .contains("TWILIO_API_KEY")
        );
        assert!(
            error(&[("TWILIO_ACCOUNT_SID", AC), ("TWILIO_API_KEY", SK)])
                .contains("TWILIO_API_SECRET is not")
        );
        assert!(
            error(&[
                ("TWILIO_ACCOUNT_SID", AC),
                ("TWILIO_API_KEY", "x"),
                ("TWILIO_API_SECRET", "s")
            ])
            .contains("SK followed")
        );
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        let creds = Credentials {
            account_sid: AC.into(),
            username: AC.into(),
            secret,
        };
        assert!(!format!("{creds:?}").contains("hunter2"));
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn echoed_secrets_are_redacted_in_every_form() {
        let creds = Credentials {
            account_sid: AC.into(),
            username: AC.into(),
            secret: Secret::new("tok3n"),
        };
        let basic = base64(format!("{AC}:tok3n").as_bytes());
        let echoed = format!(
            "bad auth {AC}:tok3n, header Basic {basic}, unpadded {}",
            basic.trim_end_matches('=')
        );
        let redacted = creds.redactor().text(&echoed);
        assert!(
            !redacted.contains("tok3n") && !redacted.contains(basic.trim_end_matches('=')),
            "{redacted}"
        );
        assert!(redacted.contains(AC), "the SID is not secret");
    }

    #[test]
    fn text_is_copied_only_when_it_echoes_the_secret() {
        let creds = Credentials {
            account_sid: AC.into(),
            username: AC.into(),
            secret: Secret::new("tok3n"),
        };
        let redactor = creds.redactor();
        let mut clean = String::from("/calls");
        let before = clean.as_ptr();
        redactor.in_place(&mut clean);
        assert_eq!((clean.as_str(), clean.as_ptr()), ("/calls", before));
        assert_eq!(redactor.text("tok3ntok3n/tok3"), "******/tok3");
        assert_eq!(redactor.text("été tok3n"), "été ***");
        assert_eq!(format!("{redactor:?}"), "Redactor(***)");
        let mut answer = br#"{"message":"bad tok3n"}"#.to_vec();
        redactor.in_place_bytes(&mut answer);
        assert_eq!(answer, br#"{"message":"bad ***"}"#);
    }

    #[test]
    fn base_url_from_flag_region_and_edge() {
        let url = |a: Option<&str>, r: Option<&str>, e: Option<&str>| {
            api_base_url(a, r, e).map(|u| u.to_string())
        };
        assert_eq!(
            url(None, None, None).as_deref(),
            Ok("https://serverless.twilio.com/")
        );
        assert_eq!(
            url(None, Some("ie1"), None).as_deref(),
            Ok("https://serverless.dublin.ie1.twilio.com/")
        );
        assert_eq!(
            url(None, None, Some("sydney")).as_deref(),
            Ok("https://serverless.sydney.us1.twilio.com/")
        );
        assert_eq!(
            url(None, Some("au1"), Some("tokyo")).as_deref(),
            Ok("https://serverless.tokyo.au1.twilio.com/")
        );
        assert!(url(None, Some("jp1"), None).is_err());
        assert_eq!(
            url(Some(" "), Some("ie1"), None).as_deref(),
            Ok("https://serverless.dublin.ie1.twilio.com/"),
            "an empty TWGATE_API_URL is not set, as every other variable"
        );
        let error = url(Some("serverless"), None, None)
            .expect_err("not a URL")
            .to_string();
        assert!(
            error.starts_with(
                "the API URL (--api-url or TWGATE_API_URL) \"serverless\" is not a URL"
            ),
            "{error}"
        );
        assert_eq!(
            url(None, Some(" IE1 "), None).as_deref(),
            Ok("https://serverless.dublin.ie1.twilio.com/")
        );
        assert_eq!(
            url(Some("http://127.0.0.1:8080/"), Some("ie1"), None).as_deref(),
            Ok("http://127.0.0.1:8080/")
        );
        assert_eq!(
            url(Some("https://proxy.example/twilio/"), None, None).as_deref(),
            Ok("https://proxy.example/twilio")
        );
    }

    #[test]
    fn unsafe_base_urls_are_refused() {
        for bad in [
            "http://example.com",
            "ftp://x",
            "https://u:p@host",
            "not a url",
            "https://h/?a=b",
            "http://10.0.0.1",
        ] {
            assert!(api_base_url(Some(bad), None, None).is_err(), "{bad}");
        }
        assert!(api_base_url(Some("http://localhost:1"), None, None).is_ok());
        assert!(api_base_url(Some("http://[::1]:1"), None, None).is_ok());
    }
}
