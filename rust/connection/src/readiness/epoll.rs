//! Linux: idle sockets are polled without a syscall.
//!
//! A socket that keeps finding nothing is handed to one watcher thread, blocked in
//! `epoll_wait`, which raises the socket's flag when input (or an end) arrives;
//! until then `poll()` only reads the flag. A socket with traffic reads directly
//! (no thread in the path), so a busy connection costs what it did before.
//!
//! Each socket is registered `EPOLLONESHOT`: the watcher hears of it once per
//! arming, so it wakes once per idle-to-busy change, not once per packet.

use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use super::socket_lookup::{self, Answer, Lookup};

/// A socket of our own in the watcher's set (or not, when epoll is unavailable:
/// then every read is made).
pub struct SocketWatch(Option<Registration>);

impl SocketWatch {
    pub fn new(socket: &TcpStream) -> SocketWatch {
        SocketWatch(Registration::new(socket))
    }

    /// Whether a read may find input (or an end). No syscall.
    pub fn may_be_readable(&mut self) -> bool {
        self.0.as_mut().is_none_or(Registration::may_be_readable)
    }

    /// After a read: `found` whether it returned data or an end.
    pub fn after_read(&mut self, found: bool) {
        if let Some(registration) = &mut self.0 {
            registration.after_read(found);
        }
    }
}

/// The socket under a stream someone else owns (the engine's `StreamPeerTCP`), found
/// by its remote address and watched through a copy of its descriptor; while the
/// search runs, or when it finds nothing, every read is made.
pub struct RemoteSocketWatch(Remote);

enum Remote {
    Searching(Lookup),
    /// The registration is declared (so dropped) before our copy of the descriptor.
    Watching {
        registration: Registration,
        _copy: OwnedFd,
    },
    None,
}

impl RemoteSocketWatch {
    /// Starts looking for the connected socket whose remote end is `remote`.
    pub fn search(remote: SocketAddr) -> RemoteSocketWatch {
        RemoteSocketWatch(socket_lookup::look_up(remote).map_or(Remote::None, Remote::Searching))
    }

    /// No watching: every read is made (TLS streams, which may hold decrypted input
    /// their socket no longer shows; streams not connected yet).
    pub fn none() -> RemoteSocketWatch {
        RemoteSocketWatch(Remote::None)
    }

    fn registration(&mut self) -> Option<&mut Registration> {
        if let Remote::Searching(lookup) = &self.0 {
            if let Answer::Done(found) = lookup.answer() {
                self.0 = found
                    .and_then(|fd| Some(Remote::Watching { registration: Registration::new(&fd)?, _copy: fd }))
                    .unwrap_or(Remote::None);
            }
        }
        match &mut self.0 {
            Remote::Watching { registration, .. } => Some(registration),
            _ => None,
        }
    }

    pub fn may_be_readable(&mut self) -> bool {
        self.registration().is_none_or(Registration::may_be_readable)
    }

    pub fn after_read(&mut self, found: bool) {
        if let Some(registration) = self.registration() {
            registration.after_read(found);
        }
    }

    /// Lets go of the copy of the descriptor, which would keep the connection open.
    pub fn release(&mut self) {
        self.0 = Remote::None;
    }
}

/// Reads in a row that found nothing before a socket is handed to the watcher.
const IDLE_READS: u32 = 4;

const EVENTS: u32 = (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLONESHOT) as u32;

/// The watcher's epoll set; `None` when epoll or the thread is unavailable.
fn watcher() -> Option<RawFd> {
    static WATCHER: OnceLock<Option<OwnedFd>> = OnceLock::new();
    WATCHER.get_or_init(start_watcher).as_ref().map(AsRawFd::as_raw_fd)
}

fn start_watcher() -> Option<OwnedFd> {
    // SAFETY: plain syscall; the result is checked before use.
    let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if epfd < 0 {
        return None;
    }
    // SAFETY: `epfd` is a new descriptor that nothing else owns. It is never closed
    // (the watcher runs for the life of the process).
    let epoll = unsafe { OwnedFd::from_raw_fd(epfd) };
    std::thread::Builder::new().name("ws-readiness".into()).spawn(move || watch(epfd)).ok()?;
    Some(epoll)
}

fn watch(epfd: RawFd) {
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 64];
    loop {
        // SAFETY: `events` has room for its length; the kernel writes at most that many.
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, -1) };
        for event in &events[..n.max(0) as usize] {
            // SAFETY: every registered u64 is the address of a flag from `new_flag`, never freed.
            let flag = unsafe { &*(event.u64 as usize as *const AtomicBool) };
            flag.store(true, Ordering::Release);
        }
    }
}

/// Flags are never freed (the watcher may still hold an event naming one) but are
/// reused: a stale event then only causes one read that finds nothing.
static FREE_FLAGS: Mutex<Vec<&'static AtomicBool>> = Mutex::new(Vec::new());

fn new_flag() -> &'static AtomicBool {
    let reused = FREE_FLAGS.lock().unwrap_or_else(|p| p.into_inner()).pop();
    reused.unwrap_or_else(|| Box::leak(Box::new(AtomicBool::new(false))))
}

/// A socket's place in the watcher's set; leaving deregisters it.
struct Registration {
    epfd: RawFd,
    fd: RawFd,
    /// Raised by the watcher once input arrives on an armed socket.
    flag: &'static AtomicBool,
    /// Handed to the watcher: reads wait for the flag.
    armed: bool,
    empty_reads: u32,
}

impl Registration {
    /// Registers `fd` (not armed yet). `None` when epoll is unavailable: the
    /// caller then simply reads every time.
    fn new(fd: &impl AsRawFd) -> Option<Registration> {
        let epfd = watcher()?;
        let flag = new_flag();
        flag.store(false, Ordering::Relaxed);
        let fd = fd.as_raw_fd();
        let mut event = libc::epoll_event { events: EVENTS, u64: flag as *const AtomicBool as usize as u64 };
        // SAFETY: both descriptors are open; `event` outlives the call.
        if unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, &mut event) } != 0 {
            FREE_FLAGS.lock().unwrap_or_else(|p| p.into_inner()).push(flag);
            return None;
        }
        // Added armed (EPOLLONESHOT needs a first arming): an event now is harmless,
        // since the flag is reset before each arming below.
        Some(Registration { epfd, fd, flag, armed: false, empty_reads: 0 })
    }

    /// Whether a read may find input (or an end). No syscall.
    fn may_be_readable(&mut self) -> bool {
        if !self.armed {
            return true;
        }
        if !self.flag.load(Ordering::Acquire) {
            return false;
        }
        // The one-shot event fired, so the watcher no longer reports this socket.
        self.flag.store(false, Ordering::Relaxed);
        self.armed = false;
        self.empty_reads = 0;
        true
    }

    /// After a read: `found` whether it returned data or an end. Enough empty reads
    /// in a row arm the socket (one `epoll_ctl`); epoll reports input that arrived
    /// since the last read at once, so none is missed.
    fn after_read(&mut self, found: bool) {
        if found {
            self.empty_reads = 0;
            return;
        }
        self.empty_reads += 1;
        if self.empty_reads < IDLE_READS || self.armed {
            return;
        }
        self.flag.store(false, Ordering::Relaxed);
        let mut event = libc::epoll_event { events: EVENTS, u64: self.flag as *const AtomicBool as usize as u64 };
        // SAFETY: both descriptors are open; `event` outlives the call.
        self.armed = unsafe { libc::epoll_ctl(self.epfd, libc::EPOLL_CTL_MOD, self.fd, &mut event) } == 0;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: deregistering a descriptor we registered (still open: the socket drops after).
        unsafe { libc::epoll_ctl(self.epfd, libc::EPOLL_CTL_DEL, self.fd, std::ptr::null_mut()) };
        FREE_FLAGS.lock().unwrap_or_else(|p| p.into_inner()).push(self.flag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    /// Reads like `Transport::read_into` does: only when the registration allows.
    fn poll_read(client: &mut TcpStream, registration: &mut Registration) -> Option<usize> {
        if !registration.may_be_readable() {
            return None;
        }
        let mut buf = [0u8; 64];
        let n = match client.read(&mut buf) {
            Ok(n) => Some(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(e) => panic!("{e}"),
        };
        registration.after_read(n.is_some());
        n
    }

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        client.set_nonblocking(true).unwrap();
        (client, server)
    }

    #[test]
    fn an_idle_socket_is_armed_and_input_on_it_is_still_read() {
        let (mut client, mut server) = pair();
        let mut registration = Registration::new(&client).unwrap();
        for _ in 0..IDLE_READS {
            assert!(registration.may_be_readable(), "reads directly while not idle");
            assert_eq!(poll_read(&mut client, &mut registration), None);
        }
        assert!(registration.armed);
        assert!(!registration.may_be_readable(), "an armed idle socket skips the read");
        for round in 0..3 {
            server.write_all(b"hello").unwrap();
            let start = Instant::now();
            let got = loop {
                if let Some(n) = poll_read(&mut client, &mut registration) {
                    break n;
                }
                assert!(start.elapsed() < Duration::from_secs(5), "round {round}: input never seen");
                std::thread::sleep(Duration::from_micros(100));
            };
            assert_eq!(got, 5);
            // Idle again: armed after IDLE_READS empty reads.
            while !registration.armed {
                assert_eq!(poll_read(&mut client, &mut registration), None);
            }
        }
        // The end of input is seen too.
        drop(server);
        let start = Instant::now();
        while poll_read(&mut client, &mut registration) != Some(0) {
            assert!(start.elapsed() < Duration::from_secs(5), "end of input never seen");
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    #[test]
    fn input_that_arrives_while_arming_is_not_missed() {
        let (mut client, mut server) = pair();
        let mut registration = Registration::new(&client).unwrap();
        for _ in 0..IDLE_READS - 1 {
            assert_eq!(poll_read(&mut client, &mut registration), None);
        }
        // Input lands between the last empty read and the arming.
        server.write_all(b"x").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        registration.after_read(false);
        assert!(registration.armed);
        let start = Instant::now();
        while poll_read(&mut client, &mut registration) != Some(1) {
            assert!(start.elapsed() < Duration::from_secs(5), "input that arrived before arming was lost");
            std::thread::sleep(Duration::from_micros(100));
        }
    }
}
