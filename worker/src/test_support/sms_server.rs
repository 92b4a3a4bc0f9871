//! Loopback HTTP server for provider tests: records each raw request and
//! answers with a canned reply, then exits after a fixed number of
//! connections. Exists so tests exercise real HTTP bytes, not our own mocks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::domain::sms::HttpRequest;

/// What the server saw.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

/// A canned reply.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

pub struct TestServer {
    pub base_url: String,
    handle: JoinHandle<Vec<RecordedRequest>>,
}

impl TestServer {
    /// Serves one connection per reply, in order, then stops. Gives up
    /// after 5 s without a client so a broken test cannot hang.
    pub fn start(replies: Vec<Reply>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut seen = Vec::new();
            for reply in replies {
                let stream = loop {
                    match listener.accept() {
                        Ok((stream, _)) => break stream,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            assert!(Instant::now() < deadline, "no client connected");
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        Err(e) => panic!("accept failed: {e}"),
                    }
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(2)))
                    .unwrap();
                let mut reader = BufReader::new(stream);
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut parts = request_line.trim_end().splitn(3, ' ');
                let method = parts.next().unwrap_or("").to_owned();
                let path = parts.next().unwrap_or("").to_owned();
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let line = line.trim_end_matches(['\r', '\n']);
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap();
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .map(|(_, v)| v.parse().unwrap())
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                reader.read_exact(&mut body).unwrap();
                seen.push(RecordedRequest {
                    method,
                    path,
                    headers,
                    body,
                });

                let mut stream = reader.into_inner();
                let head = format!(
                    "HTTP/1.1 {} Canned\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    reply.status,
                    reply.body.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(&reply.body).unwrap();
                stream.flush().unwrap();
            }
            seen
        });
        TestServer { base_url, handle }
    }

    /// Waits for the server thread and returns what it recorded.
    pub fn finish(self) -> Vec<RecordedRequest> {
        self.handle.join().expect("test server thread panicked")
    }
}

/// Sends a built request with a real HTTP client; returns (status, body).
pub fn send(request: &HttpRequest) -> (u16, Vec<u8>) {
    assert_eq!(request.method, "POST", "providers only use POST here");
    let mut outgoing = minreq::post(request.url.as_str()).with_timeout(3);
    for (name, value) in &request.headers {
        outgoing = outgoing.with_header(name.as_str(), value.as_str());
    }
    let response = outgoing
        .with_body(request.body.as_bytes().to_vec())
        .send()
        .expect("request to test server failed");
    let status = u16::try_from(response.status_code).unwrap();
    (status, response.into_bytes())
}

/// Asserts the server saw exactly what `request` describes: method, path,
/// every header with its value, a matching Content-Length and the body.
pub fn assert_arrived_intact(seen: &RecordedRequest, request: &HttpRequest, base_url: &str) {
    assert_eq!(seen.method, request.method);
    let path = request.url.strip_prefix(base_url).expect("url under base");
    assert_eq!(seen.path, path);
    for (name, value) in &request.headers {
        assert_eq!(seen.header(name), Some(value.as_str()), "header {name}");
    }
    let length = request.body.len().to_string();
    assert_eq!(seen.header("content-length"), Some(length.as_str()));
    assert_eq!(seen.body, request.body.as_bytes());
}
