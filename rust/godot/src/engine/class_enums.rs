//! The class enums `RustWebSocketPeer.State`, `RustWebSocketPeer.WriteMode` and
//! `RustWebSocketPeer.FailureKind`, registered in ClassDB and typed in method
//! signatures exactly as the engine's. gdext 0.5 has no class enums of its own: the
//! constants are registered by hand through its doc-hidden registration API and the
//! conversions carry the qualified enum name. (Upgrade checklist, engine/mod.rs.)

use std::borrow::Cow;

use godot::meta::error::ConvertError;
use godot::meta::shape::{EnumeratorShape, GodotShape};
use godot::meta::{FromGodot, GodotConvert, ToGodot};
use godot::obj::GodotClass;
use godot::prelude::*;
use godot::register::private::constant::{ConstantKind, ExportConstant, IntegerConstant};

macro_rules! class_enum {
    ($(#[$doc:meta])* $name:ident as $godot_name:literal { $($(#[$vdoc:meta])* $variant:ident = $constant:literal = $value:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant = $value,)+
        }

        impl $name {
            pub const CONSTANTS: &'static [(&'static str, i64)] = &[$(($constant, $value),)+];

            pub fn from_ord(value: i64) -> Option<Self> {
                match value {
                    $($value => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl GodotConvert for $name {
            type Via = i64;

            fn godot_shape() -> GodotShape {
                const ENUMERATORS: &[EnumeratorShape] = &[$(EnumeratorShape::new_int($constant, $value),)+];
                GodotShape::Enum {
                    variant_type: VariantType::INT,
                    enumerators: Cow::Borrowed(ENUMERATORS),
                    godot_name: Some(Cow::Borrowed($godot_name)),
                    is_bitfield: false,
                }
            }
        }

        impl ToGodot for $name {
            type Pass = godot::meta::conv::ByValue;

            fn to_godot(&self) -> i64 {
                *self as i64
            }
        }

        impl FromGodot for $name {
            fn try_from_godot(value: i64) -> Result<Self, ConvertError> {
                Self::from_ord(value)
                    .ok_or_else(|| ConvertError::new(format!("invalid {} value {value}", $godot_name)))
            }
        }

        // SAFETY: a fieldless Copy enum has no interior mutability; gdext needs this
        // marker to use it as a default argument value.
        unsafe impl godot::meta::GodotImmutable for $name {}
    };
}

class_enum! {
    /// `RustWebSocketPeer.State`.
    State as "RustWebSocketPeer.State" {
        Connecting = "STATE_CONNECTING" = 0,
        Open = "STATE_OPEN" = 1,
        Closing = "STATE_CLOSING" = 2,
        Closed = "STATE_CLOSED" = 3,
    }
}

class_enum! {
    /// `RustWebSocketPeer.WriteMode`.
    WriteMode as "RustWebSocketPeer.WriteMode" {
        Text = "WRITE_MODE_TEXT" = 0,
        Binary = "WRITE_MODE_BINARY" = 1,
    }
}

class_enum! {
    /// `RustWebSocketPeer.FailureKind`: why a connection failed (an addition to
    /// the engine's API; see `ws_connection::FailureKind`).
    FailureKind as "RustWebSocketPeer.FailureKind" {
        /// No failure: connecting, open, closed cleanly by either side, or dropped by `close(-1)`.
        None = "FAILURE_NONE" = 0,
        /// The host name could not be resolved.
        Dns = "FAILURE_DNS" = 1,
        /// No TCP connection to any address: refused or unreachable.
        Connect = "FAILURE_CONNECT" = 2,
        /// The TLS handshake failed (certificate, name, alert), or TLS failed later.
        Tls = "FAILURE_TLS" = 3,
        /// The HTTP handshake was refused or invalid (status, headers).
        Handshake = "FAILURE_HANDSHAKE" = 4,
        /// The peer broke RFC 6455; we sent a Close with the matching code.
        Protocol = "FAILURE_PROTOCOL" = 5,
        /// The TCP connect (all addresses), the opening handshake, the closing
        /// handshake or the heartbeat timed out.
        Timeout = "FAILURE_TIMEOUT" = 6,
        /// Reset, or end of stream, without a Close frame.
        ConnectionLost = "FAILURE_CONNECTION_LOST" = 7,
        /// A message over `inbound_buffer_size`; we sent Close 1009.
        Limit = "FAILURE_LIMIT" = 8,
        /// The proxy could not be reached, refused the tunnel (its HTTP status in
        /// `get_handshake_status()`), or does not speak HTTP.
        Proxy = "FAILURE_PROXY" = 9,
    }
}

impl From<ws_connection::ReadyState> for State {
    fn from(state: ws_connection::ReadyState) -> State {
        match state {
            ws_connection::ReadyState::Connecting => State::Connecting,
            ws_connection::ReadyState::Open => State::Open,
            ws_connection::ReadyState::Closing => State::Closing,
            ws_connection::ReadyState::Closed => State::Closed,
        }
    }
}

impl From<Option<ws_connection::FailureKind>> for FailureKind {
    fn from(kind: Option<ws_connection::FailureKind>) -> FailureKind {
        use ws_connection::FailureKind as Kind;
        match kind {
            None => FailureKind::None,
            Some(Kind::Dns) => FailureKind::Dns,
            Some(Kind::Connect) => FailureKind::Connect,
            Some(Kind::Tls) => FailureKind::Tls,
            Some(Kind::Handshake) => FailureKind::Handshake,
            Some(Kind::Protocol) => FailureKind::Protocol,
            Some(Kind::Timeout) => FailureKind::Timeout,
            Some(Kind::ConnectionLost) => FailureKind::ConnectionLost,
            Some(Kind::Limit) => FailureKind::Limit,
            Some(Kind::Proxy) => FailureKind::Proxy,
        }
    }
}

/// Registers the enums' constants on class `T`.
pub fn register<T: GodotClass>() {
    register_enum::<T>("WriteMode", WriteMode::CONSTANTS);
    register_enum::<T>("State", State::CONSTANTS);
    register_enum::<T>("FailureKind", FailureKind::CONSTANTS);
}

fn register_enum<T: GodotClass>(enum_name: &str, constants: &[(&str, i64)]) {
    let enumerators = constants.iter().map(|(name, value)| IntegerConstant::new(name, *value)).collect();
    ExportConstant::new(T::class_id(), ConstantKind::Enum { name: StringName::from(enum_name), enumerators })
        .register();
}
