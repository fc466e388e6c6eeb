//! Reaching the other end: name lookups off the caller's thread (`dns`) and kept
//! for a while (`dns_cache`), non-blocking TCP connects racing a host's addresses
//! (`tcp_connect`, paced by `happy_eyeballs`), and a server's listening socket (`listener`).

pub mod dns;
pub mod dns_cache;
pub mod happy_eyeballs;
pub mod listener;
pub mod tcp_connect;
