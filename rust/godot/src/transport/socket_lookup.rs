//! Finds the socket under an engine `StreamPeerTCP`, so that an idle server peer
//! from `accept_stream` can be watched for input (readiness.rs) instead of asking
//! the engine to read, which costs a `recv` and two engine arrays on every poll.
//!
//! Godot does not expose a stream's descriptor, and an accepted stream does not
//! know its local port (`get_local_port()` reads 0), but the kernel names each
//! connected socket by its remote address: the process's descriptors are searched
//! for the sockets connected to the stream's remote address. Exactly one socket
//! must match: two (the same remote address and port connected to two of our
//! ports, which a NAT can produce) means no watching, as does a process with more
//! descriptors than `MAX_SEARCHED`. The match is duplicated, so the copy stays ours
//! even if the engine closes its descriptor and the number is reused, and checked
//! again on the copy. Only readiness is read from it: all reads and writes still go
//! through the engine stream.

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;

use socket2::{SockRef, Type};

/// Searching costs a syscall per descriptor: past this many, every poll reads.
const MAX_SEARCHED: usize = 4096;

/// A descriptor of our own for the one connected TCP socket whose remote end is
/// `remote`, or `None` when there is none or more than one.
pub fn find_tcp_socket(remote: SocketAddr) -> Option<OwnedFd> {
    let remote = canonical(remote);
    let fds: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
        .ok()?
        .take(MAX_SEARCHED + 1)
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    if fds.len() > MAX_SEARCHED {
        return None;
    }
    let mut found: Option<(RawFd, u64)> = None;
    for fd in fds {
        if !connected_to(fd, remote) {
            continue;
        }
        let ino = inode(fd)?;
        match found {
            // Another descriptor of the same socket (a copy of ours, or the app's).
            Some((_, seen)) if seen == ino => {}
            Some(_) => return None,
            None => found = Some((fd, ino)),
        }
    }
    let (fd, ino) = found?;
    // SAFETY: `fd` was open a moment ago; if it has been closed since, the
    // duplicate fails (EBADF), and if the number was reused, the check below fails.
    let copy = unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned().ok()?;
    (inode(copy.as_raw_fd()) == Some(ino)).then_some(copy)
}

/// The inode of the file `fd` names: the same for every descriptor of one socket.
fn inode(fd: RawFd) -> Option<u64> {
    std::fs::metadata(format!("/proc/self/fd/{fd}")).ok().map(|m| m.ino())
}

/// Whether `fd` is a connected TCP socket whose remote end is `remote`.
fn connected_to(fd: RawFd, remote: SocketAddr) -> bool {
    // SAFETY: only queried (getpeername, getsockopt); a descriptor that is not
    // open or not a socket makes the call fail, which is a non-match.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    let sock = SockRef::from(&fd);
    sock.peer_addr().ok().and_then(|a| a.as_socket()).map(canonical) == Some(remote)
        && sock.r#type().ok() == Some(Type::STREAM)
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

    fn inode(fd: &impl AsRawFd) -> u64 {
        super::inode(fd.as_raw_fd()).unwrap()
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
            let found = find_tcp_socket(client.local_addr().unwrap()).expect("server socket found");
            assert_eq!(inode(&found), inode(server));
            assert_ne!(inode(&found), inode(client));
            // A second search finds the same socket, now with two descriptors.
            let again = find_tcp_socket(client.local_addr().unwrap()).expect("found again");
            assert_eq!(inode(&again), inode(server));
        }
    }

    #[test]
    fn the_copy_outlives_the_original_and_a_closed_socket_is_not_found() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (server, _) = listener.accept().unwrap();
        let remote = client.local_addr().unwrap();
        let found = find_tcp_socket(remote).unwrap();
        drop(server);
        // Still the connection: the copy keeps the socket open.
        assert_eq!(SockRef::from(&found).peer_addr().unwrap().as_socket(), Some(remote));
        drop(found);
        assert!(find_tcp_socket(remote).is_none(), "closed connection no longer found");
        assert!(find_tcp_socket("127.0.0.1:1".parse().unwrap()).is_none());
    }

    #[test]
    fn two_sockets_with_the_same_remote_end_are_not_told_apart() {
        // One client port connected to two listeners (SO_REUSEADDR on the client's
        // port), as a NAT can make two clients look.
        let a = TcpListener::bind("127.0.0.1:0").unwrap();
        let b = TcpListener::bind("127.0.0.1:0").unwrap();
        let first = socket2::Socket::new(socket2::Domain::IPV4, Type::STREAM, None).unwrap();
        first.set_reuse_address(true).unwrap();
        first.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into()).unwrap();
        let local = first.local_addr().unwrap().as_socket().unwrap();
        first.connect(&a.local_addr().unwrap().into()).unwrap();
        let second = socket2::Socket::new(socket2::Domain::IPV4, Type::STREAM, None).unwrap();
        second.set_reuse_address(true).unwrap();
        second.bind(&local.into()).unwrap();
        second.connect(&b.local_addr().unwrap().into()).unwrap();
        let (_sa, _) = a.accept().unwrap();
        let (_sb, _) = b.accept().unwrap();
        assert!(find_tcp_socket(local).is_none(), "ambiguous remote end: no socket");
    }
}
