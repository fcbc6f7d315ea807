//! Decides at build time which of this crate's test lanes can run here, so
//! one that cannot is reported by the harness as ignored, with its reason,
//! never counted as passed. A lane that is required (CI sets
//! `INTERDICT_REQUIRE_*`) is always built to run, and fails if it cannot.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(interdict_postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(interdict_browser_tests)");
    for var in [
        "INTERDICT_TEST_POSTGRES_URL",
        "INTERDICT_REQUIRE_POSTGRES",
        "INTERDICT_REQUIRE_BROWSER",
        // `make test` sets this to where chromedriver is, or to nothing, so a
        // browser installed or removed since the last build is noticed.
        "INTERDICT_CHROMEDRIVER",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let set = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty());
    if set("INTERDICT_TEST_POSTGRES_URL") || set("INTERDICT_REQUIRE_POSTGRES") {
        println!("cargo::rustc-cfg=interdict_postgres_tests");
    }
    let driver = match std::env::var("INTERDICT_CHROMEDRIVER") {
        Ok(path) => !path.is_empty(),
        Err(_) => ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .iter()
            .any(|p| std::path::Path::new(p).exists()),
    };
    if driver || set("INTERDICT_REQUIRE_BROWSER") {
        println!("cargo::rustc-cfg=interdict_browser_tests");
    }
}
