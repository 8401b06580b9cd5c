//! Diagnostics on standard error through `tracing`: `-v` shows each API request (URL, status, time, size)
//! and each retry, `-vv` also each page read and more. Only twgate's own events are shown, never those of
//! the HTTP libraries underneath, and no event of twgate's carries a credential.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// Sends twgate's events to standard error, at a level set by the number of `-v`: none shows warnings
/// only, one adds requests and retries, two adds details, three everything.
pub fn init(verbosity: u8) {
    let level = match verbosity {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let layer = fmt::layer()
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .with_filter(level)
        .with_filter(filter_fn(|metadata| {
            metadata.target().split("::").next() == Some("twgate")
        }));
    // A second call (the tests run several audits in one process) keeps the first subscriber.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
