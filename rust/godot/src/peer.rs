//! `RustWebSocketPeer`: the engine's `WebSocketPeer` API over one connection of the
//! connection crate. This file maps arguments, results and log lines; the
//! connection does the work.

use std::cell::RefCell;
use std::rc::Rc;

use godot::classes::{IPacketPeerExtension, PacketPeerExtension, StreamPeer};
use godot::global::Error;
use godot::meta::conv::RawPtr;
use godot::prelude::*;
use godot::register::property::PhantomVar;
use ws_connection::{clock, Config, ReadyState, Transport, WebSocket, Write};

use crate::calls;
use crate::engine::class_enums::{FailureKind, State, WriteMode};
use crate::engine::log::Log;
use crate::engine::raw_packet;
use crate::engine::stream_peer::StreamPeerTransport;
use crate::engine::tls_options::OptTls;
use crate::settings::Settings;

const LOG: Log = Log::new("RustWebSocketPeer");

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
/// logged as errors: a failed attempt to connect logs one warning with its reason,
/// once per URL and cause until that URL connects again; the end of an open
/// connection logs nothing (`--verbose` shows it).
#[derive(GodotClass)]
#[class(base = PacketPeerExtension, tool, rename = RustWebSocketPeer)]
pub struct WebSocketPeer {
    /// The WebSocket subprotocols offered (client) or accepted (server) during the handshake.
    #[var(get, set, usage_flags = [DEFAULT])]
    supported_protocols: PhantomVar<PackedStringArray>,
    /// Extra HTTP headers (`"Name: value"`) sent with the handshake request or response.
    #[var(get, set, usage_flags = [DEFAULT])]
    handshake_headers: PhantomVar<PackedStringArray>,
    /// Largest message accepted, in bytes, and the most bytes of unread messages kept
    /// before reading pauses. Read when a connection opens.
    #[var(get, set, usage_flags = [DEFAULT])]
    inbound_buffer_size: PhantomVar<i32>,
    /// Most payload bytes queued for sending; a send beyond it fails with
    /// `ERR_OUT_OF_MEMORY`. 0 or less means no limit.
    #[var(get, set, usage_flags = [DEFAULT])]
    outbound_buffer_size: PhantomVar<i32>,
    /// Most messages queued in each direction.
    #[var(get, set, usage_flags = [DEFAULT])]
    max_queued_packets: PhantomVar<i32>,
    /// Seconds between automatic pings; the connection closes when one is not answered
    /// within the next interval. 0 disables them.
    #[var(get, set, usage_flags = [DEFAULT])]
    heartbeat_interval: PhantomVar<f64>,
    /// permessage-deflate (RFC 7692): a client offers it, a server accepts offers.
    /// Read when a connection starts.
    #[var(get, set, usage_flags = [DEFAULT])]
    compression_enabled: PhantomVar<bool>,
    /// A client's HTTP proxy: empty for a direct connection, else
    /// `http://[user:password@]host:port`, or `https://…` for TLS to the proxy.
    /// The connection is tunnelled with `CONNECT`; TLS to a `wss://` server runs
    /// inside the tunnel, end to end. Read when a connection starts.
    #[var(get, set, usage_flags = [DEFAULT])]
    proxy_url: PhantomVar<GString>,
    /// With an empty `proxy_url`, take the proxy from the environment as curl does
    /// (`https_proxy`, `http_proxy`, `all_proxy`, `no_proxy`).
    #[var(get, set, usage_flags = [DEFAULT])]
    proxy_from_environment: PhantomVar<bool>,
    /// A server's load balancers, as IP addresses or networks (`10.0.0.0/8`): from
    /// these, a PROXY protocol header or `X-Forwarded-For` / `Forwarded` give the
    /// player's address. Empty: trust nobody, as the engine does.
    #[var(get, set, usage_flags = [DEFAULT])]
    trusted_proxies: PhantomVar<PackedStringArray>,
    /// A server answers a plain HTTP `GET` of this path (e.g. `/health`) with `200 OK`.
    #[var(get, set, usage_flags = [DEFAULT])]
    health_check_path: PhantomVar<GString>,

    settings: Settings,
    /// Shared with a `RustWebSocketMultiplayerPeer` when it handed this object out
    /// (`get_peer()`): then both see the same connection, as with the engine's classes.
    ws: Rc<RefCell<WebSocket>>,
    was_string: bool,
    /// The packet last handed to Godot; it copies from this after `get_packet` returns.
    packet: Vec<u8>,
    base: Base<PacketPeerExtension>,
}

#[godot_api]
impl IPacketPeerExtension for WebSocketPeer {
    fn init(base: Base<PacketPeerExtension>) -> Self {
        WebSocketPeer::with_connection(Rc::default(), Config::default(), base)
    }

    unsafe fn get_packet_rawptr(
        &mut self,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
    ) -> Error {
        let mut ws = self.ws.borrow_mut();
        let Some(message) = ws.pop_message() else {
            if ws.ready_state() == ReadyState::Open {
                return Error::ERR_UNAVAILABLE;
            }
            LOG.error("get_packet", "no packet available and the connection is not open");
            return Error::FAILED;
        };
        drop(ws);
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
        self.ws.borrow().available() as i32
    }

    fn get_max_packet_size(&self) -> i32 {
        match self.settings.outbound_buffer_size() {
            size if size > 0 => size,
            _ => i32::MAX,
        }
    }
}

#[godot_api]
impl WebSocketPeer {
    /// Connects to `url` (`ws://` or `wss://`). Returns `OK` once the attempt has
    /// started; call [method poll] and watch [method get_ready_state] for the
    /// outcome. Name resolution runs off the game thread.
    #[func]
    fn connect_to_url(&mut self, url: GString, #[opt(default = OptTls(None))] tls_client_options: OptTls) -> Error {
        let mut ws = self.ws.borrow_mut();
        // A call that gets past its argument checks drops the previous connection's packet.
        if !url.is_empty() && !tls_client_options.is_server() && !ws.is_busy() {
            self.was_string = false;
            self.packet = Vec::new();
        }
        calls::connect(&mut ws, &url, &tls_client_options, &mut self.settings, LOG, "connect_to_url")
    }

    /// Takes over a connection accepted by a `TCPServer` (`take_connection()`), or a
    /// `StreamPeerTLS` from `accept_stream` (it may still be handshaking), and
    /// performs the server side of the WebSocket handshake in [method poll].
    #[func]
    fn accept_stream(&mut self, stream: Option<Gd<StreamPeer>>) -> Error {
        let mut ws = self.ws.borrow_mut();
        ws.reset_failure();
        let Some(stream) = stream else {
            LOG.error("accept_stream", "stream is null");
            return Error::ERR_INVALID_PARAMETER;
        };
        if ws.is_busy() {
            LOG.error("accept_stream", "already connecting or connected");
            return Error::ERR_ALREADY_IN_USE;
        }
        ws.clear();
        self.was_string = false;
        self.packet = Vec::new();
        let Some(mut transport) = StreamPeerTransport::new(stream) else {
            LOG.error("accept_stream", "the stream must be a StreamPeerTCP or a StreamPeerTLS over one");
            return Error::ERR_INVALID_PARAMETER;
        };
        ws_connection::ExternalStream::set_no_delay(&mut transport, true);
        ws.accept(Transport::external(transport), self.settings.config(), clock::now());
        Error::OK
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
    fn poll(&mut self) {
        let mut ws = self.ws.borrow_mut();
        ws.poll(self.settings.config(), clock::now());
        LOG.new_failure("poll", &mut ws);
    }

    /// Starts the closing handshake with `code` and `reason` (at most 123 bytes of
    /// UTF-8). Queued messages are sent first. A negative `code` drops the
    /// connection at once without telling the peer. Keep polling until CLOSED.
    #[func]
    fn close(&mut self, #[opt(default = 1000)] code: i32, #[opt(default = "")] reason: GString) {
        let mut ws = self.ws.borrow_mut();
        if let Err(e) = ws.close(code, &reason.to_string(), clock::now()) {
            LOG.error("close", &e.to_string());
        }
        LOG.new_failure("close", &mut ws);
    }

    /// The IP address of the remote peer.
    #[func]
    fn get_connected_host(&self) -> GString {
        self.ws.borrow().remote().map_or(GString::new(), |(host, _)| GString::from(host))
    }

    /// The port of the remote peer.
    #[func]
    fn get_connected_port(&self) -> i32 {
        self.ws.borrow().remote().map_or(0, |(_, port)| i32::from(port))
    }

    /// The subprotocol agreed during the handshake, or an empty string.
    #[func]
    fn get_selected_protocol(&self) -> GString {
        GString::from(self.ws.borrow().selected_protocol())
    }

    /// The `Sec-WebSocket-Extensions` value agreed in the handshake, e.g.
    /// `permessage-deflate`, or an empty string when the server declined (or
    /// nothing was offered). (Not in the engine's `WebSocketPeer`.)
    #[func]
    fn get_negotiated_extensions(&self) -> GString {
        GString::from(self.ws.borrow().extensions())
    }

    /// The URL given to [method connect_to_url], or on a server the URL the client
    /// requested (scheme, `Host` header and request target).
    #[func]
    fn get_requested_url(&self) -> GString {
        GString::from(self.ws.borrow().requested_url())
    }

    /// Disables (`true`, the default) or enables Nagle's algorithm on the TCP socket.
    #[func]
    fn set_no_delay(&mut self, enabled: bool) {
        if !self.ws.borrow_mut().set_no_delay(enabled) {
            LOG.error("set_no_delay", "no TCP connection");
        }
    }

    /// Payload bytes of messages queued and not yet completely sent.
    #[func]
    fn get_current_outbound_buffered_amount(&self) -> i32 {
        self.ws.borrow().buffered_amount().min(i32::MAX as usize) as i32
    }

    /// The connection state.
    #[func]
    fn get_ready_state(&self) -> State {
        self.ws.borrow().ready_state().into()
    }

    /// The status code of the Close frame received (1005 if it had none), or -1 when
    /// the connection did not close cleanly.
    #[func]
    fn get_close_code(&self) -> i32 {
        self.ws.borrow().close_code()
    }

    /// The reason of the Close frame received.
    #[func]
    fn get_close_reason(&self) -> GString {
        GString::from(self.ws.borrow().close_reason())
    }

    /// Why the connection failed, or [constant FAILURE_NONE] while it has not
    /// (including a clean close by either side, and [method close] with a negative
    /// code). Set as soon as the failure is detected: the state may still read
    /// [constant STATE_OPEN] while messages that arrived before it are unread.
    /// Reset by [method connect_to_url] and [method accept_stream]. (Not in the
    /// engine's `WebSocketPeer`.)
    #[func]
    fn get_failure_kind(&self) -> FailureKind {
        self.ws.borrow().failure().map(|f| f.kind).into()
    }

    /// A one-line description of the failure, as in the warning logged for a failed attempt,
    /// e.g. `connection refused by 127.0.0.1:8000` or `server answered HTTP 403`;
    /// empty while [method get_failure_kind] is [constant FAILURE_NONE]. For
    /// people, not for parsing. (Not in the engine's `WebSocketPeer`.)
    #[func]
    fn get_failure_reason(&self) -> GString {
        self.ws.borrow().failure().map_or(GString::new(), |f| GString::from(f.reason.as_str()))
    }

    /// The HTTP status of a refused opening handshake: on a client, what the
    /// server answered instead of `101` (e.g. `403`), or with [constant FAILURE_PROXY]
    /// what the proxy answered to `CONNECT` (e.g. `407`); on a server, the error
    /// status it answered a bad request with (`400` or `426`). 0 otherwise. (Not in
    /// the engine's `WebSocketPeer`.)
    #[func]
    fn get_handshake_status(&self) -> i32 {
        self.ws.borrow().failure().map_or(0, |f| i32::from(f.http_status))
    }

    #[func]
    fn get_supported_protocols(&self) -> PackedStringArray {
        self.settings.supported_protocols()
    }

    #[func]
    fn set_supported_protocols(&mut self, protocols: PackedStringArray) {
        self.settings.set_supported_protocols(&protocols);
    }

    #[func]
    fn get_handshake_headers(&self) -> PackedStringArray {
        self.settings.handshake_headers()
    }

    #[func]
    fn set_handshake_headers(&mut self, protocols: PackedStringArray) {
        self.settings.set_handshake_headers(&protocols);
    }

    #[func]
    fn get_inbound_buffer_size(&self) -> i32 {
        self.settings.inbound_buffer_size()
    }

    #[func]
    fn set_inbound_buffer_size(&mut self, buffer_size: i32) {
        self.settings.set_inbound_buffer_size(buffer_size);
    }

    #[func]
    fn get_outbound_buffer_size(&self) -> i32 {
        self.settings.outbound_buffer_size()
    }

    #[func]
    fn set_outbound_buffer_size(&mut self, buffer_size: i32) {
        self.settings.set_outbound_buffer_size(buffer_size);
        self.ws.borrow_mut().update_limits(self.settings.config());
    }

    #[func]
    fn get_max_queued_packets(&self) -> i32 {
        self.settings.max_queued_packets()
    }

    #[func]
    fn set_max_queued_packets(&mut self, buffer_size: i32) {
        self.settings.set_max_queued_packets(buffer_size);
        self.ws.borrow_mut().update_limits(self.settings.config());
    }

    #[func]
    fn get_heartbeat_interval(&self) -> f64 {
        self.settings.heartbeat_interval()
    }

    #[func]
    fn set_heartbeat_interval(&mut self, interval: f64) {
        self.settings.set_heartbeat_interval(interval);
        let interval = self.settings.config().heartbeat_interval;
        self.ws.borrow_mut().set_heartbeat_interval(interval, clock::now());
    }

    #[func]
    fn get_compression_enabled(&self) -> bool {
        self.settings.compression_enabled()
    }

    #[func]
    fn set_compression_enabled(&mut self, enabled: bool) {
        self.settings.set_compression_enabled(enabled);
    }

    #[func]
    fn get_proxy_url(&self) -> GString {
        self.settings.proxy_url()
    }

    #[func]
    fn set_proxy_url(&mut self, proxy_url: GString) {
        self.settings.set_proxy_url(&proxy_url);
    }

    #[func]
    fn get_proxy_from_environment(&self) -> bool {
        self.settings.proxy_from_environment()
    }

    #[func]
    fn set_proxy_from_environment(&mut self, enabled: bool) {
        self.settings.set_proxy_from_environment(enabled);
    }

    #[func]
    fn get_trusted_proxies(&self) -> PackedStringArray {
        self.settings.trusted_proxies()
    }

    #[func]
    fn set_trusted_proxies(&mut self, trusted_proxies: PackedStringArray) {
        self.settings.set_trusted_proxies(&trusted_proxies);
    }

    #[func]
    fn get_health_check_path(&self) -> GString {
        self.settings.health_check_path()
    }

    #[func]
    fn set_health_check_path(&mut self, health_check_path: GString) {
        self.settings.set_health_check_path(&health_check_path);
    }
}

impl WebSocketPeer {
    fn with_connection(ws: Rc<RefCell<WebSocket>>, config: Config, base: Base<PacketPeerExtension>) -> WebSocketPeer {
        WebSocketPeer {
            supported_protocols: PhantomVar::default(),
            handshake_headers: PhantomVar::default(),
            inbound_buffer_size: PhantomVar::default(),
            outbound_buffer_size: PhantomVar::default(),
            max_queued_packets: PhantomVar::default(),
            heartbeat_interval: PhantomVar::default(),
            compression_enabled: PhantomVar::default(),
            proxy_url: PhantomVar::default(),
            proxy_from_environment: PhantomVar::default(),
            trusted_proxies: PhantomVar::default(),
            health_check_path: PhantomVar::default(),
            settings: Settings::with(config, LOG),
            ws,
            was_string: false,
            packet: Vec::new(),
            base,
        }
    }

    /// A peer object over a connection someone else drives (a multiplayer peer's,
    /// for `get_peer()`), with a copy of the settings that connection was made with.
    pub(crate) fn over(ws: Rc<RefCell<WebSocket>>, config: Config) -> Gd<WebSocketPeer> {
        Gd::from_init_fn(|base| WebSocketPeer::with_connection(ws, config, base))
    }

    fn send_message(&mut self, method: &'static str, data: &[u8], is_text: bool) -> Error {
        calls::send(&mut self.ws.borrow_mut(), is_text, data, Write::Now, LOG, method)
    }
}
