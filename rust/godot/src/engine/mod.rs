//! Everything that touches the engine below the classes' own API: adapters from
//! Godot's types to the connection crate's, and every workaround for gdext or Godot.
//!
//! - `class_enums`: the class enums, registered by hand;
//! - `docs`: the editor help pages;
//! - `first_import`: keeping a project's first headless import alive;
//! - `log`: log lines located at the class method the game called;
//! - `project_settings`: the engine settings the classes read;
//! - `raw_packet`: the raw-pointer packet virtuals;
//! - `stream_peer`: the engine's `StreamPeer` as a connection transport;
//! - `tls_options`: `TLSOptions` as rustls client and server configurations.
//!
//! # Upgrade checklist
//!
//! What this addon relies on beyond gdext's and Godot's public, documented API. On a
//! gdext or Godot upgrade, re-check each item; the test that would catch a change is
//! named where there is one (`tests/godot-tests`, `tests/doc-check`, `tests/package-test`).
//!
//! gdext (pinned `=0.5.5`, twice: `godot` and `godot-core` in the workspace):
//! 1. `godot::register::private::constant` (doc-hidden): registers the class enums
//!    (`class_enums`). Re-check that the module still exists and that enums still
//!    appear in ClassDB (`test_api_parity`).
//! 2. `godot_core::registry::class::unregister_classes` (public but not re-exported
//!    by `godot`, hence the second pin): `first_import`. Re-check its signature and
//!    that a first `--import` still exits 0 (`tests/package-test`).
//! 3. `godot::sys::interface_fn!(editor_help_load_xml_from_utf8_chars_and_len)`, the
//!    raw interface: `docs`. Re-check the function's name (`tests/doc-check`).
//! 4. `unsafe impl GodotImmutable` for `OptTls` (`tls_options`) and the class enums,
//!    so that they can be default argument values. Re-check whether gdext now
//!    accepts `Option<Gd<T>>` defaults itself (then drop `OptTls`).
//! 5. The `*_rawptr` packet virtuals of `PacketPeerExtension` and
//!    `MultiplayerPeerExtension` (`raw_packet`): `RawPtr` is not `repr(transparent)`,
//!    so the outer pointer is cast. Re-check `RawPtr`'s layout and the signatures.
//! 6. gdext's safeguard levels: `template_debug` is built with
//!    `safeguards-dev-balanced` (rust/godot/Cargo.toml). Re-check that balanced still
//!    keeps the liveness and thread checks and that strict still captures a backtrace
//!    per bind (`scripts/bench --library=both`, the guard in the test command).
//!
//! Godot (built against `api-4-6`, run on 4.6.3 here):
//! 7. `X509Certificate.save_to_string()` puts a NUL (U+FFFD) after every certificate
//!    and prints "Unicode parsing error" each time (`tls_options::pem`, which pauses
//!    the process-wide `Engine.print_error_messages` for the call). Re-check whether
//!    the string is clean (then drop the pause) (`test_tls`).
//! 8. The first headless import of a project that does not list the extension yet
//!    aborts at exit (godotengine/godot#111048, `first_import`). Re-check the issue;
//!    `tests/package-test` runs that import.
//! 9. An accepted `StreamPeerTCP` reports local port 0, so its socket is found by its
//!    remote address alone (`ws_connection::readiness`, Linux). Re-check
//!    `get_local_port()` (`test_accept_stream_watch`).
//! 10. `TCPServer` listens with a backlog of 8, which is why the multiplayer server
//!    has its own listener (`ws_connection::net::listener`).
//! 11. The engine's mbedTLS client fails on TLS 1.3 session tickets, so our TLS
//!    server sends none (`ws_connection::tls::server_config`) (`test_multiplayer`, wss).
//! 12. `PacketPeer.put_packet()` with an empty array returns OK without calling
//!    `_put_packet`: empty messages go through `send()`/`send_text()`.
//! 13. The engine owns the class name `WebSocketPeer`: registering it makes a debug
//!    build exit with code 111, hence `RustWebSocketPeer`.

pub mod class_enums;
pub mod docs;
pub mod first_import;
pub mod log;
pub mod project_settings;
pub mod raw_packet;
pub mod stream_peer;
pub mod tls_options;
