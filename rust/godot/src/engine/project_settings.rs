//! The engine's project settings the classes honour, read when a connection starts.

use std::time::Duration;

use godot::classes::{FileAccess, ProjectSettings};
use godot::prelude::*;

/// `network/limits/tcp/connect_timeout_seconds`: how long a client's TCP connect
/// may take (default 30 s): the engine's limit per address, ours for the whole
/// Happy Eyeballs race.
pub fn connect_timeout() -> Duration {
    let setting = ProjectSettings::singleton().get_setting("network/limits/tcp/connect_timeout_seconds");
    let seconds = setting.try_to::<i64>().unwrap_or(30).clamp(1, 1800);
    Duration::from_secs(seconds as u64)
}

/// The PEM bundle of `network/tls/certificate_bundle_override`, as the engine uses it:
/// the certificates a `wss://` client (and an `https://` proxy) is trusted with
/// instead of the built-in ones.
pub fn certificate_bundle_override() -> Result<Option<Vec<u8>>, String> {
    let path = ProjectSettings::singleton().get_setting("network/tls/certificate_bundle_override");
    let path = path.try_to::<GString>().unwrap_or_default();
    if path.is_empty() {
        return Ok(None);
    }
    let bytes = FileAccess::get_file_as_bytes(&path);
    if bytes.is_empty() {
        return Err(format!("TLS: cannot read the certificate bundle override \"{path}\""));
    }
    Ok(Some(bytes.to_vec()))
}
