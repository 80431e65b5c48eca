//! Link, IP and transport decoding of one frame of any link type, and of a bare IP packet: the
//! fast path agrees with the etherparse reading it falls back to (`decode_reference`,
//! `decode_ip_reference`, public with torclass-core's `unstable-internals` feature), payload
//! subslice included.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::packet::{decode, decode_ip, decode_ip_reference, decode_reference, LinkType};

fuzz_target!(|data: &[u8]| {
    let Some((&which, frame)) = data.split_first() else {
        return;
    };
    let link = LinkType::ALL[usize::from(which) % LinkType::ALL.len()];
    for (result, reference) in [
        (decode(link, frame), decode_reference(link, frame)),
        (decode_ip(frame), decode_ip_reference(frame)),
    ] {
        assert_eq!(result, reference);
        match result {
            Ok(p) => {
                assert!(p.payload.len() <= frame.len());
                assert_eq!(
                    reference.map(|r| r.payload.as_ptr()),
                    Ok(p.payload.as_ptr())
                );
                let _ = p.key.reversed();
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
