//! A stateful fake of Twilio's Serverless (v1) and Accounts (2010-04-01) APIs, seeded from a YAML world.
//!
//! It speaks Twilio's wire format: HTTP Basic auth (account SID + auth token, or API key + secret), list envelopes
//! with absolute paging URLs and opaque page tokens, and Twilio's error JSON. [`FakeTwilio::start`] serves a
//! [`World`] on a local port and records every request for tests to inspect. A world's [`Faults`] make it
//! misbehave on purpose: latency, a 429 concurrency cap, error statuses, dropped connections, slow or
//! truncated bodies, and paging links to another origin or back to the same page.

mod auth;
pub mod demo;
mod error;
pub mod faults;
pub mod generate;
mod paging;
mod render;
mod server;
pub mod world;

#[cfg(test)]
mod testclient;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use error::ApiError;
pub use faults::Faults;
pub use server::RequestRecord;
pub use world::{World, WorldError};

/// How long [`FakeTwilio::shutdown`] waits for open connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running fake Twilio server. Dropping it aborts the server task; [`FakeTwilio::shutdown`] stops it gracefully.
#[derive(Debug)]
pub struct FakeTwilio {
    addr: SocketAddr,
    state: Arc<server::AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeTwilio {
    /// Start serving `world` on `addr` (use "127.0.0.1:0" for a free port) on the current tokio runtime.
    pub async fn start(world: World, addr: SocketAddr) -> std::io::Result<FakeTwilio> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(server::AppState::new(world, format!("http://{addr}")));
        let app = server::router(state.clone())
            .into_make_service_with_connect_info::<faults::Connection>();
        let listener = faults::FaultyListener(listener);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                // Either an explicit stop or the sender being dropped ends the server.
                let _ = stopped.await;
            });
            if let Err(err) = serve.await {
                eprintln!("fake-twilio: server error: {err}");
            }
        });
        Ok(FakeTwilio {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, no trailing slash: the base of every URL the fake hands out.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request served so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests()
    }

    /// Number of requests served so far.
    pub fn request_count(&self) -> usize {
        self.state.request_count()
    }

    /// The most requests that were in flight at once, those the `max_in_flight` cap turned away included.
    pub fn peak_in_flight(&self) -> usize {
        self.state.fault_counters.peak_in_flight()
    }

    /// How many requests the `max_in_flight` cap answered with 429 / 20429.
    pub fn rejected_count(&self) -> usize {
        self.state.fault_counters.rejected()
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s), then stops.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod tests;
