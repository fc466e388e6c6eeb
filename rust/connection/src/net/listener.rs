//! The multiplayer server's own listening socket (socket2): non-blocking, with the
//! system's full accept backlog. The engine's `TCPServer` listens with a backlog of
//! 8, so in a burst of connects (every client of a restarted server at once) the
//! rest are dropped by the kernel and retry after 1 s, 3 s, ..., past the clients'
//! handshake timeout.

use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpStream};

use socket2::{Domain, Protocol, Socket, Type};

/// Connections the kernel queues for us; it caps this at `net.core.somaxconn`.
const BACKLOG: i32 = 4096;

pub struct Listener {
    socket: Socket,
}

impl Listener {
    /// Listens on `port` of `bind`: every address (IPv6 and IPv4) when `None`.
    pub fn bind(bind: Option<IpAddr>, port: u16) -> io::Result<Listener> {
        let (addr, dual_stack) = match bind {
            Some(ip) => (SocketAddr::new(ip, port), false),
            None => (SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port), true),
        };
        let socket = match Self::socket_for(addr, dual_stack) {
            // No IPv6 on this machine: every IPv4 address instead.
            Err(_) if dual_stack => Self::socket_for(SocketAddr::from(([0, 0, 0, 0], port)), false)?,
            other => other?,
        };
        Ok(Listener { socket })
    }

    fn socket_for(addr: SocketAddr, dual_stack: bool) -> io::Result<Socket> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        if dual_stack {
            socket.set_only_v6(false)?;
        }
        // As the engine's TCPServer: a restarted server can bind again at once.
        #[cfg(not(windows))]
        socket.set_reuse_address(true)?;
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        socket.listen(BACKLOG)?;
        Ok(socket)
    }

    /// The address it listens on (its port, when bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()?.as_socket().ok_or_else(|| io::Error::other("not an IP socket"))
    }

    /// The next waiting connection (non-blocking, no Nagle), if any.
    pub fn accept(&self) -> Option<TcpStream> {
        self.accept_with_peer().map(|(stream, _)| stream)
    }

    /// `accept`, with the remote address as accept() gave it: a peer that has already
    /// reset the connection (a balancer's health check) is no longer known to getpeername.
    pub fn accept_with_peer(&self) -> Option<(TcpStream, Option<SocketAddr>)> {
        loop {
            match self.socket.accept() {
                Ok((socket, peer)) => {
                    let stream: TcpStream = socket.into();
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    return Some((stream, peer.as_socket()));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Would block, or a connection that died while queued (ECONNABORTED):
                // nothing to hand out now.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(_) => return None,
            }
        }
    }
}
