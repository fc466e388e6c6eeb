//! The editor help page. gdext's `register-docs` turns the doc comments into the
//! class reference, but knows nothing of the enums we register by hand; this adds
//! their values' descriptions and registers the complete page again (the last
//! page loaded for a class wins).

const CONSTANTS: &[(&str, i64, &str, &str)] = &[
    ("WRITE_MODE_TEXT", 0, "WriteMode", "Messages are sent as text frames (only valid UTF-8 is allowed)."),
    ("WRITE_MODE_BINARY", 1, "WriteMode", "Messages are sent as binary frames (any bytes)."),
    ("STATE_CONNECTING", 0, "State", "The socket has been created; the connection is not open yet."),
    ("STATE_OPEN", 1, "State", "The connection is open and ready to communicate."),
    ("STATE_CLOSING", 2, "State", "The connection is closing: a Close frame was sent and the answer is awaited."),
    ("STATE_CLOSED", 3, "State", "The connection is closed or could not be opened."),
];

/// gdext writes Rust types into the page; the editor shows Godot's.
const GODOT_TYPES: &[(&str, &str)] = &[
    (r#"<return type="Error" />"#, r#"<return type="int" enum="Error" />"#),
    (r#"<return type="State" />"#, r#"<return type="int" enum="RustWebSocketPeer.State" />"#),
    (r#"<return type="()" />"#, r#"<return type="void" />"#),
    (r#"<return type="i32" />"#, r#"<return type="int" />"#),
    (r#"<return type="f64" />"#, r#"<return type="float" />"#),
    (r#"<return type="GString" />"#, r#"<return type="String" />"#),
    (r#"name="tls_client_options" type="OptTls""#, r#"name="tls_client_options" type="TLSOptions" default="null""#),
    (
        r#"name="write_mode" type="WriteMode""#,
        r#"name="write_mode" type="int" enum="RustWebSocketPeer.WriteMode" default="1""#,
    ),
    (r#"name="code" type="i32""#, r#"name="code" type="int" default="1000""#),
    (r#"name="reason" type="GString""#, r#"name="reason" type="String" default="&quot;&quot;""#),
    (r#"type="Option &lt; Gd &lt; StreamPeer &gt;&gt;""#, r#"type="StreamPeer""#),
    (r#"type="GString""#, r#"type="String""#),
    (r#"type="i32""#, r#"type="int""#),
    (r#"type="f64""#, r#"type="float""#),
];

/// The complete class reference page of `class`, as XML.
pub fn class_xml(class: &str) -> Option<String> {
    let marker = format!("<class name=\"{class}\"");
    let xml = godot::docs::__gather_xml_docs().find(|xml| xml.contains(&marker))?;
    let constants: String = CONSTANTS
        .iter()
        .map(|(name, value, enumeration, doc)| {
            format!("<constant name=\"{name}\" value=\"{value}\" enum=\"{enumeration}\">{doc}</constant>")
        })
        .collect();
    let xml = GODOT_TYPES.iter().fold(xml, |xml, (rust, godot)| xml.replace(rust, godot));
    Some(xml.replacen("\n<members>", &format!("\n<constants>{constants}</constants>\n<members>"), 1))
}

/// Loads the page into the editor's help (editor builds only).
pub fn register(class: &str) {
    let Some(xml) = class_xml(class) else { return };
    // SAFETY: called on the main thread during Editor-level initialisation, after
    // gdext initialised the binding; `xml` is valid UTF-8 and its length is passed.
    unsafe {
        godot::sys::interface_fn!(editor_help_load_xml_from_utf8_chars_and_len)(
            xml.as_ptr() as *const std::ffi::c_char,
            xml.len() as i64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn between<'a>(xml: &'a str, start: &str, end: &str) -> &'a str {
        let from = xml.find(start).unwrap_or_else(|| panic!("{start} in the page")) + start.len();
        &xml[from..from + xml[from..].find(end).expect("closing tag")]
    }

    #[test]
    fn the_page_documents_the_class_every_method_property_and_enum_value() {
        let xml = class_xml("RustWebSocketPeer").expect("a page for RustWebSocketPeer");
        assert!(!between(&xml, "<brief_description>", "</brief_description>").trim().is_empty());
        for method in [
            "accept_stream",
            "close",
            "connect_to_url",
            "get_close_code",
            "get_close_reason",
            "get_connected_host",
            "get_connected_port",
            "get_current_outbound_buffered_amount",
            "get_ready_state",
            "get_requested_url",
            "get_selected_protocol",
            "poll",
            "send",
            "send_text",
            "set_no_delay",
            "was_string_packet",
        ] {
            let entry = between(&xml, &format!("<method name=\"{method}\""), "</method>");
            assert!(!between(entry, "<description>", "</description>").trim().is_empty(), "{method} is documented");
        }
        for property in [
            "handshake_headers",
            "heartbeat_interval",
            "inbound_buffer_size",
            "max_queued_packets",
            "outbound_buffer_size",
            "supported_protocols",
        ] {
            let entry = between(&xml, &format!("<member name=\"{property}\""), "</member>");
            let text = &entry[entry.find('>').expect("end of the member tag") + 1..];
            assert!(text.trim().len() > 20, "{property} is documented");
        }
        for rust_type in ["GString", "i32", "f64", "OptTls", "Option &lt;", "\"()\""] {
            assert!(!xml.contains(rust_type), "no Rust type {rust_type} left in the page");
        }
        assert!(xml.contains(
            r#"<param index="1" name="write_mode" type="int" enum="RustWebSocketPeer.WriteMode" default="1" />"#
        ));
        for (name, ..) in CONSTANTS {
            let entry = between(&xml, &format!("<constant name=\"{name}\""), "</constant>");
            assert!(entry.len() > 20, "{name} is documented");
        }
    }
}
