//! One WebSocket connection through its whole life: connecting (a client) or
//! accepting (a server), open, closing, closed, and why it failed. Both Godot
//! classes drive their connections through this type; they add only the engine's
//! types, log lines and error codes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ws_protocol::deflate::DeflateParams;
use ws_protocol::{close_code, CloseError, CloseStatus, Connection, Message, Role, SendError, State, UrlError, WsUrl};

use crate::client::{self, ClientConnect, ProxyRoute, StartError};
use crate::config::Config;
use crate::failure::Failure;
use crate::live::Live;
use crate::proxy::{self, ChoiceError, ProxyScheme};
use crate::report;
use crate::server::{self, ServerAccept};
use crate::tls::TlsSetup;
use crate::transport::Transport;

/// The state as the engine's `WebSocketPeer` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadyState {
    Connecting,
    Open,
    Closing,
    Closed,
}

/// When a message is written: at once, or with the next `flush` or `poll` (in one
/// write with every message queued meanwhile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    Now,
    Later,
}

/// Why `connect` did not start a connection.
#[derive(Debug)]
pub enum ConnectError {
    /// Already connecting or open.
    InUse,
    Url(UrlError),
    /// The TLS client could not be set up (unusable certificates, a bad name).
    Tls(String),
    /// The request cannot be built (an invalid extra header line).
    Request(ws_protocol::HandshakeError),
    /// `proxy_url` is not a usable proxy URL (the text never shows its credentials).
    Proxy(String),
    /// No address could even start connecting: a network outcome, kept as `failure()`.
    Failed,
}

/// Why a message was not queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendFailure {
    /// The connection never opened (idle, or still connecting).
    NotOpen,
    /// The application closed it with `close()`.
    ClosedByApp,
    /// The peer or the network ended it; `failure()` says why.
    Ended,
    /// Over a limit (outbound bytes, queued messages, message size).
    Refused(SendError),
}

enum Phase {
    Idle,
    Connecting(Box<ClientConnect>),
    Accepting(Box<ServerAccept>),
    Live(Box<Live>),
}

/// A failure handed out for its log line, and whether it belongs in the log (see
/// `report.rs`): a failed attempt once per URL and cause, the end of an open connection never.
pub struct FailureReport<'a> {
    pub failure: &'a Failure,
    pub log: bool,
}

pub struct WebSocket {
    phase: Phase,
    /// The URL a client is trying, as given (kept when the attempt fails at once).
    attempt: String,
    /// The URL connected to, or on a server the URL the client requested.
    requested_url: String,
    selected_protocol: String,
    /// The `Sec-WebSocket-Extensions` value agreed, empty when none.
    extensions: String,
    /// The remote address, once known (kept after close for diagnostics).
    remote: Option<(String, u16)>,
    /// Why connecting or accepting failed (an open connection keeps its own).
    failure: Option<Failure>,
    /// `failure` was handed to `take_new_failure`.
    failure_reported: bool,
    /// `failure` is not news for a log: an accepted connection that was no WebSocket
    /// client (a health check, a probe).
    failure_quiet: bool,
}

impl Default for WebSocket {
    fn default() -> Self {
        WebSocket::new()
    }
}

impl WebSocket {
    pub fn new() -> WebSocket {
        WebSocket {
            phase: Phase::Idle,
            attempt: String::new(),
            requested_url: String::new(),
            selected_protocol: String::new(),
            extensions: String::new(),
            remote: None,
            failure: None,
            failure_reported: false,
            failure_quiet: false,
        }
    }

    /// Starts connecting to `url` (`ws://` or `wss://`; no scheme means `ws://`),
    /// through the proxy `config` names, if any. `tls` sets up the TLS client for a
    /// `wss://` URL. Progress happens in `poll`.
    pub fn connect(
        &mut self,
        url: &str,
        tls: impl FnOnce(&WsUrl) -> Result<TlsSetup, String>,
        config: &Config,
        now: Duration,
    ) -> Result<(), ConnectError> {
        if self.is_busy() {
            return Err(ConnectError::InUse);
        }
        self.clear();
        let target = WsUrl::parse(url).map_err(ConnectError::Url)?;
        let tls = if target.secure { Some(tls(&target).map_err(ConnectError::Tls)?) } else { None };
        let env = |name: &str| std::env::var(name).ok();
        let proxy = match proxy::choose(config, &target, &env) {
            Ok(None) => None,
            Ok(Some(proxy)) => {
                let tls = match proxy.scheme {
                    ProxyScheme::Http => None,
                    ProxyScheme::Https => {
                        Some(crate::tls::client_setup(&config.proxy_trust, &proxy.host).map_err(ConnectError::Tls)?)
                    }
                };
                Some(ProxyRoute { proxy, tls })
            }
            Err(ChoiceError::Setting(why)) => return Err(ConnectError::Proxy(why)),
            Err(ChoiceError::Environment(why)) => {
                self.attempt = url.to_string();
                self.failure = Some(Failure::new(crate::FailureKind::Proxy, why));
                self.failure_reported = false;
                return Err(ConnectError::Failed);
            }
        };
        match ClientConnect::start(target, config, random(), tls, proxy, now) {
            Ok(connect) => {
                self.attempt = url.to_string();
                self.requested_url = url.to_string();
                self.phase = Phase::Connecting(Box::new(connect));
                Ok(())
            }
            Err(StartError::Invalid(e)) => Err(ConnectError::Request(e)),
            Err(StartError::Failed(failure)) => {
                // The engine's `get_requested_url()` stays empty; the log line names the URL.
                self.attempt = url.to_string();
                self.failure = Some(failure);
                self.failure_reported = false;
                Err(ConnectError::Failed)
            }
        }
    }

    /// Starts the opening handshake over a transport already connected to the server
    /// (or tunnelled to it): no lookup, no TCP connect, no TLS of ours.
    pub fn connect_over(
        &mut self,
        url: &str,
        transport: Transport,
        config: &Config,
        now: Duration,
    ) -> Result<(), ConnectError> {
        if self.is_busy() {
            return Err(ConnectError::InUse);
        }
        self.clear();
        let target = WsUrl::parse(url).map_err(ConnectError::Url)?;
        let (host, port) = transport.peer_addr();
        let connect = ClientConnect::over(target, transport, config, random(), now).map_err(|e| match e {
            StartError::Invalid(e) => ConnectError::Request(e),
            StartError::Failed(_) => unreachable!("no address to connect to"),
        })?;
        self.remote = (!host.is_empty()).then_some((host, port));
        self.attempt = url.to_string();
        self.requested_url = url.to_string();
        self.phase = Phase::Connecting(Box::new(connect));
        Ok(())
    }

    /// Takes over an accepted connection and waits for the client's handshake (in `poll`).
    /// Whatever this held before is dropped without a word.
    pub fn accept(&mut self, transport: Transport, config: &Config, now: Duration) {
        self.clear();
        self.remote = Some(transport.peer_addr());
        self.phase = Phase::Accepting(Box::new(ServerAccept::new(transport, config, now)));
    }

    /// Does all the work: connects, handshakes, reads, runs timers, writes. `config`
    /// is read by a server when the request arrives, and by either side as the
    /// connection opens (limits, heartbeat).
    pub fn poll(&mut self, config: &Config, now: Duration) {
        let failure = match &mut self.phase {
            Phase::Idle => None,
            Phase::Connecting(connect) => {
                if let Some(addr) = connect.remote() {
                    self.remote = Some((addr.ip().to_string(), addr.port()));
                }
                match connect.poll(now) {
                    client::Progress::Pending => None,
                    client::Progress::Failed(failure) => Some(failure),
                    client::Progress::Open(transport, outcome) => {
                        self.remote = Some(transport.peer_addr());
                        self.selected_protocol = outcome.protocol;
                        self.extensions = extensions_header(&outcome.headers);
                        let conn = Connection::new(Role::Client, config.limits(), now, random());
                        self.open(conn, outcome.deflate, &outcome.leftover, transport, config, now);
                        None
                    }
                }
            }
            Phase::Accepting(accept) => {
                let scheme = if accept.is_tls() { "wss://" } else { "ws://" };
                match accept.poll(config, now) {
                    server::Progress::Pending => None,
                    server::Progress::Failed(failure) => Some(failure),
                    server::Progress::Ignored(failure) => {
                        self.failure_quiet = true;
                        Some(failure)
                    }
                    server::Progress::Open(transport, request, answer, client) => {
                        if let Some(client) = client {
                            self.remote = Some((client.ip().to_canonical().to_string(), client.port()));
                        }
                        self.requested_url = format!("{scheme}{}{}", request.host, request.target);
                        self.selected_protocol = answer.protocol.unwrap_or_default();
                        self.extensions = answer.extensions.unwrap_or_default();
                        let conn = Connection::new(Role::Server, config.limits(), now, [0; 32]);
                        self.open(conn, answer.deflate, &request.leftover, transport, config, now);
                        None
                    }
                }
            }
            Phase::Live(live) => {
                live.poll(now);
                None
            }
        };
        if let Some(failure) = failure {
            self.phase = Phase::Idle;
            self.failure = Some(failure);
            self.failure_reported = false;
        }
    }

    /// Enters OPEN with what the handshake agreed and the bytes that followed it, and
    /// does the OPEN work of this same poll, as the engine does.
    fn open(
        &mut self,
        mut conn: Connection,
        deflate: Option<DeflateParams>,
        leftover: &[u8],
        transport: Transport,
        config: &Config,
        now: Duration,
    ) {
        if let Some(params) = deflate {
            conn.enable_deflate(params);
            conn.set_compression_level(config.compression_level);
        }
        conn.receive(leftover, now);
        conn.set_heartbeat_interval(config.heartbeat_interval, now);
        if !self.attempt.is_empty() {
            report::opened(&self.attempt);
        }
        let mut live = Live::new(conn, transport);
        live.poll(now);
        self.phase = Phase::Live(Box::new(live));
    }

    /// The state a game sees. After the peer closes (or the connection fails), OPEN
    /// lasts until the messages that arrived before are read, so the usual
    /// `if OPEN: while get_available_packet_count()` loop loses none of them.
    pub fn ready_state(&self) -> ReadyState {
        match &self.phase {
            Phase::Idle => ReadyState::Closed,
            Phase::Connecting(_) | Phase::Accepting(_) => ReadyState::Connecting,
            Phase::Live(live) => match live.conn.state() {
                State::Open => ReadyState::Open,
                _ if !live.closed_by_app && live.conn.available() > 0 => ReadyState::Open,
                State::Closing => ReadyState::Closing,
                State::Closed => ReadyState::Closed,
            },
        }
    }

    /// Connecting or open: a new connection may not start.
    pub fn is_busy(&self) -> bool {
        matches!(self.ready_state(), ReadyState::Connecting | ReadyState::Open)
    }

    /// Queues a message (text or binary) for sending.
    pub fn send(&mut self, is_text: bool, data: &[u8], write: Write) -> Result<(), SendFailure> {
        let Phase::Live(live) = &mut self.phase else {
            return Err(SendFailure::NotOpen);
        };
        let sent = match write {
            Write::Now => live.send(is_text, data),
            Write::Later => live.send_later(is_text, data),
        };
        match sent {
            Ok(()) if live.conn.state() == State::Closed => Err(SendFailure::Ended),
            Ok(()) => Ok(()),
            Err(SendError::NotOpen) if live.closed_by_app || live.aborted_by_app => Err(SendFailure::ClosedByApp),
            Err(SendError::NotOpen) => Err(SendFailure::Ended),
            Err(e) => Err(SendFailure::Refused(e)),
        }
    }

    /// Writes what `Write::Later` queued, as far as the transport takes it now.
    pub fn flush(&mut self) {
        if let Phase::Live(live) = &mut self.phase {
            live.flush();
        }
    }

    /// The next received message, if any.
    pub fn pop_message(&mut self) -> Option<Message> {
        match &mut self.phase {
            Phase::Live(live) => live.conn.pop_message(),
            _ => None,
        }
    }

    /// Messages received and not read yet.
    pub fn available(&self) -> usize {
        match &self.phase {
            Phase::Live(live) => live.conn.available(),
            _ => 0,
        }
    }

    /// Starts the closing handshake (queued messages go first), or with a negative
    /// `code` drops the connection at once without telling the peer. A connection
    /// still connecting or accepting is dropped. An invalid code or reason is refused.
    pub fn close(&mut self, code: i32, reason: &str, now: Duration) -> Result<(), CloseError> {
        match &mut self.phase {
            Phase::Idle => Ok(()),
            Phase::Connecting(_) | Phase::Accepting(_) => {
                self.phase = Phase::Idle;
                Ok(())
            }
            Phase::Live(live) if code < 0 => {
                // The app's own abort reads CLOSED at once; unread messages stay readable.
                live.closed_by_app = true;
                live.abort();
                Ok(())
            }
            Phase::Live(live) => {
                let was_open = live.conn.state() == State::Open;
                live.conn.close(code.into(), reason, now)?;
                live.closed_by_app |= was_open;
                live.flush();
                Ok(())
            }
        }
    }

    /// Drops any connection without a word and forgets what it reported.
    pub fn clear(&mut self) {
        if let Phase::Live(live) = &mut self.phase {
            live.abort();
        }
        self.phase = Phase::Idle;
        self.attempt.clear();
        self.requested_url.clear();
        self.selected_protocol.clear();
        self.extensions.clear();
        self.remote = None;
        self.failure_quiet = false;
    }

    /// Nagle's algorithm off (`true`) or on; false when there is no TCP connection.
    pub fn set_no_delay(&mut self, enabled: bool) -> bool {
        let transport = match &mut self.phase {
            Phase::Live(live) if live.conn.state() != State::Closed => Some(live.transport_mut()),
            Phase::Connecting(connect) => connect.transport_mut(),
            Phase::Accepting(accept) => Some(accept.transport_mut()),
            _ => None,
        };
        transport.map(|t| t.set_no_delay(enabled)).is_some()
    }

    /// Sets the heartbeat of an open connection (one connecting takes `Config`'s when
    /// it opens).
    pub fn set_heartbeat_interval(&mut self, interval: Duration, now: Duration) {
        if let Phase::Live(live) = &mut self.phase {
            live.conn.set_heartbeat_interval(interval, now);
        }
    }

    /// Applies what may change on an open connection (see `Config::update_live_limits`).
    pub fn update_limits(&mut self, config: &Config) {
        if let Phase::Live(live) = &mut self.phase {
            config.update_live_limits(live.conn.limits_mut());
        }
    }

    /// Payload bytes of messages queued and not yet completely sent.
    pub fn buffered_amount(&self) -> usize {
        match &self.phase {
            Phase::Live(live) => live.conn.buffered_amount(),
            _ => 0,
        }
    }

    /// The peer's Close as soon as it arrived, or how the connection ended.
    pub fn close_status(&self) -> Option<&CloseStatus> {
        match &self.phase {
            Phase::Live(live) => live.conn.close_status().or(live.conn.received_close()),
            _ => None,
        }
    }

    /// The code of the Close frame received (1005 if it had none), or -1 when the
    /// connection did not close cleanly.
    pub fn close_code(&self) -> i32 {
        self.close_status().filter(|status| status.code != close_code::ABNORMAL).map_or(-1, |s| s.code as i32)
    }

    pub fn close_reason(&self) -> &str {
        self.close_status().map_or("", |status| status.reason.as_str())
    }

    /// The remote address as (IP text, port), while a connection is under way or kept.
    pub fn remote(&self) -> Option<(&str, u16)> {
        match (&self.remote, &self.phase) {
            (Some((host, port)), phase) if !matches!(phase, Phase::Idle) => Some((host.as_str(), *port)),
            _ => None,
        }
    }

    pub fn requested_url(&self) -> &str {
        &self.requested_url
    }

    pub fn selected_protocol(&self) -> &str {
        &self.selected_protocol
    }

    /// The `Sec-WebSocket-Extensions` value agreed in the handshake (empty when none).
    pub fn extensions(&self) -> &str {
        &self.extensions
    }

    /// Why the current or last connection failed.
    pub fn failure(&self) -> Option<&Failure> {
        match &self.phase {
            Phase::Live(live) => live.failure.as_ref(),
            _ => self.failure.as_ref(),
        }
    }

    /// Forgets the previous connection's failure (a new attempt starts), unless one
    /// is under way: then the call that starts another is refused and it stays.
    pub fn reset_failure(&mut self) {
        if self.is_busy() {
            return;
        }
        self.failure = None;
        // A connection that is over (or closing) may stay in place if the call is
        // refused; its failure is no longer what this reports.
        if let Phase::Live(live) = &mut self.phase {
            live.failure = None;
        }
    }

    /// Whether `take_new_failure` has a failure to hand out. Cheap: callers ask it
    /// after every poll.
    pub fn has_new_failure(&self) -> bool {
        match &self.phase {
            Phase::Live(live) => live.has_new_failure(),
            _ => !self.failure_reported && self.failure.is_some(),
        }
    }

    /// The failure, the first time it is asked for after it happened, and whether it
    /// belongs in the log: the end of an open connection does not; a failed attempt to
    /// connect does the first time for its URL and cause (see `report.rs`); a server's
    /// failed upgrade always does, while a connection that was no WebSocket client (a
    /// health check, a plain HTTP request, a connect-and-close) never does.
    pub fn take_new_failure(&mut self) -> Option<FailureReport<'_>> {
        match &mut self.phase {
            Phase::Live(live) => live.take_new_failure().map(|failure| FailureReport { failure, log: false }),
            _ if self.failure_reported => None,
            _ => {
                self.failure_reported = true;
                let failure = self.failure.as_ref()?;
                let log = !self.failure_quiet
                    && (self.attempt.is_empty() || report::first_failure(&self.attempt, failure.kind));
                Some(FailureReport { failure, log })
            }
        }
    }

    /// How log lines name this connection: its URL, else the remote address.
    pub fn name(&self) -> String {
        match &self.remote {
            _ if !self.requested_url.is_empty() => self.requested_url.clone(),
            _ if !self.attempt.is_empty() => self.attempt.clone(),
            Some((host, port)) => format!("the connection from {host}:{port}"),
            None => "the connection".to_string(),
        }
    }
}

/// The `Sec-WebSocket-Extensions` lines of a response, joined.
fn extensions_header(headers: &[(String, String)]) -> String {
    let values: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-extensions"))
        .map(|(_, value)| value.trim())
        .collect();
    values.join(", ")
}

/// Set when the OS gave no randomness (see `weak_randomness`).
static WEAK_RANDOMNESS: AtomicBool = AtomicBool::new(false);

/// Handshake keys and mask seeds. Without OS randomness they are weak but the
/// connection still works (RFC 6455 masks defend proxies, not secrets).
fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if getrandom::fill(&mut bytes).is_err() {
        WEAK_RANDOMNESS.store(true, Ordering::Relaxed);
    }
    bytes
}

/// Whether a handshake key or mask seed was ever made without OS randomness (then
/// they are predictable), for the caller to report.
pub fn weak_randomness() -> bool {
    WEAK_RANDOMNESS.load(Ordering::Relaxed)
}
