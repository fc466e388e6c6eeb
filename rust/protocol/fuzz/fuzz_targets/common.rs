//! Shared by the fuzz targets: how an input is read, and what every
//! handshake parser must do with the bytes it was fed.
//!
//! Every input starts with a few configuration bytes, then three piece sizes,
//! then the body. The body is fed in pieces whose sizes cycle through the three
//! size bytes (0 = everything that is left), so the fuzzer chooses the split
//! points and every target checks that any split is handled the same way.

#![allow(dead_code)]

/// The configuration bytes, the piece sizes and the body of `data`. Missing
/// bytes read as 0.
pub fn split<const N: usize>(data: &[u8]) -> ([u8; N], [u8; 3], &[u8]) {
    let mut cfg = [0u8; N];
    let mut sizes = [0u8; 3];
    let head = (N + 3).min(data.len());
    for (i, &b) in data[..head].iter().enumerate() {
        if i < N {
            cfg[i] = b;
        } else {
            sizes[i - N] = b;
        }
    }
    (cfg, sizes, &data[head..])
}

/// `body` cut into pieces of the sizes given (cycled; 0 = the rest).
pub fn pieces(body: &[u8], sizes: [u8; 3]) -> Pieces<'_> {
    Pieces { rest: body, sizes, next: 0 }
}

pub struct Pieces<'a> {
    rest: &'a [u8],
    sizes: [u8; 3],
    next: usize,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let size = self.sizes[self.next % 3] as usize;
        self.next += 1;
        let n = if size == 0 { self.rest.len() } else { size.min(self.rest.len()) };
        let (piece, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(piece)
    }
}

/// Index just past the first blank line (`\r\n\r\n`) of `bytes`.
pub fn header_end(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// A handshake still waiting after `fed`: it holds less than `limit` bytes and
/// has not seen the end of the header block.
pub fn check_waiting_handshake(fed: &[u8], limit: usize) {
    assert!(fed.len() < limit, "{} bytes buffered, limit {limit}", fed.len());
    assert!(header_end(fed).is_none(), "a complete header block was not answered");
}

/// A handshake that finished after `fed`: it ended at the first blank line,
/// within `limit`, and handed back exactly the rest as `leftover`.
pub fn check_finished_handshake(fed: &[u8], leftover: &[u8], limit: usize) {
    assert!(fed.ends_with(leftover), "leftover is not a suffix of the input");
    let head = fed.len() - leftover.len();
    assert_eq!(header_end(fed), Some(head), "the header block does not end at the first blank line");
    assert!(head <= limit, "accepted a {head}-byte header block, limit {limit}");
}
