//! The `fake-twilio` binary: announces its URL on the first line, serves the world, and rejects bad world files.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fake-twilio"))
}

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const DEMO_WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/worlds/demo.yaml");

/// Starts the binary with `args` and returns it with the `HOST:PORT` its first line announces.
fn serve(args: &[&str]) -> (Server, String) {
    let mut server = Server(
        binary()
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start fake-twilio"),
    );
    let stdout = server.0.stdout.take().expect("piped stdout");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .expect("read first line");
    let address = first_line
        .trim_end()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
        .to_string();
    (server, address)
}

/// The whole answer to an unauthenticated `GET /v1/Services`.
fn get_services(address: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    write!(
        stream,
        "GET /v1/Services HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read answer");
    answer
}

#[test]
fn serves_the_world_at_the_url_on_its_first_line() {
    let (_server, address) = serve(&["--world", DEMO_WORLD, "--addr", "127.0.0.1:0"]);
    let answer = get_services(&address);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains(r#""code":20003"#), "{answer}");
}

#[test]
fn fault_flags_inject_faults() {
    let (_server, address) = serve(&[
        "--world",
        DEMO_WORLD,
        "--latency-ms",
        "1",
        "--inject",
        "{when: {nth: 2}, then: {status: {code: 503, retry_after: 2}}}",
    ]);
    assert!(get_services(&address).starts_with("HTTP/1.1 401"));
    let second = get_services(&address);
    assert!(second.starts_with("HTTP/1.1 503"), "{second}");
    assert!(second.contains("retry-after: 2"), "{second}");
    assert!(second.contains(r#""code":20503"#), "{second}");
    let output = binary()
        .args([
            "--world",
            DEMO_WORLD,
            "--inject",
            "{when: {rate: 3}, then: reset}",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rate 3 is not between 0 and 1"), "{stderr}");
}

#[test]
fn a_bad_world_file_is_named_and_exits_2() {
    let dir = std::env::temp_dir().join(format!("fake-twilio-binary-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("world.yaml");
    std::fs::write(&path, "accounts:\n  - sid: AC1\n    colour: red\n").expect("write");
    let output = binary()
        .args(["--world", &path.to_string_lossy()])
        .output()
        .expect("run");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("world.yaml"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing announced for a world it cannot serve"
    );
}
