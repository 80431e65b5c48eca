//! SSDP, UPnP's discovery protocol (UPnP Device Architecture 2.0 §1.2.2 advertisement, §1.3.2
//! search request, §1.3.3 search response): HTTP-formatted messages over UDP.
//!
//! [`Ssdp::new_checked`] requires the start line to be exactly `NOTIFY * HTTP/1.1`,
//! `M-SEARCH * HTTP/1.1` or `HTTP/1.1 200 OK`, every following line up to an empty one to be
//! a `name: value` header, the header block to end with an empty line, and the header the
//! message cannot go without: `HOST` for the requests, `ST` for a search response. Bytes after
//! the empty line (a body, which SSDP does not use) are not read.
//!
//! BEP 14's `BT-SEARCH * HTTP/1.1` borrowed this format: it is not SSDP and is not accepted.

use super::{check, Error};

/// The start lines accepted, and the header each requires.
const START_LINES: [(&[u8], &[u8]); 3] = [
    (b"NOTIFY * HTTP/1.1", b"host"),
    (b"M-SEARCH * HTTP/1.1", b"host"),
    (b"HTTP/1.1 200 OK", b"st"),
];

/// Header lines read at most.
const MAX_HEADERS: usize = 64;

/// Which SSDP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `NOTIFY`: an advertisement.
    Notify,
    /// `M-SEARCH`: a search request.
    Search,
    /// `HTTP/1.1 200 OK`: a search response.
    Response,
}

/// An SSDP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ssdp<T: AsRef<[u8]>> {
    buffer: T,
    kind: Kind,
}

impl<T: AsRef<[u8]>> Ssdp<T> {
    /// Check the start line and the header block.
    ///
    /// # Errors
    /// [`Error::Field`] for another start line, a line without a colon, a missing required
    /// header, or a block with no empty line.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        // Only lines that end in a line feed count: the last piece without one is cut.
        let mut lines = data
            .split_inclusive(|b| *b == b'\n')
            .filter_map(|l| l.strip_suffix(b"\n"))
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let start = lines.next().unwrap_or_default();
        let (index, required) = START_LINES
            .iter()
            .enumerate()
            .find(|(_, (line, _))| *line == start)
            .map(|(i, (_, r))| (i, *r))
            .ok_or(Error::Field {
                field: "start-line",
                offset: 0,
            })?;
        let mut found = false;
        let mut ended = false;
        for line in lines.by_ref().take(MAX_HEADERS) {
            if line.is_empty() {
                ended = true;
                break;
            }
            let colon = line.iter().position(|b| *b == b':');
            check(colon.is_some_and(|c| c > 0), "header", 0)?;
            let name = line.get(..colon.unwrap_or_default()).unwrap_or_default();
            found |= name.trim_ascii().eq_ignore_ascii_case(required);
        }
        check(ended, "end of headers", data.len())?;
        check(found, "required header", 0)?;
        let kind = match index {
            0 => Kind::Notify,
            1 => Kind::Search,
            _ => Kind::Response,
        };
        Ok(Self { buffer, kind })
    }

    /// Which message.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_notify_response() {
        let search = b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";
        assert_eq!(Ssdp::new_checked(&search[..]).unwrap().kind(), Kind::Search);
        let response = b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://192.0.2.1:5000/d.xml\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n";
        assert_eq!(
            Ssdp::new_checked(&response[..]).unwrap().kind(),
            Kind::Response
        );
        let no_end = b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n";
        assert!(Ssdp::new_checked(&no_end[..]).is_err());
        let no_host = b"NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\n\r\n";
        assert!(Ssdp::new_checked(&no_host[..]).is_err());
        let lsd = b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n\r\n";
        assert!(Ssdp::new_checked(&lsd[..]).is_err());
        let web = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>";
        assert!(Ssdp::new_checked(&web[..]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            if let Ok(s) = Ssdp::new_checked(&data[..]) { let _ = (s.kind(), s.as_bytes().len()); }
        }
    }
}
