//! A minimal HTTP/1.1 client over [`std::net::TcpStream`], for the testbed on
//! loopback: one `GET` per connection (`Connection: close`), the response
//! read to the end, its status and headers parsed. No TLS, no redirects, no
//! chunked decoding of bodies (the body is not used, only its end).
//!
//! Invariant: every call returns within about `timeout` of its start (the
//! connect, each write and each read are bounded by it), with either a
//! response or an error saying which step failed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A parsed response: status code and headers (names lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    Connect,
    Write,
    Timeout,
    Read,
    Malformed,
}

impl HttpError {
    /// The name logged in the `error` column.
    pub fn name(self) -> &'static str {
        match self {
            HttpError::Connect => "connect",
            HttpError::Write => "write",
            HttpError::Timeout => "timeout",
            HttpError::Read => "read",
            HttpError::Malformed => "malformed",
        }
    }
}

/// The most bytes of a response kept (headers and body): a testbed reply is
/// a few hundred bytes; more is read and dropped.
const MAX_KEPT: usize = 64 * 1024;

/// Sends `GET target` to `addr` and reads the whole response.
pub fn get(addr: SocketAddr, target: &str, timeout: Duration) -> Result<Response, HttpError> {
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
        if e.kind() == std::io::ErrorKind::TimedOut {
            HttpError::Timeout
        } else {
            HttpError::Connect
        }
    })?;
    let _ = stream.set_nodelay(true);
    let remaining = |started: Instant| {
        timeout
            .checked_sub(started.elapsed())
            .filter(|d| !d.is_zero())
            .ok_or(HttpError::Timeout)
    };
    stream
        .set_write_timeout(Some(remaining(started)?))
        .map_err(|_| HttpError::Write)?;
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: dofleet-loadgen\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|_| HttpError::Write)?;
    let mut kept = Vec::with_capacity(1024);
    let mut buf = [0u8; 8192];
    loop {
        stream
            .set_read_timeout(Some(remaining(started)?))
            .map_err(|_| HttpError::Read)?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = MAX_KEPT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                if let Some(end) = complete_length(&kept) {
                    if kept.len() >= end {
                        break;
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HttpError::Timeout)
            }
            Err(_) => return Err(HttpError::Read),
        }
    }
    parse(&kept)
}

/// With the headers complete and a Content-Length, the response's total
/// length (so the read can stop without waiting for the close).
fn complete_length(bytes: &[u8]) -> Option<usize> {
    let head_end = find(bytes, b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&bytes[..head_end]).ok()?;
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    })?;
    Some(head_end + length)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses the status line and headers of a raw response.
pub fn parse(bytes: &[u8]) -> Result<Response, HttpError> {
    let head_end = find(bytes, b"\r\n\r\n").ok_or(HttpError::Malformed)?;
    let head = std::str::from_utf8(&bytes[..head_end]).map_err(|_| HttpError::Malformed)?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or(HttpError::Malformed)?;
    let mut parts = status_line.split(' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Malformed);
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or(HttpError::Malformed)?;
    let headers = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect();
    Ok(Response { status, headers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn parses_status_and_headers() {
        let r = parse(b"HTTP/1.1 200 OK\r\nX-Path: local\r\nx-req: 3\r\n\r\nbody").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-path"), Some("local"));
        assert_eq!(r.header("x-req"), Some("3"));
        assert_eq!(r.header("x-life"), None);
    }

    #[test]
    fn refuses_what_is_not_http() {
        assert_eq!(parse(b"SSH-2.0\r\n\r\n"), Err(HttpError::Malformed));
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\n"), Err(HttpError::Malformed));
        assert_eq!(parse(b"HTTP/1.1 9999 X\r\n\r\n"), Err(HttpError::Malformed));
    }

    #[test]
    fn gets_from_a_server_and_times_out_on_a_silent_one() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).unwrap();
            s.write_all(b"HTTP/1.1 503 Busy\r\nContent-Length: 2\r\nx-path: delegated\r\n\r\nok")
                .unwrap();
            // A second client that is never answered.
            let (_silent, _) = listener.accept().unwrap();
            std::thread::sleep(Duration::from_millis(600));
        });
        let r = get(addr, "/t1", Duration::from_secs(5)).unwrap();
        assert_eq!(r.status, 503);
        assert_eq!(r.header("x-path"), Some("delegated"));
        let started = Instant::now();
        assert_eq!(
            get(addr, "/t2", Duration::from_millis(200)),
            Err(HttpError::Timeout)
        );
        assert!(started.elapsed() < Duration::from_millis(550));
        server.join().unwrap();
    }
}
