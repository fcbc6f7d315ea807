//! Configuration: the defaults in `config/default.toml` (compiled in, so the
//! binary runs from anywhere), an optional file named by `INTERDICT_CONFIG`,
//! then `INTERDICT_*` environment variables. Every value is checked here and
//! a bad one names its key.

use interdict_domain::chain::Limits;
use interdict_domain::risk::RiskWeights;
use interdict_persistence::DatabaseUrl;
use serde::Deserialize;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

const DEFAULTS: &str = include_str!("../../../config/default.toml");

#[derive(Debug, thiserror::Error)]
#[error("configuration error in {key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

fn error(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        message: message.into(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: RawServer,
    database: RawDatabase,
    auth: RawAuth,
    audit: RawAudit,
    chains: RawChains,
    #[serde(default)]
    review: RawReview,
    risk: RiskWeights,
    sanctions: RawSanctions,
    log: RawLog,
}

/// `[review]`: when an undecided flag counts as overdue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReview {
    overdue_after_days: i64,
}

impl Default for RawReview {
    fn default() -> Self {
        Self {
            overdue_after_days: 5,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSanctions {
    builtin: bool,
    threshold: f32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChains {
    max_depth: u32,
    max_nodes: usize,
    max_paths: usize,
    suggestion_window_days: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: String,
    workers: usize,
    trusted_proxies: Vec<String>,
    request_timeout_seconds: i64,
    body_timeout_seconds: i64,
    max_connections_per_source: i64,
    metrics_bind: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: String,
    pool_size: u32,
    slow_query_ms: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    jwt_secret: String,
    token_ttl_minutes: i64,
    issuer: String,
    audience: String,
    bootstrap_password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    max_batch: usize,
    checkpoint_every: i64,
    key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    filter: String,
}

/// A secret value that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub workers: usize,
    /// Proxies whose `X-Forwarded-For` names the client for audit entries.
    pub trusted_proxies: Vec<IpAddr>,
    /// How long a client may take to send a request's headers.
    pub request_timeout: std::time::Duration,
    /// How long a client may take to send a JSON or form body.
    pub body_timeout: std::time::Duration,
    /// Open connections one client address may hold.
    pub max_connections_per_source: usize,
    /// Where `/metrics` is served, if anywhere.
    pub metrics_bind: Option<SocketAddr>,
    pub database: DatabaseUrl,
    pub pool_size: u32,
    /// Statements slower than this are logged.
    pub slow_query: Option<std::time::Duration>,
    pub jwt_secret: Option<Secret>,
    pub token_ttl: chrono::Duration,
    pub issuer: String,
    pub audience: String,
    pub bootstrap_password: Option<Secret>,
    pub audit_max_batch: usize,
    pub audit_checkpoint_every: i64,
    pub audit_key: Option<Secret>,
    pub chain_limits: Limits,
    pub suggestion_window: chrono::Duration,
    /// An undecided flag raised this long ago is overdue (`[review]`).
    pub overdue_after: chrono::Duration,
    pub risk: RiskWeights,
    /// Load the bundled OFAC snapshot on first start.
    pub sanctions_builtin: bool,
    /// Screening score at or above which a party hits a listed entry.
    pub sanctions_threshold: f32,
    pub log_filter: String,
    /// Accepted import lines a settler takes at a time, each batch one
    /// transaction (`INTERDICT_SETTLE_BATCH`).
    pub settle_batch: i64,
    /// How long a settler holds the lines it took before another may take
    /// them (`INTERDICT_SETTLE_LEASE_SECONDS`): longer than a batch takes.
    pub settle_lease: chrono::Duration,
}

pub const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Loads configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(|key| std::env::var(key).ok())
    }

    /// Loads configuration, reading variables through `env` so tests can
    /// supply their own.
    pub fn load(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut table: toml::Table = DEFAULTS
            .parse()
            .map_err(|e: toml::de::Error| error("config/default.toml", e.message()))?;
        if let Some(path) = env("INTERDICT_CONFIG") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| error("INTERDICT_CONFIG", format!("cannot read {path}: {e}")))?;
            let overlay: toml::Table = text.parse().map_err(|e: toml::de::Error| {
                error("INTERDICT_CONFIG", format!("{path}: {}", e.message()))
            })?;
            merge(&mut table, overlay);
        }
        let raw: RawConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| error("INTERDICT_CONFIG", e.message()))?;
        Self::validate(raw, &env)
    }

    fn validate(
        raw: RawConfig,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let pick = |var: &str, file_value: String| env(var).unwrap_or(file_value);
        let number = |var: &str, file_key: &str, file_value: i64| -> Result<i64, ConfigError> {
            match env(var) {
                None => Ok(file_value),
                Some(text) => text.trim().parse().map_err(|_| {
                    error(
                        var,
                        format!("`{text}` is not a whole number (see {file_key})"),
                    )
                }),
            }
        };

        let bind_text = pick("INTERDICT_BIND", raw.server.bind);
        let bind = bind_text.parse().map_err(|_| {
            error(
                "INTERDICT_BIND",
                format!("`{bind_text}` is not an address such as 127.0.0.1:8080"),
            )
        })?;
        let workers = number(
            "INTERDICT_WORKERS",
            "server.workers",
            raw.server.workers as i64,
        )?;
        let workers = usize::try_from(workers)
            .ok()
            .filter(|w| *w <= 1024)
            .ok_or_else(|| error("INTERDICT_WORKERS", "must be between 0 and 1024"))?;

        let trusted_proxies = match env("INTERDICT_TRUSTED_PROXIES") {
            Some(text) => text
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
            None => raw.server.trusted_proxies,
        };
        let trusted_proxies = trusted_proxies
            .iter()
            .map(|a| {
                a.parse::<IpAddr>().map_err(|_| {
                    error(
                        "INTERDICT_TRUSTED_PROXIES",
                        format!("`{a}` is not an IP address such as 10.0.0.2"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let seconds = |var: &str, file_key: &str, file_value: i64| {
            let value = number(var, file_key, file_value)?;
            u64::try_from(value)
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| error(var, "must be between 1 and 3600 seconds"))
        };
        let request_timeout = seconds(
            "INTERDICT_REQUEST_TIMEOUT_SECONDS",
            "server.request_timeout_seconds",
            raw.server.request_timeout_seconds,
        )?;
        let body_timeout = seconds(
            "INTERDICT_BODY_TIMEOUT_SECONDS",
            "server.body_timeout_seconds",
            raw.server.body_timeout_seconds,
        )?;
        let max_connections_per_source = number(
            "INTERDICT_MAX_CONNECTIONS_PER_SOURCE",
            "server.max_connections_per_source",
            raw.server.max_connections_per_source,
        )?;
        let max_connections_per_source = usize::try_from(max_connections_per_source)
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                error(
                    "INTERDICT_MAX_CONNECTIONS_PER_SOURCE",
                    "must be between 1 and 1000000",
                )
            })?;
        let metrics_text = pick("INTERDICT_METRICS_BIND", raw.server.metrics_bind);
        let metrics_bind = match metrics_text.trim() {
            "" => None,
            text => Some(text.parse().map_err(|_| {
                error(
                    "INTERDICT_METRICS_BIND",
                    format!("`{text}` is not an address such as 127.0.0.1:9100"),
                )
            })?),
        };

        let url_text = pick("INTERDICT_DATABASE_URL", raw.database.url);
        let database = DatabaseUrl::parse(&url_text)
            .map_err(|m| error("INTERDICT_DATABASE_URL", m.to_string()))?;
        let pool_size = number(
            "INTERDICT_DATABASE_POOL_SIZE",
            "database.pool_size",
            raw.database.pool_size.into(),
        )?;
        let pool_size = u32::try_from(pool_size)
            .ok()
            .filter(|n| (1..=512).contains(n))
            .ok_or_else(|| error("INTERDICT_DATABASE_POOL_SIZE", "must be between 1 and 512"))?;
        let slow_query_ms = number(
            "INTERDICT_DATABASE_SLOW_QUERY_MS",
            "database.slow_query_ms",
            raw.database.slow_query_ms.into(),
        )?;
        let slow_query = match u64::try_from(slow_query_ms) {
            Ok(0) => None,
            Ok(ms) if ms <= 3_600_000 => Some(std::time::Duration::from_millis(ms)),
            _ => {
                return Err(error(
                    "INTERDICT_DATABASE_SLOW_QUERY_MS",
                    "must be between 0 (off) and 3600000",
                ))
            }
        };

        let secret_text = pick("INTERDICT_JWT_SECRET", raw.auth.jwt_secret);
        let jwt_secret = if secret_text.is_empty() {
            None
        } else if secret_text.len() < MIN_SECRET_BYTES {
            return Err(error(
                "INTERDICT_JWT_SECRET",
                format!("must be at least {MIN_SECRET_BYTES} bytes, or empty to generate one"),
            ));
        } else {
            Some(Secret::new(secret_text))
        };
        let ttl = number(
            "INTERDICT_TOKEN_TTL_MINUTES",
            "auth.token_ttl_minutes",
            raw.auth.token_ttl_minutes,
        )?;
        if !(1..=24 * 60).contains(&ttl) {
            return Err(error(
                "INTERDICT_TOKEN_TTL_MINUTES",
                "must be between 1 and 1440 minutes",
            ));
        }
        let issuer = pick("INTERDICT_JWT_ISSUER", raw.auth.issuer);
        let audience = pick("INTERDICT_JWT_AUDIENCE", raw.auth.audience);
        if issuer.trim().is_empty() {
            return Err(error("INTERDICT_JWT_ISSUER", "must not be empty"));
        }
        if audience.trim().is_empty() {
            return Err(error("INTERDICT_JWT_AUDIENCE", "must not be empty"));
        }
        let bootstrap = pick("INTERDICT_BOOTSTRAP_PASSWORD", raw.auth.bootstrap_password);
        let bootstrap_password = (!bootstrap.is_empty()).then(|| Secret::new(bootstrap));

        let max_batch = number(
            "INTERDICT_AUDIT_MAX_BATCH",
            "audit.max_batch",
            raw.audit.max_batch as i64,
        )?;
        let audit_max_batch = usize::try_from(max_batch)
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| error("INTERDICT_AUDIT_MAX_BATCH", "must be between 1 and 10000"))?;

        let settle_batch = number("INTERDICT_SETTLE_BATCH", "INTERDICT_SETTLE_BATCH", 2000)?;
        if !(1..=10_000).contains(&settle_batch) {
            return Err(error(
                "INTERDICT_SETTLE_BATCH",
                "must be between 1 and 10000",
            ));
        }
        let settle_lease = number(
            "INTERDICT_SETTLE_LEASE_SECONDS",
            "INTERDICT_SETTLE_LEASE_SECONDS",
            300,
        )?;
        if !(1..=86_400).contains(&settle_lease) {
            return Err(error(
                "INTERDICT_SETTLE_LEASE_SECONDS",
                "must be between 1 and 86400",
            ));
        }

        let checkpoint_every = number(
            "INTERDICT_AUDIT_CHECKPOINT_EVERY",
            "audit.checkpoint_every",
            raw.audit.checkpoint_every,
        )?;
        if !(1..=10_000_000).contains(&checkpoint_every) {
            return Err(error(
                "INTERDICT_AUDIT_CHECKPOINT_EVERY",
                "must be between 1 and 10000000",
            ));
        }
        let audit_key_text = pick("INTERDICT_AUDIT_KEY", raw.audit.key);
        let audit_key = if audit_key_text.is_empty() {
            None
        } else if audit_key_text.len() < MIN_SECRET_BYTES {
            return Err(error(
                "INTERDICT_AUDIT_KEY",
                format!("must be at least {MIN_SECRET_BYTES} bytes, or empty to generate one"),
            ));
        } else {
            Some(Secret::new(audit_key_text))
        };
        let chains = raw.chains;
        if !(1..=256).contains(&chains.max_depth) {
            return Err(error("chains.max_depth", "must be between 1 and 256"));
        }
        if !(2..=100_000).contains(&chains.max_nodes) {
            return Err(error("chains.max_nodes", "must be between 2 and 100000"));
        }
        if !(1..=10_000).contains(&chains.max_paths) {
            return Err(error("chains.max_paths", "must be between 1 and 10000"));
        }
        if !(1..=365).contains(&chains.suggestion_window_days) {
            return Err(error(
                "chains.suggestion_window_days",
                "must be between 1 and 365",
            ));
        }
        let overdue_after_days = number(
            "INTERDICT_REVIEW_OVERDUE_AFTER_DAYS",
            "review.overdue_after_days",
            raw.review.overdue_after_days,
        )?;
        if !(1..=365).contains(&overdue_after_days) {
            return Err(error(
                "review.overdue_after_days",
                "must be between 1 and 365",
            ));
        }
        let mut risk = raw.risk;
        if let Some(text) = env("INTERDICT_RISK_THRESHOLD") {
            risk.auto_flag_threshold = text.trim().parse().map_err(|_| {
                error(
                    "INTERDICT_RISK_THRESHOLD",
                    format!("`{text}` is not a number"),
                )
            })?;
        }
        if !(risk.auto_flag_threshold.is_finite() && risk.auto_flag_threshold > 0.0) {
            return Err(error(
                "INTERDICT_RISK_THRESHOLD",
                "must be a positive number",
            ));
        }
        risk.regulation
            .check()
            .map_err(|e| error("risk.regulation", e.to_string()))?;
        // The rules tables are built in; one that does not parse would weigh
        // every chemical as unknown, so the program does not start.
        if let Some(e) = interdict_domain::regulation::bundled_error() {
            return Err(error("reference/controls.toml", e.to_string()));
        }

        let sanctions_builtin = match env("INTERDICT_SANCTIONS_BUILTIN").as_deref() {
            None => raw.sanctions.builtin,
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(other) => {
                return Err(error(
                    "INTERDICT_SANCTIONS_BUILTIN",
                    format!("`{other}` is not true or false"),
                ))
            }
        };
        let sanctions_threshold = match env("INTERDICT_SANCTIONS_THRESHOLD") {
            None => raw.sanctions.threshold,
            Some(text) => text.trim().parse().map_err(|_| {
                error(
                    "INTERDICT_SANCTIONS_THRESHOLD",
                    format!("`{text}` is not a number"),
                )
            })?,
        };
        if !(0.0..=1.0).contains(&sanctions_threshold) || sanctions_threshold.is_nan() {
            return Err(error(
                "INTERDICT_SANCTIONS_THRESHOLD",
                "must be between 0 and 1",
            ));
        }

        Ok(Self {
            bind,
            workers,
            trusted_proxies,
            request_timeout,
            body_timeout,
            max_connections_per_source,
            metrics_bind,
            database,
            pool_size,
            slow_query,
            jwt_secret,
            token_ttl: chrono::Duration::minutes(ttl),
            issuer,
            audience,
            bootstrap_password,
            audit_max_batch,
            settle_batch,
            settle_lease: chrono::Duration::seconds(settle_lease),
            audit_checkpoint_every: checkpoint_every,
            audit_key,
            chain_limits: Limits {
                max_depth: chains.max_depth,
                max_nodes: chains.max_nodes,
                max_paths: chains.max_paths,
            },
            suggestion_window: chrono::Duration::days(chains.suggestion_window_days),
            overdue_after: chrono::Duration::days(overdue_after_days),
            risk,
            sanctions_builtin,
            sanctions_threshold,
            log_filter: pick("INTERDICT_LOG", raw.log.filter),
        })
    }
}

/// Overlays `overlay` onto `base`, section by section.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base_section)), toml::Value::Table(section)) => {
                merge(base_section, section)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(|key| vars.get(key).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_sqlite_setup() {
        let config = load(&[]).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.database,
            DatabaseUrl::parse("sqlite://data/interdict.db").unwrap()
        );
        assert_eq!(config.token_ttl, chrono::Duration::minutes(30));
        assert!(config.jwt_secret.is_none());
        assert!(config.bootstrap_password.is_none());
        assert_eq!(
            config.slow_query,
            Some(std::time::Duration::from_millis(500))
        );
        let quiet = load(&[("INTERDICT_DATABASE_SLOW_QUERY_MS", "0")]).unwrap();
        assert_eq!(quiet.slow_query, None);
    }

    #[test]
    fn connection_limits_default_and_metrics_are_off() {
        let config = load(&[]).unwrap();
        assert_eq!(config.request_timeout, std::time::Duration::from_secs(10));
        assert_eq!(config.body_timeout, std::time::Duration::from_secs(30));
        assert_eq!(config.max_connections_per_source, 256);
        assert_eq!(config.metrics_bind, None);
        let metrics = load(&[("INTERDICT_METRICS_BIND", "127.0.0.1:9100")]).unwrap();
        assert_eq!(metrics.metrics_bind.unwrap().port(), 9100);
    }

    #[test]
    fn environment_overrides_the_file() {
        let config = load(&[
            ("INTERDICT_BIND", "0.0.0.0:9000"),
            (
                "INTERDICT_DATABASE_URL",
                "postgres://postgres@127.0.0.1/interdict",
            ),
            ("INTERDICT_JWT_SECRET", &"k".repeat(32)),
            ("INTERDICT_TOKEN_TTL_MINUTES", "15"),
        ])
        .unwrap();
        assert_eq!(config.bind.port(), 9000);
        assert!(matches!(config.database, DatabaseUrl::Postgres(_)));
        assert_eq!(config.jwt_secret.unwrap().expose().len(), 32);
        assert_eq!(config.token_ttl, chrono::Duration::minutes(15));
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("INTERDICT_BIND", "localhost"),
            ("INTERDICT_DATABASE_URL", "mysql://x"),
            ("INTERDICT_JWT_SECRET", "too-short"),
            ("INTERDICT_TOKEN_TTL_MINUTES", "thirty"),
            ("INTERDICT_TOKEN_TTL_MINUTES", "0"),
            ("INTERDICT_DATABASE_POOL_SIZE", "0"),
            ("INTERDICT_DATABASE_SLOW_QUERY_MS", "-5"),
            ("INTERDICT_AUDIT_MAX_BATCH", "-1"),
            ("INTERDICT_AUDIT_KEY", "short"),
            ("INTERDICT_AUDIT_CHECKPOINT_EVERY", "0"),
            ("INTERDICT_CONFIG", "/nonexistent/interdict.toml"),
            ("INTERDICT_TRUSTED_PROXIES", "10.0.0.2, proxy.local"),
            ("INTERDICT_REQUEST_TIMEOUT_SECONDS", "0"),
            ("INTERDICT_BODY_TIMEOUT_SECONDS", "soon"),
            ("INTERDICT_MAX_CONNECTIONS_PER_SOURCE", "0"),
            ("INTERDICT_METRICS_BIND", "metrics.local"),
        ];
        for (key, value) in cases {
            let err = load(&[(key, value)]).unwrap_err();
            assert_eq!(err.key, key, "{key}={value}");
            assert!(err.to_string().contains(key));
        }
    }

    #[test]
    fn flags_are_overdue_after_five_days_unless_configured() {
        assert_eq!(load(&[]).unwrap().overdue_after, chrono::Duration::days(5));
        let config = load(&[("INTERDICT_REVIEW_OVERDUE_AFTER_DAYS", "2")]).unwrap();
        assert_eq!(config.overdue_after, chrono::Duration::days(2));
        for bad in ["0", "366", "two"] {
            let e = load(&[("INTERDICT_REVIEW_OVERDUE_AFTER_DAYS", bad)]).unwrap_err();
            assert!(
                e.to_string().contains("overdue_after_days")
                    || e.to_string()
                        .contains("INTERDICT_REVIEW_OVERDUE_AFTER_DAYS"),
                "{e}"
            );
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let config = load(&[
            (
                "INTERDICT_JWT_SECRET",
                "a-very-long-secret-that-must-stay-hidden",
            ),
            ("INTERDICT_BOOTSTRAP_PASSWORD", "another hidden passphrase"),
        ])
        .unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("must-stay-hidden"));
        assert!(!printed.contains("hidden passphrase"));
    }

    #[test]
    fn a_config_file_overlays_the_defaults_and_rejects_unknown_keys() {
        let dir = std::env::temp_dir().join(format!("interdict-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "[server]\nbind = \"127.0.0.1:9999\"\n").unwrap();
        let config = load(&[("INTERDICT_CONFIG", good.to_str().unwrap())]).unwrap();
        assert_eq!(config.bind.port(), 9999);
        assert_eq!(config.pool_size, 16);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[server]\nbindd = \"127.0.0.1:9999\"\n").unwrap();
        let err = load(&[("INTERDICT_CONFIG", bad.to_str().unwrap())]).unwrap_err();
        assert!(err.message.contains("bindd"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
