//! A `wss://` client's TLS session, without I/O. rustls runs the handshake
//! (its unbuffered API, over our buffers); then its kernel-connection API hands
//! over the traffic secrets and `tls_record` protects records in place, in
//! buffers that live as long as the session. rustls still derives the keys of a
//! key update and stores session tickets.
//!
//! The caller moves bytes: `receive_buffer` + `received` for what the socket
//! read, `pending_output` + `consume_output` for what it must write.

use std::mem;
use std::sync::Arc;

use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::kernel::KernelConnection;
use rustls::pki_types::ServerName;
use rustls::unbuffered::{ConnectionState, EncodeError, EncodeTlsData, InsufficientSizeError};
use rustls::{AlertDescription, ClientConfig, ProtocolVersion, SupportedCipherSuite};

use super::tls_record::{
    RecordError, RecordKey, Version, CONTENT_ALERT, CONTENT_APPLICATION_DATA, CONTENT_HANDSHAKE, HEADER_LEN,
    MAX_BODY_TLS12, MAX_BODY_TLS13, MAX_PLAINTEXT,
};

/// Encrypted bytes waiting for the socket before writes report backpressure.
const SEND_BUFFER_LIMIT: usize = 256 * 1024;
/// Room for the next socket read; the receive buffer is this plus one record.
const READ_ROOM: usize = 48 * 1024;
/// Received bytes that may wait unprocessed (a handshake flight, at most a few
/// 64 KiB handshake messages); beyond it the server is misbehaving.
const MAX_BUFFERED_INPUT: usize = 1 << 20;
/// rustls' own bound on one handshake message.
const MAX_HANDSHAKE_MESSAGE: usize = 0xffff;
/// rustls' limit on records under one key, whatever the cipher allows.
const SEQ_SOFT_LIMIT: u64 = 0xffff_ffff_ffff_0000;
/// Abuse bounds, as rustls (after BoringSSL): warning alerts per connection,
/// key update requests between application data, consecutive empty records.
const ALLOWED_WARNING_ALERTS: u8 = 4;
const ALLOWED_KEY_UPDATE_REQUESTS: u8 = 32;
const ALLOWED_EMPTY_RECORDS: u8 = 32;

const HANDSHAKE_HELLO_REQUEST: u8 = 0;
const HANDSHAKE_NEW_SESSION_TICKET: u8 = 4;
const HANDSHAKE_KEY_UPDATE: u8 = 24;
const ALERT_WARNING: u8 = 1;
const ALERT_FATAL: u8 = 2;
const ALERT_CLOSE_NOTIFY: u8 = 0;
const ALERT_UNEXPECTED_MESSAGE: u8 = 10;
const ALERT_DECODE_ERROR: u8 = 50;
const ALERT_ILLEGAL_PARAMETER: u8 = 47;
const ALERT_INTERNAL_ERROR: u8 = 80;
const ALERT_USER_CANCELED: u8 = 90;
const ALERT_NO_RENEGOTIATION: u8 = 100;

enum Stage {
    Handshaking(Box<UnbufferedClientConnection>),
    Traffic(Box<Traffic>),
    /// Failed, or closed by us: nothing more is sealed or opened.
    Over,
}

struct Traffic {
    kernel: KernelConnection<ClientConnectionData>,
    version: Version,
    tx: RecordKey,
    rx: RecordKey,
    /// Records one key may protect: then TLS 1.3 changes keys, TLS 1.2 must end.
    tx_limit: u64,
    /// Post-handshake handshake messages not yet whole (tickets, key updates).
    handshake_bytes: Vec<u8>,
    /// What the server may still send before it counts as abuse.
    warning_alerts_left: u8,
    key_update_requests_left: u8,
    renegotiation_refused: bool,
    empty_records_in_a_row: u8,
}

/// A failure: the line to log and the alert that tells the server.
struct Failure {
    why: String,
    alert: Option<u8>,
}

impl Failure {
    fn new(why: impl Into<String>, alert: Option<u8>) -> Failure {
        Failure { why: why.into(), alert }
    }

    fn record(e: RecordError) -> Failure {
        Failure::new(format!("TLS: {}", e.describe()), Some(e.alert()))
    }
}

pub struct TlsSession {
    stage: Stage,
    /// Received bytes: `[start, plain_end)` is plaintext of the last opened
    /// record not yet handed out, `[cipher_start, end)` records not yet opened.
    incoming: Vec<u8>,
    start: usize,
    plain_end: usize,
    cipher_start: usize,
    end: usize,
    /// Records to send; `[sent..]` has not been written yet.
    outgoing: Vec<u8>,
    sent: usize,
    /// Plaintext written before the handshake ended; sealed when it does.
    written_early: Vec<u8>,
    /// Application data rustls decrypted during the handshake.
    received_early: Vec<u8>,
    /// close_notify or end of stream: nothing more will arrive.
    peer_closed: bool,
    /// close_notify itself: records after it are not opened.
    close_notify_received: bool,
    error: Option<String>,
}

impl TlsSession {
    pub fn new(config: Arc<ClientConfig>, name: ServerName<'static>) -> Result<TlsSession, String> {
        let conn = UnbufferedClientConnection::new(config, name).map_err(|e| format!("TLS: {e}"))?;
        let mut session = TlsSession {
            stage: Stage::Handshaking(Box::new(conn)),
            incoming: Vec::new(),
            start: 0,
            plain_end: 0,
            cipher_start: 0,
            end: 0,
            outgoing: Vec::new(),
            sent: 0,
            written_early: Vec::new(),
            received_early: Vec::new(),
            peer_closed: false,
            close_notify_received: false,
            error: None,
        };
        session.drive_handshake(); // the ClientHello
        Ok(session)
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn is_handshaking(&self) -> bool {
        matches!(self.stage, Stage::Handshaking(_))
    }

    /// Nothing more will be received: failed, or the server closed.
    pub fn is_finished(&self) -> bool {
        self.error.is_some() || self.peer_closed
    }

    /// Whether reading the socket now helps: no whole record waits to be
    /// opened, and our own replies (alerts, key updates) are not piling up
    /// behind a server that does not read.
    pub fn wants_input(&self) -> bool {
        if self.is_finished() {
            return false;
        }
        match self.stage {
            Stage::Handshaking(_) => true,
            Stage::Traffic(_) => {
                !whole_record(&self.incoming[self.cipher_start..self.end])
                    && self.outgoing.len() - self.sent < SEND_BUFFER_LIMIT
            }
            Stage::Over => false,
        }
    }

    /// Free space to read socket bytes into; pass the count to `received`.
    pub fn receive_buffer(&mut self) -> &mut [u8] {
        if self.incoming.len() - self.end < READ_ROOM && self.start > 0 {
            // Move what is still needed to the front; at most about one record.
            self.incoming.copy_within(self.start..self.end, 0);
            self.plain_end -= self.start;
            self.cipher_start -= self.start;
            self.end -= self.start;
            self.start = 0;
        }
        if self.incoming.len() - self.end < READ_ROOM {
            self.incoming.resize(self.end + READ_ROOM.max(MAX_BODY_TLS12 + HEADER_LEN), 0);
        }
        &mut self.incoming[self.end..]
    }

    pub fn received(&mut self, n: usize) {
        debug_assert!(self.end + n <= self.incoming.len(), "more than the receive buffer holds");
        self.end += n;
        if self.end - self.start > MAX_BUFFERED_INPUT {
            self.fail(Failure::new("TLS: the server sent too much without completing a record", None));
        } else if self.is_handshaking() {
            self.drive_handshake();
        }
    }

    /// The server closed the TCP stream.
    pub fn received_eof(&mut self) {
        if self.is_handshaking() {
            self.fail(Failure::new("TLS: connection closed during the TLS handshake", None));
        }
        // Records already received stay readable.
        self.peer_closed = true;
    }

    /// Hands at most `max` bytes of received plaintext to `sink`, opening
    /// records only as far as needed; returns how many.
    pub fn read_plaintext(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> usize {
        let mut delivered = 0;
        if !self.received_early.is_empty() {
            let n = self.received_early.len().min(max);
            sink(&self.received_early[..n]);
            self.received_early.drain(..n);
            delivered += n;
        }
        while delivered < max {
            if self.start < self.plain_end {
                let n = (self.plain_end - self.start).min(max - delivered);
                sink(&self.incoming[self.start..self.start + n]);
                self.start += n;
                delivered += n;
            } else if !self.open_next_record() {
                break;
            }
        }
        delivered
    }

    /// Takes plaintext to send; returns how much was taken (0 = backpressure).
    pub fn write_plaintext(&mut self, data: &[u8]) -> usize {
        match &self.stage {
            Stage::Handshaking(_) => {
                let n = data.len().min(SEND_BUFFER_LIMIT.saturating_sub(self.written_early.len()));
                self.written_early.extend_from_slice(&data[..n]);
                n
            }
            Stage::Traffic(_) => {
                self.compact_outgoing();
                let mut taken = 0;
                while taken < data.len() && self.outgoing.len() - self.sent < SEND_BUFFER_LIMIT {
                    let n = (data.len() - taken).min(MAX_PLAINTEXT);
                    if let Err(failure) = self.seal(CONTENT_APPLICATION_DATA, &data[taken..taken + n]) {
                        self.fail(failure);
                        break;
                    }
                    taken += n;
                }
                taken
            }
            Stage::Over => 0,
        }
    }

    pub fn pending_output(&self) -> &[u8] {
        &self.outgoing[self.sent..]
    }

    pub fn consume_output(&mut self, n: usize) {
        debug_assert!(self.sent + n <= self.outgoing.len(), "more than was pending");
        self.sent += n;
        if self.sent == self.outgoing.len() {
            self.outgoing.clear();
            self.sent = 0;
        }
    }

    /// Queues close_notify; nothing is sent after it.
    pub fn close(&mut self) {
        if let Stage::Traffic(traffic) = &mut self.stage {
            traffic.tx.seal(CONTENT_ALERT, &[ALERT_WARNING, ALERT_CLOSE_NOTIFY], &mut self.outgoing);
        }
        self.stage = Stage::Over;
    }

    fn compact_outgoing(&mut self) {
        if self.sent > 0 && self.sent * 2 >= self.outgoing.len() {
            self.outgoing.drain(..self.sent);
            self.sent = 0;
        }
    }

    fn fail(&mut self, failure: Failure) {
        if let (Stage::Traffic(traffic), Some(alert)) = (&mut self.stage, failure.alert) {
            traffic.tx.seal(CONTENT_ALERT, &[ALERT_FATAL, alert], &mut self.outgoing);
        }
        self.stage = Stage::Over;
        if self.error.is_none() {
            self.error = Some(failure.why);
        }
    }

    /// Seals one record, changing keys first when the current one is used up.
    fn seal(&mut self, content_type: u8, payload: &[u8]) -> Result<(), Failure> {
        let Stage::Traffic(traffic) = &mut self.stage else {
            return Err(Failure::new("TLS: the connection is closed", None));
        };
        let seq = traffic.tx.seq();
        match traffic.version {
            // The KeyUpdate takes the last sequence number the key allows (as rustls).
            Version::Tls13 if seq > 0 && seq + 1 >= traffic.tx_limit => traffic.send_key_update(&mut self.outgoing)?,
            Version::Tls12 if seq >= traffic.tx_limit => {
                traffic.tx.seal(CONTENT_ALERT, &[ALERT_WARNING, ALERT_CLOSE_NOTIFY], &mut self.outgoing);
                return Err(Failure::new("TLS: the connection used up its key (TLS 1.2 cannot change keys)", None));
            }
            _ => {}
        }
        traffic.tx.seal(content_type, payload, &mut self.outgoing);
        Ok(())
    }

    /// Runs rustls over the received bytes until it needs more, and switches
    /// to our record layer when the handshake is over.
    fn drive_handshake(&mut self) {
        let result = loop {
            let Stage::Handshaking(conn) = &mut self.stage else { return };
            let status = conn.process_tls_records(&mut self.incoming[self.cipher_start..self.end]);
            let mut discard = status.discard;
            let step = match status.state {
                Ok(ConnectionState::EncodeTlsData(mut data)) => {
                    encode_into(&mut data, &mut self.outgoing);
                    HandshakeStep::Continue
                }
                // Encoded records are in `outgoing`; the stream writes them.
                Ok(ConnectionState::TransmitTlsData(transmit)) => {
                    transmit.done();
                    HandshakeStep::Continue
                }
                Ok(ConnectionState::ReadTraffic(mut traffic)) => {
                    let mut step = HandshakeStep::Continue;
                    while let Some(record) = traffic.next_record() {
                        match record {
                            Ok(record) => {
                                discard += record.discard;
                                self.received_early.extend_from_slice(record.payload);
                            }
                            Err(e) => {
                                step = HandshakeStep::Failed(e);
                                break;
                            }
                        }
                    }
                    step
                }
                Ok(ConnectionState::BlockedHandshake) => HandshakeStep::NeedInput,
                Ok(ConnectionState::WriteTraffic(_)) => HandshakeStep::Done,
                Ok(ConnectionState::PeerClosed | ConnectionState::Closed) => HandshakeStep::Closed,
                Ok(_) => HandshakeStep::Failed(rustls::Error::General("unexpected TLS state".into())),
                Err(e) => HandshakeStep::Failed(e),
            };
            self.cipher_start += discard;
            self.start = self.cipher_start;
            self.plain_end = self.cipher_start;
            match step {
                HandshakeStep::Continue => continue,
                HandshakeStep::NeedInput => break Ok(()),
                // A whole record left over is one rustls already took into a
                // handshake message it has not finished (e.g. a ticket split
                // across records): switch once that message is done.
                HandshakeStep::Done if whole_record(&self.incoming[self.cipher_start..self.end]) => break Ok(()),
                HandshakeStep::Done => break self.enter_traffic(),
                HandshakeStep::Closed => {
                    break Err(Failure::new("TLS: the server closed the connection during the TLS handshake", None))
                }
                HandshakeStep::Failed(e) => {
                    self.send_queued_alert();
                    break Err(Failure::new(describe(&e), None));
                }
            }
        };
        if let Err(failure) = result {
            self.fail(failure);
        }
    }

    /// After a rustls error: the alert it queued, so the server learns why.
    fn send_queued_alert(&mut self) {
        let Stage::Handshaking(conn) = &mut self.stage else { return };
        let status = conn.process_tls_records(&mut []);
        if let Ok(ConnectionState::EncodeTlsData(mut data)) = status.state {
            encode_into(&mut data, &mut self.outgoing);
        }
    }

    fn enter_traffic(&mut self) -> Result<(), Failure> {
        let Stage::Handshaking(conn) = mem::replace(&mut self.stage, Stage::Over) else {
            unreachable!("called while handshaking")
        };
        let internal = |e: String| Failure::new(e, Some(ALERT_INTERNAL_ERROR));
        let (secrets, kernel) = conn.dangerous_into_kernel_connection().map_err(|e| internal(format!("TLS: {e}")))?;
        let version =
            if kernel.protocol_version() == ProtocolVersion::TLSv1_3 { Version::Tls13 } else { Version::Tls12 };
        let confidentiality_limit = match kernel.negotiated_cipher_suite() {
            SupportedCipherSuite::Tls12(suite) => suite.common.confidentiality_limit,
            SupportedCipherSuite::Tls13(suite) => suite.common.confidentiality_limit,
        };
        let (tx_seq, tx) = secrets.tx;
        let (rx_seq, rx) = secrets.rx;
        self.stage = Stage::Traffic(Box::new(Traffic {
            kernel,
            version,
            tx: RecordKey::new(version, tx, tx_seq).map_err(internal)?,
            rx: RecordKey::new(version, rx, rx_seq).map_err(internal)?,
            tx_limit: confidentiality_limit.min(SEQ_SOFT_LIMIT),
            handshake_bytes: Vec::new(),
            warning_alerts_left: ALLOWED_WARNING_ALERTS,
            key_update_requests_left: ALLOWED_KEY_UPDATE_REQUESTS,
            renegotiation_refused: false,
            empty_records_in_a_row: 0,
        }));
        let early = mem::take(&mut self.written_early);
        for chunk in early.chunks(MAX_PLAINTEXT) {
            self.seal(CONTENT_APPLICATION_DATA, chunk)?;
        }
        Ok(())
    }

    /// Opens the next whole record; false when there is none (or it failed).
    fn open_next_record(&mut self) -> bool {
        let Stage::Traffic(traffic) = &mut self.stage else { return false };
        // Nothing counts after close_notify; and while our replies pile up, wait.
        if self.close_notify_received || self.outgoing.len() - self.sent >= SEND_BUFFER_LIMIT {
            return false;
        }
        let Some(record_len) = record_len(&self.incoming[self.cipher_start..self.end]) else { return false };
        let max_body = if traffic.version == Version::Tls13 { MAX_BODY_TLS13 } else { MAX_BODY_TLS12 };
        if record_len - HEADER_LEN > max_body {
            self.fail(Failure::record(RecordError::RecordOverflow));
            return false;
        }
        if self.end - self.cipher_start < record_len {
            return false;
        }
        let record_start = self.cipher_start;
        self.cipher_start += record_len;
        self.start = self.cipher_start;
        self.plain_end = self.cipher_start;
        let opened = match traffic.rx.open(&mut self.incoming[record_start..record_start + record_len]) {
            Ok(opened) => opened,
            Err(e) => {
                self.fail(Failure::record(e));
                return false;
            }
        };
        let plaintext = record_start + opened.plaintext.start..record_start + opened.plaintext.end;
        let outcome = traffic.count_empty_record(plaintext.is_empty()).and_then(|()| match opened.content_type {
            // A handshake message may not be split around other records (RFC 8446 §5.1).
            _ if !traffic.handshake_bytes.is_empty() && opened.content_type != CONTENT_HANDSHAKE => {
                Err(Failure::record(RecordError::UnexpectedMessage))
            }
            CONTENT_APPLICATION_DATA => {
                traffic.key_update_requests_left = ALLOWED_KEY_UPDATE_REQUESTS;
                self.start = plaintext.start;
                self.plain_end = plaintext.end;
                Ok(())
            }
            CONTENT_HANDSHAKE if !plaintext.is_empty() => {
                traffic.handshake_bytes.extend_from_slice(&self.incoming[plaintext]);
                traffic.handle_handshake_messages(&mut self.outgoing)
            }
            CONTENT_ALERT => match traffic.alert_meaning(&self.incoming[plaintext]) {
                Ok(AlertMeaning::CloseNotify) => {
                    self.peer_closed = true;
                    self.close_notify_received = true;
                    Ok(())
                }
                Ok(AlertMeaning::Ignore) => Ok(()),
                Err(failure) => Err(failure),
            },
            _ => Err(Failure::record(RecordError::UnexpectedMessage)),
        });
        match outcome {
            Ok(()) => true,
            Err(failure) => {
                self.fail(failure);
                false
            }
        }
    }
}

/// The full length of the record that `bytes` start with, once its header is there.
fn record_len(bytes: &[u8]) -> Option<usize> {
    match bytes {
        [_, _, _, high, low, ..] => Some(HEADER_LEN + u16::from_be_bytes([*high, *low]) as usize),
        _ => None,
    }
}

/// Whether `bytes` start with a whole record.
fn whole_record(bytes: &[u8]) -> bool {
    record_len(bytes).is_some_and(|len| bytes.len() >= len)
}

impl Traffic {
    fn alert_meaning(&mut self, alert: &[u8]) -> Result<AlertMeaning, Failure> {
        let [level, description] = *alert else {
            return Err(Failure::new("TLS: the server sent a malformed alert", Some(ALERT_DECODE_ERROR)));
        };
        let warning = match (self.version, level, description) {
            (_, ALERT_WARNING | ALERT_FATAL, ALERT_CLOSE_NOTIFY) => return Ok(AlertMeaning::CloseNotify),
            (Version::Tls13, _, ALERT_USER_CANCELED) | (Version::Tls12, ALERT_WARNING, _) => true,
            _ => false,
        };
        if !warning {
            let name = AlertDescription::from(description);
            return Err(Failure::new(format!("TLS: the server sent alert {name:?}"), None));
        }
        if self.warning_alerts_left == 0 {
            return Err(Failure::new("TLS: the server sent too many warning alerts", Some(ALERT_DECODE_ERROR)));
        }
        self.warning_alerts_left -= 1;
        Ok(AlertMeaning::Ignore)
    }

    fn count_empty_record(&mut self, empty: bool) -> Result<(), Failure> {
        if !empty {
            self.empty_records_in_a_row = 0;
        } else if self.empty_records_in_a_row == ALLOWED_EMPTY_RECORDS {
            return Err(Failure::new("TLS: the server sent too many empty records", Some(ALERT_UNEXPECTED_MESSAGE)));
        } else {
            self.empty_records_in_a_row += 1;
        }
        Ok(())
    }

    /// Sends KeyUpdate under the old key, then switches to the next one.
    fn send_key_update(&mut self, outgoing: &mut Vec<u8>) -> Result<(), Failure> {
        self.tx.seal(CONTENT_HANDSHAKE, &[HANDSHAKE_KEY_UPDATE, 0, 0, 1, 0], outgoing);
        let (seq, secrets) = self
            .kernel
            .update_tx_secret()
            .map_err(|e| Failure::new(format!("TLS: {e}"), Some(ALERT_INTERNAL_ERROR)))?;
        self.tx =
            RecordKey::new(self.version, secrets, seq).map_err(|e| Failure::new(e, Some(ALERT_INTERNAL_ERROR)))?;
        Ok(())
    }

    /// Acts on every whole message in `handshake_bytes` (called once per record).
    fn handle_handshake_messages(&mut self, outgoing: &mut Vec<u8>) -> Result<(), Failure> {
        let unexpected = || Failure::record(RecordError::UnexpectedMessage);
        while self.handshake_bytes.len() >= 4 {
            let bytes = &self.handshake_bytes;
            let len = u32::from_be_bytes([0, bytes[1], bytes[2], bytes[3]]) as usize;
            if len > MAX_HANDSHAKE_MESSAGE {
                return Err(Failure::new(
                    "TLS: the server sent an oversized handshake message",
                    Some(ALERT_DECODE_ERROR),
                ));
            }
            if bytes.len() < 4 + len {
                break;
            }
            let (message_type, body) = (bytes[0], &bytes[4..4 + len]);
            match (self.version, message_type) {
                (Version::Tls13, HANDSHAKE_NEW_SESSION_TICKET) => self
                    .kernel
                    .handle_new_session_ticket(body)
                    .map_err(|e| Failure::new(format!("TLS: bad session ticket: {e}"), Some(ALERT_DECODE_ERROR)))?,
                (Version::Tls13, HANDSHAKE_KEY_UPDATE) => {
                    // It must end its record: the next record uses the new key.
                    if bytes.len() != 4 + len {
                        return Err(unexpected());
                    }
                    let update_requested = match body {
                        [0] => false,
                        [1] => true,
                        [_] => return Err(Failure::new("TLS: bad key update", Some(ALERT_ILLEGAL_PARAMETER))),
                        _ => return Err(Failure::new("TLS: bad key update", Some(ALERT_DECODE_ERROR))),
                    };
                    let (seq, secrets) = self
                        .kernel
                        .update_rx_secret()
                        .map_err(|e| Failure::new(format!("TLS: {e}"), Some(ALERT_INTERNAL_ERROR)))?;
                    self.rx = RecordKey::new(self.version, secrets, seq)
                        .map_err(|e| Failure::new(e, Some(ALERT_INTERNAL_ERROR)))?;
                    if update_requested {
                        if self.key_update_requests_left == 0 {
                            return Err(Failure::new(
                                "TLS: the server requested too many key updates",
                                Some(ALERT_UNEXPECTED_MESSAGE),
                            ));
                        }
                        self.key_update_requests_left -= 1;
                        self.send_key_update(outgoing)?;
                    }
                }
                // Renegotiation is refused politely once, as rustls does; asking again is fatal.
                (Version::Tls12, HANDSHAKE_HELLO_REQUEST) => {
                    if len != 0 {
                        return Err(Failure::new("TLS: bad renegotiation request", Some(ALERT_DECODE_ERROR)));
                    }
                    if self.renegotiation_refused {
                        return Err(Failure::new(
                            "TLS: the server insists on renegotiating",
                            Some(ALERT_NO_RENEGOTIATION),
                        ));
                    }
                    self.renegotiation_refused = true;
                    self.tx.seal(CONTENT_ALERT, &[ALERT_WARNING, ALERT_NO_RENEGOTIATION], outgoing)
                }
                _ => return Err(unexpected()),
            }
            self.handshake_bytes.drain(..4 + len);
        }
        Ok(())
    }
}

enum HandshakeStep {
    Continue,
    NeedInput,
    Done,
    Closed,
    Failed(rustls::Error),
}

enum AlertMeaning {
    CloseNotify,
    Ignore,
}

/// Appends the record rustls has ready to `out`.
fn encode_into(data: &mut EncodeTlsData<'_, ClientConnectionData>, out: &mut Vec<u8>) {
    let at = out.len();
    out.resize(at + MAX_PLAINTEXT, 0);
    let written = match data.encode(&mut out[at..]) {
        Ok(n) => n,
        Err(EncodeError::InsufficientSize(InsufficientSizeError { required_size })) => {
            out.resize(at + required_size, 0);
            data.encode(&mut out[at..]).unwrap_or(0)
        }
        Err(_) => 0,
    };
    out.truncate(at + written);
}

/// One line that names the cause of a TLS failure.
fn describe(e: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    match e {
        Error::InvalidCertificate(CertificateError::NotValidForName) => {
            "TLS: certificate not valid for this host name".into()
        }
        Error::InvalidCertificate(CertificateError::NotValidForNameContext { expected, presented }) => {
            format!("TLS: certificate not valid for name \"{}\" (it names {})", expected.to_str(), presented.join(", "))
        }
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "TLS: certificate not trusted (unknown issuer)".into()
        }
        Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            "TLS: certificate expired".into()
        }
        Error::InvalidCertificate(CertificateError::Other(other)) => {
            format!("TLS: certificate not trusted ({other})")
        }
        Error::InvalidCertificate(other) => format!("TLS: invalid certificate: {other:?}"),
        Error::AlertReceived(alert) => format!("TLS: the server sent alert {alert:?}"),
        Error::InvalidMessage(_) => "TLS: the server does not speak TLS (invalid message)".into(),
        other => format!("TLS: {other}"),
    }
}

#[cfg(test)]
#[path = "tls_session_tests.rs"]
mod tests;
