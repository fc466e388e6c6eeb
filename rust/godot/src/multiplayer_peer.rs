//! `RustWebSocketMultiplayerPeer`: the engine's `WebSocketMultiplayerPeer` on our
//! peer, for the high-level multiplayer API (RPCs, `MultiplayerSpawner`, ...).
//!
//! The wire protocol is the engine's, so either side may be the engine's class: a
//! server accepts a connection, and once it is open sends the new peer's ID as one
//! 4-byte little-endian binary message. From then on every message is one packet
//! of the high-level API, unchanged; `SceneMultiplayer` relays between clients
//! itself, through the server.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::VecDeque;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use godot::classes::multiplayer_peer::{ConnectionStatus, TransferMode};
use godot::classes::{IMultiplayerPeerExtension, MultiplayerPeerExtension};
use godot::global::Error;
use godot::meta::conv::RawPtr;
use godot::prelude::*;
use godot::register::property::PhantomVar;
use indexmap::IndexMap;
use rustls::ServerConfig;
use ws_connection::net::listener::Listener;
use ws_connection::tls::TlsStream;
use ws_connection::{clock, Config, ReadyState, Transport, WebSocket, Write};

use crate::calls;
use crate::engine::log::Log;
use crate::engine::raw_packet;
use crate::engine::tls_options::OptTls;
use crate::peer::WebSocketPeer;
use crate::settings::Settings;

const LOG: Log = Log::new("RustWebSocketMultiplayerPeer");

/// The ID the server always has.
const SERVER_ID: i32 = 1;
/// At most this many connections are taken from the listener per poll (the engine
/// takes one), so a burst of connections cannot stall a frame.
const ACCEPTS_PER_POLL: usize = 64;
/// How long a departed peer's ID is remembered (see `departed`): SceneMultiplayer hears of
/// a departure in the poll that signals it, but may still send to that peer for packets
/// already in hand (relays, mostly), a frame or two later.
const DEPARTED_FOR: Duration = Duration::from_secs(10);
/// `get_max_packet_size()` is the outbound buffer minus this, as in the engine (a
/// header size its protocol no longer has).
const ENGINE_PROTO_SIZE: i32 = 9;

/// One connection of the multiplayer peer.
struct Link {
    ws: Rc<RefCell<WebSocket>>,
    /// The settings when the connection was made (changing them later does not change
    /// how it opens, as with the engine's class), less the heartbeat, which the
    /// multiplayer peer does not have.
    config: Config,
    /// The `RustWebSocketPeer` over it, made the first time `get_peer()` asks.
    object: OnceCell<Gd<WebSocketPeer>>,
    /// Packets were queued since the last flush: it is on the flush list.
    queued: Cell<bool>,
}

impl Link {
    fn new(ws: WebSocket, config: &Config) -> Link {
        Link {
            ws: Rc::new(RefCell::new(ws)),
            config: config.clone(),
            object: OnceCell::new(),
            queued: Cell::new(false),
        }
    }

    /// Starts the closing handshake (a Close 1000 frame after what is queued), with
    /// the failure's one warning if sending it fails.
    fn close_normally(&self, method: &str) {
        let mut ws = self.ws.borrow_mut();
        let _ = ws.close(1000, "", clock::now());
        LOG.new_failure(method, &mut ws);
    }

    /// Polls the connection, with its failure's one warning named after this class.
    fn poll(&self, now: Duration) -> ReadyState {
        let mut ws = self.ws.borrow_mut();
        ws.poll(&self.config, now);
        LOG.new_failure("poll", &mut ws);
        ws.ready_state()
    }

    /// Queues a packet to leave with the next flush or `poll`, in one write with the
    /// others queued meanwhile.
    fn queue(&self, data: &[u8]) -> Error {
        calls::send(&mut self.ws.borrow_mut(), false, data, Write::Later, LOG, "put_packet")
    }
}

/// A WebSocket multiplayer peer: a client, or a server with its clients.
#[derive(GodotClass)]
#[class(base = MultiplayerPeerExtension, tool, rename = RustWebSocketMultiplayerPeer)]
pub struct WebSocketMultiplayerPeer {
    #[var(get, set, usage_flags = [DEFAULT])]
    supported_protocols: PhantomVar<PackedStringArray>,
    #[var(get, set, usage_flags = [DEFAULT])]
    handshake_headers: PhantomVar<PackedStringArray>,
    #[var(get, set, usage_flags = [DEFAULT])]
    inbound_buffer_size: PhantomVar<i32>,
    #[var(get, set, usage_flags = [DEFAULT])]
    outbound_buffer_size: PhantomVar<i32>,
    #[var(get, set, usage_flags = [DEFAULT])]
    handshake_timeout: f64,
    #[var(get, set, usage_flags = [DEFAULT])]
    max_queued_packets: PhantomVar<i32>,
    /// A client's HTTP proxy, as `RustWebSocketPeer.proxy_url`; used by `create_client`.
    #[var(get, set, usage_flags = [DEFAULT])]
    proxy_url: PhantomVar<GString>,
    /// As `RustWebSocketPeer.proxy_from_environment`.
    #[var(get, set, usage_flags = [DEFAULT])]
    proxy_from_environment: PhantomVar<bool>,
    /// As `RustWebSocketPeer.trusted_proxies`, for every connection `create_server` accepts.
    #[var(get, set, usage_flags = [DEFAULT])]
    trusted_proxies: PhantomVar<PackedStringArray>,
    /// As `RustWebSocketPeer.health_check_path`.
    #[var(get, set, usage_flags = [DEFAULT])]
    health_check_path: PhantomVar<GString>,

    /// The properties it shares with `RustWebSocketPeer`, for every connection.
    settings: Settings,

    status: ConnectionStatus,
    unique_id: i32,
    target_peer: i32,
    transfer_mode: TransferMode,
    transfer_channel: i32,
    refusing: bool,
    /// The server's own listening socket (see `transport/listener.rs` for why not
    /// the engine's `TCPServer`).
    listener: Option<Listener>,
    /// rustls' server config, from `create_server`'s `TLSOptions`, for `wss://`.
    tls_server: Option<Arc<ServerConfig>>,
    /// Connections not open yet, by the ID they will get, with the time they began,
    /// in the order they were accepted (the order they are reported in, as the engine).
    pending: IndexMap<i32, (Link, Duration)>,
    /// Open connections by ID, in the order they opened; a client has one, the server (ID 1).
    peers: IndexMap<i32, Link>,
    incoming: VecDeque<(i32, Vec<u8>)>,
    /// The peers that disconnected in the last `DEPARTED_FOR`, however many, oldest first,
    /// with when: packets sent
    /// to them fail quietly, as the game may not have seen the signal yet.
    departed: IndexMap<i32, Duration>,
    /// The packet last handed to Godot; it copies from this after `get_packet` returns.
    packet: Vec<u8>,
    /// A deferred call will write the packets queued this frame (see `schedule_flush`).
    flush_scheduled: bool,
    /// Connections with packets queued since the last flush (`Link::queued`).
    flush_list: Vec<i32>,
    base: Base<MultiplayerPeerExtension>,
}

/// What a poll observed, signalled once the poll's own work is done (a handler
/// may call back into this object).
enum Event {
    Connected(i32),
    Disconnected(i32),
}

#[godot_api]
impl IMultiplayerPeerExtension for WebSocketMultiplayerPeer {
    fn init(base: Base<MultiplayerPeerExtension>) -> Self {
        WebSocketMultiplayerPeer {
            supported_protocols: PhantomVar::default(),
            handshake_headers: PhantomVar::default(),
            inbound_buffer_size: PhantomVar::default(),
            outbound_buffer_size: PhantomVar::default(),
            handshake_timeout: 3.0,
            max_queued_packets: PhantomVar::default(),
            proxy_url: PhantomVar::default(),
            proxy_from_environment: PhantomVar::default(),
            trusted_proxies: PhantomVar::default(),
            health_check_path: PhantomVar::default(),
            settings: Settings::new(LOG),
            status: ConnectionStatus::DISCONNECTED,
            unique_id: 0,
            target_peer: 0,
            transfer_mode: TransferMode::RELIABLE,
            transfer_channel: 0,
            refusing: false,
            listener: None,
            tls_server: None,
            pending: IndexMap::new(),
            peers: IndexMap::new(),
            incoming: VecDeque::new(),
            departed: IndexMap::new(),
            packet: Vec::new(),
            flush_scheduled: false,
            flush_list: Vec::new(),
            base,
        }
    }

    unsafe fn get_packet_rawptr(
        &mut self,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
    ) -> Error {
        if self.status != ConnectionStatus::CONNECTED {
            LOG.error("get_packet", "not connected");
            return Error::ERR_UNCONFIGURED;
        }
        let Some((_, data)) = self.incoming.pop_front() else {
            LOG.error("get_packet", "no packet available");
            return Error::ERR_UNAVAILABLE;
        };
        self.packet = data;
        // SAFETY: Godot's out-pointers; `self.packet` stays until the next get_packet.
        unsafe { raw_packet::hand_out(&self.packet, r_buffer, r_buffer_size) };
        Error::OK
    }

    unsafe fn put_packet_rawptr(&mut self, p_buffer: RawPtr<*const u8>, p_buffer_size: i32) -> Error {
        if self.status != ConnectionStatus::CONNECTED {
            LOG.error("put_packet", "not connected");
            return Error::ERR_UNCONFIGURED;
        }
        // SAFETY: Godot's buffer, used only during this call.
        let data = unsafe { raw_packet::taken_in(p_buffer, p_buffer_size) };
        let result = self.queue_packet(data);
        self.schedule_flush();
        result
    }

    fn get_available_packet_count(&self) -> i32 {
        self.incoming.len() as i32
    }

    fn get_max_packet_size(&self) -> i32 {
        self.settings.outbound_buffer_size() - ENGINE_PROTO_SIZE
    }

    fn get_packet_channel(&self) -> i32 {
        0
    }

    fn get_packet_mode(&self) -> TransferMode {
        TransferMode::RELIABLE
    }

    fn set_transfer_channel(&mut self, channel: i32) {
        self.transfer_channel = channel;
    }

    fn get_transfer_channel(&self) -> i32 {
        self.transfer_channel
    }

    fn set_transfer_mode(&mut self, mode: TransferMode) {
        self.transfer_mode = mode;
    }

    fn get_transfer_mode(&self) -> TransferMode {
        self.transfer_mode
    }

    fn set_target_peer(&mut self, peer: i32) {
        self.target_peer = peer;
    }

    fn get_packet_peer(&self) -> i32 {
        match self.incoming.front() {
            Some((source, _)) => *source,
            None => {
                LOG.error("get_packet_peer", "no packet available");
                SERVER_ID
            }
        }
    }

    fn is_server(&self) -> bool {
        self.listener.is_some()
    }

    fn poll(&mut self) {
        let events = match self.status {
            ConnectionStatus::DISCONNECTED => return,
            _ if self.listener.is_some() => self.poll_server(),
            _ => self.poll_client(),
        };
        for event in events {
            let (signal, id) = match event {
                Event::Connected(id) => ("peer_connected", id),
                Event::Disconnected(id) => ("peer_disconnected", id),
            };
            self.base_mut().emit_signal(signal, &[i64::from(id).to_variant()]);
        }
    }

    fn close(&mut self) {
        self.clear();
    }

    fn disconnect_peer(&mut self, peer: i32, force: bool) {
        let Some(link) = self.peers.get(&peer) else {
            LOG.error("disconnect_peer", &format!("peer not found: {peer}"));
            return;
        };
        link.close_normally("disconnect_peer");
        // Without force, the next poll sees it closing and signals peer_disconnected.
        if force {
            self.peers.shift_remove(&peer);
            self.note_departed(peer);
            if self.listener.is_none() {
                self.clear();
            }
        }
    }

    fn get_unique_id(&self) -> i32 {
        self.unique_id
    }

    fn set_refuse_new_connections(&mut self, enable: bool) {
        self.refusing = enable;
    }

    fn is_refusing_new_connections(&self) -> bool {
        self.refusing
    }

    fn is_server_relay_supported(&self) -> bool {
        true
    }

    fn get_connection_status(&self) -> ConnectionStatus {
        self.status
    }
}

#[godot_api]
impl WebSocketMultiplayerPeer {
    /// Starts a client that connects to `url` (`ws://` or `wss://`).
    #[func]
    fn create_client(&mut self, url: GString, #[opt(default = OptTls(None))] tls_client_options: OptTls) -> Error {
        if self.status != ConnectionStatus::DISCONNECTED {
            LOG.error("create_client", "already in use; call close() first");
            return Error::ERR_ALREADY_IN_USE;
        }
        self.clear();
        let mut ws = WebSocket::new();
        let error = calls::connect(&mut ws, &url, &tls_client_options, &mut self.settings, LOG, "create_client");
        if error != Error::OK {
            return error;
        }
        let link = Link::new(ws, self.settings.config());
        self.pending.insert(SERVER_ID, (link, clock::now()));
        self.status = ConnectionStatus::CONNECTING;
        Error::OK
    }

    /// Starts a server listening on `port`, on `bind_address` (`"*"`: every
    /// address), with TLS when `tls_server_options` (from `TLSOptions.server()`) is given.
    #[func]
    fn create_server(
        &mut self,
        port: i32,
        #[opt(default = "*")] bind_address: GString,
        #[opt(default = OptTls(None))] tls_server_options: OptTls,
    ) -> Error {
        if self.status != ConnectionStatus::DISCONNECTED {
            LOG.error("create_server", "already in use; call close() first");
            return Error::ERR_ALREADY_IN_USE;
        }
        if tls_server_options.is_client() {
            LOG.error("create_server", "client TLSOptions given; use TLSOptions.server()");
            return Error::ERR_INVALID_PARAMETER;
        }
        let Ok(port) = u16::try_from(port) else {
            LOG.error("create_server", &format!("invalid port {port}"));
            return Error::ERR_INVALID_PARAMETER;
        };
        let bind = match bind_address.to_string().as_str() {
            "*" => None,
            address => match address.parse::<IpAddr>() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    let why = format!("bind_address must be \"*\" or an IP address, not \"{address}\"");
                    LOG.error("create_server", &why);
                    return Error::ERR_INVALID_PARAMETER;
                }
            },
        };
        let tls_server = match &tls_server_options.0 {
            None => None,
            Some(_) => match tls_server_options.server_config() {
                Ok(config) => Some(config),
                Err(why) => {
                    LOG.error("create_server", &format!("unusable tls_server_options: {why}"));
                    return Error::ERR_INVALID_PARAMETER;
                }
            },
        };
        self.clear();
        let listener = match Listener::bind(bind, port) {
            Ok(listener) => listener,
            Err(e) => {
                // Another server on the port is the machine's state, not a bug.
                LOG.warn("create_server", &format!("cannot listen on port {port}: {e}"));
                return if e.kind() == std::io::ErrorKind::AddrInUse {
                    Error::ERR_ALREADY_IN_USE
                } else {
                    Error::ERR_CANT_CREATE
                };
            }
        };
        self.listener = Some(listener);
        self.tls_server = tls_server;
        self.unique_id = SERVER_ID;
        self.status = ConnectionStatus::CONNECTED;
        Error::OK
    }

    /// The connection to peer `peer_id` (on a client, the server is 1), as a
    /// `RustWebSocketPeer` over the same connection.
    #[func]
    fn get_peer(&self, peer_id: i32) -> Option<Gd<WebSocketPeer>> {
        let Some(link) = self.peers.get(&peer_id) else {
            LOG.error("get_peer", &format!("peer not found: {peer_id}"));
            return None;
        };
        Some(link.object.get_or_init(|| WebSocketPeer::over(link.ws.clone(), link.config.clone())).clone())
    }

    /// The IP address of peer `id`.
    #[func]
    fn get_peer_address(&self, id: i32) -> GString {
        match self.peers.get(&id) {
            Some(link) => link.ws.borrow().remote().map_or(GString::new(), |(host, _)| GString::from(host)),
            None => {
                LOG.error("get_peer_address", &format!("peer not found: {id}"));
                GString::new()
            }
        }
    }

    /// The remote port of peer `id`.
    #[func]
    fn get_peer_port(&self, id: i32) -> i32 {
        match self.peers.get(&id) {
            Some(link) => link.ws.borrow().remote().map_or(0, |(_, port)| i32::from(port)),
            None => {
                LOG.error("get_peer_port", &format!("peer not found: {id}"));
                0
            }
        }
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
        self.update_limits();
    }

    #[func]
    fn get_handshake_timeout(&self) -> f64 {
        self.handshake_timeout
    }

    #[func]
    fn set_handshake_timeout(&mut self, timeout: f64) {
        if timeout.is_nan() || timeout <= 0.0 {
            LOG.error(
                "set_handshake_timeout",
                &format!("handshake_timeout must be positive (got {timeout}); keeping {}", self.handshake_timeout),
            );
            return;
        }
        self.handshake_timeout = timeout;
    }

    #[func]
    fn get_max_queued_packets(&self) -> i32 {
        self.settings.max_queued_packets()
    }

    #[func]
    fn set_max_queued_packets(&mut self, max_queued_packets: i32) {
        self.settings.set_max_queued_packets(max_queued_packets);
        self.update_limits();
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

impl WebSocketMultiplayerPeer {
    /// Queues the packet for its target: the server, one client, or every client
    /// (0) or every client but one (-ID).
    fn queue_packet(&mut self, data: &[u8]) -> Error {
        // Each connection a packet goes to joins the flush list once per frame: a frame
        // that sends to one peer of thousands flushes that one.
        let flush_list = &mut self.flush_list;
        let mut to = |id: i32, link: &Link| {
            if !link.queued.replace(true) {
                flush_list.push(id);
            }
            link.queue(data)
        };
        if self.listener.is_none() {
            return match self.peers.get(&SERVER_ID) {
                Some(server) => to(SERVER_ID, server),
                None => Error::ERR_UNCONFIGURED,
            };
        }
        if self.target_peer > 0 {
            let Some(link) = self.peers.get(&self.target_peer) else {
                // A peer that just went away is the network's doing, not the caller's.
                let just_left = self.departed.get(&self.target_peer);
                if just_left.is_some_and(|&at| clock::now().saturating_sub(at) < DEPARTED_FOR) {
                    return Error::ERR_UNAVAILABLE;
                }
                LOG.error("put_packet", &format!("peer not found: {}", self.target_peer));
                return Error::ERR_INVALID_PARAMETER;
            };
            return to(self.target_peer, link);
        }
        // A client whose queue is full misses the packet, as with the engine's class.
        for (&id, link) in self.peers.iter() {
            if self.target_peer == 0 || -self.target_peer != id {
                let _ = to(id, link);
            }
        }
        Error::OK
    }

    /// Packets leave in one write per connection per frame: at the end of the frame
    /// they were sent in (a deferred call, after the scripts' `_process` or
    /// `_physics_process`), or at the next `poll()` if that comes first.
    fn schedule_flush(&mut self) {
        if self.flush_scheduled {
            return;
        }
        self.flush_scheduled = true;
        let id = self.base().instance_id();
        let flush = self.to_gd().linked_callable("flush_queued_packets", move |_| {
            if let Ok(mut this) = Gd::<WebSocketMultiplayerPeer>::try_from_instance_id(id) {
                this.bind_mut().flush_queued();
            }
        });
        flush.call_deferred(&[]);
    }

    fn flush_queued(&mut self) {
        self.flush_scheduled = false;
        for id in self.flush_list.drain(..) {
            // A peer that left meanwhile is gone from the list of peers.
            let Some(link) = self.peers.get(&id) else { continue };
            link.queued.set(false);
            let mut ws = link.ws.borrow_mut();
            ws.flush();
            LOG.new_failure("put_packet", &mut ws);
        }
    }

    /// Applies the settings that may change on open connections to every one.
    fn update_limits(&mut self) {
        let config = self.settings.config();
        for link in self.peers.values_mut().chain(self.pending.values_mut().map(|(link, _)| link)) {
            link.config.outbound_buffer_size = config.outbound_buffer_size;
            link.config.max_queued_packets = config.max_queued_packets;
            link.ws.borrow_mut().update_limits(&link.config);
        }
    }

    fn timed_out(&self, since: Duration, now: Duration) -> bool {
        now.saturating_sub(since).as_secs_f64() > self.handshake_timeout
    }

    /// Back to DISCONNECTED: every connection is closed (a Close frame is sent where
    /// one is open) and dropped, without signals, as the engine's `close()`.
    fn clear(&mut self) {
        for (_, link) in std::mem::take(&mut self.peers) {
            link.close_normally("close");
        }
        self.pending.clear();
        self.listener = None;
        self.tls_server = None;
        self.incoming.clear();
        self.departed.clear();
        self.flush_list.clear();
        self.status = ConnectionStatus::DISCONNECTED;
        self.unique_id = 0;
    }

    fn poll_client(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        let now = clock::now();
        if let Some((link, since)) = self.pending.shift_remove(&SERVER_ID) {
            match link.poll(now) {
                ReadyState::Open => match take_id(&link) {
                    Some(Ok(id)) => {
                        self.unique_id = id;
                        self.status = ConnectionStatus::CONNECTED;
                        self.peers.insert(SERVER_ID, link);
                        events.push(Event::Connected(SERVER_ID));
                    }
                    Some(Err(why)) => {
                        LOG.warn("poll", &format!("{why}; closing the connection"));
                        link.close_normally("poll");
                        self.clear();
                        return events;
                    }
                    None if self.timed_out(since, now) => {
                        self.clear();
                        return events;
                    }
                    None => {
                        self.pending.insert(SERVER_ID, (link, since));
                        return events;
                    }
                },
                ReadyState::Connecting if !self.timed_out(since, now) => {
                    self.pending.insert(SERVER_ID, (link, since));
                    return events;
                }
                _ => {
                    // Failed, or timed out: SceneMultiplayer reports connection_failed.
                    self.clear();
                    return events;
                }
            }
        }
        let Some(server) = self.peers.get(&SERVER_ID) else {
            return events;
        };
        server.poll(now);
        let mut ws = server.ws.borrow_mut();
        while let Some(message) = ws.pop_message() {
            self.incoming.push_back((SERVER_ID, message.data));
        }
        // Read after the messages: OPEN lasts while earlier ones are unread.
        let open = ws.ready_state() == ReadyState::Open;
        drop(ws);
        if !open {
            events.push(Event::Disconnected(SERVER_ID));
            self.clear();
        }
        events
    }

    fn poll_server(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        let now = clock::now();
        self.accept_connections(now);

        let pending = std::mem::take(&mut self.pending);
        for (id, (link, since)) in pending {
            match link.poll(now) {
                ReadyState::Connecting if !self.timed_out(since, now) => {
                    self.pending.insert(id, (link, since));
                }
                ReadyState::Open if !self.refusing => {
                    let sent =
                        calls::send(&mut link.ws.borrow_mut(), false, &id.to_le_bytes(), Write::Now, LOG, "poll");
                    if sent == Error::OK {
                        self.peers.insert(id, link);
                        events.push(Event::Connected(id));
                    } else {
                        link.close_normally("poll");
                    }
                }
                // Timed out, failed, or opened while new connections are refused.
                _ => link.close_normally("poll"),
            }
        }

        let mut gone = Vec::new();
        for (&id, link) in self.peers.iter() {
            link.poll(now);
            let mut ws = link.ws.borrow_mut();
            while let Some(message) = ws.pop_message() {
                self.incoming.push_back((id, message.data));
            }
            if ws.ready_state() != ReadyState::Open {
                gone.push(id);
            }
        }
        for id in gone {
            self.peers.shift_remove(&id);
            self.note_departed(id);
            events.push(Event::Disconnected(id));
        }
        events
    }

    fn accept_connections(&mut self, now: Duration) {
        let Some(listener) = self.listener.as_ref() else { return };
        for _ in 0..ACCEPTS_PER_POLL {
            let Some((stream, peer)) = listener.accept_with_peer() else { break };
            if self.refusing {
                // Closed at once: the client fails now rather than at its timeout
                // (the engine's class completes the handshake first, then drops it).
                continue;
            }
            let transport = match &self.tls_server {
                None => Transport::tcp_from(stream, peer),
                Some(tls) => match TlsStream::new_server(tls.clone(), stream) {
                    Ok(tls) => Transport::Tls(Box::new(tls)),
                    Err(_) => continue,
                },
            };
            let mut ws = WebSocket::new();
            ws.accept(transport, self.settings.config(), now);
            let link = Link::new(ws, self.settings.config());
            let id = self.new_peer_id();
            self.pending.insert(id, (link, now));
        }
    }

    fn note_departed(&mut self, id: i32) {
        let now = clock::now();
        while let Some((_, &at)) = self.departed.first() {
            if now.saturating_sub(at) < DEPARTED_FOR {
                break;
            }
            self.departed.shift_remove_index(0);
        }
        self.departed.insert(id, now);
    }

    /// A random ID ≥ 2 that no connection has, from the engine's generator.
    fn new_peer_id(&self) -> i32 {
        loop {
            let id = self.base().generate_unique_id() as i32;
            if id >= 2 && !self.peers.contains_key(&id) && !self.pending.contains_key(&id) {
                return id;
            }
        }
    }
}

/// The ID message a client waits for: `None` until it arrives, then the ID or
/// why the message is not one (not 4 bytes, or an ID below 2).
fn take_id(link: &Link) -> Option<Result<i32, String>> {
    let message = link.ws.borrow_mut().pop_message()?.data;
    let Ok(bytes) = <[u8; 4]>::try_from(message.as_slice()) else {
        return Some(Err(format!("the server's first message is {} bytes, not a 4-byte peer ID", message.len())));
    };
    let id = i32::from_le_bytes(bytes);
    Some(if id < 2 { Err(format!("the server assigned the invalid peer ID {id}")) } else { Ok(id) })
}
