//! Finds the socket under an engine `StreamPeerTCP`, so that an idle server peer
//! from `accept_stream` can be watched for input (readiness.rs) instead of asking
//! the engine to read, which costs a `recv` and two engine arrays on every poll.
//!
//! Godot does not expose a stream's descriptor, but the kernel names each connected
//! TCP socket by its addresses: the process's descriptors are searched for the one
//! whose remote address and local port are the stream's. The match is duplicated,
//! so the copy stays ours even if the engine closes its descriptor and the number
//! is reused, and checked again on the copy. Only used for reading readiness: all
//! reads and writes still go through the engine stream.

use std::cell::Cell;
use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

use socket2::{SockRef, Type};

/// Descriptors above the last one found that are tried before a full search:
/// connections accepted one after another get the next free numbers.
const NEAR_LAST: RawFd = 16;

thread_local! {
    static LAST_FOUND: Cell<RawFd> = const { Cell::new(-1) };
}

/// A descriptor of our own for the connected TCP socket with this remote address
/// and local port, or `None` when there is none, or it cannot be told apart.
pub fn find_tcp_socket(remote: SocketAddr, local_port: u16) -> Option<OwnedFd> {
    let last = LAST_FOUND.get();
    let near = (last >= 0).then(|| (last + 1..=last + NEAR_LAST).chain(std::iter::once(last)));
    let found = near.and_then(|mut fds| fds.find(|&fd| matches(fd, remote, local_port))).or_else(|| {
        // Highest numbers first: a new connection usually has one of them.
        let mut fds: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
            .ok()?
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        fds.sort_unstable_by(|a, b| b.cmp(a));
        fds.into_iter().find(|&fd| matches(fd, remote, local_port))
    })?;
    // SAFETY: `found` was open a moment ago; if it has been closed since, the
    // duplicate fails (EBADF), and if the number was reused, the check below fails.
    let copy = unsafe { BorrowedFd::borrow_raw(found) }.try_clone_to_owned().ok()?;
    let sock = SockRef::from(&copy);
    let same = sock.r#type().ok() == Some(Type::STREAM)
        && sock.peer_addr().ok().and_then(|a| a.as_socket()).map(canonical) == Some(canonical(remote))
        && sock.local_addr().ok().and_then(|a| a.as_socket()).map(|a| a.port()) == Some(local_port);
    if !same {
        return None;
    }
    LAST_FOUND.set(found);
    Some(copy)
}

fn matches(fd: RawFd, remote: SocketAddr, local_port: u16) -> bool {
    // SAFETY: only queried (getpeername, getsockname); a descriptor that is not
    // open or not a socket makes the call fail, which is a non-match.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    let sock = SockRef::from(&fd);
    sock.peer_addr().ok().and_then(|a| a.as_socket()).map(canonical) == Some(canonical(remote))
        && sock.local_addr().ok().and_then(|a| a.as_socket()).map(|a| a.port()) == Some(local_port)
}

/// IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    fn same_socket(a: &OwnedFd, b: &impl AsRawFd) -> bool {
        // Two descriptors of one socket share its inode.
        let inode = |fd: RawFd| {
            std::fs::metadata(format!("/proc/self/fd/{fd}")).map(|m| {
                use std::os::unix::fs::MetadataExt;
                m.ino()
            })
        };
        inode(a.as_raw_fd()).unwrap() == inode(b.as_raw_fd()).unwrap()
    }

    #[test]
    fn finds_the_server_side_of_a_connection_not_the_client_side() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut pairs = Vec::new();
        for _ in 0..5 {
            let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let (server, _) = listener.accept().unwrap();
            pairs.push((client, server));
        }
        for (client, server) in &pairs {
            let found = find_tcp_socket(client.local_addr().unwrap(), port).expect("server socket found");
            assert!(same_socket(&found, server));
            assert!(!same_socket(&found, client));
            // And the client side by its own addresses.
            let found = find_tcp_socket(server.local_addr().unwrap(), client.local_addr().unwrap().port()).unwrap();
            assert!(same_socket(&found, client));
        }
    }

    #[test]
    fn the_copy_outlives_the_original_and_nothing_else_matches() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (server, _) = listener.accept().unwrap();
        let remote = client.local_addr().unwrap();
        let found = find_tcp_socket(remote, port).unwrap();
        drop(server);
        // Still the connection: the copy keeps the socket open.
        let sock = SockRef::from(&found);
        assert_eq!(sock.peer_addr().unwrap().as_socket(), Some(remote));
        drop(found);
        assert!(find_tcp_socket(remote, port).is_none(), "closed connection no longer found");
        assert!(find_tcp_socket("127.0.0.1:1".parse().unwrap(), port).is_none());
    }
}
