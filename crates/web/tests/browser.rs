//! End to end in a real browser: headless Chromium, driven over
//! WebDriver, through the real binary on a scratch SQLite database.
//!
//! Runs when chromedriver is installed, and is reported as ignored where
//! it is not (CI installs Debian's `chromium` and `chromium-driver`, and
//! sets `INTERDICT_REQUIRE_BROWSER=1` so a missing browser fails). Screenshots of each page
//! land in `target/screenshots/`.

mod common;
#[path = "browser/webdriver.rs"]
mod webdriver;

use common::{serve, Server, Workdir};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use webdriver::{Browser, Driver};

const PASSWORD: &str = "violet tractor umbrella quietly 42";

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots")
}

/// The browser tests are built as ignored where chromedriver is missing
/// (see `build.rs`); built to run, they need it.
fn driver() -> Driver {
    Driver::start().expect("chromedriver (apt-get install chromium chromium-driver) did not start")
}

fn admin_password(server: &Server) -> String {
    server
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .expect("first start prints the admin password")
        .to_owned()
}

struct Visit<'a> {
    browser: &'a Browser,
    server: &'a Server,
    shots: PathBuf,
}

impl Visit<'_> {
    fn go(&self, path: &str) {
        self.browser.goto(&self.server.url(path));
    }

    fn shot(&self, name: &str) {
        self.browser.screenshot(&self.shots, name);
    }

    fn sign_in(&self, username: &str, password: &str) {
        self.go("/login");
        self.browser.fill("username", username);
        self.browser.fill("password", password);
        self.browser
            .click("form[action='/login'] button[type=submit]");
        self.wait_for(|b| !b.current_url().contains("/login"), "signing in");
    }

    fn sign_out(&self) {
        self.browser.click(".who button[type=submit]");
        self.wait_for(|b| b.current_url().contains("/login"), "signing out");
    }

    fn wait_for(&self, done: impl Fn(&Browser) -> bool, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !done(self.browser) {
            assert!(
                Instant::now() < deadline,
                "timed out {what}; at {}:\n{}",
                self.browser.current_url(),
                self.browser.source()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn submit(&self, css: &str) {
        let before = self.browser.current_url();
        let marker = self
            .browser
            .execute("document.body.dataset.seen = '1'; return 1;");
        assert_eq!(marker, 1);
        self.browser.click(css);
        // A new document has no marker.
        self.wait_for(
            |b| b.execute("return document.body && document.body.dataset.seen !== '1' && document.readyState === 'complete';") == true,
            &format!("submitting {css} from {before}"),
        );
    }

    fn source(&self) -> String {
        self.browser.source()
    }

    fn shipment_id(&self) -> String {
        let url = self.browser.current_url();
        let path = url.split("/shipments/").nth(1).expect("on a shipment page");
        path.split(['?', '/']).next().unwrap_or_default().to_owned()
    }
}

/// Status of a page fetched with a browser's session cookie.
fn status_with_cookie(server: &Server, browser: &Browser, path: &str) -> u16 {
    let cookie = browser.cookie("interdict_session").expect("signed in");
    match ureq::get(&server.url(path))
        .set("Cookie", &format!("interdict_session={cookie}"))
        .call()
    {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    }
}

fn add_agency(visit: &Visit, name: &str, level: &str, jurisdiction: &str, ori: &str) {
    visit.go("/admin/agencies");
    let b = visit.browser;
    b.fill("name", name);
    b.choose("level", level);
    b.fill("jurisdiction", jurisdiction);
    b.fill("ori", ori);
    b.fill("contact", "Duty desk +1 555 0100");
    visit.submit("#add-agency");
    assert!(
        visit.source().contains("The agency was created"),
        "{}",
        visit.source()
    );
}

fn add_user(visit: &Visit, username: &str, role: &str, agency: &str) {
    visit.go("/admin/users");
    let b = visit.browser;
    b.fill("username", username);
    b.fill("display_name", &format!("{username} example"));
    b.click(&format!(
        "form[action='/admin/users'] select[name=role] option[value={role}]"
    ));
    let option = "select[name=\"agency_id\"] option";
    let agency_value = b
        .execute(&format!(
            "return Array.from(document.querySelectorAll('{option}')).find(o => o.textContent.startsWith('{agency}')).value;"
        ))
        .as_str()
        .expect("agency listed")
        .to_owned();
    b.choose("agency_id", &agency_value);
    b.fill_css("form[action='/admin/users'] [name=password]", PASSWORD);
    visit.submit("#add-user");
    assert!(
        visit.source().contains("The account was created"),
        "{}",
        visit.source()
    );
}

fn record_first_shipment(visit: &Visit) {
    let b = visit.browser;
    visit.go("/shipments/new");
    b.fill("tracking_numbers[0].value", "1Z999AA10123456784");
    b.fill("declared_description", "industrial chemicals");
    b.fill("parties[0].name", "Shenzhen Hua Trading Co., Ltd.");
    b.fill("parties[0].country", "CN");
    b.fill("parties[1].name", "Logistica del Norte SA");
    b.fill("parties[1].country", "MX");
    b.fill(
        "lines[0].chemical",
        "N-phenethyl-4-piperidone (CAS 39742-60-4)",
    );
    b.fill("lines[0].quantity", "25");
    b.choose("lines[0].unit", "kg");
    b.fill("legs[0].from.country", "CN");
    b.fill("legs[0].from.city", "Shenzhen");
    b.fill("legs[0].to.country", "MX");
    b.fill("legs[0].to.city", "Manzanillo");
    // More rows come back from the server, keeping what was typed.
    visit.submit("button[name=add][value=line]");
    assert!(visit.source().contains("Shenzhen Hua Trading"));
    b.choose("lines[1].kind", "die_mold");
    b.fill("lines[1].die_mold.front_imprint", "M");
    b.fill("lines[1].die_mold.back_imprint", "30");
    b.choose("lines[1].die_mold.shape", "round");
    b.fill("lines[1].die_mold.imitated_product", "oxycodone 30 mg");
    visit.submit("button[name=add][value=leg]");
    b.fill("legs[1].to.country", "US");
    b.fill("legs[1].to.subdivision", "TX");
    b.fill("legs[1].to.city", "El Paso");
    // A mistake first: the arrival comes back marked, nothing is saved.
    b.set_date("legs[1].departure_at", "2026-03-10");
    b.set_date("legs[1].arrival_at", "2026-03-01");
    visit.shot("03-shipment-form");
    visit.submit("#record");
    let page = visit.source();
    assert!(page.contains("Nothing was saved"), "{page}");
    assert!(page.contains("is before the departure"), "{page}");
    assert!(page.contains("Logistica del Norte SA"), "typed values kept");
    visit.shot("04-shipment-form-error");
    b.set_date("legs[1].arrival_at", "2026-03-12");
    visit.submit("#record");
    assert!(
        b.current_url().contains("done=recorded"),
        "{}",
        visit.source()
    );
}

fn record_second_shipment(visit: &Visit) {
    let b = visit.browser;
    visit.go("/shipments/new");
    b.fill("parties[0].name", "Logistica del Norte S.A.");
    b.fill("parties[0].country", "MX");
    b.fill("parties[1].name", "Desert Supply LLC");
    b.fill("parties[1].country", "US");
    b.fill("lines[0].chemical", "39742-60-4");
    b.fill("lines[0].quantity", "25");
    b.choose("lines[0].unit", "kg");
    b.fill("legs[0].from.country", "US");
    b.fill("legs[0].from.subdivision", "TX");
    b.fill("legs[0].from.city", "El Paso");
    b.fill("legs[0].to.country", "US");
    b.fill("legs[0].to.subdivision", "AZ");
    b.fill("legs[0].to.city", "Phoenix");
    b.set_date("legs[0].departure_at", "2026-03-14");
    visit.submit("#record");
    assert!(
        b.current_url().contains("done=recorded"),
        "{}",
        visit.source()
    );
}

#[test]
#[cfg_attr(
    not(interdict_browser_tests),
    ignore = "needs Chromium: apt-get install chromium chromium-driver"
)]
fn a_chain_is_recorded_linked_flagged_reviewed_and_audited_in_the_browser() {
    let driver = driver();
    let dir = Workdir::new();
    let server = serve(&dir.0);
    assert!(
        server.stdout.contains("open http://127.0.0.1:"),
        "{}",
        server.stdout
    );
    let downloads = dir.0.join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let browser = driver.session(&downloads);
    let visit = Visit {
        browser: &browser,
        server: &server,
        shots: screenshots(),
    };

    // The bootstrap admin sets up two agencies and their people.
    visit.go("/");
    assert!(browser.current_url().contains("/login"), "sign-in first");
    visit.shot("01-sign-in");
    visit.sign_in("admin", &admin_password(&server));
    add_agency(
        &visit,
        "Border Narcotics Unit",
        "federal",
        "US",
        "TX0000001",
    );
    add_agency(
        &visit,
        "Maricopa County Sheriff",
        "local",
        "AZ",
        "AZ0070000",
    );
    visit.shot("02-agencies");
    add_user(
        &visit,
        "ivy.investigator",
        "investigator",
        "Border Narcotics Unit",
    );
    add_user(
        &visit,
        "sam.supervisor",
        "supervisor",
        "Border Narcotics Unit",
    );
    add_user(&visit, "ada.auditor", "auditor", "Border Narcotics Unit");
    add_user(
        &visit,
        "otto.outsider",
        "investigator",
        "Maricopa County Sheriff",
    );
    add_user(
        &visit,
        "mo.supervisor",
        "supervisor",
        "Maricopa County Sheriff",
    );
    visit.shot("02-users");
    visit.sign_out();

    // The investigator records, links and flags.
    visit.sign_in("ivy.investigator", PASSWORD);
    visit.shot("03-dashboard");
    record_first_shipment(&visit);
    let first = visit.shipment_id();
    visit.shot("05-shipment");
    record_second_shipment(&visit);
    let second = visit.shipment_id();
    // Each flagged on its own, before anyone sees they belong together.
    for (shipment, reason) in [
        (
            &first,
            "precursor moving with a die mold towards the border",
        ),
        (&second, "same precursor leaving El Paso for Phoenix"),
    ] {
        visit.go(&format!("/shipments/{shipment}"));
        browser.fill("reason", reason);
        visit.submit("#flag");
        assert!(
            visit.source().contains("flagged for review"),
            "{}",
            visit.source()
        );
    }
    // Linked by searching for a party of the next shipment, not its id.
    visit.go(&format!("/shipments/{first}"));
    assert_eq!(browser.count("datalist#link-offers option"), 1);
    browser.fill("to", "Desert Supply");
    browser.choose("relation", "transshipment");
    browser.fill("evidence", "same tracking handed over at El Paso");
    visit.submit("#link");
    assert!(
        visit.source().contains("The link was recorded"),
        "{}",
        visit.source()
    );
    visit.go(&format!("/shipments/{first}/chain"));
    assert_eq!(browser.count("#chain-diagram g.node"), 2);
    assert_eq!(browser.count("#chain-diagram g.node[data-flagged=true]"), 2);
    assert_eq!(browser.count("#hops-table tbody tr"), 2);
    assert!(browser.text("#chain-diagram").contains("Transshipment"));
    visit.shot("06-chain");
    visit.go("/shipments?origin_country=CN");
    assert!(visit.source().contains(&first[..8]));
    visit.shot("07-search");

    // A form posted without its CSRF token is refused.
    browser.execute(&format!(
        "const f = document.createElement('form'); f.method = 'post'; f.action = '/shipments/{first}/flags';
         const i = document.createElement('input'); i.name = 'reason'; i.value = 'forged'; f.appendChild(i);
         document.body.appendChild(f); f.submit(); return 1;"
    ));
    visit.wait_for(
        |b| b.title().starts_with("This form has expired"),
        "the CSRF refusal",
    );
    visit.shot("08-csrf-refused");
    visit.go("/");
    visit.sign_out();

    // Another agency's investigator cannot see the record at all.
    visit.sign_in("otto.outsider", PASSWORD);
    visit.go(&format!("/shipments/{first}"));
    assert!(
        browser.title().starts_with("Not found"),
        "{}",
        browser.title()
    );
    assert_eq!(
        status_with_cookie(&server, &browser, &format!("/shipments/{first}")),
        404
    );
    visit.shot("09-not-found");
    visit.go("/");
    visit.sign_out();

    // The supervisor triages: linking merged the two flags into one open
    // flag for the chain, which the queue shows with its route and
    // parties; sorted by chain size and filtered by assignee.
    visit.sign_in("sam.supervisor", PASSWORD);
    visit.go("/reviews");
    assert_eq!(
        browser.count("table.flags tbody tr"),
        1,
        "one open flag per chain"
    );
    let row = browser.text("table.flags tbody tr");
    for shown in [
        "2 shipments",
        "Shenzhen",
        "Phoenix",
        "Shenzhen Hua Trading Co., Ltd. (CN)",
    ] {
        assert!(row.contains(shown), "{shown} missing from the row: {row}");
    }
    visit.shot("10-review-queue");
    visit.go("/reviews?state=merged");
    assert_eq!(
        browser.count("table.flags tbody tr"),
        1,
        "the other, merged"
    );
    visit.go("/reviews");
    browser.choose("sort", "chain");
    browser.choose("assigned_to", "none");
    visit.submit("form[action='/reviews'] button[type=submit]");
    let url = browser.current_url();
    assert!(
        url.contains("sort=chain") && url.contains("assigned_to=none"),
        "{url}"
    );
    assert_eq!(browser.count("table.flags tbody tr"), 1);
    browser.click("table.flags tbody tr td a");
    visit.wait_for(|b| b.current_url().contains("/flags/"), "opening the flag");
    let flag_url = browser.current_url();
    assert!(
        visit.source().contains("Merge"),
        "the merge is in its history"
    );
    visit.submit("button[value=assign]");
    visit.go("/reviews?assigned_to=none");
    assert_eq!(browser.count("table.flags tbody tr"), 0);
    visit.go("/reviews");
    browser.choose("assigned_to", "me");
    visit.submit("form[action='/reviews'] button[type=submit]");
    assert_eq!(browser.count("table.flags tbody tr"), 1);
    // Then escalates it to the county, where the suspects are headed.
    browser.goto(&flag_url);
    visit.submit("button[value=start_review]");
    let maricopa = browser
        .execute(
            "return Array.from(document.querySelectorAll('select[name=agency_id] option')).find(o => o.textContent.startsWith('Maricopa')).value;",
        )
        .as_str()
        .expect("Maricopa offered")
        .to_owned();
    browser.choose("agency_id", &maricopa);
    browser.fill("reason", "consignee in Phoenix; county has the case");
    visit.submit("button[value=escalate]");
    let page = visit.source();
    assert!(page.contains("Maricopa County Sheriff"), "{page}");
    visit.shot("11-flag-escalated");
    visit.go("/reviews?view=escalated_by_us");
    assert_eq!(browser.count("table.flags tbody tr"), 1);
    visit.sign_out();

    // It arrives in the county's queue, its records still Houston's.
    visit.sign_in("mo.supervisor", PASSWORD);
    visit.go("/reviews");
    assert_eq!(browser.count("table.flags tbody tr"), 1, "escalated to us");
    let row = browser.text("table.flags tbody tr");
    assert!(row.contains("not shared with your agency"), "{row}");
    assert!(row.contains("Border Narcotics Unit"), "{row}");
    assert!(!row.contains("Shenzhen"), "{row}");
    visit.shot("11-escalation-arrived");
    visit.sign_out();

    // The auditor finds both in the audit log and downloads the export.
    visit.sign_in("ada.auditor", PASSWORD);
    // Each found by its action, as an auditor searches: the newest page
    // alone is filled by the day's reads.
    for action in [
        "shipment.create",
        "link.create",
        "flag.raise",
        "flag.transition",
    ] {
        visit.go(&format!("/audit?action={action}"));
        assert!(
            visit.source().contains(&format!("<td>{action}")),
            "{action} missing from the audit page"
        );
    }
    visit.go("/audit");
    assert!(visit.source().contains("The audit chain is intact"));
    visit.shot("12-audit");
    visit.go("/reports");
    visit.shot("13-reports");
    browser.click("button[formaction='/reports/shipments.csv']");
    let deadline = Instant::now() + Duration::from_secs(20);
    let csv = loop {
        let done = std::fs::read_dir(&downloads)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "csv"));
        if let Some(path) = done {
            break std::fs::read_to_string(path).unwrap();
        }
        assert!(Instant::now() < deadline, "the CSV was not downloaded");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "both shipments exported: {csv}");
    assert!(csv.contains(&first) && csv.contains(&second));
    visit.go("/audit?action=report.export");
    assert!(visit.source().contains("report.export"));

    // A narrow screen gets the same page, readable.
    browser.set_width(400);
    visit.go("/audit");
    visit.shot("14-audit-narrow");
    drop(browser);
    assert!(server.terminate().success());
}

/// The current TOTP code of a base32 `secret`, for a time step after
/// `last` (each is accepted once) within the one either side of now.
fn totp_code(secret: &str, last: &mut i64) -> String {
    use totp_rs::{Algorithm, Secret, TOTP};
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("base32");
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "browser".into()).expect("TOTP");
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let step = (now / 30 - 1).max(*last + 1);
        if step <= now / 30 + 1 {
            *last = step;
            return totp.generate((step * 30) as u64);
        }
        std::thread::sleep(Duration::from_secs((30 - now % 30) as u64));
    }
}

#[test]
#[cfg_attr(
    not(interdict_browser_tests),
    ignore = "needs Chromium: apt-get install chromium chromium-driver"
)]
fn a_second_factor_is_enrolled_and_used_to_sign_in_in_the_browser() {
    let driver = driver();
    let dir = Workdir::new();
    let server = serve(&dir.0);
    let downloads = dir.0.join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let browser = driver.session(&downloads);
    let visit = Visit {
        browser: &browser,
        server: &server,
        shots: screenshots(),
    };
    let password = admin_password(&server);
    visit.sign_in("admin", &password);

    // Enrol: a QR code and the secret, shown once; confirm with a code.
    visit.go("/account/mfa");
    visit.submit("form[action='/account/mfa/enrol'] button[type=submit]");
    assert_eq!(browser.count("#mfa-qr svg path"), 1, "{}", visit.source());
    let secret = browser.text("#mfa-secret");
    visit.shot("20-mfa-enrol");
    let mut last = i64::MIN;
    browser.fill("code", &totp_code(&secret, &mut last));
    visit.submit("form[action='/account/mfa/confirm'] button[type=submit]");
    assert_eq!(
        browser.count("#recovery-codes li"),
        10,
        "{}",
        visit.source()
    );
    visit.shot("21-mfa-recovery-codes");
    visit.sign_out();

    // Signing in now takes the password, then a code.
    visit.go("/login");
    browser.fill("username", "admin");
    browser.fill("password", &password);
    visit.submit("form[action='/login'] button[type=submit]");
    assert_eq!(
        browser.count("form[action='/login/mfa']"),
        1,
        "{}",
        visit.source()
    );
    visit.shot("22-mfa-second-step");
    browser.fill("code", "000000");
    visit.submit("form[action='/login/mfa'] button[type=submit]");
    assert!(
        visit.source().contains("The code is wrong"),
        "{}",
        visit.source()
    );
    browser.fill("code", &totp_code(&secret, &mut last));
    visit.submit("form[action='/login/mfa'] button[type=submit]");
    assert!(
        !browser.current_url().contains("/login"),
        "{}",
        visit.source()
    );
    visit.go("/account/mfa");
    assert!(
        visit.source().contains("Recovery codes left: 10"),
        "{}",
        visit.source()
    );
    drop(browser);
    assert!(server.terminate().success());
}

/// What a supervisor reads on the 2,000-shipment demo: the dashboard, a
/// shipment, its chain, the queue and a flag, saved as
/// `target/screenshots/demo-*.png` to be looked at. Each page must read
/// without an id: no UUID in the text a person sees.
#[test]
#[cfg_attr(
    not(interdict_browser_tests),
    ignore = "needs Chromium: apt-get install chromium chromium-driver"
)]
fn the_demo_as_a_supervisor_reads_it_in_the_browser() {
    let driver = driver();
    let dir = Workdir::new();
    let loaded = common::interdict(&dir.0)
        .args(["demo", "--shipments", "2000", "--seed", "1"])
        .output()
        .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&loaded.stdout),
        String::from_utf8_lossy(&loaded.stderr)
    );
    assert!(loaded.status.success(), "{said}");
    let password = said
        .lines()
        .find_map(|l| l.trim().strip_prefix("demo password: "))
        .expect("the demo prints its password")
        .to_owned();
    let server = serve(&dir.0);
    let downloads = dir.0.join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let browser = driver.session(&downloads);
    browser.set_width(1600);
    let visit = Visit {
        browser: &browser,
        server: &server,
        shots: screenshots(),
    };
    visit.sign_in("supervisor.txdps0000", &password);
    let no_ids = |page: &str| {
        let shown = browser
            .execute(
                "return (document.body.innerText.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) || []).join(' ');",
            )
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(shown.is_empty(), "{page} shows ids to its reader: {shown}");
    };
    visit.go("/");
    visit.shot("demo-01-dashboard");
    no_ids("the dashboard");
    visit.go("/reviews?sort=chain");
    assert!(
        browser.count("table.flags tbody tr") > 0,
        "the demo gives supervisors a queue"
    );
    visit.shot("demo-04-queue");
    no_ids("the queue");
    let first = |prefix: &str| -> String {
        browser
            .execute(&format!(
                "return Array.from(document.querySelectorAll('table.flags tbody tr td a')).map(a => a.getAttribute('href')).find(h => h.startsWith('{prefix}'));"
            ))
            .as_str()
            .unwrap_or_else(|| panic!("a {prefix} link in the queue"))
            .to_owned()
    };
    let (flag, shipment) = (first("/flags/"), first("/shipments/"));
    visit.go(&shipment);
    visit.shot("demo-02-shipment");
    no_ids("the shipment");
    visit.go(&format!("{shipment}/chain"));
    visit.shot("demo-03-chain");
    no_ids("the chain");
    visit.go(&flag);
    visit.shot("demo-05-flag");
    no_ids("the flag");
    drop(browser);
    assert!(server.terminate().success());
}
