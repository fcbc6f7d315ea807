//! Building and running the HTTP application.

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use interdict_persistence::audit::{AuditWriter, AuditWriterThread, Checkpointing};
use interdict_persistence::{Db, PoolOptions};
use std::net::TcpListener;
use std::sync::Arc;

use crate::auth::token::TokenKeys;
use crate::config::{Config, Secret};
use crate::error::problem_for_status;
use crate::extract::{audit_refusals, json_config, path_config, query_config, BODY_LIMIT};
use crate::input_guard::refuse_unreadable_input;
use crate::request_meta::request_id;
use crate::state::AppState;
use crate::{bootstrap, pages, routes};

/// Opens the database (running migrations), starts the audit writer and
/// checks the bootstrap state. Shared by `serve` and the other commands.
pub async fn open(config: &Config) -> Result<Opened, String> {
    let url = config.database.clone();
    let pool = PoolOptions {
        size: config.pool_size,
        slow_query: config.slow_query,
    };
    let (db, audit_key) = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            let db = Db::connect(&url, pool)?;
            let key = bootstrap::audit_key(&db, &config)?;
            Ok::<_, String>((db, key))
        })
        .await
        .map_err(|e| e.to_string())??
    };
    let checkpointing = Checkpointing {
        key: audit_key.clone(),
        every: config.audit_checkpoint_every,
    };
    let (audit, audit_thread) =
        AuditWriter::start(db.clone(), config.audit_max_batch, checkpointing);
    Ok(Opened {
        db,
        audit,
        audit_thread,
        audit_key: Arc::from(audit_key),
    })
}

/// An open database with its audit writer running.
pub struct Opened {
    pub db: Db,
    pub audit: AuditWriter,
    pub audit_thread: AuditWriterThread,
    pub audit_key: Arc<[u8]>,
}

/// Unknown paths: a problem document under the API, a page elsewhere.
async fn not_found(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    if req.path().starts_with("/api/") {
        problem_for_status(actix_web::http::StatusCode::NOT_FOUND)
    } else {
        pages::error::not_found()
    }
}

pub struct Application {
    server: Server,
    port: u16,
    audit_thread: AuditWriterThread,
    bootstrap_password: Option<Secret>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, String> {
        let Opened {
            db,
            audit,
            audit_thread,
            audit_key,
        } = open(&config).await?;
        let bootstrap_password = bootstrap::ensure_admin(&db, &audit, &config).await?;
        let secret = {
            let (db, config) = (db.clone(), config.clone());
            tokio::task::spawn_blocking(move || bootstrap::jwt_secret(&db, &config))
                .await
                .map_err(|e| e.to_string())??
        };
        let tokens = TokenKeys::new(&secret, &config.issuer, &config.audience, config.token_ttl);
        let listener = TcpListener::bind(config.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let workers = config.workers;
        let state = AppState {
            db,
            audit,
            audit_key,
            tokens,
            form_key: crate::pages::session::form_key(&secret),
            config: Arc::new(config),
        };
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .app_data(json_config())
                .app_data(path_config())
                .app_data(query_config())
                .app_data(web::PayloadConfig::new(BODY_LIMIT))
                .wrap(from_fn(refuse_unreadable_input))
                .wrap(from_fn(audit_refusals))
                .wrap(from_fn(request_id))
                .configure(routes::configure)
                .configure(pages::configure)
                .default_service(web::to(not_found))
        })
        .shutdown_timeout(30);
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server.listen(listener).map_err(|e| e.to_string())?.run();
        Ok(Self {
            server,
            port,
            audit_thread,
            bootstrap_password,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
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
        // Every request awaited its audit commit before answering, so
        // nothing is left to flush; waiting briefly lets a late batch finish.
        let thread = self.audit_thread;
        let join = tokio::task::spawn_blocking(move || thread.join());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), join).await;
        result
    }
}
