//! TLS, done by rustls: the client's trust policy (`client_config`), the chain
//! verifier for caller-supplied certificates (`chain_verifier`), a server's config
//! (`server_config`), and the stream that moves rustls' records over a
//! non-blocking socket (`stream`).

mod chain_verifier;
mod client_config;
mod server_config;
mod stream;

pub use client_config::{client_setup, parse_pem_certs, provider, TlsPolicy, TlsSetup};
pub use server_config::server_config;
pub use stream::{RecordSocket, TlsStream};
