//! Happy Eyeballs (RFC 8305) without sockets: which address to try next and when.
//! `TcpConnect` owns the sockets and asks a `Race` what to do, passing the time, so
//! the pacing is tested here with an injected clock.

use std::net::SocketAddr;
use std::time::Duration;

/// RFC 8305 §5's "Connection Attempt Delay": how long an attempt has to itself
/// before the next one starts beside it (the RFC's recommended value).
pub const CONNECTION_ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// Orders addresses as RFC 8305 §4 says: the family of the first address first, then
/// the families alternate while both have addresses left; each family keeps the
/// resolver's order. In place, so starting a race allocates nothing more.
pub fn interleave(addrs: &mut [SocketAddr]) {
    for i in 1..addrs.len() {
        let want_v6 = !addrs[i - 1].is_ipv6();
        // The other family's next address moves up to `i`; what it jumps over is all
        // of one family, so both families keep their order.
        match (i..addrs.len()).find(|&j| addrs[j].is_ipv6() == want_v6) {
            Some(j) => addrs[i..=j].rotate_right(1),
            None => return, // one family left: its order stands
        }
    }
}

/// What the connecting side should do now.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Start an attempt to this address now.
    Start(SocketAddr),
    /// Keep waiting on the attempts in flight; nothing changes before this time
    /// (the next start or the deadline) unless an attempt ends.
    Wait(Duration),
    /// The deadline passed with attempts still in flight: give up on them.
    TimedOut,
    /// Nothing in flight and nothing more to start (or no time left to start it).
    Lost,
}

/// One race over a host's addresses: attempts start in RFC 8305 order, one at once,
/// the next `CONNECTION_ATTEMPT_DELAY` later or as soon as one fails; the timeout
/// covers the whole race.
pub struct Race {
    order: Vec<SocketAddr>,
    started: usize,
    /// When the next attempt may start beside those in flight.
    next_start: Duration,
    deadline: Duration,
}

impl Race {
    pub fn new(mut addrs: Vec<SocketAddr>, timeout: Duration, now: Duration) -> Race {
        interleave(&mut addrs);
        Race { order: addrs, started: 0, next_start: now, deadline: now.saturating_add(timeout) }
    }

    /// Every address, in the order the race tries them.
    pub fn order(&self) -> &[SocketAddr] {
        &self.order
    }

    /// What to do now, given how many attempts are in flight. Call again after each
    /// `Start` (several may be due at once, after synchronous failures).
    pub fn step(&mut self, in_flight: usize, now: Duration) -> Step {
        let more = self.started < self.order.len();
        // The first attempt always starts, even with no time given to it.
        let time_left = now < self.deadline || self.started == 0;
        if more && time_left && (in_flight == 0 || now >= self.next_start) {
            let addr = self.order[self.started];
            self.started += 1;
            self.next_start = now + CONNECTION_ATTEMPT_DELAY;
            return Step::Start(addr);
        }
        match in_flight {
            0 => Step::Lost,
            _ if now >= self.deadline => Step::TimedOut,
            _ if more => Step::Wait(self.next_start.min(self.deadline)),
            _ => Step::Wait(self.deadline),
        }
    }

    /// An attempt failed (refused, unreachable): the next one may start at once.
    pub fn failed(&mut self, now: Duration) {
        self.next_start = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const T0: Duration = Duration::from_secs(1000);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn v4(n: u8) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::new(192, 0, 2, n), 80))
    }

    fn v6(n: u16) -> SocketAddr {
        SocketAddr::from((Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n), 80))
    }

    fn interleaved(mut addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
        interleave(&mut addrs);
        addrs
    }

    #[test]
    fn v6_first_alternates_starting_with_v6() {
        let order = interleaved(vec![v6(1), v6(2), v6(3), v4(1), v4(2)]);
        assert_eq!(order, [v6(1), v4(1), v6(2), v4(2), v6(3)]);
    }

    #[test]
    fn v4_first_alternates_starting_with_v4() {
        let order = interleaved(vec![v4(1), v6(1), v6(2), v4(2), v4(3)]);
        assert_eq!(order, [v4(1), v6(1), v4(2), v6(2), v4(3)]);
    }

    #[test]
    fn one_family_keeps_the_resolvers_order() {
        assert_eq!(interleaved(vec![v4(3), v4(1), v4(2)]), [v4(3), v4(1), v4(2)]);
        assert_eq!(interleaved(vec![v6(2), v6(1)]), [v6(2), v6(1)]);
        assert_eq!(interleaved(vec![v6(1)]), [v6(1)]);
        assert_eq!(interleaved(vec![]), []);
    }

    #[test]
    fn many_of_each_alternate_then_the_rest_follow_in_order() {
        let order = interleaved(vec![v6(1), v6(2), v6(3), v6(4), v6(5), v4(1), v4(2)]);
        assert_eq!(order, [v6(1), v4(1), v6(2), v4(2), v6(3), v6(4), v6(5)]);
        let order = interleaved(vec![v4(1), v4(2), v4(3), v4(4), v6(1), v4(5), v6(2), v6(3), v6(4), v6(5), v6(6)]);
        assert_eq!(
            order,
            [v4(1), v6(1), v4(2), v6(2), v4(3), v6(3), v4(4), v6(4), v4(5), v6(5), v6(6)],
            "mixed input: each family still in its own order"
        );
    }

    #[test]
    fn the_race_tries_addresses_in_interleaved_order() {
        let race = Race::new(vec![v6(1), v6(2), v4(1)], Duration::from_secs(30), T0);
        assert_eq!(race.order(), [v6(1), v4(1), v6(2)]);
    }

    #[test]
    fn the_first_starts_at_once_and_each_next_after_the_delay() {
        let mut race = Race::new(vec![v6(1), v4(1), v6(2)], Duration::from_secs(30), T0);
        assert_eq!(race.step(0, T0), Step::Start(v6(1)));
        assert_eq!(race.step(1, T0), Step::Wait(T0 + CONNECTION_ATTEMPT_DELAY));
        assert_eq!(race.step(1, T0 + ms(249)), Step::Wait(T0 + ms(250)));
        assert_eq!(race.step(1, T0 + ms(250)), Step::Start(v4(1)));
        assert_eq!(race.step(2, T0 + ms(250)), Step::Wait(T0 + ms(500)));
        // A late poll starts one attempt, and the delay counts from then.
        assert_eq!(race.step(2, T0 + ms(700)), Step::Start(v6(2)));
        assert_eq!(race.step(3, T0 + ms(700)), Step::Wait(T0 + Duration::from_secs(30)), "all started");
        assert_eq!(race.step(3, T0 + ms(2000)), Step::Wait(T0 + Duration::from_secs(30)));
    }

    #[test]
    fn a_failure_starts_the_next_at_once() {
        let mut race = Race::new(vec![v6(1), v4(1), v6(2), v4(2)], Duration::from_secs(30), T0);
        assert_eq!(race.step(0, T0), Step::Start(v6(1)));
        // The only attempt fails 10 ms in: no waiting for the delay.
        race.failed(T0 + ms(10));
        assert_eq!(race.step(0, T0 + ms(10)), Step::Start(v4(1)));
        assert_eq!(race.step(1, T0 + ms(10)), Step::Wait(T0 + ms(260)));
        assert_eq!(race.step(1, T0 + ms(260)), Step::Start(v6(2)));
        // One of two in flight fails: the next starts beside the other at once...
        race.failed(T0 + ms(300));
        assert_eq!(race.step(1, T0 + ms(300)), Step::Start(v4(2)));
        // ... and nothing is left to start.
        assert_eq!(race.step(2, T0 + ms(300)), Step::Wait(T0 + Duration::from_secs(30)));
    }

    #[test]
    fn synchronous_failures_start_the_next_in_the_same_call() {
        let mut race = Race::new(vec![v4(1), v4(2), v4(3)], Duration::from_secs(30), T0);
        assert_eq!(race.step(0, T0), Step::Start(v4(1)));
        race.failed(T0);
        assert_eq!(race.step(0, T0), Step::Start(v4(2)));
        race.failed(T0);
        assert_eq!(race.step(0, T0), Step::Start(v4(3)));
        race.failed(T0);
        assert_eq!(race.step(0, T0), Step::Lost);
    }

    #[test]
    fn the_deadline_covers_the_whole_race() {
        let timeout = Duration::from_secs(1);
        let addrs = (1..=10).map(v4).collect();
        let mut race = Race::new(addrs, timeout, T0);
        let mut in_flight = 0;
        let mut now = T0;
        // Nobody answers: one more attempt every 250 ms until the deadline.
        let starts: Vec<Duration> = std::iter::from_fn(|| loop {
            match race.step(in_flight, now) {
                Step::Start(_) => {
                    in_flight += 1;
                    return Some(now - T0);
                }
                Step::Wait(until) => now = until,
                Step::TimedOut => return None,
                Step::Lost => panic!("lost with {in_flight} in flight"),
            }
        })
        .collect();
        assert_eq!(starts, [ms(0), ms(250), ms(500), ms(750)]);
        assert_eq!(now, T0 + timeout, "timed out at the deadline, not per address");
        assert_eq!(race.step(4, T0 + ms(999)), Step::Wait(T0 + timeout));
        assert_eq!(race.step(4, T0 + timeout), Step::TimedOut, "addresses left do not extend it");
    }

    #[test]
    fn wait_ends_at_the_deadline_when_that_comes_first() {
        let mut race = Race::new(vec![v6(1), v4(1)], ms(100), T0);
        assert_eq!(race.step(0, T0), Step::Start(v6(1)));
        assert_eq!(race.step(1, T0), Step::Wait(T0 + ms(100)));
        assert_eq!(race.step(1, T0 + ms(100)), Step::TimedOut);
    }

    #[test]
    fn a_failure_after_the_deadline_starts_nothing_more() {
        let mut race = Race::new(vec![v6(1), v4(1)], ms(100), T0);
        assert_eq!(race.step(0, T0), Step::Start(v6(1)));
        race.failed(T0 + ms(150));
        assert_eq!(race.step(0, T0 + ms(150)), Step::Lost);
    }

    #[test]
    fn no_address_is_lost_at_once() {
        let mut race = Race::new(vec![], Duration::from_secs(30), T0);
        assert_eq!(race.step(0, T0), Step::Lost);
    }

    #[test]
    fn a_zero_timeout_still_tries_the_first_address() {
        let mut race = Race::new(vec![v6(1), v4(1)], Duration::ZERO, T0);
        assert_eq!(race.step(0, T0), Step::Start(v6(1)));
        assert_eq!(race.step(1, T0), Step::TimedOut);
    }
}
