//! `RustWebSocketPeer`: the Godot class. It only maps the engine API onto the
//! client/server handshakes and the open connection; the protocol lives in `ws-protocol`.

use std::time::Duration;

use godot::classes::{IPacketPeerExtension, PacketPeerExtension, ProjectSettings, StreamPeer};
use godot::global::Error;
use godot::meta::conv::RawPtr;
use godot::prelude::*;
use ws_protocol::{close_code, CloseStatus, Connection, Message, Role, SendError, State as CoreState, WsUrl};

use crate::class_enums::{FailureKind, State, WriteMode};
use crate::client::{self, ClientConnect, StartError};
use crate::clock;
use crate::failure::Failure;
use crate::live::Live;
use crate::log::ws_error;
use crate::raw_packet;
use crate::server::{self, ServerAccept};
use crate::settings::{self, Settings};
use crate::tls_config;
use crate::tls_options::OptTls;
use crate::transport::{StreamPeerTransport, Transport};

mod for_multiplayer;
pub use for_multiplayer::PeerConfig;

enum Phase {
    Idle,
    Connecting(Box<ClientConnect>),
    Accepting(Box<ServerAccept>),
    Live(Box<Live>),
}

/// When a message is written: at once, or with the next flush (see `Live::send_later`).
enum Write {
    Now,
    Later,
}

/// A WebSocket connection, drop-in compatible with the engine's `WebSocketPeer`.
///
/// Use it as a client with [method connect_to_url], or as the server side of a
/// TCP or TLS stream accepted by a `TCPServer` with [method accept_stream]. Call
/// [method poll] regularly (e.g. in `_process`): all progress happens there.
/// Send with `put_packet` (binary), [method send] or [method send_text]; receive
/// with `get_packet` and check [method was_string_packet].
///
/// Differences from the engine's class follow RFC 6455 where the engine does not:
/// messages that arrived before the peer closed stay readable (the state stays
/// OPEN until they are read), data queued before [method close] is sent before the
/// Close frame, invalid close codes and reasons are refused, and handshakes and
/// closes have deadlines.
///
/// Additions to the engine's API say why a connection failed:
/// [method get_failure_kind], [method get_failure_reason] and
/// [method get_handshake_status]. Outcomes of the network (refused, unresolvable,
/// TLS rejected, hang-ups, timeouts, protocol violations by the peer) are not
/// logged as errors: each failed connection logs one warning with its reason.
#[derive(GodotClass)]
#[class(base = PacketPeerExtension, tool, rename = RustWebSocketPeer)]
pub struct WebSocketPeer {
    /// The WebSocket subprotocols offered (client) or accepted (server) during the handshake.
    #[var(get, set, usage_flags = [DEFAULT])]
    supported_protocols: PackedStringArray,
    /// Extra HTTP headers (`"Name: value"`) sent with the handshake request or response.
    #[var(get, set, usage_flags = [DEFAULT])]
    handshake_headers: PackedStringArray,
    /// Largest message accepted, in bytes, and the most bytes of unread messages kept
    /// before reading pauses. Read when a connection opens.
    #[var(get, set, usage_flags = [DEFAULT])]
    inbound_buffer_size: i32,
    /// Most payload bytes queued for sending; a send beyond it fails with
    /// `ERR_OUT_OF_MEMORY`. 0 or less means no limit.
    #[var(get, set, usage_flags = [DEFAULT])]
    outbound_buffer_size: i32,
    /// Most messages queued in each direction.
    #[var(get, set, usage_flags = [DEFAULT])]
    max_queued_packets: i32,
    /// Seconds between automatic pings; the connection closes when one is not answered
    /// within the next interval. 0 disables them.
    #[var(get, set, usage_flags = [DEFAULT])]
    heartbeat_interval: f64,
    /// permessage-deflate (RFC 7692): a client offers it, a server accepts offers.
    /// Read when a connection starts.
    #[var(get, set, usage_flags = [DEFAULT])]
    compression_enabled: bool,

    phase: Phase,
    requested_url: GString,
    selected_protocol: GString,
    /// The remote address, once known (kept after close for diagnostics).
    remote: Option<(GString, i32)>,
    /// Why connecting or accepting failed (an open connection keeps its own).
    failure: Option<Failure>,
    was_string: bool,
    /// The packet last handed to Godot; it copies from this after `get_packet` returns.
    packet: Vec<u8>,
    base: Base<PacketPeerExtension>,
}

#[godot_api]
impl IPacketPeerExtension for WebSocketPeer {
    fn init(base: Base<PacketPeerExtension>) -> Self {
        let defaults = Settings::default();
        WebSocketPeer {
            supported_protocols: PackedStringArray::new(),
            handshake_headers: PackedStringArray::new(),
            inbound_buffer_size: defaults.inbound_buffer_size,
            outbound_buffer_size: defaults.outbound_buffer_size,
            max_queued_packets: defaults.max_queued_packets,
            heartbeat_interval: 0.0,
            compression_enabled: defaults.compression_enabled,
            phase: Phase::Idle,
            requested_url: GString::new(),
            selected_protocol: GString::new(),
            remote: None,
            failure: None,
            was_string: false,
            packet: Vec::new(),
            base,
        }
    }

    unsafe fn get_packet_rawptr(
        &mut self,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
    ) -> Error {
        let Some(message) = self.pop_message() else {
            if self.visible_state() == State::Open {
                return Error::ERR_UNAVAILABLE;
            }
            ws_error!("get_packet", "no packet available and the connection is not open");
            return Error::FAILED;
        };
        self.was_string = message.is_text;
        self.packet = message.data;
        // SAFETY: Godot's out-pointers; `self.packet` stays until the next get_packet.
        unsafe { raw_packet::hand_out(&self.packet, r_buffer, r_buffer_size) };
        Error::OK
    }

    unsafe fn put_packet_rawptr(&mut self, p_buffer: RawPtr<*const u8>, p_buffer_size: i32) -> Error {
        // SAFETY: Godot's buffer, used only during this call.
        let data = unsafe { raw_packet::taken_in(p_buffer, p_buffer_size) };
        self.send_message("put_packet", data, false)
    }

    fn get_available_packet_count(&self) -> i32 {
        match &self.phase {
            Phase::Live(live) => live.conn.available() as i32,
            _ => 0,
        }
    }

    fn get_max_packet_size(&self) -> i32 {
        if self.outbound_buffer_size > 0 {
            self.outbound_buffer_size
        } else {
            i32::MAX
        }
    }
}

#[godot_api]
impl WebSocketPeer {
    /// Connects to `url` (`ws://` or `wss://`). Returns `OK` once the attempt has
    /// started; call [method poll] and watch [method get_ready_state] for the
    /// outcome. Name resolution runs off the game thread.
    #[func]
    pub(crate) fn connect_to_url(
        &mut self,
        url: GString,
        #[opt(default = OptTls(None))] tls_client_options: OptTls,
    ) -> Error {
        self.reset_failure();
        if url.is_empty() {
            ws_error!("connect_to_url", "empty URL");
            return Error::ERR_INVALID_PARAMETER;
        }
        if tls_client_options.0.as_ref().is_some_and(|o| o.is_server()) {
            ws_error!("connect_to_url", "server TLSOptions given; use TLSOptions.client()");
            return Error::ERR_INVALID_PARAMETER;
        }
        if matches!(self.visible_state(), State::Connecting | State::Open) {
            ws_error!("connect_to_url", "already connecting or connected");
            return Error::ERR_ALREADY_IN_USE;
        }
        self.clear();
        let text = url.to_string();
        let target = match WsUrl::parse(&text) {
            Ok(target) => target,
            Err(e) => {
                ws_error!("connect_to_url", "invalid URL \"{text}\": {e}");
                return Error::ERR_INVALID_PARAMETER;
            }
        };
        let tls = if target.secure {
            match tls_client_options.policy().and_then(|policy| tls_config::client_setup(&policy, &target.host)) {
                Ok(setup) => Some(setup),
                Err(why) => {
                    ws_error!("connect_to_url", "{why}");
                    return Error::ERR_INVALID_PARAMETER;
                }
            }
        } else {
            None
        };
        let settings = self.settings();
        let now = clock::now();
        match ClientConnect::start(target, &settings, random("connect_to_url"), connect_timeout(), tls, now) {
            Ok(connect) => {
                self.requested_url = url;
                self.phase = Phase::Connecting(Box::new(connect));
                Error::OK
            }
            Err(StartError::Invalid(e)) => {
                ws_error!("connect_to_url", "{e}");
                Error::ERR_INVALID_PARAMETER
            }
            Err(StartError::Failed(failure)) => {
                // A network outcome (e.g. an unreachable address), not a programmer error.
                self.requested_url = url;
                self.record_failure("connect_to_url", failure);
                self.requested_url = GString::new();
                Error::FAILED
            }
        }
    }

    /// Takes over a connection accepted by a `TCPServer` (`take_connection()`), or a
    /// `StreamPeerTLS` from `accept_stream` (it may still be handshaking), and
    /// performs the server side of the WebSocket handshake in [method poll].
    #[func]
    pub(crate) fn accept_stream(&mut self, stream: Option<Gd<StreamPeer>>) -> Error {
        self.reset_failure();
        let Some(stream) = stream else {
            ws_error!("accept_stream", "stream is null");
            return Error::ERR_INVALID_PARAMETER;
        };
        if matches!(self.visible_state(), State::Connecting | State::Open) {
            ws_error!("accept_stream", "already connecting or connected");
            return Error::ERR_ALREADY_IN_USE;
        }
        self.clear();
        let Some(mut transport) = StreamPeerTransport::new(stream) else {
            ws_error!("accept_stream", "the stream must be a StreamPeerTCP or a StreamPeerTLS over one");
            return Error::ERR_INVALID_PARAMETER;
        };
        transport.set_no_delay(true);
        self.start_accepting(Transport::Stream(transport));
        Error::OK
    }

    /// The server side of a new connection: waits for the client's handshake.
    pub(crate) fn start_accepting(&mut self, transport: Transport) {
        self.remote = Some(transport.peer_addr()).map(|(host, port)| (GString::from(host.as_str()), port as i32));
        let accept = ServerAccept::new(transport, &self.settings(), clock::now());
        self.phase = Phase::Accepting(Box::new(accept));
    }

    /// Sends `message` as one binary frame, or as text with `WRITE_MODE_TEXT`.
    #[func]
    fn send(&mut self, message: PackedByteArray, #[opt(default = WriteMode::Binary)] write_mode: WriteMode) -> Error {
        self.send_message("send", message.as_slice(), write_mode == WriteMode::Text)
    }

    /// Sends `message` as UTF-8 in one text frame.
    #[func]
    fn send_text(&mut self, message: GString) -> Error {
        // The engine's own encoder: much faster than converting char by char.
        let utf8 = message.to_utf8_buffer();
        self.send_message("send_text", utf8.as_slice(), true)
    }

    /// Whether the last packet read was sent as text.
    #[func]
    fn was_string_packet(&self) -> bool {
        self.was_string
    }

    /// Does all the work: connects, handshakes, reads, writes, pings, times out.
    #[func]
    pub(crate) fn poll(&mut self) {
        let now = clock::now();
        // The server reads its settings when the request arrives.
        let settings = matches!(self.phase, Phase::Accepting(_)).then(|| self.settings());
        let failure = match &mut self.phase {
            Phase::Idle => None,
            Phase::Connecting(connect) => {
                if let Some(addr) = connect.remote() {
                    self.remote = Some((GString::from(addr.ip().to_string().as_str()), addr.port() as i32));
                }
                match connect.poll(now) {
                    client::Progress::Pending => None,
                    client::Progress::Failed(failure) => Some(failure),
                    client::Progress::Open(transport, outcome) => {
                        let (host, port) = transport.peer_addr();
                        self.remote = Some((GString::from(host.as_str()), port as i32));
                        self.selected_protocol = GString::from(outcome.protocol.as_str());
                        let mut conn = Connection::new(Role::Client, self.settings().limits(), now, random("poll"));
                        if let Some(params) = outcome.deflate {
                            conn.enable_deflate(params);
                        }
                        conn.receive(&outcome.leftover, now);
                        self.open(Live::new(conn, transport), now);
                        None
                    }
                }
            }
            Phase::Accepting(accept) => {
                let is_tls = accept.is_tls();
                let settings = settings.expect("computed for the accepting phase");
                match accept.poll(&settings, now) {
                    server::Progress::Pending => None,
                    server::Progress::Failed(failure) => Some(failure),
                    server::Progress::Open(transport, request, protocol) => {
                        let scheme = if is_tls { "wss://" } else { "ws://" };
                        self.requested_url =
                            GString::from(format!("{scheme}{}{}", request.host, request.target).as_str());
                        self.selected_protocol = GString::from(protocol.as_deref().unwrap_or(""));
                        let mut conn = Connection::new(Role::Server, settings.limits(), now, [0; 32]);
                        // The same answer the 101 response carried (server.rs).
                        if let Some((params, _)) = settings.accept_deflate(&request) {
                            conn.enable_deflate(params);
                        }
                        conn.receive(&request.leftover, now);
                        self.open(Live::new(conn, transport), now);
                        None
                    }
                }
            }
            Phase::Live(live) => {
                live.conn.set_heartbeat_interval(heartbeat(self.heartbeat_interval), now);
                live.poll(now);
                None
            }
        };
        if let Some(failure) = failure {
            self.phase = Phase::Idle;
            self.record_failure("poll", failure);
        }
        self.report_live_failure("poll");
    }

    /// Starts the closing handshake with `code` and `reason` (at most 123 bytes of
    /// UTF-8). Queued messages are sent first. A negative `code` drops the
    /// connection at once without telling the peer. Keep polling until CLOSED.
    #[func]
    pub(crate) fn close(&mut self, #[opt(default = 1000)] code: i32, #[opt(default = "")] reason: GString) {
        match &mut self.phase {
            Phase::Idle => {}
            Phase::Connecting(_) | Phase::Accepting(_) => self.phase = Phase::Idle,
            Phase::Live(live) if code < 0 => {
                // The app's own abort reads CLOSED at once; unread messages stay readable.
                live.closed_by_app = true;
                live.abort();
            }
            Phase::Live(live) => {
                let was_open = live.conn.state() == CoreState::Open;
                match live.conn.close(code.into(), &reason.to_string(), clock::now()) {
                    Ok(()) => {
                        live.closed_by_app |= was_open;
                        live.flush();
                    }
                    Err(e) => ws_error!("close", "{e}"),
                }
            }
        }
        self.report_live_failure("close");
    }

    /// The IP address of the remote peer.
    #[func]
    pub(crate) fn get_connected_host(&self) -> GString {
        match (&self.remote, &self.phase) {
            (Some((host, _)), phase) if !matches!(phase, Phase::Idle) => host.clone(),
            _ => GString::new(),
        }
    }

    /// The port of the remote peer.
    #[func]
    pub(crate) fn get_connected_port(&self) -> i32 {
        match (&self.remote, &self.phase) {
            (Some((_, port)), phase) if !matches!(phase, Phase::Idle) => *port,
            _ => 0,
        }
    }

    /// The subprotocol agreed during the handshake, or an empty string.
    #[func]
    fn get_selected_protocol(&self) -> GString {
        self.selected_protocol.clone()
    }

    /// The URL given to [method connect_to_url], or on a server the URL the client
    /// requested (scheme, `Host` header and request target).
    #[func]
    fn get_requested_url(&self) -> GString {
        self.requested_url.clone()
    }

    /// Disables (`true`, the default) or enables Nagle's algorithm on the TCP socket.
    #[func]
    fn set_no_delay(&mut self, enabled: bool) {
        let transport = match &mut self.phase {
            Phase::Live(live) if live.conn.state() != CoreState::Closed => Some(live.transport_mut()),
            Phase::Connecting(connect) => connect.transport_mut(),
            Phase::Accepting(accept) => Some(accept.transport_mut()),
            _ => None,
        };
        match transport {
            Some(transport) => transport.set_no_delay(enabled),
            None => ws_error!("set_no_delay", "no TCP connection"),
        }
    }

    /// Payload bytes of messages queued and not yet completely sent.
    #[func]
    fn get_current_outbound_buffered_amount(&self) -> i32 {
        match &self.phase {
            Phase::Live(live) => live.conn.buffered_amount().min(i32::MAX as usize) as i32,
            _ => 0,
        }
    }

    /// The connection state.
    #[func]
    pub(crate) fn get_ready_state(&self) -> State {
        self.visible_state()
    }

    /// The status code of the Close frame received (1005 if it had none), or -1 when
    /// the connection did not close cleanly.
    #[func]
    fn get_close_code(&self) -> i32 {
        self.close_status().filter(|status| status.code != close_code::ABNORMAL).map_or(-1, |status| status.code as i32)
    }

    /// The reason of the Close frame received.
    #[func]
    fn get_close_reason(&self) -> GString {
        self.close_status().map_or(GString::new(), |status| GString::from(status.reason.as_str()))
    }

    /// Why the connection failed, or [constant FAILURE_NONE] while it has not
    /// (including a clean close by either side, and [method close] with a negative
    /// code). Set as soon as the failure is detected: the state may still read
    /// [constant STATE_OPEN] while messages that arrived before it are unread.
    /// Reset by [method connect_to_url] and [method accept_stream]. (Not in the
    /// engine's `WebSocketPeer`.)
    #[func]
    fn get_failure_kind(&self) -> FailureKind {
        self.failure().map_or(FailureKind::None, |f| f.kind)
    }

    /// A one-line description of the failure, as in the warning logged for it,
    /// e.g. `connection refused by 127.0.0.1:8000` or `server answered HTTP 403`;
    /// empty while [method get_failure_kind] is [constant FAILURE_NONE]. For
    /// people, not for parsing. (Not in the engine's `WebSocketPeer`.)
    #[func]
    fn get_failure_reason(&self) -> GString {
        self.failure().map_or(GString::new(), |f| GString::from(f.reason.as_str()))
    }

    /// The HTTP status of a refused opening handshake: on a client, what the
    /// server answered instead of `101` (e.g. `403`); on a server, the error status
    /// it answered a bad request with (`400` or `426`). 0 otherwise. (Not in the
    /// engine's `WebSocketPeer`.)
    #[func]
    fn get_handshake_status(&self) -> i32 {
        self.failure().map_or(0, |f| f.http_status as i32)
    }

    #[func]
    fn get_supported_protocols(&self) -> PackedStringArray {
        self.supported_protocols.clone()
    }

    #[func]
    fn set_supported_protocols(&mut self, protocols: PackedStringArray) {
        self.supported_protocols = settings::trimmed_protocols(&protocols);
    }

    #[func]
    fn get_handshake_headers(&self) -> PackedStringArray {
        self.handshake_headers.clone()
    }

    #[func]
    fn set_handshake_headers(&mut self, protocols: PackedStringArray) {
        self.handshake_headers = protocols;
    }

    #[func]
    fn get_inbound_buffer_size(&self) -> i32 {
        self.inbound_buffer_size
    }

    #[func]
    fn set_inbound_buffer_size(&mut self, buffer_size: i32) {
        if buffer_size <= 0 {
            ws_error!(
                "set_inbound_buffer_size",
                "inbound_buffer_size must be positive (got {buffer_size}); keeping {}",
                self.inbound_buffer_size
            );
            return;
        }
        self.inbound_buffer_size = buffer_size;
    }

    #[func]
    fn get_outbound_buffer_size(&self) -> i32 {
        self.outbound_buffer_size
    }

    #[func]
    fn set_outbound_buffer_size(&mut self, buffer_size: i32) {
        self.outbound_buffer_size = buffer_size;
        if let Phase::Live(live) = &mut self.phase {
            live.conn.limits_mut().max_outbound_buffered = settings::outbound_limit(buffer_size);
        }
    }

    #[func]
    fn get_max_queued_packets(&self) -> i32 {
        self.max_queued_packets
    }

    #[func]
    fn set_max_queued_packets(&mut self, buffer_size: i32) {
        if buffer_size <= 0 {
            ws_error!(
                "set_max_queued_packets",
                "max_queued_packets must be positive (got {buffer_size}); keeping {}",
                self.max_queued_packets
            );
            return;
        }
        self.max_queued_packets = buffer_size;
        if let Phase::Live(live) = &mut self.phase {
            live.conn.limits_mut().max_queued_messages = buffer_size as usize;
        }
    }

    #[func]
    fn get_heartbeat_interval(&self) -> f64 {
        self.heartbeat_interval
    }

    #[func]
    fn set_heartbeat_interval(&mut self, interval: f64) {
        if interval.is_nan() || interval < 0.0 {
            ws_error!("set_heartbeat_interval", "heartbeat_interval must be >= 0 (got {interval})");
            return;
        }
        // Whole milliseconds, as the engine stores it.
        self.heartbeat_interval = (interval * 1000.0).floor() / 1000.0;
    }

    #[func]
    fn get_compression_enabled(&self) -> bool {
        self.compression_enabled
    }

    #[func]
    fn set_compression_enabled(&mut self, enabled: bool) {
        self.compression_enabled = enabled;
    }
}

impl WebSocketPeer {
    /// How the connection ended, or the peer's Close as soon as it arrived.
    fn close_status(&self) -> Option<&CloseStatus> {
        match &self.phase {
            Phase::Live(live) => live.conn.close_status().or(live.conn.received_close()),
            _ => None,
        }
    }

    fn settings(&self) -> Settings {
        let strings = |a: &PackedStringArray| a.as_slice().iter().map(|s| s.to_string()).collect();
        Settings {
            supported_protocols: strings(&self.supported_protocols),
            handshake_headers: strings(&self.handshake_headers),
            inbound_buffer_size: self.inbound_buffer_size,
            outbound_buffer_size: self.outbound_buffer_size,
            max_queued_packets: self.max_queued_packets,
            compression_enabled: self.compression_enabled,
        }
    }

    /// Enters OPEN and does the OPEN work of this same poll, as the engine does.
    fn open(&mut self, mut live: Live, now: Duration) {
        live.conn.set_heartbeat_interval(heartbeat(self.heartbeat_interval), now);
        live.poll(now);
        self.phase = Phase::Live(Box::new(live));
    }

    /// Drops any connection without a word and resets what a new one reports.
    fn clear(&mut self) {
        if let Phase::Live(live) = &mut self.phase {
            live.abort();
        }
        self.phase = Phase::Idle;
        self.requested_url = GString::new();
        self.selected_protocol = GString::new();
        self.remote = None;
        self.was_string = false;
        self.packet = Vec::new();
    }

    /// The state scripts see. After the peer closes (or the connection fails),
    /// OPEN lasts until the messages that arrived before are read, so the usual
    /// `if OPEN: while get_available_packet_count()` loop loses none of them.
    /// The next received message, if the connection has one.
    fn pop_message(&mut self) -> Option<Message> {
        match &mut self.phase {
            Phase::Live(live) => live.conn.pop_message(),
            _ => None,
        }
    }

    fn visible_state(&self) -> State {
        match &self.phase {
            Phase::Idle => State::Closed,
            Phase::Connecting(_) | Phase::Accepting(_) => State::Connecting,
            Phase::Live(live) => match live.conn.state() {
                CoreState::Open => State::Open,
                _ if !live.closed_by_app && live.conn.available() > 0 => State::Open,
                CoreState::Closing => State::Closing,
                CoreState::Closed => State::Closed,
            },
        }
    }

    /// A send on a connection that never opened, or that the caller closed, is
    /// a programmer error. One the peer or the network ended is not: it fails
    /// quietly, and `get_failure_kind()` says why (the state may still read OPEN
    /// while earlier messages are unread).
    fn send_message(&mut self, method: &'static str, data: &[u8], is_text: bool) -> Error {
        self.send_message_at(method, data, is_text, Write::Now)
    }

    fn send_message_at(&mut self, method: &'static str, data: &[u8], is_text: bool, write: Write) -> Error {
        let Phase::Live(live) = &mut self.phase else {
            ws_error!(method, "cannot send, the connection is not open");
            return Error::FAILED;
        };
        let sent = match write {
            Write::Now => live.send(is_text, data),
            Write::Later => live.send_later(is_text, data),
        };
        let result = match sent {
            Ok(()) if live.conn.state() == CoreState::Closed => Error::FAILED,
            Ok(()) => Error::OK,
            Err(SendError::NotOpen) if live.closed_by_app || live.aborted_by_app => {
                ws_error!(method, "cannot send, the connection was closed with close()");
                Error::FAILED
            }
            Err(SendError::NotOpen) => Error::FAILED,
            Err(e) => {
                ws_error!(method, "send refused: {e}");
                Error::ERR_OUT_OF_MEMORY
            }
        };
        self.report_live_failure(method);
        result
    }

    /// Clears the failure of the previous connection (a new attempt starts),
    /// unless this call is refused because one is under way.
    fn reset_failure(&mut self) {
        if matches!(self.visible_state(), State::Connecting | State::Open) {
            return;
        }
        self.failure = None;
        // A connection that is over (or closing) may stay in place if the call is
        // refused; its failure is no longer what the object reports.
        if let Phase::Live(live) = &mut self.phase {
            live.failure = None;
        }
    }

    /// Why the current or last connection failed.
    fn failure(&self) -> Option<&Failure> {
        match &self.phase {
            Phase::Live(live) => live.failure.as_ref(),
            _ => self.failure.as_ref(),
        }
    }

    /// Keeps a failure of connecting or accepting, with its one warning line.
    #[track_caller]
    fn record_failure(&mut self, method: &str, failure: Failure) {
        failure.warn(method, &self.connection_name());
        self.failure = Some(failure);
    }

    /// The warning line of an open connection's failure, once.
    #[track_caller]
    fn report_live_failure(&mut self, method: &str) {
        // Checked first: naming the connection allocates, and this runs on every poll.
        if !matches!(&self.phase, Phase::Live(live) if live.has_new_failure()) {
            return;
        }
        let name = self.connection_name();
        if let Phase::Live(live) = &mut self.phase {
            if let Some(failure) = live.take_new_failure() {
                failure.warn(method, &name);
            }
        }
    }

    /// How log lines name this connection: its URL, else the remote address.
    fn connection_name(&self) -> String {
        match &self.remote {
            _ if !self.requested_url.is_empty() => self.requested_url.to_string(),
            Some((host, port)) => format!("the connection from {host}:{port}"),
            None => "the connection".to_string(),
        }
    }
}

fn heartbeat(seconds: f64) -> Duration {
    Duration::from_millis((seconds * 1000.0) as u64)
}

/// The engine's per-address TCP connect timeout setting (default 30 s).
fn connect_timeout() -> Duration {
    let setting = ProjectSettings::singleton().get_setting("network/limits/tcp/connect_timeout_seconds");
    let seconds = setting.try_to::<i64>().unwrap_or(30).clamp(1, 1800);
    Duration::from_secs(seconds as u64)
}

fn random<const N: usize>(method: &'static str) -> [u8; N] {
    let mut bytes = [0u8; N];
    if let Err(e) = getrandom::fill(&mut bytes) {
        ws_error!(method, "no OS randomness ({e}); handshake keys and masks are weak");
    }
    bytes
}
