//! The axum routes: GitHub's issue-comment endpoints over the [`Store`], with token auth, paging with
//! `Link` headers, GitHub's error JSON, injected faults and a request log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde_json::{Value, json};

use crate::store::{
    Fault, Operation, RequestRecord, Store, StoredComment, body_problem, page_range, repo_key,
    timestamp,
};

/// GitHub's default and largest page sizes.
const DEFAULT_PER_PAGE: usize = 30;
const MAX_PER_PAGE: usize = 100;

/// What every handler shares.
#[derive(Debug)]
pub struct Shared {
    store: Mutex<Store>,
    /// `http://HOST:PORT`: where the fake's "web" pages (`html_url`) live.
    web_url: String,
    /// `http://HOST:PORT{prefix}`: the REST API's base, used in every URL the fake hands out.
    api_url: String,
}

impl Shared {
    /// State for a server at `web_url` serving the API under `prefix` (empty or `/api/v3`-like).
    pub fn new(web_url: String, prefix: &str) -> Shared {
        Shared {
            store: Mutex::new(Store::default()),
            api_url: format!("{web_url}{prefix}"),
            web_url,
        }
    }

    /// The store, locked. A panic while it was held cannot leave it half-updated in a way tests rely on.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The API's base URL.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }
}

/// The router: the comment endpoints under `prefix` (empty, or a path such as `/api/v3`).
pub fn router(shared: Arc<Shared>, prefix: &str) -> Router {
    let api = Router::new()
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(list_comments).post(create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            patch(update_comment).delete(delete_comment),
        );
    let routed = if prefix.is_empty() {
        api
    } else {
        Router::new().nest(prefix, api)
    };
    routed
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

/// Appends every request, with its answer's status, to the log.
async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let auth_scheme = match request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    {
        None => "none",
        Some(value) if value.starts_with("Bearer ") => "bearer",
        Some(value) if value.starts_with("token ") => "token",
        Some(_) => "other",
    };
    let response = next.run(request).await;
    shared.store().log.push(RequestRecord {
        method,
        path,
        query,
        status: response.status().as_u16(),
        auth_scheme,
    });
    response
}

/// A GitHub error answer: `{"message", "documentation_url", "status"}` plus any extra fields and headers.
struct GitHubError {
    status: StatusCode,
    message: String,
    extra: Option<(&'static str, Value)>,
    headers: Vec<(&'static str, String)>,
}

impl GitHubError {
    fn new(status: StatusCode, message: impl Into<String>) -> GitHubError {
        GitHubError {
            status,
            message: message.into(),
            extra: None,
            headers: Vec::new(),
        }
    }

    fn not_found() -> GitHubError {
        GitHubError::new(StatusCode::NOT_FOUND, "Not Found")
    }

    fn validation(field_message: String) -> GitHubError {
        GitHubError {
            extra: Some((
                "errors",
                json!([{"resource": "IssueComment", "code": "custom", "field": "body", "message": field_message}]),
            )),
            ..GitHubError::new(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed")
        }
    }

    /// The answer an injected fault stands for; `None` for faults that do not answer by themselves.
    fn from_fault(fault: &Fault) -> Option<GitHubError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        Some(match fault {
            Fault::Forbidden => GitHubError::new(
                StatusCode::FORBIDDEN,
                "Resource not accessible by integration",
            ),
            Fault::Validation => GitHubError::validation("body is invalid".to_owned()),
            Fault::RateLimit => GitHubError {
                headers: vec![
                    ("x-ratelimit-limit", "1000".to_owned()),
                    ("x-ratelimit-remaining", "0".to_owned()),
                    ("x-ratelimit-used", "1000".to_owned()),
                    ("x-ratelimit-reset", (now + 1800).to_string()),
                    ("x-ratelimit-resource", "core".to_owned()),
                ],
                ..GitHubError::new(
                    StatusCode::FORBIDDEN,
                    "API rate limit exceeded for installation ID 4242.",
                )
            },
            Fault::SecondaryRateLimit => GitHubError {
                headers: vec![("retry-after", "60".to_owned())],
                ..GitHubError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                )
            },
            Fault::BadGateway | Fault::BadGatewayAfterCommit => {
                GitHubError::new(StatusCode::BAD_GATEWAY, "Server Error")
            }
            Fault::Delay(_) => return None,
        })
    }

    /// The response, quoting `authorization` in the message when the fake is set to echo it.
    fn into_response(self, echoed: Option<&str>) -> Response {
        let message = match echoed {
            Some(authorization) => {
                format!("{} (you sent Authorization: {authorization})", self.message)
            }
            None => self.message,
        };
        let mut body = json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": self.status.as_str(),
        });
        if let Some((key, value)) = self.extra {
            body[key] = value;
        }
        let mut response = json_response(self.status, &body);
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

async fn not_found(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let echoed = echoed_authorization(&shared, &headers);
    GitHubError::not_found().into_response(echoed.as_deref())
}

/// The `Authorization` header to quote in error messages, when the fake is set to echo it.
fn echoed_authorization(shared: &Shared, headers: &HeaderMap) -> Option<String> {
    if !shared.store().echo_authorization {
        return None;
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// What a handler knows once the caller is authenticated and the fault (if any) is taken.
struct Call {
    login: String,
    fault: Option<Fault>,
    echoed: Option<String>,
}

impl Call {
    fn error(&self, error: GitHubError) -> Response {
        error.into_response(self.echoed.as_deref())
    }
}

/// Authenticates the request, takes the fault queued for `operation`, and waits out a delay fault.
async fn begin(
    shared: &Shared,
    headers: &HeaderMap,
    operation: Operation,
) -> Result<Call, Response> {
    let echoed = echoed_authorization(shared, headers);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("token "))
        });
    let login = match token {
        None => {
            return Err(
                GitHubError::new(StatusCode::UNAUTHORIZED, "Requires authentication")
                    .into_response(echoed.as_deref()),
            );
        }
        Some(token) => token.and_then(|token| shared.store().login(token).map(str::to_owned)),
    };
    let Some(login) = login else {
        return Err(
            GitHubError::new(StatusCode::UNAUTHORIZED, "Bad credentials")
                .into_response(echoed.as_deref()),
        );
    };
    let fault = shared.store().take_fault(operation);
    if let Some(Fault::Delay(delay)) = fault {
        tokio::time::sleep(delay).await;
    }
    let call = Call {
        login,
        fault,
        echoed,
    };
    match call.fault.as_ref().and_then(GitHubError::from_fault) {
        Some(error) if call.fault != Some(Fault::BadGatewayAfterCommit) => Err(call.error(error)),
        _ => Ok(call),
    }
}

/// The answer to a request whose work is done: `ok`, or a 502 when the fault says so.
fn finish(call: &Call, ok: Response) -> Response {
    match call.fault {
        Some(Fault::BadGatewayAfterCommit) => {
            call.error(GitHubError::new(StatusCode::BAD_GATEWAY, "Server Error"))
        }
        _ => ok,
    }
}

type IssuePath = Path<(String, String, u64)>;
type CommentPath = Path<(String, String, u64)>;

async fn list_comments(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): IssuePath,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let call = match begin(&shared, &headers, Operation::List).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let key = repo_key(&owner, &repo);
    let comments = {
        let store = shared.store();
        if !store.has_pull_request(&key, number) {
            return call.error(GitHubError::not_found());
        }
        store.comments_of(&key, number)
    };
    let number_param = |name: &str| {
        params
            .get(name)
            .and_then(|value| value.parse::<usize>().ok())
    };
    let per_page = number_param("per_page")
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let page = number_param("page").unwrap_or(1).max(1);
    let (range, last) = page_range(comments.len(), per_page, page);
    let items: Vec<Value> = comments[range]
        .iter()
        .map(|comment| render_comment(&shared, comment))
        .collect();
    let mut response = json_response(StatusCode::OK, &Value::Array(items));
    let link_to = |target: usize, rel: &str| {
        format!(
            "<{}/repos/{owner}/{repo}/issues/{number}/comments?per_page={per_page}&page={target}>; rel=\"{rel}\"",
            shared.api_url()
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link_to((page - 1).min(last), "prev"));
    }
    if page < last {
        links.push(link_to(page + 1, "next"));
        links.push(link_to(last, "last"));
    }
    if page > 1 {
        links.push(link_to(1, "first"));
    }
    if let Ok(value) = HeaderValue::from_str(&links.join(", "))
        && !links.is_empty()
    {
        response.headers_mut().insert(header::LINK, value);
    }
    finish(&call, response)
}

/// The `body` of a create or update request, or GitHub's answer to a bad one.
fn parse_body(bytes: &[u8]) -> Result<String, GitHubError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|_| GitHubError::new(StatusCode::BAD_REQUEST, "Problems parsing JSON"))?;
    let body = value.get("body").and_then(Value::as_str).ok_or_else(|| {
        GitHubError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request.\n\n\"body\" wasn't supplied.",
        )
    })?;
    match body_problem(body) {
        Some(problem) => Err(GitHubError::validation(problem)),
        None => Ok(body.to_owned()),
    }
}

async fn create_comment(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): IssuePath,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let call = match begin(&shared, &headers, Operation::Create).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let key = repo_key(&owner, &repo);
    if !shared.store().has_pull_request(&key, number) {
        return call.error(GitHubError::not_found());
    }
    let body = match parse_body(&bytes) {
        Ok(body) => body,
        Err(error) => return call.error(error),
    };
    let comment = shared.store().add_comment(&key, number, &call.login, &body);
    let mut response = json_response(StatusCode::CREATED, &render_comment(&shared, &comment));
    if let Ok(location) = HeaderValue::from_str(&comment_url(&shared, &comment)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    finish(&call, response)
}

async fn update_comment(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, id)): CommentPath,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let call = match begin(&shared, &headers, Operation::Update).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let body = match parse_body(&bytes) {
        Ok(body) => body,
        Err(error) => return call.error(error),
    };
    let updated = shared
        .store()
        .update_comment(&repo_key(&owner, &repo), id, &body);
    match updated {
        Some(comment) => finish(
            &call,
            json_response(StatusCode::OK, &render_comment(&shared, &comment)),
        ),
        None => call.error(GitHubError::not_found()),
    }
}

async fn delete_comment(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, id)): CommentPath,
    headers: HeaderMap,
) -> Response {
    let call = match begin(&shared, &headers, Operation::Delete).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    if shared.store().delete_comment(&repo_key(&owner, &repo), id) {
        finish(&call, StatusCode::NO_CONTENT.into_response())
    } else {
        call.error(GitHubError::not_found())
    }
}

fn comment_url(shared: &Shared, comment: &StoredComment) -> String {
    format!(
        "{}/repos/{}/issues/comments/{}",
        shared.api_url, comment.repo, comment.id
    )
}

/// A comment as GitHub's REST API renders it, with every field GitHub documents as always present.
fn render_comment(shared: &Shared, comment: &StoredComment) -> Value {
    let StoredComment {
        id,
        repo,
        number,
        login,
        body,
        created,
        updated,
    } = comment;
    json!({
        "id": id,
        "node_id": format!("IC_kwDOfake{id}"),
        "url": comment_url(shared, comment),
        "html_url": format!("{}/{repo}/pull/{number}#issuecomment-{id}", shared.web_url),
        "issue_url": format!("{}/repos/{repo}/issues/{number}", shared.api_url),
        "body": body,
        "user": render_user(shared, login),
        "created_at": timestamp(*created),
        "updated_at": timestamp(*updated),
        "author_association": "NONE",
        "performed_via_github_app": null,
        "reactions": {
            "url": format!("{}/reactions", comment_url(shared, comment)),
            "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
            "confused": 0, "heart": 0, "rocket": 0, "eyes": 0
        }
    })
}

/// A user as GitHub renders one inside a comment; logins ending in `[bot]` are bots.
fn render_user(shared: &Shared, login: &str) -> Value {
    let id = login.bytes().fold(17u64, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u64::from(byte))
    }) % 100_000_000;
    let api = format!("{}/users/{login}", shared.api_url);
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_fake{id}"),
        "avatar_url": format!("{}/avatars/{id}", shared.web_url),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{}/{login}", shared.web_url),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": if login.ends_with("[bot]") { "Bot" } else { "User" },
        "site_admin": false
    })
}
