//! The `Sec-WebSocket-Extensions` grammar (RFC 6455 §9.1): a comma-separated
//! list of extensions, each a token followed by `; name[=value]` parameters,
//! values being tokens or quoted strings.

use crate::handshake::header_block::is_token;

/// One extension of the list, as written: its name and parameters in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    pub params: Vec<(String, Option<String>)>,
}

/// Parses the joined values of every `Sec-WebSocket-Extensions` line.
/// Returns a one-line description of the first syntax error.
pub fn parse_extensions(value: &str) -> Result<Vec<Extension>, String> {
    let mut cursor = Cursor { rest: value };
    let mut out = Vec::new();
    loop {
        cursor.skip_space();
        if cursor.rest.is_empty() {
            return Ok(out);
        }
        if cursor.eat(',') {
            continue; // empty list elements are allowed (RFC 9110 §5.6.1)
        }
        let name = cursor.token().ok_or_else(|| format!("expected an extension name at {:?}", cursor.rest))?;
        let mut params = Vec::new();
        loop {
            cursor.skip_space();
            if !cursor.eat(';') {
                break;
            }
            cursor.skip_space();
            let param = cursor.token().ok_or_else(|| format!("expected a parameter name in {name}"))?;
            cursor.skip_space();
            let value = if cursor.eat('=') {
                cursor.skip_space();
                let value = cursor.value().ok_or_else(|| format!("{param} has an invalid value"))?;
                Some(value)
            } else {
                None
            };
            params.push((param.to_ascii_lowercase(), value));
        }
        out.push(Extension { name: name.to_ascii_lowercase(), params });
        cursor.skip_space();
        if !cursor.rest.is_empty() && !cursor.eat(',') {
            return Err(format!("unexpected {:?} after extension {name}", cursor.rest));
        }
    }
}

struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t']);
    }

    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let end =
            self.rest.find(|c: char| !c.is_ascii() || !is_token(c.encode_utf8(&mut [0; 4]))).unwrap_or(self.rest.len());
        let (token, rest) = self.rest.split_at(end);
        self.rest = rest;
        (!token.is_empty()).then_some(token)
    }

    /// A token or a quoted string (unquoted, escapes resolved).
    fn value(&mut self) -> Option<String> {
        let Some(quoted) = self.rest.strip_prefix('"') else {
            return self.token().map(str::to_string);
        };
        let mut out = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &quoted[i + 1..];
                    return Some(out);
                }
                '\\' => out.push(chars.next()?.1),
                c => out.push(c),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(name: &str, params: &[(&str, Option<&str>)]) -> Extension {
        let params = params.iter().map(|(n, v)| (n.to_string(), v.map(str::to_string))).collect();
        Extension { name: name.into(), params }
    }

    #[test]
    fn parses_lists_parameters_and_quoted_values() {
        let got = parse_extensions(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\" ,, x-foo ,permessage-deflate",
        )
        .unwrap();
        assert_eq!(
            got,
            [
                ext("permessage-deflate", &[("client_max_window_bits", None), ("server_max_window_bits", Some("10"))]),
                ext("x-foo", &[]),
                ext("permessage-deflate", &[]),
            ]
        );
        assert_eq!(parse_extensions("").unwrap(), []);
    }

    #[test]
    fn rejects_broken_syntax() {
        for bad in ["permessage-deflate;", "a b", "a; p=", "a; p=\"10", "a; =1", "\u{e9}"] {
            assert!(parse_extensions(bad).is_err(), "{bad}");
        }
    }
}
