//! The `fake-twilio` binary: serves a world file until killed, announcing its URL on the first stdout line.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use fake_twilio::faults::Injection;
use fake_twilio::{FakeTwilio, World};

const USAGE: &str = "\
Usage: fake-twilio --world FILE [--addr HOST:PORT] [FAULT OPTIONS]

Serves a fake Twilio Serverless (v1) and Accounts (2010-04-01) API seeded from a YAML world file.
The first line on stdout is `listening on http://HOST:PORT`; the server then runs until killed.

Options:
  --world FILE       the world file (YAML) to serve
  --addr HOST:PORT   address to listen on [default: 127.0.0.1:0, a free port]
  -h, --help         print this help

Fault options (each overrides the world file's `faults:` setting of the same name):
  --latency-ms MS           fixed latency of every answer, counted from its request's arrival
  --latency-jitter-ms MS    extra latency, uniform in 0..=MS, from the seeded draws
  --max-in-flight N         above N requests in flight, answer 429 with Twilio's 20429 body
  --seed N                  seed of the pseudo-random draws (jitter, `rate` triggers)
  --inject YAML             add one injected fault, written as in `faults.inject`, e.g.
                            '{when: {nth: 2}, then: {status: {code: 503, retry_after: 1}}}'
                            or '{when: {path: /v1/Services, rate: 0.5}, then: reset}'; repeatable
";

/// Parsed command line.
struct Args {
    world: String,
    addr: SocketAddr,
    overrides: FaultOverrides,
}

/// Fault settings given on the command line.
#[derive(Default)]
struct FaultOverrides {
    latency_ms: Option<u64>,
    latency_jitter_ms: Option<u64>,
    max_in_flight: Option<usize>,
    seed: Option<u64>,
    inject: Vec<Injection>,
}

impl FaultOverrides {
    /// Applies these settings to `world`'s faults; injections are added after the world's own.
    fn apply(self, world: &mut World) {
        let faults = &mut world.faults;
        faults.latency_ms = self.latency_ms.unwrap_or(faults.latency_ms);
        faults.latency_jitter_ms = self.latency_jitter_ms.unwrap_or(faults.latency_jitter_ms);
        faults.max_in_flight = self.max_in_flight.or(faults.max_in_flight);
        faults.seed = self.seed.unwrap_or(faults.seed);
        faults.inject.extend(self.inject);
    }
}

/// The value after `flag`, parsed.
fn value<T: std::str::FromStr>(
    flag: &str,
    args: &mut impl Iterator<Item = String>,
) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let text = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
    text.parse()
        .map_err(|err| format!("{flag} {text:?}: {err}"))
}

/// What the command line asks for.
enum Command {
    Help,
    Serve(Args),
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut world = None;
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut overrides = FaultOverrides::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--world" => world = Some(args.next().ok_or("--world needs a FILE")?),
            "--addr" => addr = value("--addr", &mut args)?,
            "--latency-ms" => overrides.latency_ms = Some(value(&arg, &mut args)?),
            "--latency-jitter-ms" => overrides.latency_jitter_ms = Some(value(&arg, &mut args)?),
            "--max-in-flight" => overrides.max_in_flight = Some(value(&arg, &mut args)?),
            "--seed" => overrides.seed = Some(value(&arg, &mut args)?),
            "--inject" => {
                let text: String = value(&arg, &mut args)?;
                let injection = serde_saphyr::from_str(&text)
                    .map_err(|err| format!("--inject {text:?}: {err}"))?;
                overrides.inject.push(injection);
            }
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    let world = world.ok_or("--world FILE is required")?;
    Ok(Command::Serve(Args {
        world,
        addr,
        overrides,
    }))
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
    let mut world = match std::fs::read_to_string(&args.world) {
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
    args.overrides.apply(&mut world);
    if let Err(err) = world.validate() {
        eprintln!("fake-twilio: the fault options: {err}");
        return ExitCode::from(2);
    }
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
        assert!(parse(&["--world", "w", "--latency-ms", "-1"]).is_err());
        assert!(parse(&["--world", "w", "--inject", "{then: explode}"]).is_err());
    }

    #[test]
    fn fault_flags_override_the_world_file() {
        let Ok(Command::Serve(args)) = parse(&[
            "--world",
            "w.yaml",
            "--latency-ms",
            "20",
            "--max-in-flight",
            "100",
            "--seed",
            "9",
            "--inject",
            "{when: {nth: 2}, then: {status: {code: 503, retry_after: 1}}}",
            "--inject",
            "{then: reset}",
        ]) else {
            panic!("expected serve");
        };
        let mut world = fake_twilio::demo::world();
        world.faults.latency_ms = 5;
        world.faults.latency_jitter_ms = 3;
        world.faults.max_in_flight = Some(7);
        args.overrides.apply(&mut world);
        let faults = &world.faults;
        assert_eq!(
            (
                faults.latency_ms,
                faults.latency_jitter_ms,
                faults.max_in_flight,
                faults.seed
            ),
            (20, 3, Some(100), 9)
        );
        assert_eq!(faults.inject.len(), 2);
        assert_eq!(faults.inject[0].when.nth, Some(2));
        assert_eq!(
            faults.inject[0].then,
            fake_twilio::faults::Fault::Status {
                code: 503,
                retry_after: Some(1)
            }
        );
        assert_eq!(faults.inject[1].then, fake_twilio::faults::Fault::Reset);
    }
}
