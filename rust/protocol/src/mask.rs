//! Payload masking (RFC 6455 §5.3): XOR with a 4-byte key, repeated.

/// XORs `data` with `key`, starting `phase` bytes into the key (0–3).
///
/// The phase lets a payload be unmasked in pieces as it arrives: pass the
/// number of payload bytes already unmasked. Works a 64-bit word at a time
/// (the compiler vectorises the word loop); no alignment assumptions, no `unsafe`.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], phase: usize) {
    let k = rotate(key, phase);
    let word = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut blocks = data.chunks_exact_mut(32);
    for block in &mut blocks {
        for lane in block.chunks_exact_mut(8) {
            let v = u64::from_ne_bytes(lane.try_into().expect("8-byte lane")) ^ word;
            lane.copy_from_slice(&v.to_ne_bytes());
        }
    }
    let rest = blocks.into_remainder();
    let mut lanes = rest.chunks_exact_mut(8);
    for lane in &mut lanes {
        let v = u64::from_ne_bytes(lane.try_into().expect("8-byte lane")) ^ word;
        lane.copy_from_slice(&v.to_ne_bytes());
    }
    // The tail is shorter than 8 bytes and starts on a multiple of 8, so the key phase is `k`.
    for (i, b) in lanes.into_remainder().iter_mut().enumerate() {
        *b ^= k[i & 3];
    }
}

/// Appends `src` masked with `key` to `dst` (one copy, then an in-place XOR while cache-hot).
pub fn extend_masked(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4]) {
    let start = dst.len();
    dst.extend_from_slice(src);
    apply_mask(&mut dst[start..], key, 0);
}

fn rotate(key: [u8; 4], phase: usize) -> [u8; 4] {
    let p = phase & 3;
    [key[p], key[(p + 1) & 3], key[(p + 2) & 3], key[(p + 3) & 3]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(data: &mut [u8], key: [u8; 4], phase: usize) {
        for (i, b) in data.iter_mut().enumerate() {
            *b ^= key[(i + phase) & 3];
        }
    }

    #[test]
    fn matches_bytewise_definition_for_all_lengths_and_phases() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..100 {
            for phase in 0..4 {
                let original: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let mut fast = original.clone();
                let mut slow = original.clone();
                apply_mask(&mut fast, key, phase);
                naive(&mut slow, key, phase);
                assert_eq!(fast, slow, "len {len} phase {phase}");
            }
        }
    }

    #[test]
    fn masking_in_pieces_equals_masking_at_once() {
        let key = [1, 2, 3, 4];
        let original: Vec<u8> = (0..=255).collect();
        let mut whole = original.clone();
        apply_mask(&mut whole, key, 0);
        let mut pieces = original.clone();
        let mut done = 0;
        for size in [1, 5, 3, 64, 7, 100, 76] {
            apply_mask(&mut pieces[done..done + size], key, done);
            done += size;
        }
        assert_eq!(done, 256);
        assert_eq!(whole, pieces);
    }

    #[test]
    fn rfc_example_hello() {
        // RFC 6455 §5.7: masked "Hello" with key 37 fa 21 3d.
        let mut out = Vec::new();
        extend_masked(&mut out, b"Hello", [0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(out, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }
}
