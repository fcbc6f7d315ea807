//! A small W3C WebDriver client over ureq: the dozen commands these tests
//! use, against chromedriver driving headless Chromium. (A full client
//! crate would bring an async HTTP stack into a suite that needs none.)

use base64::Engine;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    child: Child,
    base: String,
}

impl Driver {
    /// Starts chromedriver on a free port, or `None` when it is not
    /// installed.
    pub fn start() -> Option<Self> {
        let binary = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()?;
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ready = ureq::get(&format!("{base}/status"))
                .call()
                .ok()
                .and_then(|r| r.into_json::<Value>().ok())
                .and_then(|v| v["value"]["ready"].as_bool())
                .unwrap_or(false);
            if ready {
                return Some(Self { child, base });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not become ready");
    }

    pub fn session(&self, download_dir: &Path) -> Browser {
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000"
                ],
                "prefs": {
                    "download.default_directory": download_dir.display().to_string(),
                    "download.prompt_for_download": false
                }
            }
        } } });
        let response = post(&format!("{}/session", self.base), &capabilities);
        let id = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {response}"))
            .to_owned();
        let browser = Browser {
            url: format!("{}/session/{id}", self.base),
        };
        // Lets Chromium save downloads without asking, headless included.
        post(
            &format!("{}/chromium/send_command", browser.url),
            &json!({ "cmd": "Browser.setDownloadBehavior", "params": { "behavior": "allow", "downloadPath": download_dir.display().to_string() } }),
        );
        browser
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn post(url: &str, body: &Value) -> Value {
    match ureq::post(url).send_json(body.clone()) {
        Ok(r) => r.into_json().unwrap_or(Value::Null),
        Err(ureq::Error::Status(_, r)) => r.into_json().unwrap_or(Value::Null),
        Err(e) => panic!("webdriver: {e}"),
    }
}

pub struct Browser {
    url: String,
}

#[derive(Clone)]
pub struct Element(String);

impl Browser {
    fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.url);
        let response = match method {
            "get" => ureq::get(&url).call(),
            "delete" => ureq::delete(&url).call(),
            _ => ureq::post(&url).send_json(body),
        };
        let value: Value = match response {
            Ok(r) => r.into_json().unwrap_or(Value::Null),
            Err(ureq::Error::Status(code, r)) => {
                let body: Value = r.into_json().unwrap_or(Value::Null);
                panic!("webdriver {path} answered {code}: {body}")
            }
            Err(e) => panic!("webdriver {path}: {e}"),
        };
        value["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.command("post", "/url", json!({ "url": url }));
    }

    pub fn current_url(&self) -> String {
        self.command("get", "/url", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn source(&self) -> String {
        self.command("get", "/source", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn title(&self) -> String {
        self.command("get", "/title", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = format!("{}/element", self.url);
            let found = ureq::post(&url)
                .send_json(json!({ "using": "css selector", "value": css }))
                .ok()
                .and_then(|r| r.into_json::<Value>().ok())
                .and_then(|v| v["value"][ELEMENT].as_str().map(str::to_owned));
            if let Some(id) = found {
                return Element(id);
            }
            assert!(
                Instant::now() < deadline,
                "no element matches {css} on {}",
                self.current_url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn count(&self, css: &str) -> usize {
        self.command(
            "post",
            "/elements",
            json!({ "using": "css selector", "value": css }),
        )
        .as_array()
        .map(Vec::len)
        .unwrap_or(0)
    }

    pub fn fill(&self, name: &str, text: &str) {
        self.fill_css(&format!("[name=\"{name}\"]"), text);
    }

    pub fn fill_css(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.command("post", &format!("/element/{}/clear", element.0), json!({}));
        self.command(
            "post",
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        );
    }

    /// Sets a date input: typing into one follows the browser's locale.
    pub fn set_date(&self, name: &str, iso: &str) {
        self.find(&format!("[name=\"{name}\"]"));
        self.execute(&format!(
            "document.querySelector('[name=\"{name}\"]').value = '{iso}'; return 1;"
        ));
    }

    /// Picks an option of a select by its value.
    pub fn choose(&self, name: &str, value: &str) {
        let option = self.find(&format!(
            "select[name=\"{name}\"] option[value=\"{value}\"]"
        ));
        self.click_element(&option);
    }

    pub fn click(&self, css: &str) {
        let element = self.find(css);
        self.click_element(&element);
    }

    fn click_element(&self, element: &Element) {
        self.command("post", &format!("/element/{}/click", element.0), json!({}));
    }

    pub fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.command("get", &format!("/element/{}/text", element.0), Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn execute(&self, script: &str) -> Value {
        self.command(
            "post",
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.command("get", "/cookie", Value::Null)
            .as_array()?
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["value"].as_str().map(str::to_owned))
    }

    pub fn set_width(&self, width: u32) {
        self.command(
            "post",
            "/window/rect",
            json!({ "width": width, "height": 1000 }),
        );
    }

    /// Saves a full-page PNG under `dir`.
    pub fn screenshot(&self, dir: &Path, name: &str) {
        let data = self.command("get", "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("screenshot is base64");
        std::fs::create_dir_all(dir).expect("screenshot directory");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = ureq::delete(&self.url).call();
    }
}
