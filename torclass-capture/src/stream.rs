//! [`Stream`]: a byte stream read through one buffer that holds at least the record being
//! parsed, for captures that cannot be mapped (pipes, sockets, any [`Read`]).

use crate::reader::MAX_RECORD_LEN;
use std::io::{self, Read};

/// The buffer a stream starts with.
pub const INITIAL_BUFFER_LEN: usize = 64 * 1024;

/// A reader and the bytes read from it but not yet consumed.
pub(crate) struct Stream {
    reader: Box<dyn Read + Send>,
    buffer: Vec<u8>,
    /// Unread bytes are `buffer[start..end]`.
    start: usize,
    end: usize,
    /// File offset of `buffer[start]`.
    offset: u64,
    exhausted: bool,
}

impl Stream {
    /// `reader`, positioned at byte `offset` of the file.
    pub(crate) fn new(reader: Box<dyn Read + Send>, offset: u64) -> Self {
        Self {
            reader,
            buffer: vec![0; INITIAL_BUFFER_LEN],
            start: 0,
            end: 0,
            offset,
            exhausted: false,
        }
    }

    /// The bytes read and not consumed.
    pub(crate) fn data(&self) -> &[u8] {
        self.buffer.get(self.start..self.end).unwrap_or_default()
    }

    /// File offset of the first byte of [`Stream::data`].
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// True once a read has returned no bytes: the end of the stream.
    pub(crate) fn is_exhausted(&self) -> bool {
        self.exhausted
    }

    /// Drop the first `n` bytes of [`Stream::data`].
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    /// Read once more, with room for a record of `len` bytes (at most [`MAX_RECORD_LEN`]) at
    /// the front of [`Stream::data`]. Moves the unread bytes (a partial record) to the front
    /// of the buffer, and grows the buffer only once it is full of this record, so that a
    /// short file claiming a long record costs nothing. Retries interrupted reads.
    pub(crate) fn refill(&mut self, len: usize) -> io::Result<()> {
        self.buffer.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        let capacity = self.buffer.len();
        if len > capacity && self.end == capacity {
            let grown = len.max(capacity.saturating_mul(2)).min(MAX_RECORD_LEN);
            self.buffer.resize(grown, 0);
        }
        let space = self.buffer.get_mut(self.end..).unwrap_or_default();
        let room = space.len();
        loop {
            match self.reader.read(space) {
                Ok(n) => {
                    self.exhausted = n == 0;
                    self.end += n.min(room);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
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
