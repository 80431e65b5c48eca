//! IP fragment reassembly: a `Reassembler` with a small store (4 slots of up to 512 bytes, any
//! per-source limit, timeout and overlap policy) fed frames of any link type with a clock that
//! moves forward; every packet it gives back lies in the frame or in its buffer, and the
//! counters stay consistent. Then `packet::fragment`, `packet::tunnel` and
//! `packet::decode_reassembled` on each frame.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::packet::{self, LinkType};
use torclass_core::reassembly::{FragmentSlot, OverlapPolicy, Reassembler, ReassemblyConfig};

fuzz_target!(|data: &[u8]| {
    let Some((&setup, mut rest)) = data.split_first() else {
        return;
    };
    let config = ReassemblyConfig::new()
        .with_per_source(usize::from(setup & 7) + 1)
        .with_overlap(if setup & 8 == 0 {
            OverlapPolicy::FirstWins
        } else {
            OverlapPolicy::Discard
        })
        .with_timeout_ns(1_000 * u64::from(setup >> 4));
    let capacity = 64 * (usize::from(setup % 8) + 1);
    let mut r = Reassembler::new(
        vec![FragmentSlot::default(); 4],
        vec![0u8; 4 * capacity],
        config,
    );
    let mut now = 0u64;
    // Records: length (u16 LE), link type, clock step, then the frame.
    while rest.len() >= 4 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let link = LinkType::ALL[usize::from(rest[2]) % LinkType::ALL.len()];
        now += 100 * u64::from(rest[3]);
        rest = &rest[4..];
        let frame = &rest[..len.min(rest.len())];
        rest = &rest[frame.len()..];
        if let Some(f) = packet::fragment(link, frame) {
            assert!(f.data.len() <= frame.len());
            if let Ok((p, _)) = packet::decode_reassembled(&f.key, f.data, f.data.len(), f.tunnel) {
                assert!(p.payload.len() <= f.data.len());
            }
        }
        let _ = packet::tunnel(link, frame).map(|t| t.to_string());
        match r.decode(link, frame, now) {
            Ok(Some(p)) => {
                assert!(p.payload.len() <= frame.len().max(capacity));
                assert!(p.payload_len_on_wire as usize >= p.payload.len());
            }
            Ok(None) => {}
            Err(e) => {
                let _ = e.to_string();
            }
        }
        assert!(r.pending() <= 4);
    }
    let s = r.stats();
    assert!(s.reassembled + s.refused <= s.fragments);
});
