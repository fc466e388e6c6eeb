//! The editor help page: the class reference, written by hand in Godot's class XML
//! format (`doc_classes/`), and loaded into the editor's help at Editor-level init.
//!
//! Why not gdext's `register-docs`: it loads its page at every Editor init, also when a
//! headless first import loads the library late, which is the case that aborts Godot
//! 4.6 (see `first_import.rs`); the page goes in through the raw interface (upgrade
//! checklist, engine/mod.rs). A page of our own is loaded only when it is safe, and it
//! can carry what generated docs cannot: defaults, a code example, a tutorial link.

/// The class reference pages, one per class.
pub const PAGES: [&str; 2] = [
    include_str!("../../doc_classes/RustWebSocketPeer.xml"),
    include_str!("../../doc_classes/RustWebSocketMultiplayerPeer.xml"),
];

/// Loads a class reference page into the editor's help (editor builds only).
pub fn register(page: &str) {
    // SAFETY: called on the main thread during Editor-level initialisation, after
    // gdext initialised the binding; `page` is valid UTF-8 and its length is passed.
    unsafe {
        godot::sys::interface_fn!(editor_help_load_xml_from_utf8_chars_and_len)(
            page.as_ptr() as *const std::ffi::c_char,
            page.len() as i64,
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::PAGES;
    use crate::engine::class_enums::{FailureKind, State, WriteMode};

    fn text(node: roxmltree::Node) -> String {
        node.text().unwrap_or_default().trim().to_string()
    }

    fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
        node.children().find(|c| c.has_tag_name(name)).unwrap_or_else(|| panic!("<{name}> in the page"))
    }

    /// The names of a class's `#[func]`s and of its `#[var]` fields, read from its source.
    fn class_source(source: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut funcs = BTreeSet::new();
        let mut vars = BTreeSet::new();
        let mut lines = source.lines().map(str::trim);
        while let Some(line) = lines.next() {
            let is_func = line == "#[func]";
            if is_func || line.starts_with("#[var(") {
                let item = lines.next().expect("an item after the attribute");
                let name = if is_func {
                    item.split("fn ").nth(1).and_then(|rest| rest.split('(').next())
                } else {
                    item.split(':').next()
                };
                let name = name.expect("a name").trim().to_string();
                if is_func {
                    funcs.insert(name);
                } else {
                    vars.insert(name);
                }
            }
        }
        (funcs, vars)
    }

    /// Checks `page` against the class's source: every method and property described,
    /// nothing described that the class lacks, the engine's property defaults.
    fn check_page(page: &str, class_name: &str, inherits: &str, source: &str, defaults: &[(&str, &str)]) {
        let doc = roxmltree::Document::parse(page).expect("the page is well-formed XML");
        let class = doc.root_element();
        assert_eq!(class.attribute("name"), Some(class_name));
        assert_eq!(class.attribute("inherits"), Some(inherits));
        assert!(!text(child(class, "brief_description")).is_empty());
        let description = text(child(class, "description"));
        assert!(description.contains("[codeblock]") && description.contains(&format!("{class_name}.new()")));
        assert!(child(class, "tutorials").children().any(|l| l.has_tag_name("link")));

        let (funcs, vars) = class_source(source);
        let accessors: BTreeSet<String> = vars.iter().flat_map(|v| [format!("get_{v}"), format!("set_{v}")]).collect();
        let methods: BTreeSet<String> = funcs.difference(&accessors).cloned().collect();
        assert!(methods.len() >= 5, "the class source was read: {methods:?}");

        let documented: BTreeSet<String> = child(class, "methods")
            .children()
            .filter(|m| m.has_tag_name("method"))
            .map(|m| {
                let name = m.attribute("name").unwrap().to_string();
                assert!(text(child(m, "description")).len() > 20, "{name} is described");
                assert!(child(m, "return").attribute("type").is_some(), "{name} has a return type");
                name
            })
            .collect();
        assert_eq!(documented, methods, "documented methods = the class's #[func]s");

        let members: Vec<_> = child(class, "members").children().filter(|m| m.has_tag_name("member")).collect();
        assert_eq!(members.len(), vars.len());
        assert_eq!(defaults.len(), vars.len());
        for (name, default) in defaults {
            assert!(vars.contains(*name), "{name} is a property of the class");
            let member = members.iter().find(|m| m.attribute("name") == Some(name)).expect("member");
            assert_eq!(member.attribute("default"), Some(*default), "{name} default");
            assert!(text(*member).len() > 20, "{name} is described");
        }
    }

    const SHARED_DEFAULTS: [(&str, &str); 9] = [
        ("handshake_headers", "PackedStringArray()"),
        ("inbound_buffer_size", "65535"),
        ("max_queued_packets", "4096"),
        ("outbound_buffer_size", "65535"),
        ("supported_protocols", "PackedStringArray()"),
        ("proxy_url", "\"\""),
        ("proxy_from_environment", "false"),
        ("trusted_proxies", "PackedStringArray()"),
        ("health_check_path", "\"\""),
    ];

    #[test]
    fn the_peer_page_documents_every_method_property_and_constant() {
        let defaults =
            [SHARED_DEFAULTS.as_slice(), &[("heartbeat_interval", "0.0"), ("compression_enabled", "false")]].concat();
        let source = include_str!("../peer.rs");
        check_page(PAGES[0], "RustWebSocketPeer", "PacketPeerExtension", source, &defaults);

        let doc = roxmltree::Document::parse(PAGES[0]).unwrap();
        let constants: Vec<_> =
            child(doc.root_element(), "constants").children().filter(|c| c.has_tag_name("constant")).collect();
        let registered = (State::CONSTANTS.iter().map(|c| ("State", c)))
            .chain(WriteMode::CONSTANTS.iter().map(|c| ("WriteMode", c)))
            .chain(FailureKind::CONSTANTS.iter().map(|c| ("FailureKind", c)));
        let mut count = 0;
        for (enumeration, (name, value)) in registered {
            let constant = constants.iter().find(|c| c.attribute("name") == Some(name)).expect("constant");
            assert_eq!(constant.attribute("value"), Some(value.to_string().as_str()), "{name}");
            assert_eq!(constant.attribute("enum"), Some(enumeration), "{name}");
            assert!(text(*constant).len() > 20, "{name} is described");
            count += 1;
        }
        assert_eq!(constants.len(), count, "no constant documented that the class lacks");
    }

    #[test]
    fn the_multiplayer_page_documents_every_method_and_property() {
        let defaults = [SHARED_DEFAULTS.as_slice(), &[("handshake_timeout", "3.0")]].concat();
        let source = include_str!("../multiplayer_peer.rs");
        check_page(PAGES[1], "RustWebSocketMultiplayerPeer", "MultiplayerPeerExtension", source, &defaults);
    }
}
