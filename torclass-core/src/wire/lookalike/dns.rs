//! DNS messages (RFC 1035 §4.1) over UDP, with EDNS(0) (RFC 6891 §6.1), EDNS padding
//! (RFC 7830) and mDNS (RFC 6762 §18), and DNSCrypt v2 responses.
//!
//! A DNS datagram is a 12-byte header (§4.1.1: id, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT)
//! followed by exactly that many questions (§4.1.2: name, QTYPE, QCLASS) and resource records
//! (§4.1.3: name, TYPE, CLASS, TTL, RDLENGTH, RDATA). [`Dns::new_checked`] walks all of them and
//! requires the walk to end at the end of the datagram, so random bytes almost never pass:
//! every count, name and length must add up.
//!
//! Checked: opcode QUERY, IQUERY, STATUS, NOTIFY or UPDATE (§4.1.1, RFC 1996, RFC 2136); the Z
//! bit zero; RCODE zero in a query; at least one question or record; names of labels of at
//! most 63 bytes, at most 255 bytes in all, ending in the root label or a compression pointer
//! (§4.1.4) that points backwards into the message; QCLASS/CLASS IN, CH, HS, NONE or ANY (the
//! top bit is mDNS's unicast-response or cache-flush flag); A and AAAA data of 4 and 16 bytes;
//! an OPT record (RFC 6891 §6.1.2) only in the additional section, with the root name, EDNS
//! version 0 and options that fill its data exactly.
//!
//! The look-alike this exists for: a DNS query with an OPT record, padded (RFC 7830) as
//! DNSCrypt and DoH-style resolvers' clients send it to UDP 443, reads as a BEP 15 announce:
//! NSCOUNT 0 and ARCOUNT 1 are bytes 8–11, action 1, and the padding zeros pass the announce's
//! field checks.
//!
//! DNSCrypt (<https://dnscrypt.info/protocol>) encrypts queries and responses; only a response
//! is recognisable, by its fixed 8-byte resolver magic ([`is_dnscrypt_response`]). Its
//! certificate look-ups are plain DNS TXT queries.

use super::{check, need, Error};
use crate::wire::bytes::{be_u16, u8_at};

mod field {
    pub const ID: usize = 0;
    pub const FLAGS: usize = 2;
    pub const QDCOUNT: usize = 4;
    pub const ANCOUNT: usize = 6;
    pub const NSCOUNT: usize = 8;
    pub const ARCOUNT: usize = 10;
    pub const HEADER_LEN: usize = 12;
    /// TYPE, CLASS, TTL, RDLENGTH after a record's name.
    pub const RR_FIXED_LEN: usize = 10;
    /// QTYPE, QCLASS after a question's name.
    pub const QUESTION_FIXED_LEN: usize = 4;
}

/// The resolver magic that starts every DNSCrypt v2 response.
pub const DNSCRYPT_RESOLVER_MAGIC: [u8; 8] = *b"r6fnvWj8";

/// DNSCrypt response: magic, 24-byte nonce, and at least the 16-byte MAC of the encrypted
/// response.
const DNSCRYPT_MIN_LEN: usize = 8 + 24 + 16;

const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const TYPE_OPT: u16 = 41;
const MAX_NAME_LEN: usize = 255;
const MAX_LABEL_LEN: u8 = 63;

/// A DNS message whose header, questions and records fill the datagram exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dns<T: AsRef<[u8]>> {
    buffer: T,
    edns: Option<u16>,
}

impl<T: AsRef<[u8]>> Dns<T> {
    /// Walk the header, questions and records; see the module docs for what is checked.
    ///
    /// # Errors
    /// [`Error::Truncated`] for a cut header, name or record, [`Error::Field`] for a value
    /// the RFCs do not allow, [`Error::Length`] when the records end before the datagram.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let edns = walk(buffer.as_ref())?;
        Ok(Self { buffer, edns })
    }

    fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The message id.
    pub fn id(&self) -> u16 {
        be_u16(self.data(), field::ID).unwrap_or_default()
    }

    /// True for a response (QR set).
    pub fn is_response(&self) -> bool {
        be_u16(self.data(), field::FLAGS).unwrap_or_default() & 0x8000 != 0
    }

    /// QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT.
    pub fn counts(&self) -> [u16; 4] {
        [
            field::QDCOUNT,
            field::ANCOUNT,
            field::NSCOUNT,
            field::ARCOUNT,
        ]
        .map(|at| be_u16(self.data(), at).unwrap_or_default())
    }

    /// The requestor's UDP payload size from an OPT record, if the message has one.
    pub fn edns_udp_size(&self) -> Option<u16> {
        self.edns
    }
}

/// True if `datagram` starts with the DNSCrypt resolver magic and is long enough for its
/// nonce and MAC.
#[must_use]
pub fn is_dnscrypt_response(datagram: &[u8]) -> bool {
    datagram.len() >= DNSCRYPT_MIN_LEN && datagram.starts_with(&DNSCRYPT_RESOLVER_MAGIC)
}

fn walk(data: &[u8]) -> Result<Option<u16>, Error> {
    need(data, 0, field::HEADER_LEN)?;
    let flags = be_u16(data, field::FLAGS).unwrap_or_default();
    let response = flags & 0x8000 != 0;
    let opcode = (flags >> 11) & 0x0f;
    check(matches!(opcode, 0 | 1 | 2 | 4 | 5), "OPCODE", field::FLAGS)?;
    check(flags & 0x0040 == 0, "Z", field::FLAGS)?;
    check(response || flags & 0x000f == 0, "RCODE", field::FLAGS)?;
    let count = |at| be_u16(data, at).unwrap_or_default();
    let questions = count(field::QDCOUNT);
    let sections = [
        count(field::ANCOUNT),
        count(field::NSCOUNT),
        count(field::ARCOUNT),
    ];
    let total = sections
        .iter()
        .fold(u32::from(questions), |a, n| a.saturating_add(u32::from(*n)));
    check(total > 0, "QDCOUNT", field::QDCOUNT)?;
    let mut offset = field::HEADER_LEN;
    for _ in 0..questions {
        offset = name(data, offset)?;
        need(data, offset, field::QUESTION_FIXED_LEN)?;
        let qtype = be_u16(data, offset).unwrap_or_default();
        let qclass = be_u16(data, offset.saturating_add(2)).unwrap_or_default();
        check(qtype != 0, "QTYPE", offset)?;
        check(class_is_known(qclass), "QCLASS", offset.saturating_add(2))?;
        offset = offset.saturating_add(field::QUESTION_FIXED_LEN);
    }
    let mut edns = None;
    for (section, n) in sections.iter().enumerate() {
        for _ in 0..*n {
            let start = offset;
            offset = name(data, offset)?;
            need(data, offset, field::RR_FIXED_LEN)?;
            let ty = be_u16(data, offset).unwrap_or_default();
            let class = be_u16(data, offset.saturating_add(2)).unwrap_or_default();
            let rdlength = usize::from(be_u16(data, offset.saturating_add(8)).unwrap_or_default());
            let rdata = offset.saturating_add(field::RR_FIXED_LEN);
            need(data, rdata, rdlength)?;
            check(ty != 0, "TYPE", offset)?;
            if ty == TYPE_OPT {
                // RFC 6891 §6.1.1–6.1.3: additional section, root name, version 0, Z zero.
                check(section == 2 && edns.is_none(), "OPT", start)?;
                check(offset == start.saturating_add(1), "NAME", start)?;
                let version = u8_at(data, offset.saturating_add(5)).unwrap_or_default();
                check(version == 0, "VERSION", offset.saturating_add(5))?;
                let z = be_u16(data, offset.saturating_add(6)).unwrap_or_default();
                check(z & 0x7fff == 0, "Z", offset.saturating_add(6))?;
                options(data, rdata, rdlength)?;
                edns = Some(class);
            } else {
                check(class_is_known(class), "CLASS", offset.saturating_add(2))?;
                let fixed = match ty {
                    TYPE_A => Some(4),
                    TYPE_AAAA => Some(16),
                    _ => None,
                };
                check(
                    fixed.is_none_or(|n| n == rdlength),
                    "RDLENGTH",
                    offset.saturating_add(8),
                )?;
            }
            offset = rdata.saturating_add(rdlength);
        }
    }
    if offset != data.len() {
        return Err(Error::Length {
            consumed: offset,
            len: data.len(),
        });
    }
    Ok(edns)
}

/// IN, CH, HS, NONE, ANY, with mDNS's top bit allowed.
fn class_is_known(class: u16) -> bool {
    matches!(class & 0x7fff, 1 | 3 | 4 | 254 | 255)
}

/// Walk a name at `offset`; returns the offset after it.
fn name(data: &[u8], mut offset: usize) -> Result<usize, Error> {
    let start = offset;
    let mut len = 0usize;
    loop {
        let Some(label) = u8_at(data, offset) else {
            return Err(Error::Truncated {
                required: 1,
                available: 0,
                offset,
            });
        };
        match label & 0xc0 {
            0x00 if label == 0 => return Ok(offset.saturating_add(1)),
            0x00 => {
                check(label <= MAX_LABEL_LEN, "label", offset)?;
                len = len.saturating_add(usize::from(label)).saturating_add(1);
                check(len <= MAX_NAME_LEN, "name", start)?;
                need(data, offset, usize::from(label).saturating_add(1))?;
                offset = offset.saturating_add(usize::from(label)).saturating_add(1);
            }
            0xc0 => {
                need(data, offset, 2)?;
                let target = usize::from(be_u16(data, offset).unwrap_or_default() & 0x3fff);
                check(
                    (field::HEADER_LEN..start).contains(&target),
                    "pointer",
                    offset,
                )?;
                return Ok(offset.saturating_add(2));
            }
            _ => {
                return Err(Error::Field {
                    field: "label",
                    offset,
                })
            }
        }
    }
}

/// EDNS options (RFC 6891 §6.1.2): code, length, data, filling `len` bytes at `offset`.
fn options(data: &[u8], offset: usize, len: usize) -> Result<(), Error> {
    let end = offset.saturating_add(len);
    let mut at = offset;
    while at < end {
        need(data, at, 4)?;
        let option_len = usize::from(be_u16(data, at.saturating_add(2)).unwrap_or_default());
        at = at.saturating_add(4).saturating_add(option_len);
        check(at <= end, "OPTION-LENGTH", at)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn name(n: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for label in n.split('.').filter(|l| !l.is_empty()) {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
        out
    }

    fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
        let mut h = id.to_be_bytes().to_vec();
        h.extend_from_slice(&flags.to_be_bytes());
        for c in counts {
            h.extend_from_slice(&c.to_be_bytes());
        }
        h
    }

    /// The DNSCrypt certificate query with EDNS(0) and RFC 8467 block padding to 128 bytes.
    fn padded_query() -> Vec<u8> {
        let mut q = header(0x1f2e, 0x0100, [1, 0, 0, 1]);
        q.extend_from_slice(&name("2.dnscrypt-cert.resolver.example"));
        q.extend_from_slice(&[0, 16, 0, 1]); // TXT IN
        let opt_fixed = 11 + 4;
        let pad = 128 - q.len() - opt_fixed;
        q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0]);
        q.extend_from_slice(&((4 + pad) as u16).to_be_bytes());
        q.extend_from_slice(&[0, 12]);
        q.extend_from_slice(&(pad as u16).to_be_bytes());
        q.extend(std::iter::repeat_n(0, pad));
        q
    }

    #[test]
    fn padded_edns_query_is_dns_and_reads_as_an_announce_shape() {
        let q = padded_query();
        assert_eq!(q.len(), 128);
        let d = Dns::new_checked(&q[..]).unwrap();
        assert_eq!(d.edns_udp_size(), Some(1232));
        assert_eq!(d.counts(), [1, 0, 0, 1]);
        assert!(!d.is_response());
        assert_eq!(d.id(), 0x1f2e);
        assert_eq!(&q[8..12], &[0, 0, 0, 1]);
    }

    #[test]
    fn response_with_compression() {
        let mut r = header(7, 0x8180, [1, 1, 0, 0]);
        r.extend_from_slice(&name("www.example.com"));
        r.extend_from_slice(&[0, 1, 0, 1]);
        r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 80]);
        assert!(Dns::new_checked(&r[..]).unwrap().is_response());
        // A forward pointer, an A record of 5 bytes, a trailing byte: each rejected.
        let mut forward = r.clone();
        forward[33] = 200;
        assert!(Dns::new_checked(&forward[..]).is_err());
        let mut trailing = r.clone();
        trailing.push(0);
        assert_eq!(
            Dns::new_checked(&trailing[..]),
            Err(Error::Length {
                consumed: r.len(),
                len: r.len() + 1
            })
        );
        assert!(Dns::new_checked(&r[..r.len() - 1]).is_err());
    }

    #[test]
    fn rejects_bad_headers() {
        let mut q = header(1, 0x0100, [1, 0, 0, 0]);
        q.extend_from_slice(&name("a.b"));
        q.extend_from_slice(&[0, 1, 0, 1]);
        assert!(Dns::new_checked(&q[..]).is_ok());
        for (flags, why) in [
            (0x1900, "opcode 3"),
            (0x0140, "Z"),
            (0x0101, "rcode in query"),
        ] {
            let mut bad = q.clone();
            bad[2..4].copy_from_slice(&u16::to_be_bytes(flags));
            assert!(Dns::new_checked(&bad[..]).is_err(), "{why}");
        }
        let mut class = q.clone();
        let at = class.len() - 1;
        class[at] = 2;
        assert!(Dns::new_checked(&class[..]).is_err());
        assert!(Dns::new_checked(&header(1, 0, [0; 4])[..]).is_err());
    }

    #[test]
    fn dnscrypt_magic() {
        let mut r = DNSCRYPT_RESOLVER_MAGIC.to_vec();
        r.extend_from_slice(&[7; 24 + 16 + 64]);
        assert!(is_dnscrypt_response(&r));
        assert!(!is_dnscrypt_response(&r[..40]));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            if let Ok(d) = Dns::new_checked(&data[..]) {
                let _ = (d.id(), d.counts(), d.edns_udp_size(), d.is_response());
            }
        }
    }
}
