use std::vec;
use std::vec::Vec;

use super::*;
use crate::codec::{StateReader, StateWriter};
use crate::observer::Metadata;

/// A ClientHello as OpenSSL 3.0 (what libtorrent links on Debian) writes it, made by Python's
/// `ssl` module with `server_hostname` set to the name below.
pub(crate) const OPENSSL_HELLO: &[u8] = include_bytes!("openssl-hello.bin");
pub(crate) const OPENSSL_NAME: &[u8; 40] = b"0123456789abcdef0123456789abcdef01234567";

fn u16be(v: usize) -> [u8; 2] {
    u16::try_from(v).unwrap().to_be_bytes()
}

/// The server_name extension with `names` as its host names.
fn server_name(names: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for name in names {
        list.push(0);
        list.extend(u16be(name.len()));
        list.extend(*name);
    }
    let mut ext = vec![0, 0];
    ext.extend(u16be(list.len() + 2));
    ext.extend(u16be(list.len()));
    ext.extend(list);
    ext
}

/// A ClientHello handshake message (no record header) with these extensions.
fn hello_message(extensions: &[Vec<u8>]) -> Vec<u8> {
    let exts: Vec<u8> = extensions.concat();
    let mut body = vec![3, 3];
    body.extend([7u8; 32]);
    body.push(32);
    body.extend([9u8; 32]);
    body.extend([0, 4, 0x13, 0x01, 0xc0, 0x2f]);
    body.extend([1, 0]);
    body.extend(u16be(exts.len()));
    body.extend(exts);
    let mut msg = vec![1, 0];
    msg.extend(u16be(body.len()));
    msg.extend(body);
    msg
}

/// `message` in handshake records of at most `max` bytes each.
fn records(message: &[u8], max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for part in message.chunks(max) {
        out.extend([22, 3, 1]);
        out.extend(u16be(part.len()));
        out.extend(part);
    }
    out
}

/// A ClientHello in one record whose server name is `name`, after two other extensions.
pub(crate) fn client_hello(name: &[u8]) -> Vec<u8> {
    let exts = [other_extension(11, 2), other_extension(10, 8), server_name(&[name])];
    records(&hello_message(&exts), 1 << 14)
}

fn other_extension(ty: u16, len: usize) -> Vec<u8> {
    let mut ext = ty.to_be_bytes().to_vec();
    ext.extend(u16be(len));
    ext.extend(std::iter::repeat_n(0x5a, len));
    ext
}

fn read_all(stream: &[u8], cuts: &[usize]) -> (Step, Metadata) {
    let mut reader = HelloReader::new();
    let mut meta = Metadata::new();
    let mut last = Step::NeedMore;
    let mut at = 0;
    for &cut in cuts.iter().chain([stream.len()].iter()) {
        let piece = &stream[at..cut.max(at)];
        at = cut.max(at);
        if piece.is_empty() {
            continue;
        }
        last = reader.read(piece, Direction::Initiator, &mut meta);
        if last != Step::NeedMore {
            break;
        }
    }
    (last, meta)
}

fn step(stream: &[u8]) -> Step {
    read_all(stream, &[]).0
}

const HASH_HEX: &[u8; 40] = b"c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
const HASH: [u8; 20] = [
    0xc1, 0x2f, 0xe1, 0xc0, 0x6b, 0xba, 0x25, 0x4a, 0x9d, 0xc9, 0xf5, 0x19, 0xb3, 0x35, 0xaa, 0x7c,
    0x13, 0x67, 0xa8, 0x8a,
];

#[test]
fn openssl_hello_with_an_info_hash_name() {
    let (s, meta) = read_all(OPENSSL_HELLO, &[]);
    assert_eq!(s, Step::InfoHash);
    let mut expect = [0u8; 20];
    for (i, pair) in OPENSSL_NAME.chunks(2).enumerate() {
        expect[i] = u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap();
    }
    assert_eq!(meta.info_hash().unwrap().as_bytes(), &expect[..]);
}

#[test]
fn any_cut_gives_the_same_step_and_hash() {
    let stream = records(
        &hello_message(&[other_extension(23, 0), server_name(&[HASH_HEX]), other_extension(21, 200)]),
        1 << 14,
    );
    for cut in 0..=stream.len() {
        let (s, meta) = read_all(&stream, &[cut]);
        assert_eq!(s, Step::InfoHash, "cut at {cut}");
        assert_eq!(meta.info_hash().unwrap().as_bytes(), &HASH[..]);
    }
    let bytes: Vec<usize> = (1..stream.len()).collect();
    assert_eq!(read_all(&stream, &bytes).0, Step::InfoHash);
}

#[test]
fn a_hello_fragmented_across_records() {
    let message = hello_message(&[other_extension(10, 8), server_name(&[HASH_HEX])]);
    for max in [1, 2, 3, 7, 40, 77, 100] {
        assert_eq!(step(&records(&message, max)), Step::InfoHash, "records of {max}");
    }
}

/// libtorrent's accepting peer reads the first 40 characters as hex of either case and
/// ignores the rest, but only a modified client sends anything but 40 lower-case digits: such
/// names are what other TLS clients could send too, and are not read (a documented miss).
#[test]
fn only_libtorrents_own_form_is_read() {
    for name in [
        HASH_HEX.to_ascii_uppercase().to_vec(),
        [HASH_HEX.as_slice(), b"0"].concat(),
        [HASH_HEX.as_slice(), b"zzzz"].concat(),
        [HASH_HEX.as_slice(), b".example.com"].concat(),
    ] {
        let stream = records(&hello_message(&[server_name(&[&name])]), 1 << 14);
        assert_eq!(step(&stream), Step::Other, "{name:?}");
    }
}

#[test]
fn other_names_are_no_info_hash() {
    let mut dotted = HASH_HEX.to_vec();
    dotted.extend(b".example.com");
    let mut bad_digit = *HASH_HEX;
    bad_digit[39] = b'g';
    let cases: [Vec<Vec<u8>>; 8] = [
        vec![server_name(&[b"example.com"])],
        vec![server_name(&[&dotted])],
        vec![server_name(&[&HASH_HEX[..39]])],
        vec![server_name(&[&[b"x", HASH_HEX.as_slice()].concat()])],
        vec![server_name(&[&bad_digit])],
        vec![server_name(&[HASH_HEX, b"example.com"])],
        vec![other_extension(23, 0), other_extension(43, 3)],
        vec![],
    ];
    for exts in cases {
        let stream = records(&hello_message(&exts), 1 << 14);
        assert_eq!(step(&stream), Step::Other, "{exts:?}");
    }
}

#[test]
fn not_a_client_hello() {
    let good = records(&hello_message(&[server_name(&[HASH_HEX])]), 1 << 14);
    // Another record type, another version, an empty or oversized record, a ServerHello, an
    // SSL 2 hello's first bytes.
    for (at, byte) in [(0, 23), (1, 2), (2, 5), (5, 2)] {
        let mut s = good.clone();
        s[at] = byte;
        assert_eq!(step(&s), Step::Other, "byte {at} = {byte}");
    }
    let mut empty = good.clone();
    empty[3] = 0;
    empty[4] = 0;
    assert_eq!(step(&empty), Step::Other);
    let mut big = good.clone();
    big[3] = 0x40;
    big[4] = 1;
    assert_eq!(step(&big), Step::Other);
    assert_eq!(step(&[0x80, 0x2e, 0x01, 0x00, 0x02]), Step::Other);
    // An extension longer than the extensions.
    let mut msg = hello_message(&[server_name(&[HASH_HEX])]);
    let at = msg.len() - (4 + 2 + 3 + 40) - 2;
    msg[at + 1] = msg[at + 1].wrapping_sub(1);
    assert_eq!(step(&records(&msg, 1 << 14)), Step::Other);
}

#[test]
fn state_round_trips_at_every_byte() {
    let stream = records(&hello_message(&[other_extension(5, 5), server_name(&[HASH_HEX])]), 60);
    let mut reader = HelloReader::new();
    let mut meta = Metadata::new();
    for (i, b) in stream.iter().enumerate() {
        let mut buf = [0u8; HelloReader::ENCODED_LEN];
        reader.encode(&mut StateWriter::new(&mut buf));
        assert_eq!(
            HelloReader::decode(&mut StateReader::new(&buf)),
            Some(reader),
            "byte {i}"
        );
        let s = reader.read(core::slice::from_ref(b), Direction::Initiator, &mut meta);
        if i + 1 < stream.len() {
            assert_eq!(s, Step::NeedMore, "byte {i}");
        } else {
            assert_eq!(s, Step::InfoHash);
        }
    }
}
