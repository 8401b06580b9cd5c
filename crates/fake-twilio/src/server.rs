//! The axum routes: Serverless v1 and 2010-04-01 Accounts over a world, with auth, paging and a request log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;

use crate::auth::authenticate;
use crate::error::{ApiError, json_response};
use crate::faults::{self, FaultCounters, Injected};
use crate::paging::PageRequest;
use crate::render;
use crate::world::{Account, ResourceKind, Service, World};

/// One request as the fake saw it. The `Authorization` value itself is never recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// URL path, e.g. `/v1/Services`.
    pub path: String,
    /// Raw query string without `?` (empty when none).
    pub query: String,
    /// HTTP status of the response; 0 when the connection was dropped without one.
    pub status: u16,
    /// Whether the request carried an `Authorization` header.
    pub had_authorization: bool,
    /// The injected fault that made or changed the answer (`status`, `reset`, `max_in_flight`…), if any.
    pub fault: Option<&'static str>,
}

/// What every handler shares: the world, the server's own base URL, the request log and the fault counters.
#[derive(Debug)]
pub struct AppState {
    pub(crate) world: World,
    pub(crate) base_url: String,
    log: Mutex<Vec<RequestRecord>>,
    pub(crate) fault_counters: FaultCounters,
}

impl AppState {
    /// State for serving `world`, with absolute URLs starting with `base_url` (no trailing slash).
    pub fn new(world: World, base_url: String) -> Self {
        AppState {
            fault_counters: FaultCounters::new(&world.faults),
            world,
            base_url,
            log: Mutex::new(Vec::new()),
        }
    }

    /// A copy of the request log, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock_log().clone()
    }

    /// How many requests were served.
    pub fn request_count(&self) -> usize {
        self.lock_log().len()
    }

    fn lock_log(&self) -> std::sync::MutexGuard<'_, Vec<RequestRecord>> {
        // A panic while holding the lock cannot leave the Vec half-updated (push is the only mutation).
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The fake's router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/2010-04-01/Accounts.json", get(list_accounts))
        .route("/v1/Services", get(list_services))
        .route("/v1/Services/{service}", get(fetch_service))
        .route(
            "/v1/Services/{service}/Environments",
            get(list_environments),
        )
        .route(
            "/v1/Services/{service}/Environments/{sid}",
            get(fetch_environment),
        )
        .route("/v1/Services/{service}/Builds", get(list_builds))
        .route("/v1/Services/{service}/Builds/{sid}", get(fetch_build))
        .route("/v1/Services/{service}/{collection}", get(list_resources))
        .route(
            "/v1/Services/{service}/{collection}/{sid}",
            get(fetch_resource),
        )
        .route(
            "/v1/Services/{service}/{collection}/{sid}/Versions",
            get(list_versions),
        )
        .route(
            "/v1/Services/{service}/{collection}/{sid}/Versions/{version}",
            get(fetch_version),
        )
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

/// Appends every request, with its response status, to the log.
async fn record(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let had_authorization = request.headers().contains_key(header::AUTHORIZATION);
    let response = next.run(request).await;
    let fault = response
        .extensions()
        .get::<Injected>()
        .map(|Injected(name)| *name);
    state.lock_log().push(RequestRecord {
        method,
        path,
        query,
        status: match fault {
            Some("reset") => 0,
            _ => response.status().as_u16(),
        },
        had_authorization,
        fault,
    });
    response
}

/// The authenticated caller: index of its account in the world.
struct Caller(usize);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        authenticate(&state.world, header).map(Caller)
    }
}

/// Handler result: a JSON response or a Twilio error.
type Reply = Result<Response, ApiError>;

type Params = Query<HashMap<String, String>>;

fn ok(body: &impl Serialize) -> Reply {
    Ok(json_response(StatusCode::OK, body))
}

/// Everything a Serverless handler needs about the request.
struct Ctx<'a> {
    state: &'a AppState,
    account: &'a Account,
    uri: &'a Uri,
}

impl<'a> Ctx<'a> {
    fn new(state: &'a AppState, caller: &Caller, uri: &'a Uri) -> Self {
        Ctx {
            state,
            account: &state.world.accounts[caller.0],
            uri,
        }
    }

    fn not_found(&self) -> ApiError {
        ApiError::not_found(self.uri.path())
    }

    /// A service of the caller's own account, by SID or unique name.
    fn service(&self, id: &str) -> Result<&'a Service, ApiError> {
        self.account
            .services
            .iter()
            .find(|service| service.sid == id || service.unique_name == id)
            .ok_or_else(|| self.not_found())
    }

    /// `Functions` or `Assets`; anything else is not a route.
    fn kind(&self, collection: &str) -> Result<ResourceKind, ApiError> {
        match collection {
            "Functions" => Ok(ResourceKind::Function),
            "Assets" => Ok(ResourceKind::Asset),
            _ => Err(self.not_found()),
        }
    }

    fn base(&self) -> &str {
        &self.state.base_url
    }

    fn sid(&self) -> &str {
        &self.account.sid
    }

    /// A v1 list page of `items`, rendered with `render`, under `key`.
    fn page<'i, T, J: Serialize>(
        &self,
        params: &HashMap<String, String>,
        key: &str,
        items: &'i [T],
        render: impl Fn(&'i T) -> J,
    ) -> Reply {
        let mut request = PageRequest::from_query(params)?;
        if let Some(cap) = self.state.world.max_page_size {
            request.page_size = request.page_size.min(cap.max(1));
        }
        ok(&ListPage {
            key,
            items: request.window(items).iter().map(render).collect(),
            meta: request.v1_meta(self.base(), self.uri.path(), key, items.len()),
        })
    }
}

/// A v1 list page: `{"<key>": [...], "meta": {...}}`.
struct ListPage<'k, J> {
    key: &'k str,
    items: Vec<J>,
    meta: Value,
}

impl<J: Serialize> Serialize for ListPage<'_, J> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry("meta", &self.meta)?;
        map.end()
    }
}

async fn list_accounts(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(params): Params,
) -> Reply {
    let world = &state.world;
    let me = &world.accounts[caller.0];
    let status = params.get("Status").map(String::as_str);
    let friendly_name = params.get("FriendlyName").map(String::as_str);
    let visible: Vec<&Account> = std::iter::once(me)
        .chain(
            world
                .accounts
                .iter()
                .filter(|account| account.owner_account_sid.as_deref() == Some(me.sid.as_str())),
        )
        .filter(|account| status.is_none_or(|status| account.status.as_str() == status))
        .filter(|account| friendly_name.is_none_or(|name| account.friendly_name == name))
        .collect();
    let request = PageRequest::from_query(&params)?;
    let items = request
        .window(&visible)
        .iter()
        .map(|account| render::account(account))
        .collect();
    let filters: Vec<(&str, &str)> = [("FriendlyName", friendly_name), ("Status", status)]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
        .collect();
    ok(&request.v2010_envelope(uri.path(), &filters, "accounts", items, visible.len()))
}

async fn list_services(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(params): Params,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    ctx.page(&params, "services", &ctx.account.services, |service| {
        render::service(ctx.base(), ctx.sid(), service)
    })
}

async fn fetch_service(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path(service): Path<String>,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    let service = ctx.service(&service)?;
    ok(&render::service(ctx.base(), ctx.sid(), service))
}

async fn list_environments(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path(service): Path<String>,
    Query(params): Params,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    let service = ctx.service(&service)?;
    ctx.page(
        &params,
        "environments",
        &service.environments,
        |environment| render::environment(ctx.base(), ctx.sid(), service, environment),
    )
}

async fn fetch_environment(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path((service, sid)): Path<(String, String)>,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    let service = ctx.service(&service)?;
    let environment = service
        .environments
        .iter()
        .find(|environment| environment.sid == sid)
        .ok_or_else(|| ctx.not_found())?;
    ok(&render::environment(
        ctx.base(),
        ctx.sid(),
        service,
        environment,
    ))
}

async fn list_builds(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path(service): Path<String>,
    Query(params): Params,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    let service = ctx.service(&service)?;
    ctx.page(&params, "builds", &service.builds, |build| {
        render::build(ctx.base(), ctx.sid(), service, build)
    })
}

async fn fetch_build(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path((service, sid)): Path<(String, String)>,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    let service = ctx.service(&service)?;
    let build = service
        .builds
        .iter()
        .find(|build| build.sid == sid)
        .ok_or_else(|| ctx.not_found())?;
    ok(&render::build(ctx.base(), ctx.sid(), service, build))
}

async fn list_resources(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path((service, collection)): Path<(String, String)>,
    Query(params): Params,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    let service = ctx.service(&service)?;
    let kind = ctx.kind(&collection)?;
    let key = match kind {
        ResourceKind::Function => "functions",
        ResourceKind::Asset => "assets",
    };
    ctx.page(&params, key, service.resources(kind), |resource| {
        render::resource(ctx.base(), ctx.sid(), service, kind, resource)
    })
}

async fn fetch_resource(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path((service, collection, sid)): Path<(String, String, String)>,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    let service = ctx.service(&service)?;
    let kind = ctx.kind(&collection)?;
    let resource = find_resource(&ctx, service, kind, &sid)?;
    ok(&render::resource(
        ctx.base(),
        ctx.sid(),
        service,
        kind,
        resource,
    ))
}

async fn list_versions(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path((service, collection, sid)): Path<(String, String, String)>,
    Query(params): Params,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    let service = ctx.service(&service)?;
    let kind = ctx.kind(&collection)?;
    let resource = find_resource(&ctx, service, kind, &sid)?;
    ctx.page(
        &params,
        render::versions_key(kind),
        &resource.versions,
        |version| render::version(ctx.base(), ctx.sid(), service, kind, resource, version),
    )
}

async fn fetch_version(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path((service, collection, sid, version)): Path<(String, String, String, String)>,
) -> Reply {
    let ctx = Ctx::new(&state, &caller, &uri);
    let service = ctx.service(&service)?;
    let kind = ctx.kind(&collection)?;
    let resource = find_resource(&ctx, service, kind, &sid)?;
    let version = resource
        .versions
        .iter()
        .find(|candidate| candidate.sid == version)
        .ok_or_else(|| ctx.not_found())?;
    ok(&render::version(
        ctx.base(),
        ctx.sid(),
        service,
        kind,
        resource,
        version,
    ))
}

fn find_resource<'a>(
    ctx: &Ctx<'_>,
    service: &'a Service,
    kind: ResourceKind,
    sid: &str,
) -> Result<&'a crate::world::Resource, ApiError> {
    service
        .resources(kind)
        .iter()
        .find(|resource| resource.sid == sid)
        .ok_or_else(|| ctx.not_found())
}

/// Unknown paths: 401 without valid credentials (Twilio authenticates first), else 404.
async fn fallback(_caller: Caller, uri: Uri) -> ApiError {
    ApiError::not_found(uri.path())
}
