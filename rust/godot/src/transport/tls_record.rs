//! TLS record protection once the handshake is over. rustls negotiates the
//! keys; these seal and open records in place, inside buffers the connection
//! reuses, so steady traffic allocates nothing (rustls' own record layer
//! allocates a fresh buffer for every record it protects).
//!
//! TLS 1.3 (RFC 8446 §5.2): outer type application_data, the real content type
//! as the last byte of the inner plaintext, nonce = iv XOR sequence, the record
//! header as additional data. TLS 1.2 (RFC 5246 §6.2.3.3, RFC 5288, RFC 7905):
//! the real type outside, additional data = sequence ‖ type ‖ version ‖ length;
//! AES-GCM sends 8 explicit nonce bytes, ChaCha20-Poly1305 derives the nonce
//! like TLS 1.3.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use rustls::ConnectionTrafficSecrets;

pub const HEADER_LEN: usize = 5;
/// Largest plaintext fragment (2^14).
pub const MAX_PLAINTEXT: usize = 16384;
/// Largest record body a peer may send: 2^14 + 256 for TLS 1.3, 2^14 + 2048 for TLS 1.2.
pub const MAX_BODY_TLS13: usize = MAX_PLAINTEXT + 256;
pub const MAX_BODY_TLS12: usize = MAX_PLAINTEXT + 2048;
const TAG_LEN: usize = 16;
const GCM_EXPLICIT_NONCE_LEN: usize = 8;

pub const CONTENT_ALERT: u8 = 21;
pub const CONTENT_HANDSHAKE: u8 = 22;
pub const CONTENT_APPLICATION_DATA: u8 = 23;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Tls12,
    Tls13,
}

/// Why a record could not be opened; each is answered with its fatal alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    BadRecordMac,
    RecordOverflow,
    UnexpectedMessage,
}

impl RecordError {
    pub fn alert(self) -> u8 {
        match self {
            RecordError::UnexpectedMessage => 10,
            RecordError::BadRecordMac => 20,
            RecordError::RecordOverflow => 22,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            RecordError::BadRecordMac => "a record failed authentication",
            RecordError::RecordOverflow => "the server sent an oversized record",
            RecordError::UnexpectedMessage => "the server sent an unexpected record",
        }
    }
}

/// A decrypted record: its content type and where its plaintext lies inside
/// the record that was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    pub content_type: u8,
    pub plaintext: std::ops::Range<usize>,
}

/// The key, IV and sequence number of one direction.
pub struct RecordKey {
    version: Version,
    key: LessSafeKey,
    iv: [u8; aead::NONCE_LEN],
    /// TLS 1.2 AES-GCM: the nonce's last 8 bytes travel in the record.
    explicit_nonce: bool,
    seq: u64,
}

impl RecordKey {
    pub fn new(version: Version, secrets: ConnectionTrafficSecrets, seq: u64) -> Result<RecordKey, String> {
        let (algorithm, key, iv, gcm) = match &secrets {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv } => (&aead::AES_128_GCM, key, iv, true),
            ConnectionTrafficSecrets::Aes256Gcm { key, iv } => (&aead::AES_256_GCM, key, iv, true),
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => (&aead::CHACHA20_POLY1305, key, iv, false),
            _ => return Err("TLS: negotiated an unsupported cipher".into()),
        };
        let key = UnboundKey::new(algorithm, key.as_ref()).map_err(|_| "TLS: bad traffic key length".to_string())?;
        let iv: [u8; aead::NONCE_LEN] = iv.as_ref().try_into().map_err(|_| "TLS: bad traffic IV length".to_string())?;
        Ok(RecordKey { version, key: LessSafeKey::new(key), iv, explicit_nonce: gcm && version == Version::Tls12, seq })
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// iv XOR the 64-bit sequence number, right-aligned.
    fn nonce_bytes(&self) -> [u8; aead::NONCE_LEN] {
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }

    fn tls12_aad(&self, content_type: u8, plaintext_len: usize) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&self.seq.to_be_bytes());
        aad[8] = content_type;
        aad[9] = 3;
        aad[10] = 3;
        aad[11..].copy_from_slice(&(plaintext_len as u16).to_be_bytes());
        aad
    }

    /// Bytes a record adds around `plaintext_len` bytes of payload.
    pub fn overhead(&self) -> usize {
        match self.version {
            Version::Tls13 => HEADER_LEN + 1 + TAG_LEN,
            Version::Tls12 if self.explicit_nonce => HEADER_LEN + GCM_EXPLICIT_NONCE_LEN + TAG_LEN,
            Version::Tls12 => HEADER_LEN + TAG_LEN,
        }
    }

    /// Appends one protected record holding `payload` (at most 2^14 bytes) to `out`.
    pub fn seal(&mut self, content_type: u8, payload: &[u8], out: &mut Vec<u8>) {
        debug_assert!(payload.len() <= MAX_PLAINTEXT);
        let start = out.len();
        let body_len = self.overhead() - HEADER_LEN + payload.len();
        let outer_type = if self.version == Version::Tls13 { CONTENT_APPLICATION_DATA } else { content_type };
        let header = [outer_type, 3, 3, (body_len >> 8) as u8, body_len as u8];
        out.extend_from_slice(&header);
        let nonce = self.nonce_bytes();
        if self.explicit_nonce {
            out.extend_from_slice(&nonce[4..]);
        }
        let sealed_from = out.len();
        out.extend_from_slice(payload);
        let mut aad = [0u8; 13];
        let aad_len = match self.version {
            Version::Tls13 => {
                out.push(content_type);
                aad[..HEADER_LEN].copy_from_slice(&header);
                HEADER_LEN
            }
            Version::Tls12 => {
                aad = self.tls12_aad(content_type, payload.len());
                aad.len()
            }
        };
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad[..aad_len]),
                &mut out[sealed_from..],
            )
            // ring fails only past its own per-key size limits, far above one record.
            .expect("sealing one TLS record");
        out.extend_from_slice(tag.as_ref());
        debug_assert_eq!(out.len() - start, HEADER_LEN + body_len);
        self.seq += 1;
    }

    /// Decrypts one whole record (header included) in place.
    pub fn open(&mut self, record: &mut [u8]) -> Result<Opened, RecordError> {
        let (header, body) = record.split_at_mut(HEADER_LEN);
        let outer_type = header[0];
        let opened = match self.version {
            Version::Tls13 => {
                if outer_type != CONTENT_APPLICATION_DATA {
                    return Err(RecordError::UnexpectedMessage);
                }
                if body.len() > MAX_BODY_TLS13 {
                    return Err(RecordError::RecordOverflow);
                }
                if body.len() < TAG_LEN + 1 {
                    return Err(RecordError::BadRecordMac);
                }
                let nonce = Nonce::assume_unique_for_key(self.nonce_bytes());
                let plain = self
                    .key
                    .open_in_place(nonce, Aad::from(&header[..]), body)
                    .map_err(|_| RecordError::BadRecordMac)?;
                // The content type is the last non-zero byte; zeros after it are padding.
                let Some(type_at) = plain.iter().rposition(|&b| b != 0) else {
                    return Err(RecordError::UnexpectedMessage);
                };
                // The inner plaintext, type byte and padding included, is at most 2^14 + 1 bytes.
                if plain.len() > MAX_PLAINTEXT + 1 {
                    return Err(RecordError::RecordOverflow);
                }
                Opened { content_type: plain[type_at], plaintext: HEADER_LEN..HEADER_LEN + type_at }
            }
            Version::Tls12 => {
                if body.len() > MAX_BODY_TLS12 {
                    return Err(RecordError::RecordOverflow);
                }
                let prefix = if self.explicit_nonce { GCM_EXPLICIT_NONCE_LEN } else { 0 };
                if body.len() < prefix + TAG_LEN {
                    return Err(RecordError::BadRecordMac);
                }
                let mut nonce = self.nonce_bytes();
                if self.explicit_nonce {
                    nonce[4..].copy_from_slice(&body[..GCM_EXPLICIT_NONCE_LEN]);
                }
                let plaintext_len = body.len() - prefix - TAG_LEN;
                let aad = self.tls12_aad(outer_type, plaintext_len);
                self.key
                    .open_within(Nonce::assume_unique_for_key(nonce), Aad::from(&aad[..]), body, prefix..)
                    .map_err(|_| RecordError::BadRecordMac)?;
                if plaintext_len > MAX_PLAINTEXT {
                    return Err(RecordError::RecordOverflow);
                }
                Opened { content_type: outer_type, plaintext: HEADER_LEN..HEADER_LEN + plaintext_len }
            }
        };
        self.seq += 1;
        Ok(opened)
    }
}
