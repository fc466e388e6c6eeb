//! Keep-alive pings: one every `interval`, and a timeout when neither a pong nor
//! any other byte arrives within the following interval.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeartbeatAction {
    None,
    /// Send a ping with this payload.
    Ping([u8; 8]),
    /// The peer stopped answering: treat the connection as dead.
    TimedOut,
}

#[derive(Debug, Default)]
pub struct Heartbeat {
    interval: Duration,
    next_ping: Duration,
    /// Payload and send time of the ping still waiting for its pong.
    awaiting: Option<([u8; 8], Duration)>,
    last_inbound: Duration,
    pings_sent: u64,
}

impl Heartbeat {
    /// Zero disables it. The first ping goes out one interval from `now`.
    pub fn set_interval(&mut self, interval: Duration, now: Duration) {
        if interval != self.interval {
            self.interval = interval;
            self.next_ping = now + interval;
            self.awaiting = None;
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Any received byte proves the peer is alive (a pong can be stuck behind a long frame).
    pub fn on_inbound(&mut self, now: Duration) {
        self.last_inbound = now;
    }

    /// Only the pong for our outstanding ping answers it; unsolicited pongs are
    /// allowed by RFC 6455 and ignored.
    pub fn on_pong(&mut self, payload: &[u8]) {
        if let Some((expected, _)) = self.awaiting {
            if payload == expected {
                self.awaiting = None;
            }
        }
    }

    pub fn poll(&mut self, now: Duration) -> HeartbeatAction {
        if self.interval.is_zero() {
            return HeartbeatAction::None;
        }
        if let Some((_, sent_at)) = self.awaiting {
            let deadline = sent_at.max(self.last_inbound) + self.interval;
            return if now >= deadline { HeartbeatAction::TimedOut } else { HeartbeatAction::None };
        }
        if now < self.next_ping {
            return HeartbeatAction::None;
        }
        self.pings_sent += 1;
        let payload = self.pings_sent.to_be_bytes();
        self.awaiting = Some((payload, now));
        self.next_ping = now + self.interval;
        HeartbeatAction::Ping(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn disabled_by_default() {
        let mut h = Heartbeat::default();
        assert_eq!(h.poll(MS(1_000_000)), HeartbeatAction::None);
    }

    #[test]
    fn pings_every_interval_while_answered() {
        let mut h = Heartbeat::default();
        h.set_interval(MS(500), MS(0));
        assert_eq!(h.poll(MS(499)), HeartbeatAction::None);
        let HeartbeatAction::Ping(p1) = h.poll(MS(500)) else { panic!("expected a ping") };
        h.on_pong(&p1);
        assert_eq!(h.poll(MS(999)), HeartbeatAction::None);
        let HeartbeatAction::Ping(p2) = h.poll(MS(1000)) else { panic!("expected a ping") };
        assert_ne!(p1, p2);
    }

    #[test]
    fn times_out_one_interval_after_an_unanswered_ping() {
        let mut h = Heartbeat::default();
        h.set_interval(MS(500), MS(0));
        assert!(matches!(h.poll(MS(500)), HeartbeatAction::Ping(_)));
        h.on_pong(b"unrelated");
        assert_eq!(h.poll(MS(999)), HeartbeatAction::None);
        assert_eq!(h.poll(MS(1000)), HeartbeatAction::TimedOut);
    }

    #[test]
    fn inbound_data_defers_the_timeout() {
        let mut h = Heartbeat::default();
        h.set_interval(MS(500), MS(0));
        assert!(matches!(h.poll(MS(500)), HeartbeatAction::Ping(_)));
        h.on_inbound(MS(900));
        assert_eq!(h.poll(MS(1300)), HeartbeatAction::None);
        assert_eq!(h.poll(MS(1400)), HeartbeatAction::TimedOut);
    }
}
