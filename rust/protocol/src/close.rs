//! Close frame payloads (RFC 6455 §5.5.1, §7.4).

use crate::close_code::{self, MAX_REASON_BYTES};
use crate::error::{CloseError, ProtocolError};

/// How a connection ended, as reported to the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseStatus {
    /// The code received or sent; 1005 for a Close without status, 1006 for an
    /// end without a Close frame.
    pub code: u16,
    pub reason: String,
}

impl CloseStatus {
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        CloseStatus { code, reason: reason.into() }
    }

    pub fn abnormal() -> Self {
        CloseStatus::new(close_code::ABNORMAL, "")
    }
}

/// Reads a received Close payload. An empty payload means "no status" (1005).
pub fn parse_close_payload(payload: &[u8]) -> Result<CloseStatus, ProtocolError> {
    match payload.len() {
        0 => Ok(CloseStatus::new(close_code::NO_STATUS, "")),
        1 => Err(ProtocolError::TruncatedClose),
        _ => {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            if !close_code::is_sendable(code) {
                return Err(ProtocolError::InvalidCloseCode(code));
            }
            let reason = std::str::from_utf8(&payload[2..]).map_err(|_| ProtocolError::InvalidCloseReason)?;
            Ok(CloseStatus::new(code, reason))
        }
    }
}

/// Checks a close the application asked for. Returns the code as sent.
pub fn validate_close(code: i64, reason: &str) -> Result<u16, CloseError> {
    let sendable = u16::try_from(code).ok().filter(|c| close_code::is_sendable(*c));
    let code = sendable.ok_or(CloseError::InvalidCode(code))?;
    if reason.len() > MAX_REASON_BYTES {
        return Err(CloseError::ReasonTooLong(reason.len()));
    }
    Ok(code)
}

/// Writes a Close payload; 1005 ("no status") is written as an empty payload.
pub fn write_close_payload(out: &mut Vec<u8>, status: &CloseStatus) {
    if status.code == close_code::NO_STATUS {
        return;
    }
    out.extend_from_slice(&status.code.to_be_bytes());
    out.extend_from_slice(status.reason.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_close_reports_1005_not_0() {
        // Engine bug §13.10: a Close without status gives code 0.
        assert_eq!(parse_close_payload(&[]), Ok(CloseStatus::new(1005, "")));
    }

    #[test]
    fn one_byte_close_is_a_protocol_error() {
        // Engine bug §13.10: 1-byte Close payloads are accepted.
        assert_eq!(parse_close_payload(&[0x03]), Err(ProtocolError::TruncatedClose));
        assert_eq!(ProtocolError::TruncatedClose.close_code(), 1002);
    }

    #[test]
    fn iana_codes_1012_to_1014_are_accepted() {
        // Engine bug §13.11: 1012-1014 are answered with 1002.
        for code in [1012u16, 1013, 1014] {
            let mut p = code.to_be_bytes().to_vec();
            p.extend_from_slice(b"later");
            assert_eq!(parse_close_payload(&p), Ok(CloseStatus::new(code, "later")));
        }
    }

    #[test]
    fn reserved_codes_and_bad_reasons_are_rejected() {
        for code in [0u16, 999, 1004, 1005, 1006, 1015, 2999, 5000] {
            assert_eq!(parse_close_payload(&code.to_be_bytes()), Err(ProtocolError::InvalidCloseCode(code)));
        }
        assert_eq!(parse_close_payload(&[0x03, 0xe8, 0xff]), Err(ProtocolError::InvalidCloseReason));
        assert_eq!(ProtocolError::InvalidCloseReason.close_code(), 1007);
    }

    #[test]
    fn application_close_is_validated() {
        assert_eq!(validate_close(1000, ""), Ok(1000));
        assert_eq!(validate_close(4999, &"x".repeat(123)), Ok(4999));
        assert_eq!(validate_close(4000, &"x".repeat(124)), Err(CloseError::ReasonTooLong(124)));
        assert_eq!(validate_close(70000, ""), Err(CloseError::InvalidCode(70000)));
        assert_eq!(validate_close(1005, ""), Err(CloseError::InvalidCode(1005)));
        assert_eq!(validate_close(0, ""), Err(CloseError::InvalidCode(0)));
    }

    #[test]
    fn no_status_is_written_as_empty_payload() {
        let mut out = Vec::new();
        write_close_payload(&mut out, &CloseStatus::new(1005, ""));
        assert!(out.is_empty());
        write_close_payload(&mut out, &CloseStatus::new(1000, "bye"));
        assert_eq!(out, [0x03, 0xe8, b'b', b'y', b'e']);
    }
}
