//! Harness for the integration tests: the real worker under `wrangler dev`
//! (workerd, SQLite-backed Durable Objects and KV on disk), a local webhook
//! receiver, and small API helpers.
//!
//! `scripts/test.sh` builds the worker once and starts one shared instance
//! (`MID_BASE_URL`, `MID_ADMIN_TOKEN`); tests that need their own (restart,
//! other settings) start one with [`Worker::start`], which is stopped on drop.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod openapi;
pub mod passkey;
pub mod qr;
pub mod receiver;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use receiver::{Behaviour, Received, Receiver, Script};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A port the OS says is free and that no other worker of this process was
/// given: tests start workers concurrently, and a port released by one probe
/// can come back from the next (seen as "Address already in use").
fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if GIVEN.lock().unwrap().insert(port) {
            return port;
        }
    }
}

/// A `wrangler dev` process group on a free port.
pub struct Worker {
    pub base: String,
    pub admin: String,
    pub persist: PathBuf,
    port: u16,
    vars: Vec<(String, String)>,
    child: Option<Child>,
}

impl Worker {
    /// Starts a worker with a fresh persist dir and extra `--var`s.
    pub async fn start(name: &str, vars: &[(&str, &str)]) -> Worker {
        let w = Self::start_unchecked(name, vars).await;
        wait_healthy(&w.base).await;
        w
    }

    /// Like [`Worker::start`], but only waits until it answers at all (any
    /// status), for workers configured to refuse service.
    pub async fn start_unchecked(name: &str, vars: &[(&str, &str)]) -> Worker {
        let persist = repo_root()
            .join("tests/.run")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&persist);
        std::fs::create_dir_all(&persist).unwrap();
        let admin = format!("test-admin-{name}-{}", std::process::id());
        let mut all: Vec<(String, String)> = vec![
            ("ADMIN_TOKEN".into(), admin.clone()),
            ("WEBHOOK_RETRY_BASE_MS".into(), "300".into()),
            ("ALLOW_PRIVATE_WEBHOOK_URLS".into(), "true".into()),
        ];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let port = free_port();
        let mut w = Worker {
            base: format!("http://127.0.0.1:{port}"),
            admin,
            persist,
            port,
            vars: all,
            child: None,
        };
        w.spawn().await;
        w
    }

    /// Starts wrangler and waits until it answers. Many workers starting at
    /// once on two cores can collide on a port workerd picks for itself
    /// ("Address already in use", and wrangler exits): such a start is
    /// retried, up to three times, with the same port and state.
    async fn spawn(&mut self) {
        for attempt in 1..=3 {
            let log = self.persist.with_extension("log");
            // Only this attempt's part of the log counts.
            let from = std::fs::metadata(&log).map_or(0, |m| m.len());
            let from = if attempt == 1 { 0 } else { from };
            self.spawn_once(attempt).await;
            if wait_answering(&self.base, self.child.as_mut().unwrap(), &log, from).await {
                return;
            }
            self.stop();
        }
        panic!("worker at {} did not start (see its log)", self.base);
    }

    async fn spawn_once(&mut self, attempt: u32) {
        let root = repo_root();
        let log_path = self.persist.with_extension("log");
        let log = if attempt == 1 {
            std::fs::File::create(&log_path).unwrap()
        } else {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&log_path)
                .unwrap()
        };
        let mut cmd = Command::new(root.join("node_modules/.bin/wrangler"));
        cmd.current_dir(&root)
            .args([
                "dev",
                "--ip",
                "127.0.0.1",
                "--show-interactive-dev-session=false",
            ])
            .args(["--port", &self.port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(&self.persist)
            .args(["--var", &format!("PUBLIC_URL:{}", self.base)]);
        for (k, v) in &self.vars {
            cmd.args(["--var", &format!("{k}:{v}")]);
        }
        cmd.env("MID_SKIP_BUILD", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            // No `Request.cf` download from the internet (tests run offline).
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        self.child = Some(cmd.spawn().expect("spawn wrangler dev"));
    }

    /// Kills wrangler and every process under it (workerd included) and waits.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Individual positive pids, never a group or a negative id: nothing
            // outside this worker's own process tree can be hit.
            let pids: Vec<String> = descendants(child.id()).iter().map(u32::to_string).collect();
            let _ = Command::new("kill").arg("-9").args(&pids).status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stop, then start again on the same port and persist dir.
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
        wait_healthy(&self.base).await;
    }

    pub fn api(&self) -> Api {
        Api::new(&self.base, &self.admin)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `root` and all its descendants, from `/proc/<pid>/stat` parent links.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the command name (which may contain spaces) start after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.push((pid, ppid));
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

/// Until the worker answers any HTTP status on `/health` (true), or its
/// wrangler exits or logs that the runtime failed to start (false).
async fn wait_answering(base: &str, child: &mut Child, log: &std::path::Path, from: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(90);
    let http = reqwest::Client::new();
    while Instant::now() < deadline {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            return true;
        }
        let failed = std::fs::read(log).is_ok_and(|l| {
            let mine = l
                .get(usize::try_from(from).unwrap_or(0)..)
                .unwrap_or_default();
            String::from_utf8_lossy(mine).contains("The Workers runtime failed to start")
        });
        if failed || matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("worker at {base} did not answer");
}

async fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let http = reqwest::Client::new();
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{base}/health")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("worker at {base} did not become healthy");
}

/// The shared worker started by `scripts/test.sh`.
pub fn shared() -> Api {
    let base = std::env::var("MID_BASE_URL")
        .expect("MID_BASE_URL: run the integration tests through `npm test`");
    let admin = std::env::var("MID_ADMIN_TOKEN").expect("MID_ADMIN_TOKEN");
    Api::new(&base, &admin)
}

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.bytes)))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
    /// `(status, error.code)` of an error answer.
    pub fn error(&self) -> (u16, String) {
        (
            self.status,
            self.json()["error"]["code"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        )
    }
}

/// A partner created for one test: its own client, so tests never share rate limits.
#[derive(Debug, Clone)]
pub struct Partner {
    pub id: String,
    pub live_key: String,
    pub test_key: String,
    pub webhook_secret: String,
    pub created: Value,
}

/// The start of the body of wrangler dev's proxy 503 (see [`Api::send`]).
const WRANGLER_PROXY_503: &[u8] = b"Your worker restarted mid-request.";

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub admin: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, admin: &str) -> Api {
        Api {
            base: base.into(),
            admin: admin.into(),
            http: reqwest::Client::new(),
        }
    }

    /// Sends a request; `auth` is `(bearer, client id)`; a JSON `body` is sent as application/json.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        auth: Option<(&str, Option<&str>)>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut resp = self.send_once(method, path, auth, body, headers).await;
        // wrangler dev's own proxy answers 503 with this text (never MID's JSON)
        // when its hop to the worker fails mid-request under load; GETs it
        // retries itself, other methods it leaves to the client. Retry once, loudly.
        if resp.status == 503 && resp.bytes.starts_with(WRANGLER_PROXY_503) {
            eprintln!("wrangler dev proxy dropped {method} {path}; retrying once");
            resp = self.send_once(method, path, auth, body, headers).await;
        }
        openapi::check_response(
            method,
            path,
            resp.status,
            resp.header("Content-Type").as_deref(),
            &resp.bytes,
        );
        resp
    }

    async fn send_once(
        &self,
        method: &str,
        path: &str,
        auth: Option<(&str, Option<&str>)>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some((bearer, client)) = auth {
            req = req.header("Authorization", format!("Bearer {bearer}"));
            if let Some(c) = client {
                req = req.header("X-Client-ID", c);
            }
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        Resp {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            bytes: resp.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.send(method, path, Some((&self.admin, None)), body, &[])
            .await
    }

    pub async fn new_partner(&self, body: Value) -> Partner {
        let r = self.admin("POST", "/clients", Some(&body)).await;
        assert_eq!(
            r.status,
            201,
            "create client: {}",
            String::from_utf8_lossy(&r.bytes)
        );
        let v = r.json();
        Partner {
            id: v["id"].as_str().unwrap().into(),
            live_key: v["apiKeys"]["live"].as_str().unwrap().into(),
            test_key: v["apiKeys"]["test"].as_str().unwrap().into(),
            webhook_secret: v["webhookSecret"].as_str().unwrap().into(),
            created: v,
        }
    }

    pub async fn partner(&self) -> Partner {
        self.new_partner(json!({"name": "Test Shop"})).await
    }

    /// A request with the partner's test key.
    pub async fn test(&self, p: &Partner, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.send(method, path, Some((&p.test_key, Some(&p.id))), body, &[])
            .await
    }

    pub async fn live(&self, p: &Partner, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.send(method, path, Some((&p.live_key, Some(&p.id))), body, &[])
            .await
    }

    /// Creates a consent with the test key; returns the 201 body.
    pub async fn consent(&self, p: &Partner, body: Value) -> Value {
        let r = self.test(p, "POST", "/consents/auth", Some(&body)).await;
        assert_eq!(
            r.status,
            201,
            "create consent: {}",
            String::from_utf8_lossy(&r.bytes)
        );
        r.json()
    }
}

/// A Nigerian mobile (`+23480` + 8 digits) no other test of this run uses,
/// so per-mobile limits never collide across tests, binaries or runs.
pub fn mobile() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    // The process id and counter fill the low digits (distinct within a run);
    // the clock spreads runs apart.
    let pid = u64::from(std::process::id()) % 10_000;
    let digits = (nanos / 1_000_000 % 100) * 1_000_000 + pid * 100 + n % 100;
    format!("+23480{digits:08}")
}

/// The 6-digit code in an OTP SMS (its WebOTP line ends `#<code>`).
pub fn code_in(sms: &str) -> String {
    let code = sms.rsplit('#').next().unwrap().trim().to_owned();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "no code in {sms:?}"
    );
    code
}

impl Api {
    /// `POST /enrollments` with the test key; returns the 201 body.
    pub async fn enroll(&self, p: &Partner, mobile: &str) -> Value {
        let r = self
            .test(
                p,
                "POST",
                "/enrollments",
                Some(&json!({ "mobile": mobile })),
            )
            .await;
        assert_eq!(
            r.status,
            201,
            "create enrollment: {}",
            String::from_utf8_lossy(&r.bytes)
        );
        r.json()
    }

    /// The newest sandbox SMS to `mobile` (test key), as `(body, code)`.
    pub async fn sandbox_sms(&self, p: &Partner, mobile: &str) -> (String, String) {
        let to: String = mobile.replace('+', "%2B");
        let r = self
            .test(p, "GET", &format!("/sandbox/messages?to={to}"), None)
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
        let body = r.json()["data"][0]["body"]
            .as_str()
            .unwrap_or_else(|| panic!("no sandbox SMS to {mobile}: {}", r.json()))
            .to_owned();
        let code = code_in(&body);
        (body, code)
    }
}

/// The approval token inside `qr.url` (`.../a/<id>#t=<token>`).
pub fn token_of(consent: &Value) -> String {
    consent["qr"]["url"]
        .as_str()
        .unwrap()
        .split("#t=")
        .nth(1)
        .unwrap()
        .to_owned()
}

/// Polls `check` until it returns `Some`, or panics after `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks that a device `p` just deleted is gone: `GET` and `DELETE
/// /devices/{device_id}` answer 404 `not_found` and `/users/{user}/devices`
/// lists nothing; then waits for the `device.deregistered` webhook, checks
/// its `deviceId`, `status` and `user.id`, and returns it for the caller's
/// further checks (signature, `device`).
pub async fn assert_device_gone(
    api: &Api,
    p: &Partner,
    hooks: &Receiver,
    user: &str,
    device_id: &str,
) -> Received {
    let r = api
        .test(p, "GET", &format!("/devices/{device_id}"), None)
        .await;
    assert_eq!(
        r.error(),
        (404, "not_found".into()),
        "GET the deleted device"
    );
    let r = api
        .test(p, "DELETE", &format!("/devices/{device_id}"), None)
        .await;
    assert_eq!(
        r.error(),
        (404, "not_found".into()),
        "DELETE the deleted device again"
    );
    let r = api
        .test(p, "GET", &format!("/users/{user}/devices"), None)
        .await;
    assert_eq!(r.json()["data"], json!([]), "the user's devices");

    let hook = eventually(20, "device.deregistered", || {
        let h = hooks.of("device.deregistered");
        async move { h.into_iter().next() }
    })
    .await;
    let data = &hook.json()["data"];
    assert_eq!(data["deviceId"], device_id);
    assert_eq!(data["status"], "deregistered");
    assert_eq!(data["user"]["id"], user);
    hook
}
