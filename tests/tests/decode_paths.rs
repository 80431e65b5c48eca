//! The fast path of `packet::decode` against the etherparse reading it falls back to
//! (`decode_reference`), on every frame of every committed capture: the same `Result`, and for
//! a packet the same payload subslice. Each frame is also cut at every length up to just past
//! its headers (where the two readings could part), read as every link type, and read as a bare
//! IP packet by `decode_ip`.

use std::path::PathBuf;

use torclass_capture::CaptureReader;
use torclass_core::packet::{
    decode, decode_ip, decode_ip_reference, decode_reference, DecodeError, LinkType, Packet,
};
use torclass_tests::captures_dir;

/// Bytes cut from frames that do not decode: enough for any header chain in the captures.
const ERROR_CUT_LIMIT: usize = 128;

/// Every committed capture, sorted by name.
fn captures() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(captures_dir())
        .expect("the captures directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    all.sort();
    all
}

/// Where `payload` starts in `frame`.
fn offset_in(frame: &[u8], payload: &[u8]) -> usize {
    payload.as_ptr() as usize - frame.as_ptr() as usize
}

/// Panics unless both readings of `frame` agree, payload subslice included.
fn agree(
    what: &dyn Fn() -> String,
    fast: Result<Packet<'_>, DecodeError>,
    reference: Result<Packet<'_>, DecodeError>,
) {
    assert_eq!(fast, reference, "{}", what());
    if let (Ok(a), Ok(b)) = (fast, reference) {
        assert_eq!(a.payload.as_ptr(), b.payload.as_ptr(), "{}", what());
    }
}

#[test]
fn both_readings_agree_on_every_captured_frame() {
    let captures = captures();
    assert!(!captures.is_empty(), "no captures in tests/captures");
    let (mut frames, mut packets, mut cuts) = (0u64, 0u64, 0u64);
    for pcap in &captures {
        let mut reader = CaptureReader::open(pcap).expect("open");
        while let Some(raw) = reader.next_packet().expect("read") {
            frames += 1;
            let frame = raw.data;
            let name = || format!("{} frame {}", pcap.display(), raw.index);
            let own = LinkType::from_pcap(raw.link_type);
            for link in LinkType::ALL {
                let what = || format!("{} as {link:?}", name());
                agree(&what, decode(link, frame), decode_reference(link, frame));
            }
            agree(&name, decode_ip(frame), decode_ip_reference(frame));

            let Some(link) = own else { continue };
            let headers_end = match decode_reference(link, frame) {
                Ok(p) => {
                    packets += 1;
                    offset_in(frame, p.payload)
                }
                Err(_) => ERROR_CUT_LIMIT,
            };
            for len in 0..=frame.len().min(headers_end + 1) {
                cuts += 1;
                let cut = &frame[..len];
                let what = || format!("{} cut at {len}", name());
                agree(&what, decode(link, cut), decode_reference(link, cut));
            }
        }
    }
    eprintln!("{frames} frames ({packets} TCP/UDP packets), {cuts} cuts: both readings agree");
    assert!(packets > 0, "no frame decoded to a packet");
}
