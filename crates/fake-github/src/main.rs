//! The `fake-github` binary: serves the comment endpoints until killed, announcing the API's base URL on
//! the first stdout line.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use fake_github::FakeGitHub;

const USAGE: &str = "\
Usage: fake-github --token TOKEN --pull-request OWNER/REPO#N... [--login LOGIN] [--prefix PATH] [--addr HOST:PORT]

Serves a fake of GitHub's REST API for pull-request comments (list, create, update, delete).
The first line on stdout is `listening on http://HOST:PORT[PATH]`, the value for GITHUB_API_URL;
the server then runs until killed.

Options:
  --token TOKEN               the token clients must send (Authorization: Bearer TOKEN)
  --login LOGIN               who the token acts as [default: github-actions[bot]]
  --pull-request OWNER/REPO#N an open pull request; repeat for more
  --prefix PATH               serve the API under PATH, like GitHub Enterprise's /api/v3 [default: none]
  --addr HOST:PORT            address to listen on [default: 127.0.0.1:0, a free port]
  -h, --help                  print this help
";

/// Parsed command line.
#[derive(Debug)]
struct Args {
    token: String,
    login: String,
    pull_requests: Vec<(String, u64)>,
    prefix: String,
    addr: SocketAddr,
}

/// What the command line asks for.
#[derive(Debug)]
enum Command {
    Help,
    Serve(Args),
}

fn parse_pull_request(text: &str) -> Result<(String, u64), String> {
    let bad = || format!("--pull-request {text:?}: expected OWNER/REPO#NUMBER");
    let (repo, number) = text.split_once('#').ok_or_else(bad)?;
    let (owner, name) = repo.split_once('/').ok_or_else(bad)?;
    if owner.is_empty() || name.is_empty() || name.contains('/') {
        return Err(bad());
    }
    Ok((repo.to_owned(), number.parse().map_err(|_| bad())?))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut token = None;
    let mut login = "github-actions[bot]".to_owned();
    let mut pull_requests = Vec::new();
    let mut prefix = String::new();
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 0));
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--token" => token = Some(value("--token")?),
            "--login" => login = value("--login")?,
            "--pull-request" => pull_requests.push(parse_pull_request(&value("--pull-request")?)?),
            "--prefix" => prefix = value("--prefix")?,
            "--addr" => {
                let text = value("--addr")?;
                addr = text
                    .parse()
                    .map_err(|error| format!("--addr {text:?}: {error}"))?;
            }
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    let token = token.ok_or("--token TOKEN is required")?;
    if pull_requests.is_empty() {
        return Err("at least one --pull-request OWNER/REPO#N is required".to_owned());
    }
    Ok(Command::Serve(Args {
        token,
        login,
        pull_requests,
        prefix,
        addr,
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
            eprintln!("fake-github: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match FakeGitHub::start(args.addr, &args.prefix).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("fake-github: cannot listen on {}: {error}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    server.allow_token(&args.token, &args.login);
    for (repo, number) in &args.pull_requests {
        server.add_pull_request(repo, *number);
    }
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening on {}", server.api_url())
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
    fn parses_every_option() {
        let Ok(Command::Serve(args)) = parse(&[
            "--token",
            "t0k",
            "--pull-request",
            "acme/site#7",
            "--pull-request",
            "acme/api#12",
            "--login",
            "octocat",
            "--prefix",
            "/api/v3",
            "--addr",
            "127.0.0.1:8080",
        ]) else {
            panic!("expected serve");
        };
        assert_eq!(args.token, "t0k");
        assert_eq!(args.login, "octocat");
        assert_eq!(
            args.pull_requests,
            [("acme/site".to_owned(), 7), ("acme/api".to_owned(), 12)]
        );
        assert_eq!(args.prefix, "/api/v3");
        assert_eq!(args.addr.port(), 8080);
    }

    #[test]
    fn help_and_errors() {
        assert!(matches!(parse(&["--help"]), Ok(Command::Help)));
        assert!(parse(&[]).is_err());
        assert!(
            parse(&["--token", "t"]).is_err(),
            "a pull request is required"
        );
        assert!(
            parse(&["--pull-request", "a/b#1"]).is_err(),
            "a token is required"
        );
        for bad in ["a/b", "a#1", "a/b#x", "/b#1", "a/b/c#1"] {
            assert!(
                parse(&["--token", "t", "--pull-request", bad]).is_err(),
                "{bad}"
            );
        }
        assert!(parse(&["--token"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
