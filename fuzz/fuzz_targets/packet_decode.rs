//! Link, IP and transport decoding of one frame of any link type, and of a bare IP packet.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::packet::{decode, decode_ip, LinkType};

fuzz_target!(|data: &[u8]| {
    let Some((&which, frame)) = data.split_first() else {
        return;
    };
    let link = LinkType::ALL[usize::from(which) % LinkType::ALL.len()];
    for result in [decode(link, frame), decode_ip(frame)] {
        match result {
            Ok(p) => {
                assert!(p.payload.len() <= frame.len());
                let _ = p.key.reversed();
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
