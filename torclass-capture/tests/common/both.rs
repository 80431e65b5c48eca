//! Reading one capture mapped and streamed, in lockstep, and checking that both give the
//! same packets and end the same way.

use std::io::{self, Cursor, Read, Write};
use std::ops::ControlFlow;
use std::path::Path;
use torclass_capture::{CaptureError, CaptureReader, RawPacket, ReadMode};

/// Everything a packet says, owned, for comparison.
#[derive(Debug, PartialEq)]
struct Seen {
    link_type: u32,
    ts_nanos: i128,
    ts_bits: u64,
    data: Vec<u8>,
    orig_len: u32,
    offset: u64,
    index: u64,
}

impl From<&RawPacket<'_>> for Seen {
    fn from(p: &RawPacket<'_>) -> Self {
        Self {
            link_type: p.link_type,
            ts_nanos: p.ts_nanos,
            ts_bits: p.ts().to_bits(),
            data: p.data.to_vec(),
            orig_len: p.orig_len,
            offset: p.offset,
            index: p.index,
        }
    }
}

/// Everything an error says but the file's name: offset, kind, truncation and message.
fn error_text(e: &CaptureError) -> String {
    let message = e.to_string();
    let message = message.strip_prefix(&e.path).unwrap_or(&message);
    format!(
        "offset {} kind {:?} truncated {}: {message}",
        e.offset,
        e.kind,
        e.is_truncated()
    )
}

/// Step two readers together and panic (naming `what`) at the first difference in a
/// packet, in the error or in where they end. Returns the number of packets.
pub fn same(
    what: &str,
    a: Result<CaptureReader, CaptureError>,
    b: Result<CaptureReader, CaptureError>,
) -> u64 {
    let (mut a, mut b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(a), Err(b)) => {
            assert_eq!(error_text(&a), error_text(&b), "{what}: opening");
            return 0;
        }
        (a, b) => panic!("{what}: opening: {:?} vs {:?}", a.err(), b.err()),
    };
    assert_eq!(a.format(), b.format(), "{what}");
    let mut packets = 0;
    loop {
        let (x, y) = (a.next_packet(), b.next_packet());
        match (x, y) {
            (Ok(Some(x)), Ok(Some(y))) => {
                assert_eq!(Seen::from(&x), Seen::from(&y), "{what}: packet {packets}");
                packets += 1;
            }
            (Ok(None), Ok(None)) => break,
            (Err(x), Err(y)) => {
                assert_eq!(error_text(&x), error_text(&y), "{what}: error");
                break;
            }
            (x, y) => panic!(
                "{what}: after {packets} packets: {:?} vs {:?}",
                x.map(|p| p.map(|p| Seen::from(&p))),
                y.map(|p| p.map(|p| Seen::from(&p)))
            ),
        }
    }
    // Both are finished for good.
    assert!(matches!(a.next_packet(), Ok(None)), "{what}");
    assert!(matches!(b.next_packet(), Ok(None)), "{what}");
    packets
}

/// How [`all`] reads.
#[derive(Clone, Copy)]
enum Loop {
    /// `next_packet`, a call per packet.
    ByCall,
    /// `for_each_packet`, one loop.
    One,
    /// `packets_while`, breaking after every `n`-th packet (a stretch of 1, 2, … packets in
    /// turn when `n` is 0) and called again.
    Stretches(usize),
}

/// Every packet of `reader` and the error that ends it, if any, read as `how` says.
fn all(reader: Result<CaptureReader, CaptureError>, how: Loop) -> (Vec<Seen>, String) {
    let mut reader = match reader {
        Ok(reader) => reader,
        Err(e) => return (Vec::new(), error_text(&e)),
    };
    let mut seen = Vec::new();
    let end = match how {
        Loop::One => reader.for_each_packet(|p| seen.push(Seen::from(&p))),
        Loop::ByCall => loop {
            match reader.next_packet() {
                Ok(Some(p)) => seen.push(Seen::from(&p)),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        },
        Loop::Stretches(n) => {
            let mut stretch = 0;
            loop {
                stretch = if n == 0 { stretch + 1 } else { n };
                let mut left = stretch;
                let more = reader.packets_while(|p| {
                    seen.push(Seen::from(&p));
                    left -= 1;
                    if left == 0 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
                match more {
                    Ok(true) => assert_eq!(left, 0, "packets_while stopped only on a break"),
                    Ok(false) => break Ok(()),
                    Err(e) => break Err(e),
                }
            }
        }
    };
    assert!(
        matches!(reader.next_packet(), Ok(None)),
        "finished for good"
    );
    (seen, end.err().map(|e| error_text(&e)).unwrap_or_default())
}

/// `open()` read with `for_each_packet`, with `packets_while` in stretches, and with
/// `next_packet` gives the same packets and end.
fn same_in_one_loop(what: &str, open: impl Fn() -> Result<CaptureReader, CaptureError>) {
    let (by_call, by_call_end) = all(open(), Loop::ByCall);
    for how in [
        Loop::One,
        Loop::Stretches(1),
        Loop::Stretches(7),
        Loop::Stretches(0),
    ] {
        let (one_loop, one_loop_end) = all(open(), how);
        assert_eq!(one_loop.len(), by_call.len(), "{what}: one loop");
        for (i, (x, y)) in one_loop.iter().zip(&by_call).enumerate() {
            assert_eq!(x, y, "{what}: one loop, packet {i}");
        }
        assert_eq!(one_loop_end, by_call_end, "{what}: one loop's end");
    }
}

/// The file at `path` read mapped and streamed give the same packets and end, and so does
/// the mapped file read in one loop ([`CaptureReader::for_each_packet`]); the number of
/// packets. Panics if the mapped reader is not mapped.
pub fn same_file(path: &Path) -> u64 {
    let mapped = CaptureReader::open_with(path, ReadMode::Auto);
    if let Ok(reader) = &mapped {
        assert!(reader.is_mapped(), "{} is not mapped", path.display());
    }
    let streamed = CaptureReader::open_with(path, ReadMode::Stream);
    if let Ok(reader) = &streamed {
        assert!(!reader.is_mapped());
    }
    let what = path.display().to_string();
    same_in_one_loop(&what, || CaptureReader::open_with(path, ReadMode::Auto));
    same_in_one_loop(&what, || CaptureReader::open_with(path, ReadMode::Stream));
    same(&what, mapped, streamed)
}

/// Hands out at most 7 bytes per read, so records straddle refills.
struct Trickle(Cursor<Vec<u8>>);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(7);
        self.0.read(&mut buf[..n])
    }
}

/// `bytes` read from a mapped file, from a byte stream and from one that trickles in give
/// the same packets and end, and so does the mapped file read in one loop; the number of
/// packets.
pub fn same_bytes(bytes: &[u8]) -> u64 {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(bytes).expect("write temp file");
    let path = file.path();
    let open = || {
        let mapped = CaptureReader::open(path);
        if let Ok(reader) = &mapped {
            assert!(reader.is_mapped(), "{} is not mapped", path.display());
        }
        mapped
    };
    let name = || path.display().to_string();
    let what = format!("{} bytes", bytes.len());
    let streamed = CaptureReader::new(Cursor::new(bytes.to_vec()), name());
    let packets = same(&what, open(), streamed);
    let trickled = CaptureReader::new(Trickle(Cursor::new(bytes.to_vec())), name());
    same(&format!("{what}, 7 at a time"), open(), trickled);
    same_in_one_loop(&what, open);
    packets
}
