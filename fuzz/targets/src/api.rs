//! The control socket's request parsing (`vmm/src/api/http.rs`, httparse
//! underneath) and its JSON bodies (`vmm/src/api/types.rs`, serde_json),
//! compiled here from the VMM's own files: the vmm crate is a binary whose
//! build script builds the guest kernel, so it cannot be a dependency.
//! Routing (`routes.rs`) needs a running VM's context and is not covered
//! here; `api::handle_request_bytes` is its socket-free entry for the day
//! the VMM has a library target.
//!
//! Checked: parsing any bytes never panics; a complete request never
//! claims more bytes than it was given, and its body is the bytes after
//! its head; every error is a 4xx/5xx whose answer encodes; a request
//! built from parts parses as itself, and each of its proper prefixes is
//! incomplete or refused, never a different complete request; a body that
//! parses as a request type serializes back to a body that parses equal;
//! a member given twice is refused.

use crate::input::Input;

// The VMM's modules as children of this one, so that http.rs's
// `super::types` is types.rs, as in the VMM.
#[allow(dead_code)]
#[path = "../../../vmm/src/api/types.rs"]
mod types;

#[allow(dead_code)]
#[path = "../../../vmm/src/api/http.rs"]
mod http;

use http::{Bad, Parsed};
use types::{ActionBody, Map, StateBody, parse_body};

pub fn api(data: &[u8]) {
    let mut input = Input::new(data);
    match input.u8() % 3 {
        0 => raw(input.rest()),
        1 => built(&mut input),
        _ => bodies(input.rest()),
    }
}

/// Any bytes as a request.
fn raw(buf: &[u8]) {
    match http::parse_request(buf) {
        Ok(Parsed::Complete(req, used)) => {
            assert!(
                used > 0 && used <= buf.len(),
                "took {used} of {} bytes",
                buf.len()
            );
            assert!(req.body.len() < used);
            assert_eq!(&buf[used - req.body.len()..used], &req.body[..]);
            assert!(req.path.starts_with('/'));
        }
        Ok(Parsed::Partial) => {}
        Err(Bad(status, message)) => refused(status, &message),
    }
}

fn refused(status: u16, message: &str) {
    assert!((400..600).contains(&status), "status {status}");
    let answer = http::encode(&http::Response::error(status, message), true);
    assert!(answer.starts_with(b"HTTP/1.1 "));
}

/// A request from parts, mostly well formed.
fn built(input: &mut Input<'_>) {
    let method = input.pick(&["GET", "PUT", "POST", "get", "DELETE", ""]);
    let path = input.pick(&[
        "/vm",
        "/vm/state",
        "/vm/actions",
        "/vm/vcpus/0/regs",
        "/vm/memory?addr=0x1000&len=16",
        "http://localhost/vm/syscalls",
        "vm",
        "/",
    ]);
    let version = input.pick(&["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 x"]);
    let body = body_bytes(input);
    let mut text = format!("{method} {path} {version}\r\nHost: localhost\r\n").into_bytes();
    let declared = match input.u8() % 8 {
        0 => None,
        1 => Some(body.len() + 1),
        2 => Some(body.len().saturating_sub(1)),
        _ => Some(body.len()),
    };
    if let Some(n) = declared {
        text.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes());
    }
    if input.u8().is_multiple_of(8) {
        text.extend_from_slice(b"Connection: close\r\n");
    }
    text.extend_from_slice(b"\r\n");
    let head = text.len();
    text.extend_from_slice(&body);
    let whole = http::parse_request(&text);
    if let Ok(Parsed::Complete(req, used)) = &whole {
        assert_eq!(*used, head + declared.unwrap_or(0));
        assert_eq!(req.body, text[head..*used]);
        assert_eq!(req.method, method);
    }
    if let Err(Bad(status, message)) = &whole {
        refused(*status, message);
    }
    // Every proper prefix is incomplete, or refused as the whole is.
    let cut = usize::from(input.u16()) % text.len().max(1);
    match http::parse_request(&text[..cut]) {
        Ok(Parsed::Partial) => {}
        Ok(Parsed::Complete(_, used)) => assert!(
            matches!(whole, Ok(Parsed::Complete(_, u)) if u == used),
            "a prefix of {cut} bytes parsed as a different complete request"
        ),
        Err(Bad(status, message)) => refused(status, &message),
    }
}

/// Bytes for a body: JSON for the request types, sometimes broken.
fn body_bytes(input: &mut Input<'_>) -> Vec<u8> {
    let key = input.pick(&["state", "action", "stat", "", "state\u{0}"]);
    let value = input.pick(&[
        "\"paused\"",
        "\"running\"",
        "\"shutdown\"",
        "1",
        "null",
        "\"\"",
    ]);
    let mut body = match input.u8() % 6 {
        0 => format!("{{\"{key}\":{value},\"{key}\":{value}}}"),
        1 => format!("{{\"{key}\":{value},\"x\":1}}"),
        2 => format!("[{value}]"),
        _ => format!("{{\"{key}\": {value}}}"),
    }
    .into_bytes();
    if input.u8().is_multiple_of(4) && !body.is_empty() {
        let at = usize::from(input.u8()) % body.len();
        body[at] ^= 1 << (input.u8() % 8);
    }
    body
}

/// Any bytes as each request body type.
fn bodies(body: &[u8]) {
    if let Ok(state) = parse_body::<StateBody>(body) {
        let again = serde_json::to_vec(&state).expect("a StateBody serializes");
        assert_eq!(parse_body::<StateBody>(&again), Ok(state));
    }
    if let Ok(action) = parse_body::<ActionBody>(body) {
        let again = serde_json::to_vec(&action).expect("an ActionBody serializes");
        assert_eq!(parse_body::<ActionBody>(&again), Ok(action));
    }
    if let Ok(map) = parse_body::<Map<u64>>(body) {
        let keys: Vec<&String> = map.0.iter().map(|(k, _)| k).collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(keys.len(), unique.len(), "a repeated key was accepted");
    }
    // A member twice is refused, whatever the values.
    let twice = b"{\"state\":\"paused\",\"state\":\"running\"}";
    assert!(parse_body::<StateBody>(twice).is_err());
}
