//! The byte codec of the classifier's state ([`crate::FlowClassifier::to_state`]): little-endian
//! integers written into and read from a fixed buffer, never past its end. Every reader's
//! `encode`/`decode` pair (in `wire/`, `udp/`, `flow/`) uses it, so it sits below them all.

/// Writes integers into a state buffer. Writes past its end are dropped; the encoded sizes are
/// checked at compile time against [`FlowClassifier::STATE_LEN`](crate::FlowClassifier::STATE_LEN), so none is.
pub(crate) struct StateWriter<'a> {
    rest: core::slice::IterMut<'a, u8>,
}

impl<'a> StateWriter<'a> {
    /// A writer that fills `out` from its start.
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        Self {
            rest: out.iter_mut(),
        }
    }

    pub(crate) fn u8(&mut self, value: u8) {
        if let Some(b) = self.rest.next() {
            *b = value;
        }
    }

    pub(crate) fn u16(&mut self, value: u16) {
        self.bytes(&value.to_le_bytes());
    }

    pub(crate) fn u32(&mut self, value: u32) {
        self.bytes(&value.to_le_bytes());
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.u8(*b);
        }
    }
}

/// Reads integers from a state buffer; `None` past its end.
pub(crate) struct StateReader<'a> {
    rest: core::slice::Iter<'a, u8>,
}

impl<'a> StateReader<'a> {
    /// A reader of `state` from its start.
    pub(crate) fn new(state: &'a [u8]) -> Self {
        Self { rest: state.iter() }
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.rest.next().copied()
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut out = [0; N];
        for b in &mut out {
            *b = self.u8()?;
        }
        Some(out)
    }

    /// True if every byte left is zero (the padding of a canonical state).
    pub(crate) fn rest_is_zero(&mut self) -> bool {
        self.rest.all(|b| *b == 0)
    }

    /// A `u8` that must satisfy `valid`.
    pub(crate) fn u8_if(&mut self, valid: impl FnOnce(u8) -> bool) -> Option<u8> {
        self.u8().filter(|v| valid(*v))
    }
}
