//! The `fake-github` binary: announces the API URL (with its prefix) on the first line, checks the token,
//! stores comments and pages them with absolute `Link` URLs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends one HTTP/1.1 request and returns the whole answer, headers included.
fn send(
    address: &str,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: &str,
) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    let auth = authorization.map_or(String::new(), |value| format!("Authorization: {value}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read answer");
    answer
}

#[test]
fn serves_comments_under_the_prefix_it_announces() {
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_fake-github"))
            .args([
                "--token",
                "t0ken",
                "--pull-request",
                "acme/site#7",
                "--prefix",
                "/api/v3",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start fake-github"),
    );
    let mut first_line = String::new();
    BufReader::new(server.0.stdout.take().expect("piped stdout"))
        .read_line(&mut first_line)
        .expect("read first line");
    let api_url = first_line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
        .to_owned();
    let address = api_url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/api/v3"))
        .unwrap_or_else(|| panic!("unexpected URL {api_url:?}"))
        .to_owned();
    let comments = "/api/v3/repos/acme/site/issues/7/comments";

    let answer = send(&address, "GET", comments, None, "");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        answer.contains(r#""message":"Requires authentication""#),
        "{answer}"
    );
    let answer = send(&address, "GET", comments, Some("Bearer wrong"), "");
    assert!(
        answer.contains(r#""message":"Bad credentials""#),
        "{answer}"
    );
    let answer = send(
        &address,
        "GET",
        "/api/v3/repos/acme/site/issues/8/comments",
        Some("Bearer t0ken"),
        "",
    );
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");

    for n in 0..3 {
        let answer = send(
            &address,
            "POST",
            comments,
            Some("Bearer t0ken"),
            &format!(r#"{{"body":"comment {n}"}}"#),
        );
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        assert!(
            answer.contains(r#""login":"github-actions[bot]""#),
            "{answer}"
        );
    }
    let answer = send(
        &address,
        "POST",
        comments,
        Some("Bearer t0ken"),
        r#"{"body":"  "}"#,
    );
    assert!(
        answer.starts_with("HTTP/1.1 422") && answer.contains("body cannot be blank"),
        "{answer}"
    );

    let answer = send(
        &address,
        "GET",
        &format!("{comments}?per_page=2"),
        Some("Bearer t0ken"),
        "",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let link = format!(
        "link: <{api_url}/repos/acme/site/issues/7/comments?per_page=2&page=2>; rel=\"next\", \
         <{api_url}/repos/acme/site/issues/7/comments?per_page=2&page=2>; rel=\"last\""
    );
    assert!(
        answer
            .to_ascii_lowercase()
            .contains(&link.to_ascii_lowercase()),
        "{answer}"
    );
    assert!(
        answer.contains("comment 1") && !answer.contains("comment 2"),
        "{answer}"
    );
}

#[test]
fn bad_arguments_exit_2_without_announcing_anything() {
    let output = Command::new(env!("CARGO_BIN_EXE_fake-github"))
        .args(["--token", "t", "--pull-request", "not-a-pr"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("OWNER/REPO#NUMBER"));
    assert!(output.stdout.is_empty());
}
