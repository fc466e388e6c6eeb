//! The client's way to OPEN: DNS off the caller's thread, non-blocking TCP to the
//! addresses (Happy Eyeballs), through a proxy's `CONNECT` tunnel when one is set,
//! TLS for `wss://`, then the opening handshake. Progress only inside `poll()`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ws_protocol::{ClientHandshake, ClientOutcome, HandshakeError, WsUrl};

use crate::config::Config;
use crate::failure::{Failure, FailureKind};
use crate::net::dns::Resolution;
use crate::net::dns_cache;
use crate::net::tcp_connect::{ConnectProgress, TcpConnect};
use crate::proxy::{Proxy, ProxyScheme, Tunnel, TunnelOutcome};
use crate::tls::{TlsSetup, TlsStream};
use crate::transport::{ReadOutcome, Transport};

pub struct ClientConnect {
    url: WsUrl,
    stage: Stage,
    handshake: ClientHandshake,
    request: Vec<u8>,
    written: usize,
    connect_timeout: Duration,
    handshake_timeout: Duration,
    /// When the opening handshake must be done by (set once TCP connects).
    deadline: Option<Duration>,
    /// For `wss://`: the TLS client configuration and server name.
    tls: Option<TlsSetup>,
    /// The proxy the tunnel goes through, with the TLS set-up for an `https://` one.
    proxy: Option<ProxyRoute>,
}

/// How to reach the server through a proxy.
pub struct ProxyRoute {
    pub proxy: Proxy,
    /// For an `https://` proxy: TLS to the proxy itself.
    pub tls: Option<TlsSetup>,
}

enum Stage {
    Resolving(Resolution),
    Connecting(TcpConnect),
    /// Asking the proxy for a tunnel, and reading its answer.
    Tunnelling(Transport, Box<Tunnel>, usize),
    Handshaking(Transport),
    /// The transport was handed over to the open connection.
    Done,
}

pub enum Progress {
    Pending,
    Open(Transport, ClientOutcome),
    Failed(Failure),
}

/// Why a connection could not even start.
#[derive(Debug)]
pub enum StartError {
    /// The caller's request is invalid (a bad extra header, say): a programmer error.
    Invalid(HandshakeError),
    /// No address could even start connecting: a network outcome.
    Failed(Failure),
}

impl ClientConnect {
    pub fn start(
        url: WsUrl,
        config: &Config,
        key: [u8; 16],
        tls: Option<TlsSetup>,
        proxy: Option<ProxyRoute>,
        now: Duration,
    ) -> Result<ClientConnect, StartError> {
        let connect_timeout = config.connect_timeout;
        let (handshake, request) = Self::request(&url, config, key)?;
        let (host, port) = match &proxy {
            Some(route) => (route.proxy.host.clone(), route.proxy.port),
            None => (url.host.clone(), url.port),
        };
        let to_proxy = |failure: Failure| match &proxy {
            Some(route) => proxy_failure(&route.proxy, failure),
            None => failure,
        };
        // Known at once (no thread, no frame's wait): an IP literal, `localhost`, or a recent lookup.
        let known = literal_addresses(&host, port).or_else(|| dns_cache::cached(&host, port, now));
        let stage = match known {
            Some(addrs) => {
                let connect = TcpConnect::start(addrs, connect_timeout, now);
                if !connect.in_progress() {
                    let mut connect = connect;
                    let why = match connect.poll(now) {
                        ConnectProgress::Failed(e) => e.to_string(),
                        _ => "connection failed".into(),
                    };
                    dns_cache::forget(&host);
                    return Err(StartError::Failed(to_proxy(Failure::new(FailureKind::Connect, why))));
                }
                Stage::Connecting(connect)
            }
            None => {
                let resolution = Resolution::start(&host, port).map_err(|e| {
                    StartError::Failed(to_proxy(Failure::new(FailureKind::Dns, format!("cannot start resolving: {e}"))))
                })?;
                Stage::Resolving(resolution)
            }
        };
        Ok(ClientConnect {
            url,
            stage,
            handshake,
            request,
            written: 0,
            connect_timeout,
            handshake_timeout: config.limits().handshake_timeout,
            deadline: None,
            tls,
            proxy,
        })
    }

    /// The opening handshake over a transport that is already connected (to the
    /// server, or through a tunnel to it): no lookup, no TCP connect, no TLS of ours.
    pub fn over(
        url: WsUrl,
        transport: Transport,
        config: &Config,
        key: [u8; 16],
        now: Duration,
    ) -> Result<ClientConnect, StartError> {
        let (handshake, request) = Self::request(&url, config, key)?;
        let handshake_timeout = config.limits().handshake_timeout;
        Ok(ClientConnect {
            url,
            stage: Stage::Handshaking(transport),
            handshake,
            request,
            written: 0,
            connect_timeout: config.connect_timeout,
            handshake_timeout,
            deadline: Some(now + handshake_timeout),
            tls: None,
            proxy: None,
        })
    }

    fn request(url: &WsUrl, config: &Config, key: [u8; 16]) -> Result<(ClientHandshake, Vec<u8>), StartError> {
        ClientHandshake::with_deflate(
            url,
            &config.supported_protocols,
            &config.handshake_headers,
            key,
            config.limits().max_handshake_bytes,
            Duration::MAX,
            config.deflate(),
        )
        .map_err(StartError::Invalid)
    }

    /// The address being connected to, once TCP has started.
    pub fn remote(&self) -> Option<SocketAddr> {
        match &self.stage {
            Stage::Resolving(_) | Stage::Done => None,
            Stage::Connecting(c) => c.current_addr(),
            Stage::Tunnelling(t, ..) | Stage::Handshaking(t) => {
                let (host, port) = t.peer_addr();
                host.parse().ok().map(|ip| SocketAddr::new(ip, port))
            }
        }
    }

    pub fn transport_mut(&mut self) -> Option<&mut Transport> {
        match &mut self.stage {
            Stage::Handshaking(t) => Some(t),
            _ => None,
        }
    }

    pub fn poll(&mut self, now: Duration) -> Progress {
        match self.advance(now) {
            Progress::Failed(failure) => Progress::Failed(match (&self.proxy, &self.stage) {
                // Until the tunnel is up, every failure is the proxy's.
                (Some(route), Stage::Resolving(_) | Stage::Connecting(_) | Stage::Tunnelling(..)) => {
                    proxy_failure(&route.proxy, failure)
                }
                _ => failure,
            }),
            progress => progress,
        }
    }

    fn advance(&mut self, now: Duration) -> Progress {
        loop {
            let host = self.proxy.as_ref().map_or(self.url.host.as_str(), |route| route.proxy.host.as_str());
            match &mut self.stage {
                Stage::Resolving(resolution) => match resolution.poll() {
                    None => return Progress::Pending,
                    Some(Err(e)) => {
                        let why = format!("cannot resolve \"{host}\": {e}");
                        return Progress::Failed(Failure::new(FailureKind::Dns, why));
                    }
                    Some(Ok(addrs)) if addrs.is_empty() => {
                        let why = format!("no address for \"{host}\"");
                        return Progress::Failed(Failure::new(FailureKind::Dns, why));
                    }
                    Some(Ok(addrs)) => {
                        dns_cache::remember(host, &addrs, now);
                        self.stage = Stage::Connecting(TcpConnect::start(addrs, self.connect_timeout, now))
                    }
                },
                Stage::Connecting(connect) => match connect.poll(now) {
                    ConnectProgress::Pending => return Progress::Pending,
                    ConnectProgress::Failed(e) => {
                        // Addresses that refuse may be stale: the next attempt looks the name up again.
                        dns_cache::forget(host);
                        let kind = match e.kind() {
                            std::io::ErrorKind::TimedOut => FailureKind::Timeout,
                            _ => FailureKind::Connect,
                        };
                        return Progress::Failed(Failure::new(kind, e.to_string()));
                    }
                    ConnectProgress::Connected(stream) => {
                        let _ = stream.set_nodelay(true);
                        self.deadline = Some(now + self.handshake_timeout);
                        self.stage = match &self.proxy {
                            None => match &self.tls {
                                None => Stage::Handshaking(Transport::tcp(stream)),
                                Some(tls) => {
                                    match TlsStream::new(tls.config.clone(), tls.server_name.clone(), stream) {
                                        Ok(tls) => Stage::Handshaking(Transport::Tls(Box::new(tls))),
                                        Err(why) => return Progress::Failed(Failure::new(FailureKind::Tls, why)),
                                    }
                                }
                            },
                            Some(route) => {
                                let tunnel = Box::new(Tunnel::new(&self.url.host, self.url.port, &route.proxy));
                                let transport = match &route.tls {
                                    None => Transport::tcp(stream),
                                    Some(tls) => {
                                        match TlsStream::new(tls.config.clone(), tls.server_name.clone(), stream) {
                                            Ok(tls) => Transport::Tls(Box::new(tls)),
                                            Err(why) => return Progress::Failed(Failure::new(FailureKind::Tls, why)),
                                        }
                                    }
                                };
                                Stage::Tunnelling(transport, tunnel, 0)
                            }
                        };
                    }
                },
                Stage::Tunnelling(..) => {
                    if self.deadline.is_some_and(|d| now >= d) {
                        let why = format!("did not answer CONNECT within {} s", self.handshake_timeout.as_secs());
                        return Progress::Failed(Failure::new(FailureKind::Proxy, why));
                    }
                    match self.tunnel_step() {
                        Ok(true) => {}
                        Ok(false) => return Progress::Pending,
                        Err(failure) => return Progress::Failed(failure),
                    }
                }
                Stage::Done => return Progress::Pending,
                Stage::Handshaking(_) => {
                    if self.deadline.is_some_and(|d| now >= d) {
                        return Progress::Failed(handshake_failure(HandshakeError::Timeout));
                    }
                    return self.handshake_step();
                }
            }
        }
    }

    /// Sends `CONNECT` and reads the proxy's answer; `Ok(true)` once the tunnel is
    /// up (and TLS to the server, for `wss://`, starts inside it).
    fn tunnel_step(&mut self) -> Result<bool, Failure> {
        let Stage::Tunnelling(transport, tunnel, written) = &mut self.stage else { return Ok(false) };
        while *written < tunnel.request().len() {
            match transport.write(&tunnel.request()[*written..]) {
                Ok(0) => return Ok(false),
                Ok(n) => *written += n,
                Err(e) => {
                    let why = transport.error().map_or_else(|| format!("sending CONNECT failed: {e}"), str::to_string);
                    return Err(transport_failure(transport, why));
                }
            }
        }
        let mut outcome = None;
        loop {
            // One byte at a time would be exact; the proxy sends nothing after its
            // answer until the server speaks, and for WebSocket the client speaks first.
            let read = transport.read_into(4096, &mut |bytes| {
                if outcome.is_none() {
                    outcome = tunnel.receive(bytes);
                }
            });
            match (&outcome, read) {
                (Some(_), _) => break,
                (None, ReadOutcome::Data(_)) => continue,
                (None, ReadOutcome::WouldBlock) => return Ok(false),
                (None, ReadOutcome::Closed) => {
                    return Err(match transport.error() {
                        Some(why) => transport_failure(transport, why.to_string()),
                        None => Failure::new(FailureKind::Proxy, "closed the connection without answering CONNECT"),
                    });
                }
            }
        }
        match outcome.expect("loop breaks on an outcome") {
            TunnelOutcome::Established { leftover } if leftover.is_empty() => {}
            TunnelOutcome::Established { .. } => {
                let why = "sent data before the server could have spoken";
                return Err(Failure::new(FailureKind::Proxy, why));
            }
            refused @ TunnelOutcome::Refused { status, .. } => {
                return Err(Failure::with_status(FailureKind::Proxy, refused.to_string(), status));
            }
            not_http @ TunnelOutcome::NotHttp(_) => return Err(Failure::new(FailureKind::Proxy, not_http.to_string())),
        }
        let Stage::Tunnelling(transport, ..) = std::mem::replace(&mut self.stage, Stage::Done) else {
            unreachable!("in the tunnelling stage")
        };
        let transport = match &self.tls {
            None => transport,
            Some(tls) => TlsStream::new(tls.config.clone(), tls.server_name.clone(), transport)
                .map(|tls| Transport::TlsInTunnel(Box::new(tls)))
                .map_err(|why| Failure::new(FailureKind::Tls, why))?,
        };
        self.stage = Stage::Handshaking(transport);
        Ok(true)
    }

    fn handshake_step(&mut self) -> Progress {
        let Stage::Handshaking(transport) = &mut self.stage else { return Progress::Pending };
        while self.written < self.request.len() {
            match transport.write(&self.request[self.written..]) {
                Ok(0) => return Progress::Pending,
                Ok(n) => self.written += n,
                Err(e) => {
                    let why =
                        transport.error().map_or_else(|| format!("sending the handshake failed: {e}"), str::to_string);
                    return Progress::Failed(transport_failure(transport, why));
                }
            }
        }
        let handshake = &mut self.handshake;
        let mut result = Ok(None);
        loop {
            let outcome = transport.read_into(4096, &mut |bytes| match &mut result {
                Ok(None) => result = handshake.receive(bytes),
                // A read may hand over bytes in pieces (TLS: one per record): those
                // after the response are the server's first frames.
                Ok(Some(done)) => done.leftover.extend_from_slice(bytes),
                Err(_) => {}
            });
            match (&result, outcome) {
                (Err(e), _) => return Progress::Failed(handshake_failure(e.clone())),
                (Ok(Some(_)), _) => break,
                (Ok(None), ReadOutcome::Data(_)) => continue,
                (Ok(None), ReadOutcome::WouldBlock) => return Progress::Pending,
                (Ok(None), ReadOutcome::Closed) => {
                    let why = transport.error().unwrap_or("the server closed the connection during the handshake");
                    return Progress::Failed(transport_failure(transport, why.to_string()));
                }
            }
        }
        let Ok(Some(outcome)) = result else { unreachable!("loop breaks only on a complete response") };
        let Stage::Handshaking(transport) = std::mem::replace(&mut self.stage, Stage::Done) else {
            unreachable!("in the handshaking stage")
        };
        Progress::Open(transport, outcome)
    }
}

/// Addresses known without a lookup (no thread, no frame's wait): an IP literal,
/// or `localhost`, which RFC 6761 lets applications map to loopback themselves
/// (IPv4 first; IPv6 is tried if nothing listens there).
fn literal_addresses(host: &str, port: u16) -> Option<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(vec![SocketAddr::new(ip, port)]);
    }
    host.eq_ignore_ascii_case("localhost").then(|| {
        vec![SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port), SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port)]
    })
}

/// A failure before the tunnel was up, worded as the proxy's (which never shows
/// its credentials). A refusal keeps the proxy's HTTP status.
fn proxy_failure(proxy: &Proxy, failure: Failure) -> Failure {
    let reason = match (failure.kind, proxy.scheme) {
        (FailureKind::Proxy, _) => format!("the proxy {proxy} {}", failure.reason),
        (_, ProxyScheme::Http) => format!("cannot reach the proxy {proxy}: {}", failure.reason),
        (_, ProxyScheme::Https) => format!("cannot reach the proxy {proxy} over TLS: {}", failure.reason),
    };
    Failure::with_status(FailureKind::Proxy, reason, failure.http_status)
}

/// A response the client refuses: its HTTP status when it was not 101.
fn handshake_failure(e: HandshakeError) -> Failure {
    match e {
        HandshakeError::Timeout => Failure::new(FailureKind::Timeout, e.to_string()),
        HandshakeError::UnexpectedStatus(status) => {
            Failure::with_status(FailureKind::Handshake, format!("server answered HTTP {status}"), status)
        }
        e => Failure::new(FailureKind::Handshake, format!("invalid handshake response: {e}")),
    }
}

/// The connection ended before the handshake completed: during TLS's own
/// handshake (or by a TLS error) it is a TLS failure.
fn transport_failure(transport: &Transport, why: String) -> Failure {
    let kind = if transport.is_tls_failure() { FailureKind::Tls } else { FailureKind::ConnectionLost };
    Failure::new(kind, why)
}
