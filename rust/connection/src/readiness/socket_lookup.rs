//! Finds the socket under an engine `StreamPeerTCP`, so that an idle server peer
//! from `accept_stream` can be watched for input (epoll.rs) instead of asking
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
//!
//! A search costs a few syscalls per open descriptor (about 1.5 µs each on a small
//! VM), so it runs on a thread of its own, never on the game's: `accept_stream`
//! only queues the address, and the peer reads every poll until the answer comes.
//! Requests that queue up while a search runs are answered by one search, so a
//! burst of connections costs one pass over the descriptors, not one each.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::sync::{Mutex, OnceLock};

use socket2::SockAddr;

/// Past this many descriptors a search is not made (that peer reads every poll).
const MAX_SEARCHED: usize = 16_384;

/// A search under way; `answer()` gives its result once, without waiting.
pub struct Lookup {
    answer: Receiver<Option<OwnedFd>>,
}

pub enum Answer {
    Pending,
    /// Our own descriptor for the socket, or `None`: not found, ambiguous, or no search.
    Done(Option<OwnedFd>),
}

impl Lookup {
    pub fn answer(&self) -> Answer {
        match self.answer.try_recv() {
            Ok(found) => Answer::Done(found),
            Err(TryRecvError::Empty) => Answer::Pending,
            Err(TryRecvError::Disconnected) => Answer::Done(None),
        }
    }
}

struct Request {
    remote: SocketAddr,
    reply: SyncSender<Option<OwnedFd>>,
}

/// Queues a search for the one connected TCP socket whose remote end is `remote`
/// (the first call also starts the searching thread). `None` when that thread
/// cannot be started.
pub fn look_up(remote: SocketAddr) -> Option<Lookup> {
    static REQUESTS: OnceLock<Option<Mutex<Sender<Request>>>> = OnceLock::new();
    let requests = REQUESTS.get_or_init(start_searcher).as_ref()?;
    let (reply, answer) = mpsc::sync_channel(1);
    let request = Request { remote: canonical(remote), reply };
    requests.lock().unwrap_or_else(|p| p.into_inner()).send(request).ok()?;
    Some(Lookup { answer })
}

fn start_searcher() -> Option<Mutex<Sender<Request>>> {
    let (requests, queue) = mpsc::channel::<Request>();
    std::thread::Builder::new().name("ws-socket-lookup".into()).spawn(move || serve(queue)).ok()?;
    Some(Mutex::new(requests))
}

fn serve(queue: Receiver<Request>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter());
        let remotes: Vec<SocketAddr> = batch.iter().map(|request| request.remote).collect();
        let found = search(&remotes);
        for request in batch {
            // Each copy is made just before its answer leaves, and a peer gone
            // meanwhile has dropped its receiver: the copy then closes here at once.
            let copy = found.get(&request.remote).copied().flatten().and_then(|m| copy(m, request.remote));
            let _ = request.reply.send(copy);
        }
    }
}

/// A socket found by a search: a descriptor naming it then, and its inode.
type Match = (RawFd, u64);

/// For each of `remotes`, the one connected TCP socket whose remote end it is, or
/// `None` when there is none or more than one.
fn search(remotes: &[SocketAddr]) -> HashMap<SocketAddr, Option<Match>> {
    let mut found: HashMap<SocketAddr, Option<Match>> = remotes.iter().map(|r| (canonical(*r), None)).collect();
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else { return found };
    let fds: Vec<RawFd> =
        dir.take(MAX_SEARCHED + 1).filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok()).collect();
    if fds.len() > MAX_SEARCHED {
        return found;
    }
    let mut ambiguous = Vec::new();
    for fd in fds {
        let Some(peer) = tcp_peer(fd) else { continue };
        let Some(slot) = found.get_mut(&peer) else { continue };
        let Some(ino) = inode(fd) else { continue };
        match *slot {
            // Another descriptor of the same socket (a copy of ours, or the app's).
            Some((_, seen)) if seen == ino => {}
            Some(_) => ambiguous.push(peer),
            None => *slot = Some((fd, ino)),
        }
    }
    for peer in ambiguous {
        found.insert(peer, None);
    }
    found
}

/// Our own descriptor for the socket a search found, checked on the copy: the
/// engine may have closed the descriptor since and the number been reused.
fn copy((fd, ino): Match, remote: SocketAddr) -> Option<OwnedFd> {
    // SAFETY: a plain syscall on a number that may no longer be open (then it
    // fails with EBADF); a success is a new descriptor that only we own.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if new < 0 {
        return None;
    }
    // SAFETY: `new` was just created and nothing else holds it.
    let copy = unsafe { OwnedFd::from_raw_fd(new) };
    (inode(copy.as_raw_fd()) == Some(ino) && tcp_peer(copy.as_raw_fd()) == Some(remote)).then_some(copy)
}

/// The inode of the file `fd` names: the same for every descriptor of one socket.
fn inode(fd: RawFd) -> Option<u64> {
    // SAFETY: `stat` is plain data the call fills in; a closed `fd` fails the call.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    (unsafe { libc::fstat(fd, &mut stat) } == 0).then_some(stat.st_ino)
}

/// The remote end of `fd` if it is a connected TCP socket. `fd` is only a number
/// here (the engine may close it at any time): the calls fail on a descriptor that
/// is closed or no socket, which is a non-match.
fn tcp_peer(fd: RawFd) -> Option<SocketAddr> {
    let mut kind: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `kind` and `len` are valid for the kernel to write.
    let got = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_TYPE, (&raw mut kind).cast(), &mut len) };
    if got != 0 || kind != libc::SOCK_STREAM {
        return None;
    }
    // SAFETY: `try_init` hands over room for any socket address and its length.
    let (_, peer) = unsafe {
        SockAddr::try_init(|storage, len| {
            if libc::getpeername(fd, storage.cast(), len) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    }
    .ok()?;
    peer.as_socket().map(canonical)
}

/// IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use socket2::{SockRef, Type};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    fn inode(fd: &impl AsRawFd) -> u64 {
        super::inode(fd.as_raw_fd()).unwrap()
    }

    /// What the searching thread answers each of `remotes`.
    fn find_tcp_sockets(remotes: &[SocketAddr]) -> Vec<Option<OwnedFd>> {
        let found = search(remotes);
        remotes.iter().map(|r| found[&canonical(*r)].and_then(|m| copy(m, canonical(*r)))).collect()
    }

    fn find_tcp_socket(remote: SocketAddr) -> Option<OwnedFd> {
        find_tcp_sockets(&[remote]).pop().unwrap()
    }

    fn connected_pairs(n: usize) -> (TcpListener, Vec<(TcpStream, TcpStream)>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let pairs = (0..n)
            .map(|_| {
                let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
                (client, listener.accept().unwrap().0)
            })
            .collect();
        (listener, pairs)
    }

    #[test]
    fn finds_the_server_side_of_a_connection_not_the_client_side() {
        let (_listener, pairs) = connected_pairs(5);
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

    #[test]
    fn one_search_answers_many_remotes_each_with_its_own_socket() {
        let (_listener, pairs) = connected_pairs(5);
        let mut remotes: Vec<SocketAddr> = pairs.iter().map(|(client, _)| client.local_addr().unwrap()).collect();
        remotes.push("127.0.0.1:1".parse().unwrap());
        let found = find_tcp_sockets(&remotes);
        assert_eq!(found.len(), 6);
        for ((_, server), found) in pairs.iter().zip(&found) {
            assert_eq!(inode(found.as_ref().expect("found")), inode(server));
        }
        assert!(found[5].is_none(), "no socket has that remote end");
        // Two requests for one remote end (a peer gone and a new one) each get a copy.
        let twice = find_tcp_sockets(&[remotes[0], remotes[0]]);
        for found in &twice {
            assert_eq!(inode(found.as_ref().expect("found")), inode(&pairs[0].1));
        }
    }

    #[test]
    fn the_searching_thread_answers_without_blocking_the_caller() {
        let (_listener, pairs) = connected_pairs(3);
        let lookups: Vec<Lookup> =
            pairs.iter().map(|(client, _)| look_up(client.local_addr().unwrap()).expect("thread started")).collect();
        let unknown = look_up("127.0.0.1:1".parse().unwrap()).unwrap();
        let wait = |lookup: &Lookup| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                if let Answer::Done(found) = lookup.answer() {
                    return found;
                }
                assert!(std::time::Instant::now() < deadline, "no answer in 10 s");
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        };
        for ((_, server), lookup) in pairs.iter().zip(&lookups) {
            assert_eq!(inode(&wait(lookup).expect("found")), inode(server));
        }
        assert!(wait(&unknown).is_none());
        // Answered once: the channel is then empty and its sender gone.
        assert!(matches!(lookups[0].answer(), Answer::Done(None)));
    }
}
