//! One shared readiness check for many idle client sockets (Linux epoll).
//!
//! An idle `poll()` would otherwise cost a `recv` syscall that only says "nothing
//! here". With many client peers in one game, a single `epoll_wait` per round of
//! polls tells which sockets have input; the others skip the syscall. With few
//! sockets the direct `recv` is as cheap, so the gate only opens past a threshold.

use std::cell::RefCell;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Below this many registered sockets, peers just read.
const GATE_THRESHOLD: usize = 8;

struct Registry {
    epoll: OwnedFd,
    registered: usize,
    /// Per token (an index, reused once freed): the round in which it was last seen ready.
    ready_in: Vec<u64>,
    free_tokens: Vec<u64>,
    /// Round of the last `epoll_wait` (rounds start at 1).
    epoch: u64,
    events: Vec<libc::epoll_event>,
}

thread_local! {
    static REGISTRY: RefCell<Option<Registry>> = const { RefCell::new(None) };
}

/// A socket's membership in the registry; leaving deregisters it.
pub struct Registration {
    fd: RawFd,
    token: u64,
    seen_epoch: u64,
}

impl Registration {
    /// Registers `fd` for input readiness. `None` when epoll is unavailable:
    /// the caller then simply reads every time.
    pub fn new(fd: &impl AsRawFd) -> Option<Registration> {
        REGISTRY.with_borrow_mut(|registry| {
            if registry.is_none() {
                // SAFETY: plain syscall; the result is checked before use.
                let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
                if epfd < 0 {
                    return None;
                }
                *registry = Some(Registry {
                    // SAFETY: `epfd` is a new descriptor that nothing else owns.
                    epoll: unsafe { OwnedFd::from_raw_fd(epfd) },
                    registered: 0,
                    ready_in: Vec::new(),
                    free_tokens: Vec::new(),
                    epoch: 1,
                    events: Vec::new(),
                });
            }
            let registry = registry.as_mut()?;
            let token = registry.free_tokens.pop().unwrap_or_else(|| {
                registry.ready_in.push(0);
                registry.ready_in.len() as u64 - 1
            });
            let mut event = libc::epoll_event {
                events: (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLERR | libc::EPOLLHUP) as u32,
                u64: token,
            };
            let fd = fd.as_raw_fd();
            // SAFETY: both descriptors are open; `event` outlives the call.
            let rc = unsafe { libc::epoll_ctl(registry.epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) };
            if rc != 0 {
                registry.free_tokens.push(token);
                return None;
            }
            registry.registered += 1;
            Some(Registration { fd, token, seen_epoch: registry.epoch })
        })
    }

    /// Whether reading may find input (or an end). Refreshes the shared snapshot
    /// once per round: when this socket has already looked at the current one.
    pub fn may_be_readable(&mut self) -> bool {
        REGISTRY.with_borrow_mut(|registry| {
            let Some(registry) = registry.as_mut() else { return true };
            if registry.registered < GATE_THRESHOLD {
                return true;
            }
            if self.seen_epoch == registry.epoch {
                registry.refresh();
            }
            self.seen_epoch = registry.epoch;
            registry.ready_in[self.token as usize] == registry.epoch
        })
    }
}

impl Registry {
    fn refresh(&mut self) {
        self.epoch += 1;
        self.events.resize(self.registered.max(1), libc::epoll_event { events: 0, u64: 0 });
        // SAFETY: `events` has room for `len` entries, the kernel writes at most that many.
        let n =
            unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), self.events.as_mut_ptr(), self.events.len() as i32, 0) };
        if n < 0 {
            // Unknown state: let everyone read this round.
            self.ready_in.fill(self.epoch);
            return;
        }
        for event in &self.events[..n as usize] {
            self.ready_in[event.u64 as usize] = self.epoch;
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        REGISTRY.with_borrow_mut(|registry| {
            if let Some(registry) = registry.as_mut() {
                // SAFETY: deregistering a descriptor we registered; a stale fd only makes this fail.
                unsafe {
                    libc::epoll_ctl(registry.epoll.as_raw_fd(), libc::EPOLL_CTL_DEL, self.fd, std::ptr::null_mut())
                };
                registry.registered -= 1;
                registry.ready_in[self.token as usize] = 0;
                registry.free_tokens.push(self.token);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn only_sockets_with_input_are_reported_once_many_are_registered() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut pairs = Vec::new();
        for _ in 0..GATE_THRESHOLD + 2 {
            let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (server, _) = listener.accept().unwrap();
            let registration = Registration::new(&client).unwrap();
            pairs.push((client, Some(server), registration));
        }
        pairs[3].1.as_mut().unwrap().write_all(b"x").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let readable: Vec<bool> = pairs.iter_mut().map(|(_, _, r)| r.may_be_readable()).collect();
        assert_eq!(readable.iter().filter(|r| **r).count(), 1, "{readable:?}");
        assert!(readable[3]);
        // A closed peer counts as readable (the read will see the end).
        drop(pairs[5].1.take());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let readable: Vec<bool> = pairs.iter_mut().map(|(_, _, r)| r.may_be_readable()).collect();
        assert_eq!(readable.iter().filter(|r| **r).count(), 2, "{readable:?}");
        assert!(readable[3] && readable[5]);
    }
}
