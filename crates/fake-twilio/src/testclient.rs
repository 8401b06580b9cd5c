//! A tiny HTTP/1.1 GET client over a raw TCP stream, so the crate's tests need no HTTP client dependency.

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::auth::base64_encode;

/// A response: status, headers, and body parsed as JSON (`Value::Null` when the body is empty or not JSON).
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub content_type: Option<String>,
    /// The status line and headers, as received.
    pub head: String,
    pub text: String,
    pub json: Value,
}

impl TestResponse {
    /// The value of header `name` (any case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Credentials for HTTP Basic auth.
pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64_encode(format!("{user}:{password}").as_bytes())
    )
}

/// Sends `METHOD url` (an absolute `http://host:port/...` URL) with an optional `Authorization` value and
/// returns every byte received until the server closes the connection, or the error that ended it.
pub async fn exchange(
    method: &str,
    url: &str,
    authorization: Option<&str>,
) -> std::io::Result<Vec<u8>> {
    let rest = url.strip_prefix("http://").expect("test URLs are http://");
    let (host, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).await?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(value) = authorization {
        head.push_str(&format!("Authorization: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    Ok(raw)
}

/// Sends `METHOD url` like [`exchange`] and parses the complete response.
pub async fn request(method: &str, url: &str, authorization: Option<&str>) -> TestResponse {
    let raw = exchange(method, url, authorization)
        .await
        .expect("a response from the fake");
    let raw = String::from_utf8(raw).expect("UTF-8 response");
    let (head, text) = raw.split_once("\r\n\r\n").expect("a complete response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let mut response = TestResponse {
        status,
        content_type: None,
        head: head.to_owned(),
        text: text.to_owned(),
        json: serde_json::from_str(text).unwrap_or(Value::Null),
    };
    response.content_type = response.header("content-type").map(str::to_owned);
    response
}

/// `GET url` with Basic credentials.
pub async fn get(url: &str, user: &str, password: &str) -> TestResponse {
    request("GET", url, Some(&basic(user, password))).await
}
