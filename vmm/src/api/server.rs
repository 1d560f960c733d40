//! The control socket's event loop: one thread (`lstar-api`) serves the
//! listener and every connection through one epoll set (vmm-sys-util's
//! `Epoll`), on non-blocking sockets, so a slow or silent client costs a
//! slot and a buffer, never a thread.
//!
//! Time limits, each a deadline the loop sleeps towards:
//! - a request must be complete [`REQUEST_DEADLINE`] after its first byte,
//!   or it is answered 408 and the connection closed (a client trickling
//!   one byte a second cannot keep its slot);
//! - a connection with no request under way is closed after
//!   [`IDLE_TIMEOUT`] (keep-alive), silently;
//! - an answer must be taken by the client within [`WRITE_TIMEOUT`].
//!
//! At most [`MAX_CONNECTIONS`] connections are open. A new one beyond that
//! evicts the open connection nearest its own deadline (the slowest
//! trickler, or the longest idle; one waiting for the vCPU is never
//! evicted): it gets a 408 if it was mid-request and is closed, so a real
//! request is still answered while many clients trickle.
//!
//! Requests that need the vCPU (`routes::needs_vcpu`: registers, MSRs,
//! pause/resume, shutdown, guest virtual memory) may wait up to
//! `vcpu_control::ANSWER_TIMEOUT` for it, so they go to one worker thread
//! (`lstar-api-vcpu`, which asks them in order, as the vCPU answers them
//! in order anyway) and come back through a channel and an eventfd; the
//! loop goes on serving the others meanwhile. At most
//! [`MAX_VCPU_QUEUE`] such requests wait at once; more are answered 503.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use vmm_sys_util::epoll::{ControlOperation, Epoll, EpollEvent, EventSet};
use vmm_sys_util::eventfd::{EFD_NONBLOCK, EventFd};

use super::http::{self, Parsed, Request, Response};
use super::{Context, routes};

/// Connections open at once.
pub const MAX_CONNECTIONS: usize = 64;
/// From the first byte of a request to its last.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(5);
/// A connection between requests (or before its first) is closed after this.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// An answer not taken by the client in this long is dropped with its
/// connection.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Requests waiting for the vCPU worker at once.
pub const MAX_VCPU_QUEUE: usize = 16;

const LISTENER: u64 = 0;
const WORKER: u64 = 1;
/// Connection tokens start here and are never reused, so an event for a
/// connection already closed cannot reach a newer one.
const FIRST_CONN: u64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No byte of a request yet.
    Idle,
    /// Some bytes of a request.
    Reading,
    /// Its request is with the vCPU worker.
    Busy,
    /// Writing an answer.
    Writing,
}

struct Conn {
    stream: UnixStream,
    input: Vec<u8>,
    output: Vec<u8>,
    written: usize,
    phase: Phase,
    /// When the phase began: the first byte of the request (Reading), the
    /// accept or the last answer (Idle), the answer (Writing).
    since: Instant,
    /// Close once the answer is out (`Connection: close`, HTTP/1.0, an
    /// error, or the client's end of the stream).
    close_after: bool,
    /// The client has shut down its side.
    eof: bool,
    /// The answer being written is the one to a shutdown.
    shutdown: bool,
}

impl Conn {
    /// When the loop gives up on it; `None` while the vCPU worker has it.
    fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Idle => Some(self.since + IDLE_TIMEOUT),
            Phase::Reading => Some(self.since + REQUEST_DEADLINE),
            Phase::Writing => Some(self.since + WRITE_TIMEOUT),
            Phase::Busy => None,
        }
    }

    fn interest(&self) -> EventSet {
        match self.phase {
            Phase::Writing => EventSet::OUT,
            Phase::Busy => EventSet::empty(),
            Phase::Idle | Phase::Reading if self.eof => EventSet::empty(),
            Phase::Idle | Phase::Reading => EventSet::IN,
        }
    }
}

/// A request for the worker: connection token, request.
type Job = (u64, Request);

struct Server {
    ctx: Arc<Context>,
    epoll: Epoll,
    listener: UnixListener,
    /// By token. A BTreeMap: no random hash seed (no getrandom), and a few
    /// dozen entries.
    conns: BTreeMap<u64, Conn>,
    next_token: u64,
    jobs: Sender<Job>,
    answers: Receiver<(u64, Response)>,
    answered: EventFd,
    queued: usize,
}

/// Runs the loop on this thread, after starting the vCPU worker; returns
/// only if epoll itself fails.
pub fn run(listener: UnixListener, ctx: Arc<Context>) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let epoll = Epoll::new()?;
    let answered = EventFd::new(EFD_NONBLOCK)?;
    epoll.ctl(
        ControlOperation::Add,
        listener.as_raw_fd(),
        EpollEvent::new(EventSet::IN, LISTENER),
    )?;
    epoll.ctl(
        ControlOperation::Add,
        answered.as_raw_fd(),
        EpollEvent::new(EventSet::IN, WORKER),
    )?;
    let (jobs, job_rx) = mpsc::channel::<Job>();
    let (answer_tx, answers) = mpsc::channel();
    let worker_ctx = ctx.clone();
    let worker_fd = answered.try_clone()?;
    thread::Builder::new()
        .name("lstar-api-vcpu".into())
        .spawn(move || {
            crate::seccomp::install_or_exit(crate::seccomp::Role::Api);
            for (token, request) in job_rx {
                let response = routes::handle(&worker_ctx, &request);
                if answer_tx.send((token, response)).is_err() {
                    return;
                }
                let _ = worker_fd.write(1);
            }
        })?;
    let mut server = Server {
        ctx,
        epoll,
        listener,
        conns: BTreeMap::new(),
        next_token: FIRST_CONN,
        jobs,
        answers,
        answered,
        queued: 0,
    };
    server.serve()
}

/// Milliseconds until `deadline` (rounded up, so the loop does not wake
/// just before it), or -1 (no deadline: wait for an event).
fn timeout_ms(deadline: Option<Instant>, now: Instant) -> i32 {
    match deadline {
        None => -1,
        Some(d) => {
            let left = d.saturating_duration_since(now);
            let ms = left.as_millis() + u128::from(left.subsec_nanos() % 1_000_000 != 0);
            i32::try_from(ms).unwrap_or(i32::MAX)
        }
    }
}

impl Server {
    fn serve(&mut self) -> io::Result<()> {
        let mut events = vec![EpollEvent::default(); 64];
        loop {
            let next = self.conns.values().filter_map(Conn::deadline).min();
            let n = match self
                .epoll
                .wait(timeout_ms(next, Instant::now()), &mut events)
            {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
                Err(e) => return Err(e),
            };
            for ev in &events[..n] {
                match ev.data() {
                    LISTENER => self.accept_all(),
                    WORKER => self.take_answers(),
                    token => self.ready(token, ev.event_set()),
                }
            }
            self.expire(Instant::now());
        }
    }

    fn accept_all(&mut self) {
        loop {
            let stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                // ECONNABORTED and the like: that client is gone; EMFILE:
                // try again at the next event.
                Err(_) => return,
            };
            if self.conns.len() >= MAX_CONNECTIONS && !self.evict() {
                let busy = http::Response::error(503, "too many connections");
                let _ = (&stream).write(&http::encode(&busy, true));
                continue;
            }
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let token = self.next_token;
            self.next_token += 1;
            let added = self.epoll.ctl(
                ControlOperation::Add,
                stream.as_raw_fd(),
                EpollEvent::new(EventSet::IN, token),
            );
            if added.is_err() {
                continue;
            }
            self.conns.insert(
                token,
                Conn {
                    stream,
                    input: Vec::new(),
                    output: Vec::new(),
                    written: 0,
                    phase: Phase::Idle,
                    since: Instant::now(),
                    close_after: false,
                    eof: false,
                    shutdown: false,
                },
            );
        }
    }

    /// Drops the connection nearest its deadline to make room; false if
    /// every one is waiting for the vCPU.
    fn evict(&mut self) -> bool {
        let victim = self
            .conns
            .iter()
            .filter_map(|(t, c)| Some((c.deadline()?, *t)))
            .min()
            .map(|(_, t)| t);
        let Some(token) = victim else {
            return false;
        };
        self.give_up(token, "dropped to admit another connection");
        true
    }

    /// Closes `token` for running out of time: a 408 if it was mid-request
    /// (or has sent bytes the loop has not read yet: a connection evicted
    /// right after its accept).
    fn give_up(&mut self, token: u64, why: &str) {
        if let Some(c) = self.conns.get_mut(&token)
            && c.phase == Phase::Idle
            && c.input.is_empty()
        {
            let mut byte = [0u8; 1];
            if matches!(c.stream.read(&mut byte), Ok(1)) {
                c.phase = Phase::Reading;
            }
        }
        if let Some(c) = self.conns.get(&token)
            && c.phase == Phase::Reading
        {
            let r = Response::error(408, &format!("request not complete in time: {why}"));
            // Best effort: the socket buffer takes a small answer whole.
            let _ = (&c.stream).write(&http::encode(&r, true));
        }
        self.close(token);
    }

    fn close(&mut self, token: u64) {
        if let Some(c) = self.conns.remove(&token)
            && c.shutdown
        {
            // Written or not, the client has had its chance.
            self.ctx.control.shared.shutdown_answered();
        }
        // Dropping the stream closes it, which takes it out of the set.
    }

    fn expire(&mut self, now: Instant) {
        let late: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, c)| c.deadline().is_some_and(|d| d <= now))
            .map(|(t, _)| *t)
            .collect();
        for token in late {
            self.give_up(token, "the deadline passed");
        }
    }

    fn ready(&mut self, token: u64, events: EventSet) {
        let Some(c) = self.conns.get_mut(&token) else {
            return;
        };
        if events.contains(EventSet::ERROR) {
            self.close(token);
            return;
        }
        match c.phase {
            Phase::Writing => self.flush(token),
            Phase::Idle | Phase::Reading if events.contains(EventSet::IN) => self.read(token),
            // A hang-up with nothing to read (or while the worker has it).
            _ if events.contains(EventSet::HANG_UP) => self.close(token),
            _ => {}
        }
    }

    fn read(&mut self, token: u64) {
        let Some(c) = self.conns.get_mut(&token) else {
            return;
        };
        let mut chunk = [0u8; 4096];
        match c.stream.read(&mut chunk) {
            Ok(0) => {
                c.eof = true;
                c.close_after = true;
            }
            Ok(n) => c.input.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(_) => {
                self.close(token);
                return;
            }
        }
        self.process(token);
    }

    /// Acts on what `token` has received: wait for more, answer, or hand
    /// the request to the worker.
    fn process(&mut self, token: u64) {
        let Some(c) = self.conns.get_mut(&token) else {
            return;
        };
        if c.input.is_empty() {
            if c.eof {
                self.close(token);
            }
            return;
        }
        if c.phase == Phase::Idle {
            c.phase = Phase::Reading;
            c.since = Instant::now();
        }
        match http::parse_request(&c.input) {
            Ok(Parsed::Partial) if c.eof => self.close(token),
            Ok(Parsed::Partial) => {}
            Err(http::Bad(status, message)) => {
                c.close_after = true;
                self.answer(token, Response::error(status, &message), false);
            }
            Ok(Parsed::Complete(request, used)) => {
                c.input.drain(..used);
                c.close_after |= request.close;
                let shutdown = routes::is_shutdown(&request);
                if !routes::needs_vcpu(&request) {
                    let response = routes::handle(&self.ctx, &request);
                    self.answer(token, response, false);
                } else if self.queued >= MAX_VCPU_QUEUE {
                    let busy = Response::error(503, "too many requests waiting for the vCPU");
                    self.answer(token, busy, false);
                } else if self.jobs.send((token, request)).is_ok() {
                    self.queued += 1;
                    c.phase = Phase::Busy;
                    c.shutdown = shutdown;
                    self.set_interest(token);
                } else {
                    let gone = Response::error(503, "the vCPU worker has stopped");
                    self.answer(token, gone, false);
                }
            }
        }
    }

    fn take_answers(&mut self) {
        let _ = self.answered.read();
        while let Ok((token, response)) = self.answers.try_recv() {
            self.queued = self.queued.saturating_sub(1);
            let shutdown = match self.conns.get(&token) {
                Some(c) => c.shutdown,
                None => continue,
            };
            self.answer(token, response, shutdown);
        }
    }

    /// Starts writing `response` to `token`.
    fn answer(&mut self, token: u64, response: Response, shutdown: bool) {
        let Some(c) = self.conns.get_mut(&token) else {
            return;
        };
        // A shutdown is only answered 200 once; a refused one is no
        // shutdown.
        c.shutdown = shutdown && response.status == 200;
        c.output = http::encode(&response, c.close_after);
        c.written = 0;
        c.phase = Phase::Writing;
        c.since = Instant::now();
        self.flush(token);
    }

    /// Writes what the socket takes; when the answer is out, closes or
    /// goes back to reading (and serves a pipelined request already read).
    fn flush(&mut self, token: u64) {
        let Some(c) = self.conns.get_mut(&token) else {
            return;
        };
        while c.written < c.output.len() {
            match c.stream.write(&c.output[c.written..]) {
                Ok(0) => {
                    self.close(token);
                    return;
                }
                Ok(n) => c.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.set_interest(token);
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.close(token);
                    return;
                }
            }
        }
        if c.close_after || c.shutdown {
            self.close(token);
            return;
        }
        c.output = Vec::new();
        c.phase = Phase::Idle;
        c.since = Instant::now();
        self.set_interest(token);
        self.process(token);
    }

    fn set_interest(&mut self, token: u64) {
        let Some(c) = self.conns.get(&token) else {
            return;
        };
        let event = EpollEvent::new(c.interest(), token);
        if self
            .epoll
            .ctl(ControlOperation::Modify, c.stream.as_raw_fd(), event)
            .is_err()
        {
            self.close(token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up_and_none_waits() {
        let now = Instant::now();
        assert_eq!(timeout_ms(None, now), -1);
        assert_eq!(timeout_ms(Some(now), now), 0);
        assert_eq!(timeout_ms(Some(now - Duration::from_secs(1)), now), 0);
        assert_eq!(timeout_ms(Some(now + Duration::from_micros(1500)), now), 2);
        assert_eq!(timeout_ms(Some(now + Duration::from_secs(3)), now), 3000);
    }
}
