//! The HTTP/1.1 the control socket speaks: one request at a time per
//! connection (keep-alive, no pipelining guarantees beyond order), bodies
//! by Content-Length only, everything size-capped.
//!
//! Why by hand: Firecracker's `micro_http`, which DESIGN.md names, is not
//! published on crates.io (its users take it from git), and the crate of
//! that name there is an unrelated async server. What the socket needs is
//! ~150 lines: parse a request line, headers and a small body; write a
//! response with Content-Length.

use std::io::{self, BufRead, Write};

/// Request line plus headers, and body, are each capped at this size.
pub const MAX_HEAD: usize = 8 * 1024;
pub const MAX_BODY: usize = 4 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    pub query: Option<String>,
    pub body: Vec<u8>,
    /// The client asked to close after this request (or spoke HTTP/1.0).
    pub close: bool,
}

/// Why a request could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The client closed the connection between requests.
    Eof,
    /// I/O failed (timeout, reset, EOF mid-request): drop the connection
    /// silently.
    Io,
    /// Not a request we can answer: reply with this status and message,
    /// then close.
    Bad(u16, String),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> ReadError {
        ReadError::Io
    }
}

/// Reads one line (CRLF or LF), counting it against `budget`.
fn read_line(r: &mut impl BufRead, budget: &mut usize) -> Result<String, ReadError> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Err(if line.is_empty() {
                ReadError::Eof
            } else {
                ReadError::Io
            });
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        if chunk.len() > *budget {
            return Err(ReadError::Bad(431, "request head too large".into()));
        }
        *budget -= chunk.len();
        line.extend_from_slice(chunk);
        let n = chunk.len();
        r.consume(n);
        if done {
            break;
        }
    }
    while let Some(b'\n' | b'\r') = line.last() {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| ReadError::Bad(400, "request head is not UTF-8".into()))
}

/// Reads the next request from the connection.
pub fn read_request(r: &mut impl BufRead) -> Result<Request, ReadError> {
    let mut budget = MAX_HEAD;
    let mut line = read_line(r, &mut budget)?;
    // RFC 9112 2.2: ignore empty lines before a request line.
    while line.is_empty() {
        line = read_line(r, &mut budget)?;
    }
    let bad = |m: &str| ReadError::Bad(400, m.to_string());
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed request line"));
    };
    let mut close = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => {
            return Err(ReadError::Bad(
                505,
                format!("unsupported version {version:?}"),
            ));
        }
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad("malformed method"));
    }
    // Origin form, or absolute form as some clients send it.
    let target = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    if !target.starts_with('/') {
        return Err(bad("request target must be a path"));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };

    let mut length: Option<usize> = None;
    loop {
        let header = read_line(r, &mut budget)?;
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(bad("malformed header"));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let n: usize = value.parse().map_err(|_| bad("bad Content-Length"))?;
                if length.is_some_and(|l| l != n) {
                    return Err(bad("conflicting Content-Length"));
                }
                length = Some(n);
            }
            "transfer-encoding" => {
                return Err(ReadError::Bad(
                    501,
                    "Transfer-Encoding is not supported; send Content-Length".into(),
                ));
            }
            "connection" if value.eq_ignore_ascii_case("close") => close = true,
            "connection" if value.eq_ignore_ascii_case("keep-alive") => close = false,
            _ => {}
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY {
        return Err(ReadError::Bad(
            413,
            format!("request body of {length} bytes is larger than {MAX_BODY}"),
        ));
    }
    let mut body = vec![0u8; length];
    r.read_exact(&mut body)?;
    Ok(Request {
        method: method.to_string(),
        path,
        query,
        body,
        close,
    })
}

/// An answer: status, content type, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// Extra header lines (without CRLF), e.g. `Allow: GET`.
    pub headers: Vec<String>,
}

impl Response {
    pub fn json(status: u16, body: String) -> Response {
        Response {
            status,
            content_type: "application/json",
            body,
            headers: Vec::new(),
        }
    }

    pub fn text(status: u16, content_type: &'static str, body: String) -> Response {
        Response {
            status,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    /// `{"error": message}` with `status`.
    pub fn error(status: u16, message: &str) -> Response {
        Response::json(
            status,
            format!("{{\"error\": {}}}", super::json::string(message)),
        )
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Writes `resp`; `close` adds `Connection: close`.
pub fn write_response(w: &mut impl Write, resp: &Response, close: bool) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len()
    );
    for h in &resp.headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut all = head.into_bytes();
    all.extend_from_slice(resp.body.as_bytes());
    w.write_all(&all)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> Result<Request, ReadError> {
        read_request(&mut &text[..])
    }

    #[test]
    fn parses_requests() {
        let r = read(b"PUT /vm/state?x=1 HTTP/1.1\r\nHost: l\r\nContent-Length: 4\r\n\r\nabcd")
            .unwrap();
        assert_eq!(r.method, "PUT");
        assert_eq!(r.path, "/vm/state");
        assert_eq!(r.query.as_deref(), Some("x=1"));
        assert_eq!(r.body, b"abcd");
        assert!(!r.close);
        let r = read(b"GET http://localhost/vm HTTP/1.0\n\n").unwrap();
        assert_eq!(r.path, "/vm");
        assert!(r.close);
        assert!(matches!(read(b""), Err(ReadError::Eof)));
    }

    #[test]
    fn rejects_bad_and_oversized_requests() {
        let status = |t: &[u8]| match read(t) {
            Err(ReadError::Bad(s, _)) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(status(b"GET /vm\r\n\r\n"), 400);
        assert_eq!(status(b"get /vm HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET vm HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET /vm HTTP/2\r\n\r\n"), 505);
        assert_eq!(status(b"GET /vm HTTP/1.1\r\nbad\r\n\r\n"), 400);
        assert_eq!(
            status(b"PUT /vm HTTP/1.1\r\nContent-Length: 99999\r\n\r\n"),
            413
        );
        let mut big = b"GET /vm HTTP/1.1\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        assert_eq!(status(&big), 431);
    }

    #[test]
    fn writes_responses() {
        let mut out = Vec::new();
        write_response(&mut out, &Response::error(404, "no \"x\""), true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\
             Connection: close\r\n\r\n{\"error\": \"no \\\"x\\\"\"}"
        );
    }
}
