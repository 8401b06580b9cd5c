//! The middleware that applies [`Faults`] around the real handlers, and the counters it keeps.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::response::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{Connection, Fault, Faults, draw};
use crate::error::ApiError;
use crate::server::AppState;

/// What the fault layer counts while serving.
#[derive(Debug, Default)]
pub struct FaultCounters {
    arrived: AtomicU64,
    /// Requests between arrival and answer, those being turned away included.
    open: AtomicUsize,
    peak_in_flight: AtomicUsize,
    /// Requests between arrival and answer that the cap let through.
    admitted: AtomicUsize,
    rejected: AtomicUsize,
    /// Per injection, how many requests matched its path so far.
    matched: Vec<AtomicU64>,
}

/// Marks a response the fault layer made or changed, with the fault's name, for the request log.
#[derive(Debug, Clone, Copy)]
pub struct Injected(pub &'static str);

impl FaultCounters {
    /// Counters for `faults`.
    pub fn new(faults: &Faults) -> FaultCounters {
        FaultCounters {
            matched: faults.inject.iter().map(|_| AtomicU64::new(0)).collect(),
            ..FaultCounters::default()
        }
    }

    /// The most requests in flight at once so far, those the cap turned away included.
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight.load(Ordering::SeqCst)
    }

    /// How many requests the `max_in_flight` cap answered with 429.
    pub fn rejected(&self) -> usize {
        self.rejected.load(Ordering::SeqCst)
    }

    /// Counts a request in, admitted unless `cap` requests already are; it is counted out when the
    /// returned guard drops.
    fn enter(&self, cap: Option<usize>) -> InFlight<'_> {
        let open = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(open, Ordering::SeqCst);
        let admitted = self.admitted.fetch_add(1, Ordering::SeqCst) + 1;
        let admitted = cap.is_none_or(|cap| admitted <= cap);
        if !admitted {
            self.admitted.fetch_sub(1, Ordering::SeqCst);
            self.rejected.fetch_add(1, Ordering::SeqCst);
        }
        InFlight {
            counters: self,
            admitted,
        }
    }

    /// The first injection that fires for a request to `path`; every matching injection counts it.
    fn pick<'a>(&self, faults: &'a Faults, path: &str) -> Option<&'a Fault> {
        let mut picked = None;
        for (stream, (injection, matched)) in faults.inject.iter().zip(&self.matched).enumerate() {
            if !injection.when.matches(path) {
                continue;
            }
            let count = matched.fetch_add(1, Ordering::SeqCst) + 1;
            let random = draw(faults.seed, stream as u64, count);
            if picked.is_none() && injection.when.fires(count, random) {
                picked = Some(&injection.then);
            }
        }
        picked
    }
}

/// A request in flight: counted out on drop.
struct InFlight<'a> {
    counters: &'a FaultCounters,
    admitted: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counters.open.fetch_sub(1, Ordering::SeqCst);
        if self.admitted {
            self.counters.admitted.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// The middleware: latency, the in-flight cap, then the first injected fault that fires, if any.
///
/// The latency counts from the request's arrival, as a real server's does: a normal answer is prepared
/// meanwhile and leaves when the latency is up (or when it is ready, if that takes longer). Faults and
/// 429s wait out the latency first.
pub async fn inject(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let faults = &state.world.faults;
    let counters = &state.fault_counters;
    let number = counters.arrived.fetch_add(1, Ordering::SeqCst);
    let in_flight = counters.enter(faults.max_in_flight);
    let answer_at = tokio::time::Instant::now() + faults.latency(number);
    if !in_flight.admitted {
        tokio::time::sleep_until(answer_at).await;
        return marked(
            ApiError::too_many_requests().into_response(),
            "max_in_flight",
        );
    }
    let Some(fault) = counters.pick(faults, request.uri().path()) else {
        let response = next.run(request).await;
        tokio::time::sleep_until(answer_at).await;
        return response;
    };
    tokio::time::sleep_until(answer_at).await;
    marked(
        apply(fault, &state.base_url, request, next).await,
        fault.name(),
    )
}

fn marked(mut response: Response, fault: &'static str) -> Response {
    response.extensions_mut().insert(Injected(fault));
    response
}

async fn apply(fault: &Fault, base_url: &str, request: Request, next: Next) -> Response {
    match fault {
        Fault::Status { code, retry_after } => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = ApiError::of_status(status).into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
            }
            response
        }
        Fault::Reset => {
            if let Some(ConnectInfo(connection)) =
                request.extensions().get::<ConnectInfo<Connection>>()
            {
                connection.drop_unanswered();
            }
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Fault::Stall { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            next.run(request).await
        }
        Fault::Redirect(location) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, location.clone())],
        )
            .into_response(),
        Fault::SlowBody {
            chunk_bytes,
            delay_ms,
        } => {
            let response = next.run(request).await;
            trickle(response, *chunk_bytes, Duration::from_millis(*delay_ms)).await
        }
        Fault::Truncate => {
            let response = next.run(request).await;
            rewrite(response, |bytes| bytes.slice(..bytes.len() / 2)).await
        }
        Fault::NextPageUrl(url) => {
            let response = next.run(request).await;
            rewrite(response, |bytes| next_page_set_to(bytes, url)).await
        }
        Fault::NextPageSelf => {
            let url = format!("{base_url}{}", request.uri());
            let response = next.run(request).await;
            rewrite(response, |bytes| next_page_set_to(bytes, &url)).await
        }
    }
}

/// `response`'s head and its whole body.
async fn read_body(response: Response) -> (Parts, Bytes) {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (parts, bytes)
}

/// `response` with its body replaced by `change(body)`.
async fn rewrite(response: Response, change: impl FnOnce(Bytes) -> Bytes) -> Response {
    let (mut parts, bytes) = read_body(response).await;
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(change(bytes)))
}

/// `response` with its body sent `chunk_bytes` at a time, with a pause of `delay` before each piece; the
/// `Content-Length` header announces the whole body from the start.
async fn trickle(response: Response, chunk_bytes: usize, delay: Duration) -> Response {
    let (mut parts, bytes) = read_body(response).await;
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let pieces = futures_util::stream::unfold(bytes, move |mut rest| async move {
        if rest.is_empty() {
            return None;
        }
        tokio::time::sleep(delay).await;
        let piece = rest.split_to(chunk_bytes.min(rest.len()));
        Some((Ok::<Bytes, std::convert::Infallible>(piece), rest))
    });
    Response::from_parts(parts, Body::from_stream(pieces))
}

/// A list page's JSON with `meta.next_page_url` set to `url`; any other body unchanged.
fn next_page_set_to(bytes: Bytes, url: &str) -> Bytes {
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut page) if page["meta"].is_object() => {
            page["meta"]["next_page_url"] = Value::String(url.to_owned());
            Bytes::from(page.to_string())
        }
        _ => bytes,
    }
}
