//! Collecting an HTTP header block from pieces, and reading header values.

use super::{HandshakeError, Headers};

/// A complete header block (terminator included) and the bytes that followed it.
pub type Complete = (Vec<u8>, Vec<u8>);

/// Accumulates bytes up to the blank line that ends the header block.
#[derive(Debug)]
pub struct HeaderBlock {
    buf: Vec<u8>,
    limit: usize,
}

impl HeaderBlock {
    pub fn new(limit: usize) -> Self {
        HeaderBlock { buf: Vec::new(), limit }
    }

    /// The bytes of an incomplete block received so far.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Adds input. Returns the complete block and the bytes after it once the
    /// terminator arrived.
    pub fn push(&mut self, data: &[u8]) -> Result<Option<Complete>, HandshakeError> {
        let search_from = self.buf.len().saturating_sub(3);
        self.buf.extend_from_slice(data);
        match find(&self.buf[search_from..], b"\r\n\r\n") {
            Some(i) => {
                let end = search_from + i + 4;
                if end > self.limit {
                    return Err(HandshakeError::HeadersTooLarge { limit: self.limit });
                }
                let rest = self.buf.split_off(end);
                Ok(Some((std::mem::take(&mut self.buf), rest)))
            }
            None if self.buf.len() >= self.limit => Err(HandshakeError::HeadersTooLarge { limit: self.limit }),
            None => Ok(None),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Copies httparse's headers out, rejecting non-UTF-8 values.
pub fn collect(headers: &[httparse::Header<'_>]) -> Result<Headers, HandshakeError> {
    headers
        .iter()
        .map(|h| {
            let value = std::str::from_utf8(h.value)
                .map_err(|_| HandshakeError::Malformed(format!("header {} is not UTF-8", h.name)))?;
            Ok((h.name.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// All values of header `name` (case-insensitive), in order.
pub fn values<'a>(headers: &'a Headers, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The comma-separated tokens of every `name` header, trimmed, empty ones dropped.
pub fn tokens<'a>(headers: &'a Headers, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    values(headers, name).flat_map(|v| v.split(',')).map(str::trim).filter(|t| !t.is_empty())
}

/// Whether the token list of `name` holds `token` (case-insensitive), e.g.
/// `Connection: keep-alive, Upgrade` (engine bug §13.12 compares the whole value).
pub fn has_token(headers: &Headers, name: &str, token: &str) -> bool {
    tokens(headers, name).any(|t| t.eq_ignore_ascii_case(token))
}

/// An HTTP token (RFC 9110 §5.6.2): what a subprotocol name must be.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Checks an application-supplied header line and returns it trimmed.
pub fn check_extra_header(line: &str) -> Result<&str, HandshakeError> {
    let line = line.trim();
    let valid_name = line
        .split_once(':')
        .is_some_and(|(name, _)| !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':'));
    if !valid_name || line.contains(['\r', '\n']) {
        return Err(HandshakeError::InvalidExtraHeader(line.to_string()));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ends_at_blank_line_in_any_split() {
        let input = b"HTTP/1.1 101 X\r\nA: b\r\n\r\nREST";
        for split in 0..input.len() {
            let mut block = HeaderBlock::new(100);
            let first = block.push(&input[..split]).unwrap();
            let (head, rest) = first.or_else(|| block.push(&input[split..]).unwrap()).unwrap();
            assert_eq!(head, &input[..input.len() - 4]);
            let rest = if split >= input.len() - 4 { [rest, input[split..].to_vec()].concat() } else { rest };
            assert_eq!(rest, b"REST", "split {split}");
        }
    }

    #[test]
    fn block_is_bounded() {
        let mut block = HeaderBlock::new(16);
        assert!(block.push(b"GET / HTTP/1.1\r\n").is_err());
        let mut block = HeaderBlock::new(16);
        assert!(block.push(b"GET / HTTP/1.1\r\n\r\n").is_err());
    }

    #[test]
    fn token_lists() {
        let h: Headers = vec![("Connection".into(), "keep-alive, Upgrade".into()), ("connection".into(), "x".into())];
        assert!(has_token(&h, "connection", "upgrade"));
        assert!(!has_token(&h, "connection", "close"));
    }

    #[test]
    fn extra_headers_are_checked() {
        assert_eq!(check_extra_header(" X-Token: abc "), Ok("X-Token: abc"));
        assert!(check_extra_header("no colon").is_err());
        assert!(check_extra_header(": empty name").is_err());
        assert!(check_extra_header("X: a\r\nInjected: b").is_err());
    }
}
