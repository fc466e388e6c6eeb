//! Readiness where there is no watcher: a socket always may be readable, so every
//! poll reads (one `recv` per idle connection per poll, as the engine's class).

use std::net::{SocketAddr, TcpStream};

/// A socket of our own; reads are never skipped.
pub struct SocketWatch;

impl SocketWatch {
    pub fn new(_socket: &TcpStream) -> SocketWatch {
        SocketWatch
    }

    pub fn may_be_readable(&mut self) -> bool {
        true
    }

    pub fn after_read(&mut self, _found: bool) {}
}

/// A socket someone else owns; reads are never skipped.
pub struct RemoteSocketWatch;

impl RemoteSocketWatch {
    pub fn search(_remote: SocketAddr) -> RemoteSocketWatch {
        RemoteSocketWatch
    }

    pub fn none() -> RemoteSocketWatch {
        RemoteSocketWatch
    }

    pub fn may_be_readable(&mut self) -> bool {
        true
    }

    pub fn after_read(&mut self, _found: bool) {}

    pub fn release(&mut self) {}
}
