//! permessage-deflate negotiation (RFC 7692 §5, §7.1): the client's offer, the
//! server's answer to each offer, and the client's check of that answer.

use super::extension_header::{parse_extensions, Extension};

pub const EXTENSION_NAME: &str = "permessage-deflate";
/// The LZ77 window when no `*_max_window_bits` limits it.
pub const MAX_WINDOW_BITS: u8 = 15;
pub const MIN_WINDOW_BITS: u8 = 8;

/// What this end asks for (client) or imposes (server) beyond the defaults.
/// The default offers and accepts plain permessage-deflate with full windows
/// and context takeover both ways.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeflateConfig {
    /// The server resets its compression context after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after every message.
    pub client_no_context_takeover: bool,
    /// Limits the server's LZ77 window (8–15).
    pub server_max_window_bits: Option<u8>,
    /// Limits the client's LZ77 window (8–15).
    pub client_max_window_bits: Option<u8>,
}

/// The agreed parameters of a connection, in RFC terms (`server_*` is what the
/// server compresses with, `client_*` what the client compresses with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateParams {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    pub server_max_window_bits: u8,
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
        }
    }
}

/// The parameters of one `permessage-deflate` element, each at most once.
#[derive(Default)]
struct Offer {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: the value-less form ("I support this parameter").
    client_max_window_bits: Option<Option<u8>>,
}

fn window_bits(name: &str, value: &str) -> Result<u8, String> {
    // 1*DIGIT without leading zeros, 8..=15 (RFC 7692 §7.1.2).
    match value.parse::<u8>() {
        Ok(bits) if (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&bits) && !value.starts_with('0') => Ok(bits),
        _ => Err(format!("{name}={value} is not a window size from 8 to 15")),
    }
}

fn parse_params(ext: &Extension) -> Result<Offer, String> {
    let mut offer = Offer::default();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &ext.params {
        if seen.contains(&name.as_str()) {
            return Err(format!("{name} appears twice"));
        }
        seen.push(name);
        let no_value = |flag: &mut bool| match value {
            None => {
                *flag = true;
                Ok(())
            }
            Some(v) => Err(format!("{name}={v} takes no value")),
        };
        match name.as_str() {
            "server_no_context_takeover" => no_value(&mut offer.server_no_context_takeover)?,
            "client_no_context_takeover" => no_value(&mut offer.client_no_context_takeover)?,
            "server_max_window_bits" => match value {
                Some(v) => offer.server_max_window_bits = Some(window_bits(name, v)?),
                None => return Err(format!("{name} needs a value")),
            },
            "client_max_window_bits" => {
                offer.client_max_window_bits = Some(value.as_deref().map(|v| window_bits(name, v)).transpose()?)
            }
            _ => return Err(format!("unknown parameter {name}")),
        }
    }
    Ok(offer)
}

/// The client's `Sec-WebSocket-Extensions` value. Each offer has the
/// value-less `client_max_window_bits`, so a server may shrink our window.
/// Unless `client_no_context_takeover` is configured, a second offer follows
/// the first with it: a server that wants us to reset our context after every
/// message picks that one (and names the parameter in its answer, which is
/// when we reset); servers that take the first acceptable offer keep ours.
pub fn client_offer(config: &DeflateConfig) -> String {
    let offer = |client_no_context_takeover: bool| {
        let mut offer = String::from(EXTENSION_NAME);
        if config.server_no_context_takeover {
            offer.push_str("; server_no_context_takeover");
        }
        if client_no_context_takeover {
            offer.push_str("; client_no_context_takeover");
        }
        if let Some(bits) = config.server_max_window_bits {
            offer.push_str(&format!("; server_max_window_bits={bits}"));
        }
        match config.client_max_window_bits {
            Some(bits) => offer.push_str(&format!("; client_max_window_bits={bits}")),
            None => offer.push_str("; client_max_window_bits"),
        }
        offer
    };
    if config.client_no_context_takeover {
        offer(true)
    } else {
        format!("{}, {}", offer(false), offer(true))
    }
}

/// Server: answers the first acceptable `permessage-deflate` offer among the
/// client's extensions (RFC 7692 §5.1). Offers it cannot accept (unknown or
/// repeated parameters, bad window sizes) are declined, never an error.
/// Returns the agreed parameters and the response header value.
pub fn server_accept(extensions_header: &str, config: &DeflateConfig) -> Option<(DeflateParams, String)> {
    let extensions = parse_extensions(extensions_header).ok()?;
    extensions.iter().filter(|e| e.name == EXTENSION_NAME).find_map(|e| accept_offer(e, config))
}

fn accept_offer(ext: &Extension, config: &DeflateConfig) -> Option<(DeflateParams, String)> {
    let offer = parse_params(ext).ok()?;
    let mut params = DeflateParams::default();
    let mut response = String::from(EXTENSION_NAME);
    if offer.server_no_context_takeover || config.server_no_context_takeover {
        params.server_no_context_takeover = true;
        response.push_str("; server_no_context_takeover");
    }
    if offer.client_no_context_takeover || config.client_no_context_takeover {
        params.client_no_context_takeover = true;
        response.push_str("; client_no_context_takeover");
    }
    let server_bits = match (offer.server_max_window_bits, config.server_max_window_bits) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(bits) = server_bits {
        params.server_max_window_bits = bits;
        response.push_str(&format!("; server_max_window_bits={bits}"));
    }
    // We may only limit the client's window if it said it supports that.
    if let Some(offered) = offer.client_max_window_bits {
        let bits = match (offered, config.client_max_window_bits) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(bits) = bits {
            params.client_max_window_bits = bits;
            response.push_str(&format!("; client_max_window_bits={bits}"));
        }
    }
    Some((params, response))
}

/// Client: checks the server's answer to our offer (RFC 7692 §5.1, §7.1).
/// `None` when the server declined. The error is one line naming the problem.
pub fn client_accept(extensions: &[Extension], config: &DeflateConfig) -> Result<Option<DeflateParams>, String> {
    let mut accepted = None;
    for ext in extensions {
        if ext.name != EXTENSION_NAME {
            return Err(format!("server enabled extension {} that was not offered", ext.name));
        }
        if accepted.is_some() {
            return Err(format!("server enabled {EXTENSION_NAME} twice"));
        }
        accepted = Some(check_response(ext, config)?);
    }
    Ok(accepted)
}

fn check_response(ext: &Extension, config: &DeflateConfig) -> Result<DeflateParams, String> {
    let answer = parse_params(ext).map_err(|why| format!("{EXTENSION_NAME} response: {why}"))?;
    let fail = |why: String| Err(format!("{EXTENSION_NAME} response: {why}"));
    if config.server_no_context_takeover && !answer.server_no_context_takeover {
        return fail("server_no_context_takeover was requested and is missing".into());
    }
    let server_bits = match (answer.server_max_window_bits, config.server_max_window_bits) {
        (Some(got), Some(asked)) if got > asked => {
            return fail(format!("server_max_window_bits={got} exceeds {asked}"))
        }
        (None, Some(asked)) => return fail(format!("server_max_window_bits={asked} was requested and is missing")),
        (got, _) => got.unwrap_or(MAX_WINDOW_BITS),
    };
    let client_bits = match (answer.client_max_window_bits, config.client_max_window_bits) {
        (None, asked) => asked.unwrap_or(MAX_WINDOW_BITS),
        (Some(None), _) => return fail("client_max_window_bits needs a value".into()),
        (Some(Some(got)), Some(asked)) if got > asked => {
            return fail(format!("client_max_window_bits={got} exceeds {asked}"))
        }
        (Some(Some(got)), _) => got,
    };
    Ok(DeflateParams {
        server_no_context_takeover: answer.server_no_context_takeover,
        client_no_context_takeover: answer.client_no_context_takeover || config.client_no_context_takeover,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(header: &str) -> Option<(DeflateParams, String)> {
        server_accept(header, &DeflateConfig::default())
    }

    fn check(response: &str, config: &DeflateConfig) -> Result<Option<DeflateParams>, String> {
        client_accept(&parse_extensions(response).unwrap(), config)
    }

    #[test]
    fn server_accepts_the_first_acceptable_offer_and_echoes_what_it_must() {
        let (params, response) = accept("x-foo, permessage-deflate; server_max_window_bits=16, permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits").unwrap();
        assert_eq!(response, "permessage-deflate; server_no_context_takeover; server_max_window_bits=10");
        assert_eq!(
            params,
            DeflateParams { server_no_context_takeover: true, server_max_window_bits: 10, ..DeflateParams::default() }
        );
        let (params, response) =
            accept("permessage-deflate; client_max_window_bits=9; client_no_context_takeover").unwrap();
        assert_eq!(response, "permessage-deflate; client_no_context_takeover; client_max_window_bits=9");
        assert_eq!(params.client_max_window_bits, 9);
        assert!(params.client_no_context_takeover);
        assert_eq!(accept("permessage-deflate").unwrap().1, "permessage-deflate");
    }

    #[test]
    fn server_declines_offers_it_cannot_accept() {
        for offer in [
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; mystery",
            "x-webkit-deflate-frame",
            "permessage-deflate; ;",
        ] {
            assert_eq!(accept(offer), None, "{offer}");
        }
    }

    #[test]
    fn server_config_limits_what_it_accepts() {
        let config = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(9),
            client_max_window_bits: Some(10),
        };
        let (params, response) = server_accept("permessage-deflate; client_max_window_bits", &config).unwrap();
        assert_eq!(
            response,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10"
        );
        assert_eq!(params.server_max_window_bits, 9);
        // The client did not say it can limit its window: it keeps 15.
        let (params, response) = server_accept("permessage-deflate", &config).unwrap();
        assert!(!response.contains("client_max_window_bits"));
        assert_eq!(params.client_max_window_bits, 15);
    }

    #[test]
    fn client_offer_lists_what_it_asks_for() {
        assert_eq!(
            client_offer(&DeflateConfig::default()),
            "permessage-deflate; client_max_window_bits, permessage-deflate; client_no_context_takeover; client_max_window_bits"
        );
        let config = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(12),
            ..DeflateConfig::default()
        };
        assert_eq!(
            client_offer(&config),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits"
        );
        // A server answering the first acceptable offer keeps our context takeover.
        let (params, _) = server_accept(&client_offer(&DeflateConfig::default()), &DeflateConfig::default()).unwrap();
        assert_eq!(params, DeflateParams::default());
    }

    #[test]
    fn client_accepts_valid_answers() {
        let default = DeflateConfig::default();
        assert_eq!(check("", &default), Ok(None));
        assert_eq!(check("permessage-deflate", &default), Ok(Some(DeflateParams::default())));
        let got = check(
            "permessage-deflate; client_max_window_bits=8; server_max_window_bits=8; client_no_context_takeover",
            &default,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (got.client_max_window_bits, got.server_max_window_bits, got.client_no_context_takeover),
            (8, 8, true)
        );
    }

    #[test]
    fn client_rejects_invalid_or_unrequested_answers_naming_the_parameter() {
        let default = DeflateConfig::default();
        let asked = DeflateConfig {
            server_no_context_takeover: true,
            server_max_window_bits: Some(10),
            ..DeflateConfig::default()
        };
        for (response, config, names) in [
            ("x-foo", &default, "x-foo"),
            ("permessage-deflate, permessage-deflate", &default, "twice"),
            ("permessage-deflate; server_max_window_bits=7", &default, "server_max_window_bits=7"),
            ("permessage-deflate; client_max_window_bits=16", &default, "client_max_window_bits=16"),
            ("permessage-deflate; client_max_window_bits", &default, "client_max_window_bits"),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                &default,
                "server_no_context_takeover appears twice",
            ),
            ("permessage-deflate; foo=1", &default, "unknown parameter foo"),
            ("permessage-deflate; server_max_window_bits=10", &asked, "server_no_context_takeover"),
            ("permessage-deflate; server_no_context_takeover", &asked, "server_max_window_bits=10 was requested"),
            ("permessage-deflate; server_no_context_takeover; server_max_window_bits=11", &asked, "exceeds 10"),
        ] {
            let err = check(response, config).unwrap_err();
            assert!(err.contains(names) && !err.contains('\n'), "{response}: {err}");
        }
    }
}
