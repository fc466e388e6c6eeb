//! Property: any messages, encoded by one side and cut into arbitrary pieces,
//! come out of the other side unchanged and in order.

use std::time::Duration;

use proptest::prelude::*;
use ws_protocol::frame::encode_header;
use ws_protocol::{Connection, Limits, Message, OpCode, Role};

const T0: Duration = Duration::ZERO;

fn limits() -> Limits {
    Limits {
        max_message_size: 1 << 20,
        max_inbound_buffered: 1 << 24,
        max_outbound_buffered: None,
        ..Limits::default()
    }
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..3000).prop_map(|data| Message { is_text: false, data }),
        ".{0,400}".prop_map(|s: String| Message { is_text: true, data: s.into_bytes() }),
    ]
}

/// Cuts `wire` at the given fractions.
fn cut(wire: &[u8], cuts: &[f64]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|f| (f * wire.len() as f64) as usize).collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut at = 0;
    for p in points.into_iter().chain([wire.len()]) {
        pieces.push(wire[at..p].to_vec());
        at = p;
    }
    pieces
}

fn receive_all(receiver: &mut Connection, pieces: &[Vec<u8>]) -> Vec<Message> {
    for piece in pieces {
        receiver.receive(piece, T0);
    }
    assert_eq!(receiver.take_error(), None);
    std::iter::from_fn(|| receiver.pop_message()).collect()
}

proptest! {
    #[test]
    fn client_to_server(messages in proptest::collection::vec(message(), 0..20),
                        cuts in proptest::collection::vec(0.0f64..1.0, 0..30)) {
        let mut client = Connection::new(Role::Client, limits(), T0, [3; 32]);
        for m in &messages {
            client.send(m.is_text, &m.data).unwrap();
        }
        let wire = client.pending_output().to_vec();
        let mut server = Connection::new(Role::Server, limits(), T0, [0; 32]);
        prop_assert_eq!(receive_all(&mut server, &cut(&wire, &cuts)), messages);
    }

    #[test]
    fn fragmented_server_to_client(messages in proptest::collection::vec((message(), 1usize..6), 0..10),
                                   cuts in proptest::collection::vec(0.0f64..1.0, 0..30)) {
        // Hand-fragmented, with pings between fragments: they must not end up in messages.
        let mut wire = Vec::new();
        for (m, parts) in &messages {
            let size = m.data.len().div_ceil(*parts).max(1);
            let chunks: Vec<&[u8]> = if m.data.is_empty() { vec![&[]] } else { m.data.chunks(size).collect() };
            for (i, chunk) in chunks.iter().enumerate() {
                let opcode = match (i, m.is_text) { (0, true) => OpCode::Text, (0, false) => OpCode::Binary, _ => OpCode::Continuation };
                encode_header(&mut wire, i + 1 == chunks.len(), opcode, None, chunk.len());
                wire.extend_from_slice(chunk);
                if i + 1 < chunks.len() {
                    encode_header(&mut wire, true, OpCode::Ping, None, 2);
                    wire.extend_from_slice(b"pp");
                }
            }
        }
        let mut client = Connection::new(Role::Client, limits(), T0, [3; 32]);
        let expected: Vec<Message> = messages.into_iter().map(|(m, _)| m).collect();
        prop_assert_eq!(receive_all(&mut client, &cut(&wire, &cuts)), expected);
    }
}
