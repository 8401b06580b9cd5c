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

#[test]
fn serves_the_world_at_the_url_on_its_first_line() {
    let world = concat!(env!("CARGO_MANIFEST_DIR"), "/worlds/demo.yaml");
    let mut server = Server(
        binary()
            .args(["--world", world, "--addr", "127.0.0.1:0"])
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

    let mut stream = TcpStream::connect(&address).expect("connect");
    write!(
        stream,
        "GET /v1/Services HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read answer");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains(r#""code":20003"#), "{answer}");
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
