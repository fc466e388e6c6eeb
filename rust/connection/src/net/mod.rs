//! Reaching the other end: name lookups off the caller's thread (`dns`) and kept
//! for a while (`dns_cache`), non-blocking TCP connects racing a host's addresses
//! (`tcp_connect`, paced by `happy_eyeballs`), a server's listening socket (`listener`),
//! and address ranges (`ip_network`).

pub mod dns;
pub mod dns_cache;
pub mod happy_eyeballs;
pub mod ip_network;
pub mod listener;
pub mod tcp_connect;
