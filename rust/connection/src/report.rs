//! Which failures belong in a game's log. A failed attempt to connect is news once: a
//! reconnect loop against a server that is down logs its first failure, not one per
//! attempt, until a connection to that URL opens again (or the cause changes). The end
//! of a connection that was open is not logged at all, as the engine's class logs
//! nothing there: a server whose players' phones lose signal would log a line per
//! player. Either way the cause stays available to the game (the failure kind and reason).

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::failure::FailureKind;

/// Most (URL, cause) pairs remembered; the oldest is forgotten first.
const KEPT: usize = 256;

/// Failed attempts already logged, oldest first; one memory for the whole process.
static LOGGED: Mutex<VecDeque<(String, FailureKind)>> = Mutex::new(VecDeque::new());

fn logged<R>(f: impl FnOnce(&mut VecDeque<(String, FailureKind)>) -> R) -> R {
    // A panic while holding the lock cannot leave the list inconsistent: keep using it.
    f(&mut LOGGED.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// Whether a failed attempt to reach `url` for `kind` is news: the first such failure
/// since a connection to `url` last opened. Remembers it.
pub(crate) fn first_failure(url: &str, kind: FailureKind) -> bool {
    logged(|list| {
        if list.iter().any(|(u, k)| u == url && *k == kind) {
            return false;
        }
        if list.len() == KEPT {
            list.pop_front();
        }
        list.push_back((url.to_string(), kind));
        true
    })
}

/// A connection to `url` opened: its next failure is news again.
pub(crate) fn opened(url: &str) {
    logged(|list| list.retain(|(u, _)| u != url));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_news_once_per_url_and_cause_until_the_url_opens() {
        let url = "ws://report.test:1/";
        assert!(first_failure(url, FailureKind::Connect));
        assert!(!first_failure(url, FailureKind::Connect), "the same cause again");
        assert!(first_failure(url, FailureKind::Dns), "another cause");
        assert!(first_failure("ws://report.test:2/", FailureKind::Connect), "another URL");
        opened(url);
        assert!(first_failure(url, FailureKind::Connect), "news again after it opened");
    }

    #[test]
    fn at_most_kept_pairs_are_remembered() {
        for i in 0..KEPT + 10 {
            first_failure(&format!("ws://kept.test:{i}/"), FailureKind::Connect);
        }
        assert!(logged(|list| list.len()) <= KEPT);
        assert!(first_failure("ws://kept.test:0/", FailureKind::Connect), "the oldest was forgotten");
    }
}
