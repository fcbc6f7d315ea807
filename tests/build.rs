//! Decides at build time whether the PostgreSQL lane can run, so that when
//! it cannot the harness reports its tests as ignored, with the reason,
//! never as passed. When it is required (CI sets
//! `INTERDICT_REQUIRE_POSTGRES`) it is always built to run, and fails if it
//! cannot.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(interdict_postgres_tests)");
    println!("cargo::rerun-if-env-changed=INTERDICT_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=INTERDICT_REQUIRE_POSTGRES");
    let set = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty());
    if set("INTERDICT_TEST_POSTGRES_URL") || set("INTERDICT_REQUIRE_POSTGRES") {
        println!("cargo::rustc-cfg=interdict_postgres_tests");
    }
}
