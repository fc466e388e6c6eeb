//! What both classes do the same way on a connection, with the calling class's own
//! error lines and the engine's return codes: start a client (`connect_to_url`,
//! `create_client`) and send a message (`put_packet`, `send`, `send_text`).

use godot::global::Error;
use godot::prelude::*;
use ws_connection::{clock, ConnectError, SendFailure, WebSocket, Write};

use crate::engine::log::Log;
use crate::engine::tls_options::OptTls;
use crate::settings::Settings;

/// Starts connecting `ws` to `url`. A refused call is a programmer error (an error
/// line, `ERR_INVALID_PARAMETER` or `ERR_ALREADY_IN_USE`); an address that cannot
/// even be tried is the network's doing (one warning, `FAILED`).
#[track_caller]
pub fn connect(
    ws: &mut WebSocket,
    url: &GString,
    options: &OptTls,
    settings: &mut Settings,
    log: Log,
    method: &str,
) -> Error {
    ws.reset_failure();
    if url.is_empty() {
        log.error(method, "empty URL");
        return Error::ERR_INVALID_PARAMETER;
    }
    if options.is_server() {
        log.error(method, "server TLSOptions given; use TLSOptions.client()");
        return Error::ERR_INVALID_PARAMETER;
    }
    let text = url.to_string();
    let config = match settings.config_for_connect() {
        Ok(config) => config,
        Err(why) => {
            log.error(method, &why);
            return Error::ERR_INVALID_PARAMETER;
        }
    };
    match ws.connect(&text, |target| options.client_setup(&target.host), config, clock::now()) {
        Ok(()) => {
            if ws_connection::websocket::weak_randomness() {
                log.error(method, "no OS randomness: handshake keys and masks are weak");
            }
            Error::OK
        }
        Err(ConnectError::InUse) => {
            log.error(method, "already connecting or connected");
            Error::ERR_ALREADY_IN_USE
        }
        Err(ConnectError::Url(e)) => {
            log.error(method, &format!("invalid URL \"{text}\": {e}"));
            Error::ERR_INVALID_PARAMETER
        }
        Err(ConnectError::Tls(why)) => {
            log.error(method, &why);
            Error::ERR_INVALID_PARAMETER
        }
        Err(ConnectError::Request(e)) => {
            log.error(method, &e.to_string());
            Error::ERR_INVALID_PARAMETER
        }
        Err(ConnectError::Proxy(why)) => {
            log.error(method, &why);
            Error::ERR_INVALID_PARAMETER
        }
        Err(ConnectError::Failed) => {
            // A network outcome (e.g. an unreachable address), not a programmer error.
            log.new_failure(method, ws);
            Error::FAILED
        }
    }
}

/// Queues a message on `ws`. A send on a connection that never opened, or that the
/// caller closed, is a programmer error. One the peer or the network ended is not: it
/// fails quietly, and the failure kind says why (the state may still read OPEN while
/// earlier messages are unread).
#[track_caller]
pub fn send(ws: &mut WebSocket, is_text: bool, data: &[u8], write: Write, log: Log, method: &str) -> Error {
    let result = match ws.send(is_text, data, write) {
        Ok(()) => Error::OK,
        Err(SendFailure::NotOpen) => {
            log.error(method, "cannot send, the connection is not open");
            return Error::FAILED;
        }
        Err(SendFailure::ClosedByApp) => {
            log.error(method, "cannot send, the connection was closed with close()");
            Error::FAILED
        }
        Err(SendFailure::Ended) => Error::FAILED,
        Err(SendFailure::Refused(e)) => {
            log.error(method, &format!("send refused: {e}"));
            Error::ERR_OUT_OF_MEMORY
        }
    };
    log.new_failure(method, ws);
    result
}
