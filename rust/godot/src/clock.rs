//! The protocol core's clock: monotonic time since the library was loaded.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn now() -> Duration {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed()
}
