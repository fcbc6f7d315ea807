//! Building and running the HTTP application.

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App as HttpApp, HttpServer};
use interdict_app::bootstrap::{ensure_admin, AuditThread, OpenError};
use interdict_app::config::Secret;
use interdict_app::{open, Config, Opened};
use std::net::TcpListener;

use crate::connection_limits::{refuse_over_cap, SourceCounts};
use crate::error::problem_for_status;
use crate::extract::{audit_refusals, json_config, path_config, query_config, BODY_LIMIT};
use crate::input_guard::refuse_unreadable_input;
use crate::request_meta::request_id;
use crate::{metrics, pages, routes};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot start the metrics recorder: {0}")]
    Metrics(String),
    #[error("cannot listen on {address}: {cause}")]
    Listen {
        address: std::net::SocketAddr,
        cause: std::io::Error,
    },
}

/// Unknown paths: a problem document under the API, a page elsewhere.
async fn not_found(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    if crate::routes::is_api(req.path()) {
        problem_for_status(actix_web::http::StatusCode::NOT_FOUND)
    } else {
        pages::error::not_found()
    }
}

pub struct Application {
    server: Server,
    port: u16,
    /// The `/metrics` listener, when one is configured.
    metrics: Option<(ServerHandle, u16)>,
    audit_thread: AuditThread,
    bootstrap_password: Option<Secret>,
    /// Settles accepted import lines in the background.
    settler: interdict_app::imports::Settler,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let Opened { app, audit_thread } = open(config).await?;
        let bootstrap_password = ensure_admin(&app).await?;
        let bind = app.config().bind;
        let listener = TcpListener::bind(bind).map_err(|cause| StartError::Listen {
            address: bind,
            cause,
        })?;
        let port = listener
            .local_addr()
            .map_err(|cause| StartError::Listen {
                address: bind,
                cause,
            })?
            .port();
        let metrics = match app.config().metrics_bind {
            Some(address) => Some(start_metrics(address)?),
            None => None,
        };
        let workers = app.config().workers;
        let sources = SourceCounts::new(
            app.config().max_connections_per_source,
            &app.config().trusted_proxies,
        );
        let request_timeout = app.config().request_timeout;
        let settler = interdict_app::imports::Settler::start(&app);
        // Another instance may load a newer sanctions list.
        actix_web::rt::spawn(interdict_app::screening::follow_newer_lists(
            &app,
            std::time::Duration::from_secs(60),
        ));
        let mut server = HttpServer::new(move || {
            HttpApp::new()
                .app_data(web::Data::new(app.clone()))
                .app_data(json_config())
                .app_data(path_config())
                .app_data(query_config())
                .app_data(web::PayloadConfig::new(BODY_LIMIT))
                .wrap(from_fn(refuse_unreadable_input))
                .wrap(from_fn(audit_refusals))
                .wrap(from_fn(request_id))
                // Outermost: a connection over its cap is refused before
                // anything else runs, and every answer is counted.
                .wrap(from_fn(refuse_over_cap))
                .wrap(from_fn(metrics::record_request))
                .configure(routes::configure)
                .configure(pages::configure)
                .default_service(web::to(not_found))
        })
        .on_connect(move |connection, data| sources.on_connect(connection, data))
        .client_request_timeout(request_timeout)
        .shutdown_timeout(30);
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server
            .listen(listener)
            .map_err(|cause| StartError::Listen {
                address: bind,
                cause,
            })?
            .run();
        Ok(Self {
            server,
            port,
            metrics,
            audit_thread,
            bootstrap_password,
            settler,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on, when it is.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The administrator password generated on first start, to be shown once.
    pub fn take_bootstrap_password(&mut self) -> Option<Secret> {
        self.bootstrap_password.take()
    }

    /// Serves until stopped (SIGTERM or SIGINT stop gracefully, finishing
    /// requests in flight), then flushes the audit writer.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.settler.stop().await;
        if let Some((metrics, _)) = self.metrics {
            metrics.stop(true).await;
        }
        // Every request awaited its audit commit before answering, so
        // nothing is left to flush; waiting briefly lets a late batch finish.
        let thread = self.audit_thread;
        let join = tokio::task::spawn_blocking(move || thread.join());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), join).await;
        result
    }
}

/// Installs the metrics recorder and starts the `/metrics` listener;
/// returns its handle and port.
fn start_metrics(address: std::net::SocketAddr) -> Result<(ServerHandle, u16), StartError> {
    let handle = metrics::install().map_err(StartError::Metrics)?;
    let listen_error = |cause| StartError::Listen { address, cause };
    let listener = TcpListener::bind(address).map_err(listen_error)?;
    let port = listener.local_addr().map_err(listen_error)?.port();
    let server = metrics::serve(listener, handle).map_err(listen_error)?;
    let stop = server.handle();
    actix_web::rt::spawn(server);
    tracing::info!(port, "metrics listening at /metrics");
    Ok((stop, port))
}
