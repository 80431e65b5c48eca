//! Compressed captures: gzip (RFC 1952) and zstd (RFC 8878) files are recognised by their
//! first bytes and decompressed as they are read, whatever their name says.
//!
//! Decompression streams through fixed buffers (flate2's 32 KiB window, a zstd frame's
//! window, at most [`MAX_ZSTD_WINDOW`]), so a small file that expands enormously costs time,
//! never memory. Byte offsets in the errors of a compressed capture count decompressed bytes.

use std::io::{self, BufRead, BufReader, Cursor, Read};

/// The largest zstd window accepted (the format allows up to 3.75 TiB; `zstd --long` writes
/// at most 128 MiB, `zstd -19` 8 MiB).
pub const MAX_ZSTD_WINDOW: u64 = 128 * 1024 * 1024;

/// How a capture is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// gzip, RFC 1952 (`1f 8b`), one member or several concatenated.
    Gzip,
    /// zstd, RFC 8878 (`28 b5 2f fd`), one frame or several concatenated.
    Zstd,
}

impl Compression {
    /// The compression whose magic `prefix` (a file's first bytes) starts with.
    #[must_use]
    pub fn of(prefix: &[u8]) -> Option<Self> {
        if prefix.starts_with(&[0x1f, 0x8b]) {
            Some(Self::Gzip)
        } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Self::Zstd)
        } else {
            None
        }
    }
}

/// `reader`'s bytes, decompressed if they start with a gzip or zstd magic, else as they are.
pub(crate) fn decompressed(mut reader: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let mut magic = [0u8; 4];
    let got = crate::stream::read_full(&mut reader, &mut magic)?;
    let prefix = magic.get(..got).unwrap_or_default();
    let kind = Compression::of(prefix);
    let whole = Cursor::new(prefix.to_vec()).chain(reader);
    Ok(match kind {
        None => Box::new(whole),
        Some(Compression::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        Some(Compression::Zstd) => Box::new(ZstdFrames::new(BufReader::new(whole))),
    })
}

/// The decompressed bytes of consecutive zstd frames (`ruzstd` decodes one frame at a time).
/// Skippable frames (magic `0x184D2A5?`) are decoded as empty by ruzstd.
struct ZstdFrames<R: BufRead> {
    state: Zstd<R>,
}

enum Zstd<R: BufRead> {
    /// Between frames: the source.
    Idle(R),
    /// Inside a frame (boxed: the decoder is large, the source small).
    Frame(Box<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>),
    /// After an error or the end.
    Done,
}

impl<R: BufRead> ZstdFrames<R> {
    fn new(source: R) -> Self {
        Self {
            state: Zstd::Idle(source),
        }
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, Zstd::Done) {
                Zstd::Done => return Ok(0),
                Zstd::Idle(mut source) => {
                    if source.fill_buf()?.is_empty() {
                        return Ok(0);
                    }
                    let frame = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(
                        source,
                        MAX_ZSTD_WINDOW,
                    )
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                    self.state = Zstd::Frame(Box::new(frame));
                }
                Zstd::Frame(mut frame) => {
                    let n = frame.read(buf)?;
                    self.state = if n == 0 {
                        Zstd::Idle((*frame).into_inner())
                    } else {
                        Zstd::Frame(frame)
                    };
                    if n > 0 {
                        return Ok(n);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(reader: Box<dyn Read + Send>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decompressed(reader)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn plain_bytes_pass_through_even_when_short() {
        for data in [&b""[..], b"\x1f", b"abc", b"\xd4\xc3\xb2\xa1 and more"] {
            assert_eq!(all(Box::new(Cursor::new(data.to_vec()))).unwrap(), data);
        }
    }

    #[test]
    fn gzip_members_and_zstd_frames_are_decompressed() {
        use std::io::Write as _;
        let mut gz = Vec::new();
        for part in [&b"first "[..], b"second"] {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(part).unwrap();
            gz.extend(enc.finish().unwrap());
        }
        assert_eq!(all(Box::new(Cursor::new(gz))).unwrap(), b"first second");

        let level = ruzstd::encoding::CompressionLevel::Fastest;
        let mut zst = ruzstd::encoding::compress_to_vec(&b"first "[..], level);
        zst.extend(ruzstd::encoding::compress_to_vec(&b"second"[..], level));
        assert_eq!(all(Box::new(Cursor::new(zst))).unwrap(), b"first second");
    }

    #[test]
    fn damaged_streams_are_errors_not_panics() {
        for data in [
            &b"\x1f\x8b\x08\x00garbage"[..],
            b"\x28\xb5\x2f\xfd\xff\xff\xff\xff",
            b"\x28\xb5\x2f\xfd",
        ] {
            assert!(
                all(Box::new(Cursor::new(data.to_vec()))).is_err(),
                "{data:?}"
            );
        }
    }
}
