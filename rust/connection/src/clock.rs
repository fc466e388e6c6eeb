//! The real clock: monotonic time since the first call. Nothing in this crate reads
//! it by itself: every step takes `now` from the caller, so tests drive timeouts with
//! any time they like.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn now() -> Duration {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed()
}
