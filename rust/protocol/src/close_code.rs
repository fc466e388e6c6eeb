//! Close status codes (RFC 6455 §7.4, IANA "WebSocket Close Code Number Registry").

/// 1000: normal closure.
pub const NORMAL: u16 = 1000;
/// 1001: endpoint going away.
pub const GOING_AWAY: u16 = 1001;
/// 1002: protocol error.
pub const PROTOCOL_ERROR: u16 = 1002;
/// 1003: data of a type the endpoint cannot accept.
pub const UNSUPPORTED_DATA: u16 = 1003;
/// 1005: reported when a Close frame carried no status. Never sent.
pub const NO_STATUS: u16 = 1005;
/// 1006: reported when the connection ended without a Close frame. Never sent.
pub const ABNORMAL: u16 = 1006;
/// 1007: text that is not valid UTF-8.
pub const INVALID_PAYLOAD: u16 = 1007;
/// 1008: policy violation.
pub const POLICY_VIOLATION: u16 = 1008;
/// 1009: a message larger than the receiver accepts.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// 1011: the server hit an unexpected condition.
pub const INTERNAL_ERROR: u16 = 1011;

/// Longest close reason: a control payload is at most 125 bytes, two of them the code.
pub const MAX_REASON_BYTES: usize = 123;

/// Whether `code` may appear in a Close frame on the wire.
///
/// 1000–1003 and 1007–1014 are the registered codes an endpoint may send
/// (1012–1014 were added by IANA after RFC 6455; the engine wrongly rejects them),
/// 3000–3999 are for libraries and frameworks, 4000–4999 for applications.
/// 1004, 1005, 1006 and 1015 are reserved and must never be sent.
pub fn is_sendable(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_and_private_codes_are_sendable() {
        for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999] {
            assert!(is_sendable(code), "{code}");
        }
    }

    #[test]
    fn reserved_and_unassigned_codes_are_not() {
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535] {
            assert!(!is_sendable(code), "{code}");
        }
    }
}
