//! CaptureReader over files written byte by byte in the test. Every file given to `read` is
//! also read from a memory-mapped file, which must give the same packets and errors.

mod common;

use common::*;
use std::io::{self, Cursor, Read};
use torclass_capture::{
    CaptureError, CaptureErrorKind, CaptureFormat, CaptureReader, ReadMode, Unit,
};

/// A packet as the reader returned it, owned.
#[derive(Clone, Debug, PartialEq)]
struct Got {
    link_type: u32,
    ts_nanos: i128,
    data: Vec<u8>,
    orig_len: u32,
    offset: u64,
    index: u64,
}

fn read_from(reader: impl Read + Send + 'static) -> (Vec<Got>, Option<CaptureError>) {
    let mut reader = match CaptureReader::new(reader, "test.pcap".into()) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut got = Vec::new();
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => {
                assert!((p.ts() - p.ts_nanos as f64 / 1e9).abs() < 1e-6);
                got.push(Got {
                    link_type: p.link_type,
                    ts_nanos: p.ts_nanos,
                    data: p.data.to_vec(),
                    orig_len: p.orig_len,
                    offset: p.offset,
                    index: p.index,
                });
            }
            Ok(None) => {
                // Finished readers stay finished.
                assert!(reader.next_packet().unwrap().is_none());
                return (got, None);
            }
            Err(e) => {
                assert!(reader.next_packet().unwrap().is_none());
                return (got, Some(e));
            }
        }
    }
}

fn read(bytes: &[u8]) -> (Vec<Got>, Option<CaptureError>) {
    common::both::same_bytes(bytes);
    read_from(Cursor::new(bytes.to_vec()))
}

fn read_ok(bytes: &[u8]) -> Vec<Got> {
    let (got, err) = read(bytes);
    assert!(err.is_none(), "{}", err.unwrap());
    got
}

fn read_err(bytes: &[u8]) -> (Vec<Got>, CaptureError) {
    let (got, err) = read(bytes);
    (got, err.expect("an error"))
}

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A pcap file of three packets and the records' (offset, end) in it.
fn small_pcap(be: bool, nanos: bool) -> (Vec<u8>, Vec<(u64, u64)>) {
    let mut file = pcap_header(be, nanos, 1, 65535);
    let mut records = Vec::new();
    for (i, len) in [60usize, 0, 13].into_iter().enumerate() {
        let start = file.len() as u64;
        pcap_record(
            &mut file,
            be,
            1_700_000_000 + i as u32,
            123_456 + i as u32,
            &payload(len, i as u8),
            len as u32 + 4,
        );
        records.push((start, file.len() as u64));
    }
    (file, records)
}

#[test]
fn pcap_both_byte_orders_and_precisions() {
    for be in [false, true] {
        for nanos in [false, true] {
            let (file, records) = small_pcap(be, nanos);
            let got = read_ok(&file);
            assert_eq!(got.len(), 3);
            for (i, (p, (offset, _))) in got.iter().zip(&records).enumerate() {
                let len = [60, 0, 13][i];
                let frac = 123_456 + i as i128;
                let scale = if nanos { 1 } else { 1000 };
                assert_eq!(
                    *p,
                    Got {
                        link_type: 1,
                        ts_nanos: (1_700_000_000 + i as i128) * 1_000_000_000 + frac * scale,
                        data: payload(len, i as u8),
                        orig_len: len as u32 + 4,
                        offset: *offset,
                        index: i as u64,
                    }
                );
            }
            assert_eq!(got[0].offset, 24);
            assert_eq!(got[1].offset, 24 + 16 + 60);
        }
    }
}

#[test]
fn pcap_f64_timestamp_keeps_microseconds() {
    let (file, _) = small_pcap(false, false);
    let mut reader = CaptureReader::new(Cursor::new(file), "x".into()).unwrap();
    assert_eq!(reader.format(), CaptureFormat::Pcap);
    let p = reader.next_packet().unwrap().unwrap();
    assert_eq!(format!("{:.6}", p.ts()), "1700000000.123456");
}

#[test]
fn pcap_link_type_drops_fcs_bits() {
    let mut file = pcap_header(false, false, 0x1000_0001, 0);
    pcap_record(&mut file, false, 1, 0, b"abc", 3);
    assert_eq!(read_ok(&file)[0].link_type, 1);
}

/// A two-section pcapng file (one section per byte order) and its packets' offsets.
fn small_pcapng(be: bool) -> (Vec<u8>, Vec<Got>, Vec<(u64, u64)>) {
    let mut file = Vec::new();
    let mut records = Vec::new();
    let mut want = Vec::new();
    let mut push =
        |file: &mut Vec<u8>, block: Vec<u8>, packet: Option<(u32, i128, Vec<u8>, u32)>| {
            let start = file.len() as u64;
            file.extend_from_slice(&block);
            records.push((start, file.len() as u64));
            if let Some((link_type, ts_nanos, data, orig_len)) = packet {
                let index = want.len() as u64;
                want.push(Got {
                    link_type,
                    ts_nanos,
                    data,
                    orig_len,
                    offset: start,
                    index,
                });
            }
        };
    push(&mut file, shb(be), None);
    push(&mut file, idb(be, 1, 0, Some(9), None), None);
    push(&mut file, idb(be, 101, 1500, None, None), None);
    let a = payload(61, 1);
    push(
        &mut file,
        epb(be, 0, 1_700_000_000_123_456_789, &a, 61),
        Some((1, 1_700_000_000_123_456_789, a, 61)),
    );
    let b = payload(20, 2);
    push(
        &mut file,
        epb(be, 1, 1_700_000_001_000_001, &b, 1400),
        Some((101, 1_700_000_001_000_001_000, b, 1400)),
    );
    // An unknown block and a name resolution block are skipped.
    push(&mut file, block(be, 0x0000_0099, b"skip me"), None);
    push(&mut file, block(be, 4, &[0, 0, 0, 0]), None);
    // SPB: interface 0, no timestamp (repeats the last), data trimmed to orig_len.
    let c = payload(8, 3);
    push(
        &mut file,
        spb(be, &c, 5),
        Some((1, 1_700_000_001_000_001_000, c[..5].to_vec(), 5)),
    );
    let d = payload(7, 4);
    push(
        &mut file,
        pb(be, 1, 1_700_000_002_500_000, &d, 7),
        Some((101, 1_700_000_002_500_000_000, d, 7)),
    );
    // A second section in the other byte order, with a 2^-20 resolution and an offset.
    push(&mut file, shb(!be), None);
    push(
        &mut file,
        idb(!be, 113, 0, Some(0x80 | 20), Some(-10)),
        None,
    );
    let e = payload(3, 5);
    push(
        &mut file,
        epb(!be, 0, 3 << 19, &e, 3),
        Some((113, 1_500_000_000 - 10_000_000_000, e, 3)),
    );
    (file, want, records)
}

#[test]
fn pcapng_interfaces_resolutions_and_blocks() {
    for be in [false, true] {
        let (file, want, _) = small_pcapng(be);
        let mut reader = CaptureReader::new(Cursor::new(file.clone()), "x".into()).unwrap();
        assert_eq!(reader.format(), CaptureFormat::Pcapng);
        assert!(reader.next_packet().unwrap().is_some());
        assert_eq!(read_ok(&file), want);
    }
}

#[test]
fn pcapng_spb_obeys_interface_snaplen() {
    let mut file = shb(false);
    file.extend(idb(false, 1, 4, None, None));
    file.extend(spb(false, b"abcdefgh", 8));
    assert_eq!(read_ok(&file)[0].data, b"abcd");
}

#[test]
fn records_larger_than_the_initial_buffer() {
    let big = payload(300_000, 9);
    let mut file = pcap_header(false, false, 1, 0);
    pcap_record(&mut file, false, 1, 0, b"small", 5);
    pcap_record(&mut file, false, 2, 0, &big, 300_000);
    pcap_record(&mut file, false, 3, 0, b"after", 5);
    let got = read_ok(&file);
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].data, big);
    assert_eq!(got[2].data, b"after");

    let mut file = shb(true);
    file.extend(idb(true, 1, 0, None, None));
    file.extend(epb(true, 0, 1, &big, 300_000));
    assert_eq!(read_ok(&file)[0].data, big);
}

/// Each cut of `file`: the packets wholly before the cut, then either a clean end exactly at
/// a record boundary, or a truncation error at the cut record's offset.
fn check_every_cut(file: &[u8], records: &[(u64, u64)], all: &[Got]) {
    for cut in 0..=file.len() as u64 {
        let (got, err) = read(&file[..cut as usize]);
        let want: Vec<Got> = all
            .iter()
            .filter(|p| records.iter().any(|&(s, e)| s == p.offset && e <= cut))
            .cloned()
            .collect();
        assert_eq!(got, want, "cut {cut}");
        if cut == 0 {
            assert_eq!(err.unwrap().kind, CaptureErrorKind::Empty);
            continue;
        }
        if records.iter().any(|&(_, e)| e == cut) {
            assert!(err.is_none(), "cut {cut}: {}", err.unwrap());
            continue;
        }
        let err = err.unwrap_or_else(|| panic!("cut {cut}: no error"));
        assert!(err.is_truncated(), "cut {cut}: {err}");
        let expected_offset = records
            .iter()
            .find(|&&(s, e)| s < cut && cut < e)
            .map_or(0, |r| r.0);
        assert_eq!(err.offset, expected_offset, "cut {cut}: {err}");
        let CaptureErrorKind::Truncated {
            required,
            available,
            ..
        } = err.kind
        else {
            unreachable!()
        };
        assert_eq!(available, cut - expected_offset, "cut {cut}: {err}");
        assert!(required > available, "cut {cut}: {err}");
    }
}

#[test]
fn pcap_truncated_at_every_byte() {
    for be in [false, true] {
        let (file, records) = small_pcap(be, false);
        let all = read_ok(&file);
        // The file header is "record" 0..24 for the cut check.
        let mut with_header = vec![(0, 24)];
        with_header.extend(records);
        check_every_cut(&file, &with_header, &all);
    }
}

#[test]
fn pcapng_truncated_at_every_byte() {
    for be in [false, true] {
        let (file, all, records) = small_pcapng(be);
        check_every_cut(&file, &records, &all);
    }
}

#[test]
fn truncation_message() {
    let mut file = pcap_header(false, false, 1, 65535);
    pcap_record(&mut file, false, 1, 0, &payload(1514, 0), 1514);
    let start = file.len();
    pcap_record(&mut file, false, 1, 0, &payload(1514, 0), 1514);
    file.truncate(start + 310);
    let (got, err) = read_err(&file);
    assert_eq!(got.len(), 1);
    assert!(err.is_truncated());
    assert_eq!(
        err.to_string(),
        format!("test.pcap: byte {start}: truncated packet record (need 1530 bytes, 310 left)")
    );
    assert_eq!(
        err.kind,
        CaptureErrorKind::Truncated {
            unit: Unit::PcapRecord,
            required: 1530,
            available: 310
        }
    );
}

#[test]
fn garbage_and_short_files() {
    let (_, err) = read_err(b"GET / HTTP/1.1\r\n");
    assert_eq!(
        err.kind,
        CaptureErrorKind::NotACapture { magic: 0x4745_5420 }
    );
    assert_eq!(
        err.to_string(),
        "test.pcap: byte 0: not a pcap or pcapng file (magic 0x47455420)"
    );
    assert!(!err.is_truncated());
    assert_eq!(read_err(b"").1.kind, CaptureErrorKind::Empty);
    assert!(read_err(b"\xd4\xc3").1.is_truncated());
    let (_, err) = read_err(&pcap_header(false, false, 1, 0)[..10]);
    assert_eq!(
        err.kind,
        CaptureErrorKind::Truncated {
            unit: Unit::PcapHeader,
            required: 24,
            available: 10
        }
    );
}

#[test]
fn pathological_pcap_records() {
    // A caplen of 4 GiB: refused from the header alone.
    let mut file = pcap_header(false, false, 1, 0);
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&u32::MAX.to_le_bytes());
    file.extend_from_slice(&[0; 4]);
    let (_, err) = read_err(&file);
    assert_eq!(err.offset, 24);
    assert!(
        matches!(
            err.kind,
            CaptureErrorKind::TooLarge {
                unit: Unit::PcapRecord,
                ..
            }
        ),
        "{err}"
    );
    // caplen above snaplen.
    let mut file = pcap_header(true, false, 1, 64);
    pcap_record(&mut file, true, 0, 0, &[0; 65], 65);
    assert_eq!(
        read_err(&file).1.kind,
        CaptureErrorKind::CaplenExceedsSnaplen {
            caplen: 65,
            snaplen: 64
        }
    );
    // A huge snaplen allocates nothing by itself.
    let mut file = pcap_header(false, true, 1, u32::MAX);
    pcap_record(&mut file, false, 0, 0, b"ok", 2);
    assert_eq!(read_ok(&file).len(), 1);
}

#[test]
fn pathological_pcapng_blocks() {
    let base = || {
        let mut f = shb(false);
        f.extend(idb(false, 1, 100, None, None));
        f
    };
    for (len, bad) in [(0u32, true), (8, true), (13, true), (u32::MAX - 3, false)] {
        let mut file = base();
        let at = file.len() as u64;
        file.extend_from_slice(&6u32.to_le_bytes());
        file.extend_from_slice(&len.to_le_bytes());
        file.extend_from_slice(&[0; 24]);
        let (_, err) = read_err(&file);
        assert_eq!(err.offset, at);
        if bad {
            assert_eq!(
                err.kind,
                CaptureErrorKind::BadBlockLength {
                    block_type: 6,
                    length: len
                },
                "{err}"
            );
        } else {
            assert!(
                matches!(err.kind, CaptureErrorKind::TooLarge { .. }),
                "{err}"
            );
        }
    }
    // An EPB whose caplen runs past its block.
    let mut file = base();
    let mut b = epb(false, 0, 0, b"abcd", 4);
    b[20..24].copy_from_slice(&40u32.to_le_bytes());
    file.extend(b);
    file.extend(epb(false, 0, 0, &[0; 64], 64));
    assert!(matches!(
        read_err(&file).1.kind,
        CaptureErrorKind::Malformed { .. }
    ));
    // caplen above the interface snaplen, an unknown interface, a packet before any interface.
    let mut file = base();
    file.extend(epb(false, 0, 0, &[0; 101], 101));
    assert_eq!(
        read_err(&file).1.kind,
        CaptureErrorKind::CaplenExceedsSnaplen {
            caplen: 101,
            snaplen: 100
        }
    );
    let mut file = base();
    file.extend(epb(false, 3, 0, b"x", 1));
    assert_eq!(
        read_err(&file).1.kind,
        CaptureErrorKind::UnknownInterface {
            interface: 3,
            declared: 1
        }
    );
    let mut file = shb(true);
    file.extend(spb(true, b"x", 1));
    assert_eq!(
        read_err(&file).1.kind,
        CaptureErrorKind::UnknownInterface {
            interface: 0,
            declared: 0
        }
    );
    // A section header with a bad byte-order magic, first or later.
    let mut file = shb(false);
    file[8..12].copy_from_slice(b"oops");
    assert_eq!(
        read_err(&file).1.kind,
        CaptureErrorKind::BadByteOrderMagic {
            magic: u32::from_be_bytes(*b"oops")
        }
    );
    let mut file = base();
    let at = file.len() as u64;
    let mut second = shb(true);
    second[8..12].copy_from_slice(b"oops");
    file.extend(second);
    let (_, err) = read_err(&file);
    assert_eq!(
        (err.offset, err.kind),
        (
            at,
            CaptureErrorKind::BadByteOrderMagic {
                magic: u32::from_be_bytes(*b"oops")
            }
        )
    );
}

#[test]
fn too_many_interfaces() {
    let mut file = shb(false);
    for _ in 0..=torclass_capture::MAX_INTERFACES {
        file.extend(idb(false, 1, 0, None, None));
    }
    let (_, err) = read_err(&file);
    assert_eq!(
        err.kind,
        CaptureErrorKind::TooManyInterfaces {
            max: torclass_capture::MAX_INTERFACES
        }
    );
}

/// Hands out at most `chunk` bytes per read, with an `Interrupted` between reads.
struct Dribble {
    data: Cursor<Vec<u8>>,
    chunk: usize,
    interrupt: bool,
}

impl Read for Dribble {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.chunk);
        self.data.read(&mut buf[..n])
    }
}

#[test]
fn short_reads_give_the_same_packets() {
    let (file, want, _) = small_pcapng(false);
    for chunk in [1, 3, 7, 64] {
        let (got, err) = read_from(Dribble {
            data: Cursor::new(file.clone()),
            chunk,
            interrupt: false,
        });
        assert!(err.is_none());
        assert_eq!(got, want);
    }
}

/// Fails after `ok` bytes.
struct Failing {
    data: Cursor<Vec<u8>>,
    ok: u64,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.ok.saturating_sub(self.data.position()) as usize;
        if left == 0 {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "cable cut"));
        }
        let n = buf.len().min(left);
        self.data.read(&mut buf[..n])
    }
}

#[test]
fn io_errors_keep_their_message() {
    let (file, records) = small_pcap(false, false);
    let (got, err) = read_from(Failing {
        data: Cursor::new(file),
        ok: records[1].0 + 3,
    });
    assert_eq!(got.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.kind, CaptureErrorKind::Io(io::ErrorKind::BrokenPipe));
    assert_eq!(err.offset, records[1].0);
    assert!(err.to_string().ends_with("cable cut"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn open_names_the_file() {
    let dir = std::env::temp_dir().join(format!("torclass-capture-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("capture.pcap");
    let (file, _) = small_pcap(false, true);
    std::fs::write(&path, &file).unwrap();
    for (mode, mapped) in [(ReadMode::Auto, true), (ReadMode::Stream, false)] {
        let mut reader = CaptureReader::open_with(&path, mode).unwrap();
        assert_eq!(reader.is_mapped(), mapped);
        assert_eq!(reader.name(), path.display().to_string());
        let mut n = 0;
        while reader.next_packet().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
    }
    assert!(CaptureReader::open(&path).unwrap().is_mapped());
    let missing = dir.join("missing.pcap");
    for mode in [ReadMode::Auto, ReadMode::Stream] {
        let err = CaptureReader::open_with(&missing, mode).unwrap_err();
        assert_eq!(err.kind, CaptureErrorKind::Io(io::ErrorKind::NotFound));
        assert!(err
            .to_string()
            .starts_with(&format!("{}: byte 0: ", missing.display())));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pipes_devices_and_proc_files_are_streamed() {
    let err = CaptureReader::open("/dev/null".as_ref()).unwrap_err();
    assert_eq!(err.kind, CaptureErrorKind::Empty);
    assert_eq!(
        err.to_string(),
        "/dev/null: byte 0: empty file (no pcap or pcapng header)"
    );
    // A /proc file claims no size: streamed, its bytes read as from a pipe.
    let err = CaptureReader::open("/proc/self/status".as_ref()).unwrap_err();
    assert_eq!(
        err.kind,
        CaptureErrorKind::NotACapture { magic: 0x4e61_6d65 }
    );
    // An empty file is streamed too, with the same error.
    let empty = tempfile::NamedTempFile::new().unwrap();
    let reader = CaptureReader::open(empty.path());
    assert_eq!(reader.unwrap_err().kind, CaptureErrorKind::Empty);

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", fifo.display());
    let (file, _) = small_pcap(true, false);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, file).unwrap())
    };
    let mut reader = CaptureReader::open(&fifo).unwrap();
    assert!(!reader.is_mapped());
    let mut n = 0;
    while reader.next_packet().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    writer.join().unwrap();
}
