//! Wires two connections back to back, for the test binaries that exchange
//! messages between a client and a server core.

use std::time::Duration;

use ws_protocol::Connection;

/// Moves everything `from` has to write into `to` (at time zero); returns the
/// number of bytes moved.
pub fn pump(from: &mut Connection, to: &mut Connection) -> usize {
    let mut moved = 0;
    loop {
        let out = from.pending_output().to_vec();
        if out.is_empty() {
            return moved;
        }
        moved += out.len();
        from.consume_output(out.len());
        to.receive(&out, Duration::ZERO);
    }
}
