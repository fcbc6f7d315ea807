//! Running the real `interdict` binary in a scratch directory; shared by
//! the binary and browser tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_interdict");

pub struct Workdir(pub PathBuf);

impl Workdir {
    pub fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("interdict-bin-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A command in `dir` with a clean Interdict environment (the defaults).
pub fn interdict(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("INTERDICT_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("INTERDICT_BIND", "127.0.0.1:0");
    cmd
}

pub struct Server {
    pub child: Child,
    pub port: u16,
    pub stdout: String,
}

/// Collects a pipe's lines on a helper thread.
pub fn collect_lines(pipe: impl Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// Starts `serve` and waits for its "listening" log line.
pub fn serve(dir: &Path) -> Server {
    let mut child = interdict(dir)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = collect_lines(child.stdout.take().unwrap());
    let stderr = collect_lines(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let port = loop {
        let found = stderr.lock().unwrap().iter().find_map(|line| {
            let rest = line.split("port=").nth(1)?;
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u16>()
                .ok()
        });
        if let Some(port) = found {
            break port;
        }
        assert!(
            Instant::now() < deadline,
            "server did not start: {:?}",
            stderr.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // The banner is printed before the listening line; let the reader catch up.
    std::thread::sleep(Duration::from_millis(100));
    let stdout = stdout.lock().unwrap().join("\n");
    Server {
        child,
        port,
        stdout,
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
