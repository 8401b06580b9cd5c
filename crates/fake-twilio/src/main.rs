//! The `fake-twilio` binary: serves a world file until killed, announcing its URL on the first stdout line.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use fake_twilio::{FakeTwilio, World};

const USAGE: &str = "\
Usage: fake-twilio --world FILE [--addr HOST:PORT]

Serves a fake Twilio Serverless (v1) and Accounts (2010-04-01) API seeded from a YAML world file.
The first line on stdout is `listening on http://HOST:PORT`; the server then runs until killed.

Options:
  --world FILE       the world file (YAML) to serve
  --addr HOST:PORT   address to listen on [default: 127.0.0.1:0, a free port]
  -h, --help         print this help
";

/// Parsed command line.
struct Args {
    world: String,
    addr: SocketAddr,
}

/// What the command line asks for.
enum Command {
    Help,
    Serve(Args),
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut world = None;
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 0));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--world" => world = Some(args.next().ok_or("--world needs a FILE")?),
            "--addr" => {
                let value = args.next().ok_or("--addr needs HOST:PORT")?;
                addr = value
                    .parse()
                    .map_err(|err| format!("--addr {value:?}: {err}"))?;
            }
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    let world = world.ok_or("--world FILE is required")?;
    Ok(Command::Serve(Args { world, addr }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Serve(args)) => args,
        Err(message) => {
            eprintln!("fake-twilio: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let world = match std::fs::read_to_string(&args.world) {
        Ok(text) => match World::from_yaml(&text) {
            Ok(world) => world,
            Err(err) => {
                eprintln!("fake-twilio: {}: {err}", args.world);
                return ExitCode::from(2);
            }
        },
        Err(err) => {
            eprintln!("fake-twilio: cannot read {}: {err}", args.world);
            return ExitCode::from(2);
        }
    };
    let server = match FakeTwilio::start(world, args.addr).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("fake-twilio: cannot listen on {}: {err}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening on {}", server.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn parses_world_and_addr() {
        let Ok(Command::Serve(args)) = parse(&["--world", "w.yaml", "--addr", "127.0.0.1:8080"])
        else {
            panic!("expected serve");
        };
        assert_eq!(args.world, "w.yaml");
        assert_eq!(args.addr.port(), 8080);
        let Ok(Command::Serve(args)) = parse(&["--world", "w.yaml"]) else {
            panic!("expected serve");
        };
        assert_eq!(args.addr.port(), 0);
    }

    #[test]
    fn help_and_errors() {
        assert!(matches!(parse(&["--help"]), Ok(Command::Help)));
        assert!(parse(&[]).is_err());
        assert!(parse(&["--world"]).is_err());
        assert!(parse(&["--world", "w", "--addr", "nope"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
