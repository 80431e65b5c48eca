//! Snapshots: a [`FlowTable`](crate::table::FlowTable)'s live flows, an
//! [`EndpointCache`](crate::endpoints::EndpointCache) or a [`HostCache`](crate::hosts::HostCache)
//! as versioned bytes in a buffer the caller provides, and back, so that a classifier can stop
//! mid-capture and go on elsewhere (a pickled Python `Classifier`, a process that restarts).
//!
//! Each part begins with a four-byte magic and a version byte, and checks the shape of the
//! storage it is restored into (slot count, seed, timeouts): a snapshot goes back into a table or
//! cache set up as the one it was taken from. Restoring validates every byte the way
//! [`FlowClassifier::from_state`](crate::FlowClassifier::from_state) does (enum discriminants,
//! lengths, flag sets, the position of each flow in its hash window, the chains of the
//! out-of-order store), so corrupted or foreign bytes give a [`SnapshotError`], never a panic, a
//! loop or a flow table that finds the wrong flow. Integers are little-endian.
//!
//! Nothing here allocates: `save` writes into `&mut [u8]` (its length from `snapshot_len`),
//! `restore` reads from `&[u8]`.

/// Why a snapshot could not be written or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The buffer given to `save` is shorter than `snapshot_len`.
    BufferTooSmall {
        /// Bytes needed.
        required: usize,
        /// Bytes given.
        available: usize,
    },
    /// The bytes end inside a part.
    Truncated {
        /// The part being read.
        part: &'static str,
    },
    /// The bytes are not a snapshot of this kind, or of another version.
    Version {
        /// The part being read.
        part: &'static str,
    },
    /// The snapshot was taken from storage of another shape.
    Mismatch {
        /// What differs (`"slots"`, `"seed"`, …).
        what: &'static str,
    },
    /// A value no snapshot holds: corrupted bytes.
    Invalid {
        /// The field at fault.
        what: &'static str,
    },
}

impl core::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BufferTooSmall {
                required,
                available,
            } => write!(
                f,
                "snapshot buffer too small: {required} bytes needed, {available} given"
            ),
            Self::Truncated { part } => write!(f, "snapshot truncated in the {part}"),
            Self::Version { part } => {
                write!(f, "not a {part} snapshot of this version of torclass")
            }
            Self::Mismatch { what } => write!(
                f,
                "snapshot taken from storage of another shape: {what} differ"
            ),
            Self::Invalid { what } => write!(f, "corrupted snapshot: invalid {what}"),
        }
    }
}

/// Writes a snapshot into the caller's buffer; [`Writer::finish`] says whether it fitted.
pub(crate) struct Writer<'a> {
    out: &'a mut [u8],
    at: usize,
    overflow: bool,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        Self {
            out,
            at: 0,
            overflow: false,
        }
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        let end = self.at.saturating_add(bytes.len());
        match self.out.get_mut(self.at..end) {
            Some(dst) => dst.copy_from_slice(bytes),
            None => self.overflow = true,
        }
        self.at = end;
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    /// Bytes written, or [`SnapshotError::BufferTooSmall`].
    pub(crate) fn finish(self) -> Result<usize, SnapshotError> {
        if self.overflow {
            Err(SnapshotError::BufferTooSmall {
                required: self.at,
                available: self.out.len(),
            })
        } else {
            Ok(self.at)
        }
    }
}

/// Reads a snapshot; every read past the end is [`SnapshotError::Truncated`] in `part`.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    part: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], part: &'static str) -> Self {
        Self { rest: bytes, part }
    }

    /// Bytes read so far from `start`, the slice this reader was made of.
    pub(crate) fn consumed(&self, start: &[u8]) -> usize {
        start.len().saturating_sub(self.rest.len())
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or(SnapshotError::Truncated { part: self.part })?;
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(u8::from_le_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, SnapshotError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, SnapshotError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// The magic and version that begin a part, or [`SnapshotError::Version`].
    pub(crate) fn header(&mut self, magic: &[u8; 4], version: u8) -> Result<(), SnapshotError> {
        let part = self.part;
        let found: [u8; 5] = self.array().map_err(|_| SnapshotError::Version { part })?;
        if found[..4] != magic[..] || found[4] != version {
            return Err(SnapshotError::Version { part });
        }
        Ok(())
    }

    /// A `u8` that must satisfy `valid`, else [`SnapshotError::Invalid`] `what`.
    pub(crate) fn u8_if(
        &mut self,
        what: &'static str,
        valid: impl FnOnce(u8) -> bool,
    ) -> Result<u8, SnapshotError> {
        let v = self.u8()?;
        check(valid(v), what)?;
        Ok(v)
    }
}

/// `Ok` if `ok`, else [`SnapshotError::Invalid`] `what`.
pub(crate) fn check(ok: bool, what: &'static str) -> Result<(), SnapshotError> {
    if ok {
        Ok(())
    } else {
        Err(SnapshotError::Invalid { what })
    }
}

/// `Ok` if `ok`, else [`SnapshotError::Mismatch`] `what`.
pub(crate) fn same(ok: bool, what: &'static str) -> Result<(), SnapshotError> {
    if ok {
        Ok(())
    } else {
        Err(SnapshotError::Mismatch { what })
    }
}

/// An address as 17 bytes: 4 or 6, then the address (IPv4 in the first four, zeros after).
pub(crate) fn write_addr(w: &mut Writer<'_>, addr: core::net::IpAddr) {
    let mut out = [0u8; 16];
    match addr {
        core::net::IpAddr::V4(a) => {
            w.u8(4);
            if let Some(dst) = out.get_mut(..4) {
                dst.copy_from_slice(&a.octets());
            }
        }
        core::net::IpAddr::V6(a) => {
            w.u8(6);
            out = a.octets();
        }
    }
    w.bytes(&out);
}

/// The address [`write_addr`] wrote (canonical: an IPv4 address's padding must be zero).
pub(crate) fn read_addr(r: &mut Reader<'_>) -> Result<core::net::IpAddr, SnapshotError> {
    let family = r.u8()?;
    let b: [u8; 16] = r.array()?;
    match family {
        4 => {
            let (v4, pad) = b.split_at(4);
            check(pad.iter().all(|x| *x == 0), "address")?;
            let v4: [u8; 4] = v4
                .try_into()
                .map_err(|_| SnapshotError::Invalid { what: "address" })?;
            Ok(core::net::IpAddr::V4(v4.into()))
        }
        6 => Ok(core::net::IpAddr::V6(b.into())),
        _ => Err(SnapshotError::Invalid { what: "address" }),
    }
}
