//! A local HTTP receiver: records every request exactly as received and
//! answers with a scripted reply (e.g. fail the first N). Plays a partner's
//! webhook endpoint, or an SMS provider's API (Termii, Twilio).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status we answered.
    pub answered: u16,
    /// When the request arrived.
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// What the receiver answers: `fail` (status, body) for the first
/// `fail_first` requests, `ok` after that.
#[derive(Debug, Clone)]
pub struct Script {
    pub fail: (u16, String),
    pub ok: (u16, String),
}

/// How the receiver behaves beyond its [`Script`].
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Extra headers on the `fail` replies (e.g. `Location`, `Retry-After`).
    pub fail_headers: Vec<(String, String)>,
    /// Wait this long before answering each request (a slow endpoint).
    pub delay: Duration,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    /// `http://127.0.0.1:<port>`, for APIs configured by base URL.
    pub base: String,
    received: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<AtomicUsize>,
    script: Arc<Script>,
    behaviour: Arc<Behaviour>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Receiver {
    /// Listens on 127.0.0.1; the first `fail_first` requests get a 500.
    pub async fn start(fail_first: usize) -> Receiver {
        Self::scripted(
            fail_first,
            Script {
                fail: (500, "ok".into()),
                ok: (200, "ok".into()),
            },
        )
        .await
    }

    /// Listens on 127.0.0.1 and answers as `script` says.
    pub async fn scripted(fail_first: usize, script: Script) -> Receiver {
        Self::behaving(fail_first, script, Behaviour::default()).await
    }

    /// Listens on 127.0.0.1, answers as `script` says, behaves as `behaviour` says.
    pub async fn behaving(fail_first: usize, script: Script, behaviour: Behaviour) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let r = Receiver {
            url: format!("{base}/hooks/mid"),
            base,
            received: Arc::default(),
            fail_first: Arc::new(AtomicUsize::new(fail_first)),
            script: Arc::new(script),
            behaviour: Arc::new(behaviour),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        };
        let me = r.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move {
                    if let Some(req) = read_request(&mut sock).await {
                        let now = me.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        me.max_in_flight.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(me.behaviour.delay).await;
                        me.in_flight.fetch_sub(1, Ordering::SeqCst);
                        let fail = me
                            .fail_first
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        let (status, body) = if fail {
                            me.script.fail.clone()
                        } else {
                            me.script.ok.clone()
                        };
                        me.received.lock().unwrap().push(Received {
                            answered: status,
                            ..req
                        });
                        let kind = if body.starts_with('{') {
                            "application/json"
                        } else {
                            "text/plain"
                        };
                        let extra: String = if fail {
                            me.behaviour
                                .fail_headers
                                .iter()
                                .map(|(k, v)| format!("{k}: {v}\r\n"))
                                .collect()
                        } else {
                            String::new()
                        };
                        let reply = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = sock.write_all(reply.as_bytes()).await;
                    }
                });
            }
        });
        r
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Requests whose `X-MID-Event` is `event`.
    pub fn of(&self, event: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| r.header("x-mid-event") == Some(event))
            .collect()
    }
}

/// Reads one HTTP/1.1 request (head and `Content-Length` body) from `sock`.
pub async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[header_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        method,
        path,
        headers,
        body,
        answered: 0,
        at: Instant::now(),
    })
}
