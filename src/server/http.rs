//! The axum application: leptos pages and server functions, static files, health probes,
//! and the layers every response goes through.
use crate::app::{shell, App};
use crate::server::auth::{google, guard};
use crate::server::config::Settings;
use crate::server::db::{Db, DbError};
use crate::server::email::{self, outbox};
use crate::server::gates;
use crate::server::headers;
use crate::server::jobs::Jobs;
use crate::server::payments::{self, webhook};
use crate::server::request_guard;
use crate::server::services::{dashboard, demo};
use crate::server::state::AppState;
use crate::server::storage::{self, MEDIA_PATH};
use crate::server::throttle::Throttles;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("TICKEX_DATABASE_URL: {0}")]
    Database(DbError),
    #[error("TICKEX_DATA_DIR: {0}")]
    DataDir(String),
    #[error("TICKEX_LISTEN_ADDR: cannot listen on {addr}: {message}")]
    Listen { addr: SocketAddr, message: String },
}

/// Leptos settings derived from ours. Asset file names carry a content hash when
/// cargo-leptos wrote `hash.txt` next to the binary (release builds).
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").is_file()))
        .unwrap_or(false);
    LeptosOptions::builder()
        .output_name("tickex")
        .site_root(settings.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.listen_addr)
        .hash_files(hash_files)
        .build()
}

fn ensure_data_dir(settings: &Settings) -> Result<(), StartError> {
    let dir = &settings.data_dir;
    let fail =
        |e: std::io::Error| StartError::DataDir(format!("{} is not writable: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Connects, applies the schema, seeds demo data when asked: everything before listening.
pub async fn prepare_state(settings: Settings) -> Result<AppState, StartError> {
    ensure_data_dir(&settings)?;
    let db = Db::connect(&settings).await.map_err(StartError::Database)?;
    db.apply_schema().await.map_err(StartError::Database)?;
    let images = storage::from_settings(&settings);
    if settings.demo {
        tracing::warn!("demo mode: sample accounts with a public password, test payments and the dev mailbox are on; never use it in production");
    }
    if settings.stripe.is_none() && !settings.demo {
        tracing::warn!("payments are not set up (TICKEX_STRIPE_SECRET_KEY): paid checkout is refused, free events still work");
    }
    if settings.resend.is_none() && !settings.demo {
        tracing::warn!("no email provider (TICKEX_RESEND_API_KEY): emails wait in the outbox and password reset links cannot be sent");
    }
    if settings.demo {
        demo::seed(&db, images.as_ref(), chrono::Utc::now())
            .await
            .map_err(StartError::Database)?;
    }
    Ok(AppState {
        db,
        images,
        payments: payments::from_settings(&settings),
        mailer: email::from_settings(&settings),
        holds: Default::default(),
        metrics: Default::default(),
        throttles: Arc::new(Throttles::new(
            u32::try_from(settings.account_requests_per_address).unwrap_or(u32::MAX),
        )),
        event_cache: Default::default(),
        leptos_options: leptos_options(&settings),
        settings: Arc::new(settings),
    })
}

/// The app's routes, generated once per process. Generation sets a process-wide flag that
/// parks any resource first polled meanwhile forever (leptos#4773), so a second server
/// started in the same process (tests, benchmarks) must not generate them again while the
/// first one renders pages.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let pkg_dir = state.settings.site_root.join("pkg");
    // Hashed names change with the content, so they may be cached forever.
    let pkg_cache = if state.leptos_options.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let pkg = Router::new()
        .fallback_service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(pkg_cache),
        ));
    // Uploaded images get random names and are never rewritten: cache them for a year.
    let media = Router::new()
        .fallback_service(ServeDir::new(state.settings.data_dir.join("uploads")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));
    // The door's scanner and its service worker: revalidated on every load (the worker keeps
    // them for offline use), the worker allowed to serve /checkin/ and to fetch from us.
    let door = Router::new()
        .fallback_service(
            ServeDir::new(state.settings.site_root.join("door"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("service-worker-allowed"),
            HeaderValue::from_static("/checkin/"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
        ));
    let fallback_state = state.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route(google::START_PATH, get(google::start))
        .route(google::CALLBACK_PATH, get(google::callback))
        .route(webhook::PATH, axum::routing::post(webhook::receive))
        .route(
            email::webhook::PATH,
            axum::routing::post(email::webhook::receive),
        )
        .route("/dev/mailbox/{id}", get(dev_email))
        .route("/dashboard/events/{id}/export/{what}", get(export_csv))
        .route("/account/data.json", get(export_personal_data))
        .route("/metrics", get(metrics))
        .route("/checkin/{event}/manifest.webmanifest", get(door_manifest))
        .nest("/pkg", pkg)
        .nest("/door", door)
        .nest(MEDIA_PATH, media)
        .leptos_routes_with_context(&state, routes, headers::provide_page_nonce, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || {
                provide_context(fallback_state.clone());
                headers::provide_page_nonce();
            },
            shell,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            gates::event_upload_gate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            gates::sign_in_gate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            same_site_only,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::server::page_cache::serve_cached,
        ))
        .layer(middleware::from_fn_with_state(
            state.settings.public_base_url.starts_with("https://"),
            headers::security_headers,
        ))
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(state.settings.body_limit_bytes))
        // Method and path only: a query string can carry a token (reset and confirmation
        // links, the Google callback's code), and the log must never hold one.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
            }),
        )
        .layer(middleware::from_fn_with_state(state.clone(), time_request))
        .with_state(state)
}

/// The web app manifest of an event's scanner, so a phone can install it and open it with
/// no connection.
async fn door_manifest(Path(event): Path<String>) -> Response {
    if event.is_empty() || !event.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return StatusCode::NOT_FOUND.into_response();
    }
    let manifest = serde_json::json!({
        "name": "TickEx door",
        "short_name": "Door",
        "id": format!("/checkin/{event}"),
        "start_url": format!("/checkin/{event}"),
        "scope": "/checkin/",
        "display": "standalone",
        "background_color": "#111827",
        "theme_color": "#111827",
        "icons": [{ "src": "/favicon.svg", "sizes": "any", "type": "image/svg+xml" }],
    });
    (
        [(header::CONTENT_TYPE, "application/manifest+json")],
        manifest.to_string(),
    )
        .into_response()
}

/// Request latency by route pattern (never by raw path or a made-up method: that would be
/// unbounded labels).
async fn time_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request_guard::method_label(request.method());
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "other".to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .observe_request(method, &route, started.elapsed());
    response
}

/// Prometheus scrape endpoint; 404 unless a token is configured, 401 without it.
async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(token) = &state.settings.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !token.matches(presented) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let backlog = match outbox::backlog(&state.db).await {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = %e, "outbox backlog unavailable for /metrics");
            None
        }
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(backlog),
    )
        .into_response()
}

/// `orders` or `attendees` of an event as a CSV download, for its organizer or an admin.
/// Everything TickEx holds about the signed-in person, as a JSON download.
async fn export_personal_data(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Response {
    let user = match guard::user_from_headers(&state, &headers).await {
        Ok(Some(user)) => user,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return (e.status(), e.to_string()).into_response(),
    };
    match crate::server::services::personal_data::export(&state, &user).await {
        Ok(json) => (
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"tickex-my-data.json\"",
                ),
            ],
            json,
        )
            .into_response(),
        Err(e) => (e.status(), e.to_string()).into_response(),
    }
}

async fn export_csv(
    State(state): State<AppState>,
    Path((id, what)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Response {
    let user = match guard::user_from_headers(&state, &headers).await {
        Ok(Some(user)) => user,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return (e.status(), e.to_string()).into_response(),
    };
    match dashboard::export_csv(&state, &user, &id, &what).await {
        Ok(export) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", export.file_name),
                ),
            ],
            export.csv,
        )
            .into_response(),
        Err(e) => (e.status(), e.to_string()).into_response(),
    }
}

/// One email of the dev mailbox, as its recipient would see it: demo mode only, and only
/// to that recipient (or an admin).
async fn dev_email(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    if !state.dev_mailbox_open() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let user = match guard::user_from_headers(&state, &headers).await {
        Ok(Some(user)) => user,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return (e.status(), e.to_string()).into_response(),
    };
    match outbox::dev_email_html(&state, &user, &id).await {
        Ok(Some(html)) => (
            [(
                header::CONTENT_SECURITY_POLICY,
                // Emails style themselves inline and embed their images; nothing may run.
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
            )],
            axum::response::Html(html),
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "dev mailbox");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.db.is_ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database not answering").into_response()
    }
}

/// Refuses a state-changing request from another site with 403 (see
/// [`request_guard::cross_site`]); the signed Stripe and Resend webhooks are exempt.
async fn same_site_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let verdict = request_guard::cross_site(
        request.method(),
        request.uri().path(),
        request.headers(),
        request_guard::origin_of(&state.settings.public_base_url),
        &[webhook::PATH, email::webhook::PATH],
    );
    match verdict {
        Ok(()) => next.run(request).await,
        Err(why) => {
            tracing::warn!(
                ?why,
                path = request.uri().path(),
                "cross-site request refused"
            );
            let error = crate::error::AppError::Forbidden;
            (StatusCode::FORBIDDEN, axum::Json(error)).into_response()
        }
    }
}

/// How long a background job's round may take to finish at shutdown.
pub const JOB_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// A started server: its address and a way to stop it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    jobs: Jobs,
}

impl RunningServer {
    /// Stops accepting, lets requests and job rounds in flight finish (jobs within
    /// [`JOB_DEADLINE`]), and returns how serving ended.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(());
        let (_, served) = tokio::join!(self.jobs.stop(JOB_DEADLINE), self.task);
        served.unwrap_or(Ok(()))
    }
}

/// Binds the listener and serves until `stop`.
pub async fn start(state: AppState) -> Result<RunningServer, StartError> {
    let addr = state.settings.listen_addr;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Listen {
            addr,
            message: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| StartError::Listen {
        addr,
        message: e.to_string(),
    })?;
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(state.clone());
    // Without TCP_NODELAY small responses on keep-alive connections wait ~40 ms (Nagle).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let task = tokio::spawn(async move {
        // The client's address (for rate limits) comes from the socket.
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        })
        .await
    });
    let jobs = Jobs::start(&state);
    Ok(RunningServer {
        addr,
        state,
        shutdown,
        task,
        jobs,
    })
}

/// Resolves at SIGTERM or SIGINT (Ctrl-C). Only `tickex serve` listens for signals; a
/// test server must stay killable.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
