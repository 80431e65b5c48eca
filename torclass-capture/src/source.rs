//! [`Source`]: the byte stream pcap-parser reads from.
//!
//! pcap-parser's readers parse the file header from their first `read` and report a failed
//! `read` only as `ReadError`. So the reader sniffs the header itself, hands it back here as a
//! prefix served before the rest of the stream, and this adapter retries interrupted reads and
//! keeps the last I/O error for the message.

use std::io::{self, Read};
use std::sync::{Arc, Mutex, PoisonError};

/// The last I/O error a [`Source`] saw, shared with the reader that owns the parser.
pub(crate) type ErrorSlot = Arc<Mutex<Option<io::Error>>>;

/// A prefix of already-read bytes followed by the rest of the stream.
pub(crate) struct Source<R> {
    prefix: Vec<u8>,
    served: usize,
    inner: R,
    error: ErrorSlot,
}

impl<R: Read> Source<R> {
    pub(crate) fn new(prefix: Vec<u8>, inner: R, error: ErrorSlot) -> Self {
        Self {
            prefix,
            served: 0,
            inner,
            error,
        }
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.served < self.prefix.len() {
            let rest = self.prefix.get(self.served..).unwrap_or_default();
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.served += n;
            if self.served == self.prefix.len() {
                // The header is parsed by now: free it.
                self.prefix = Vec::new();
                self.served = 0;
            }
            return Ok(n);
        }
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let kind = e.kind();
                    *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                    return Err(kind.into());
                }
                ok => return ok,
            }
        }
    }
}

/// Read until `buf` is full or the stream ends; the number of bytes read.
pub(crate) fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
