//! The HTTP/1.1 the control socket speaks, parsed by httparse: one
//! request at a time per connection (keep-alive; pipelined requests are
//! answered in order), bodies by Content-Length only, head and body
//! size-capped. The parser works on the bytes received so far and says
//! whether a request is complete, so the epoll loop (`server.rs`) never
//! waits on a client.

use serde::Serialize;

use super::types::ErrorBody;

/// Request line plus headers, and body, are each capped at this size.
pub const MAX_HEAD: usize = 8 * 1024;
pub const MAX_BODY: usize = 4 * 1024;
/// Header lines in a request (curl sends 3 or 4).
pub const MAX_HEADERS: usize = 32;

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

/// What the bytes received so far hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// The start of a request: wait for more.
    Partial,
    /// A request, and how many bytes of the buffer it took.
    Complete(Request, usize),
}

/// Not a request we can answer: reply with this status and message, then
/// close.
#[derive(Debug, PartialEq, Eq)]
pub struct Bad(pub u16, pub String);

fn bad(m: &str) -> Bad {
    Bad(400, m.to_string())
}

/// Parses the request at the start of `buf`.
pub fn parse_request(buf: &[u8]) -> Result<Parsed, Bad> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let too_large = || Bad(431, format!("request head larger than {MAX_HEAD} bytes"));
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n > MAX_HEAD => return Err(too_large()),
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Err(too_large()),
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Bad(431, format!("more than {MAX_HEADERS} header lines")));
        }
        Err(httparse::Error::Version) => {
            return Err(Bad(
                505,
                "unsupported HTTP version (HTTP/1.1 or 1.0)".into(),
            ));
        }
        Err(e) => return Err(Bad(400, format!("malformed request: {e}"))),
    };
    let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version) else {
        return Err(bad("malformed request line"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad("malformed method"));
    }
    let mut close = version == 0;
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
    for h in req.headers.iter() {
        let value = std::str::from_utf8(h.value)
            .map_err(|_| bad("header value is not UTF-8"))?
            .trim();
        if h.name.eq_ignore_ascii_case("content-length") {
            let n: usize = value.parse().map_err(|_| bad("bad Content-Length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(bad("conflicting Content-Length"));
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Bad(
                501,
                "Transfer-Encoding is not supported; send Content-Length".into(),
            ));
        } else if h.name.eq_ignore_ascii_case("connection") {
            if value.eq_ignore_ascii_case("close") {
                close = true;
            } else if value.eq_ignore_ascii_case("keep-alive") {
                close = false;
            }
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY {
        return Err(Bad(
            413,
            format!("request body of {length} bytes is larger than {MAX_BODY}"),
        ));
    }
    let Some(body) = buf.get(head_len..head_len + length) else {
        return Ok(Parsed::Partial);
    };
    Ok(Parsed::Complete(
        Request {
            method: method.to_string(),
            path,
            query,
            body: body.to_vec(),
            close,
        },
        head_len + length,
    ))
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
    /// `body` as JSON (a 500 in the unlikely case it cannot be encoded).
    pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
        match serde_json::to_string(body) {
            Ok(body) => Response {
                status,
                content_type: "application/json",
                body,
                headers: Vec::new(),
            },
            Err(e) => Response::error(500, &format!("cannot encode the answer: {e}")),
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
        let body = ErrorBody {
            error: message.to_string(),
        };
        // A struct of one string always encodes.
        Response {
            status,
            content_type: "application/json",
            body: serde_json::to_string(&body).unwrap_or_default(),
            headers: Vec::new(),
        }
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

/// `resp` on the wire; `close` adds `Connection: close`.
pub fn encode(resp: &Response, close: bool) -> Vec<u8> {
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
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> Result<Request, Bad> {
        match parse_request(text)? {
            Parsed::Complete(r, n) => {
                assert_eq!(n, text.len());
                Ok(r)
            }
            Parsed::Partial => Err(Bad(0, "partial".into())),
        }
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
        let r = read(b"GET http://localhost/vm HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(r.path, "/vm");
        assert!(r.close);
        let r = read(b"\r\nGET /vm HTTP/1.1\nConnection: close\n\n").unwrap();
        assert!(r.close);
    }

    #[test]
    fn waits_for_the_whole_request_and_leaves_the_next_one() {
        let full = b"PUT /vm/state HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}GET /vm HTTP/1.1\r\n";
        for cut in [0, 1, 10, 40, 42] {
            assert_eq!(parse_request(&full[..cut]), Ok(Parsed::Partial), "{cut}");
        }
        let Ok(Parsed::Complete(r, n)) = parse_request(full) else {
            panic!("not complete");
        };
        assert_eq!(
            (r.body.as_slice(), &full[n..]),
            (&b"{}"[..], &b"GET /vm HTTP/1.1\r\n"[..])
        );
    }

    #[test]
    fn rejects_bad_and_oversized_requests() {
        let status = |t: &[u8]| match parse_request(t) {
            Err(Bad(s, _)) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(status(b"GET /vm\r\n\r\n"), 400);
        assert_eq!(status(b"get /vm HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET vm HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET /vm HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(status(b"GET /vm HTTP/1.1\r\nbad\r\n\r\n"), 400);
        assert_eq!(
            status(b"GET /vm HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            501
        );
        assert_eq!(
            status(b"PUT /vm HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            400
        );
        assert_eq!(
            status(b"PUT /vm HTTP/1.1\r\nContent-Length: 99999\r\n\r\n"),
            413
        );
        let mut big = b"GET /vm HTTP/1.1\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        assert_eq!(status(&big), 431);
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X{i}: y\r\n")).collect();
        assert_eq!(
            status(format!("GET /vm HTTP/1.1\r\n{many}\r\n").as_bytes()),
            431
        );
    }

    #[test]
    fn encodes_responses() {
        let out = encode(&Response::error(404, "no \"x\""), true);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\
             Connection: close\r\n\r\n{\"error\":\"no \\\"x\\\"\"}"
        );
    }
}
