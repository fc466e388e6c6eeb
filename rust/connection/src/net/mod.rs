//! Reaching the other end: name lookups off the caller's thread (`dns`) and kept
//! for a while (`dns_cache`), non-blocking TCP connects (`tcp_connect`), and a
//! server's listening socket (`listener`).

pub mod dns;
pub mod dns_cache;
pub mod listener;
pub mod tcp_connect;
