//! ONC RPC messages over UDP (RFC 5531 §9 and §8.2), the framing of NFSv2/v3, MOUNT, NLM and
//! the portmapper.
//!
//! A call is `xid`, message type 0, RPC version 2, program, version, procedure, then the
//! credential and the verifier (each a flavor, a length of at most 400 and an opaque body
//! padded to 4 bytes), then the procedure's arguments. A reply is `xid`, message type 1, and
//! either MSG_ACCEPTED (0) with a verifier and an accept status 0–5, or MSG_DENIED (1) with a
//! reject status: RPC_MISMATCH (0, two versions) or AUTH_ERROR (1, an auth status).
//! [`Rpc::new_checked`] checks those fixed values, that the flavors are ones in use (AUTH_NONE
//! 0, AUTH_SYS 1, AUTH_SHORT 2, AUTH_DH 3, RPCSEC_GSS 6, AUTH_TLS 7 of RFC 9289) and that the
//! bodies fit; the arguments and results after them are not read.
//!
//! The look-alike: a call's bytes 8–11 are the RPC version 2, which is BEP 15's scrape action,
//! so an NFS call of 16 + 20n bytes has the shape of a scrape request.

use super::{check, need, Error};
use crate::wire::bytes::be_u32;

mod field {
    pub const XID: usize = 0;
    pub const MSG_TYPE: usize = 4;
    pub const RPCVERS: usize = 8;
    pub const PROG: usize = 12;
    pub const CRED: usize = 24;
    pub const REPLY_STAT: usize = 8;
    pub const REPLY_BODY: usize = 12;
}

/// The RPC protocol version (RFC 5531 §9).
pub const RPC_VERSION: u32 = 2;
/// Longest opaque authentication body (RFC 5531 §8.2).
pub const MAX_AUTH_BYTES: u32 = 400;

/// Call or reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// CALL (0).
    Call,
    /// REPLY (1).
    Reply,
}

/// An ONC RPC call or reply header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rpc<T: AsRef<[u8]>> {
    buffer: T,
    kind: MessageType,
}

impl<T: AsRef<[u8]>> Rpc<T> {
    /// Check the header up to the arguments or results.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the header or an auth body does not fit, [`Error::Field`] for
    /// a value RFC 5531 does not allow.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        need(data, 0, field::REPLY_BODY)?;
        let word = |at| be_u32(data, at).unwrap_or(u32::MAX);
        let kind = match word(field::MSG_TYPE) {
            0 => {
                check(
                    word(field::RPCVERS) == RPC_VERSION,
                    "rpcvers",
                    field::RPCVERS,
                )?;
                need(data, field::PROG, 12)?;
                let after = auth(data, field::CRED)?;
                auth(data, after)?;
                MessageType::Call
            }
            1 => {
                match word(field::REPLY_STAT) {
                    0 => {
                        let at = auth(data, field::REPLY_BODY)?;
                        need(data, at, 4)?;
                        check(word(at) <= 5, "accept_stat", at)?;
                    }
                    1 => {
                        need(data, field::REPLY_BODY, 4)?;
                        match word(field::REPLY_BODY) {
                            0 => need(data, field::REPLY_BODY, 12)?,
                            1 => {
                                need(data, field::REPLY_BODY, 8)?;
                                let stat = field::REPLY_BODY.saturating_add(4);
                                check(matches!(word(stat), 0..=7 | 13 | 14), "auth_stat", stat)?;
                            }
                            _ => {
                                return Err(Error::Field {
                                    field: "reject_stat",
                                    offset: field::REPLY_BODY,
                                })
                            }
                        }
                    }
                    _ => {
                        return Err(Error::Field {
                            field: "reply_stat",
                            offset: field::REPLY_STAT,
                        })
                    }
                }
                MessageType::Reply
            }
            _ => {
                return Err(Error::Field {
                    field: "mtype",
                    offset: field::MSG_TYPE,
                })
            }
        };
        Ok(Self { buffer, kind })
    }

    /// The transaction id.
    pub fn xid(&self) -> u32 {
        be_u32(self.buffer.as_ref(), field::XID).unwrap_or_default()
    }

    /// Call or reply.
    pub fn message_type(&self) -> MessageType {
        self.kind
    }

    /// The program number of a call (100003 for NFS).
    pub fn program(&self) -> Option<u32> {
        match self.kind {
            MessageType::Call => be_u32(self.buffer.as_ref(), field::PROG),
            MessageType::Reply => None,
        }
    }
}

/// An `opaque_auth` at `offset`: flavor, length, body; returns the offset after it.
fn auth(data: &[u8], offset: usize) -> Result<usize, Error> {
    need(data, offset, 8)?;
    let flavor = be_u32(data, offset).unwrap_or_default();
    check(matches!(flavor, 0..=3 | 6 | 7), "flavor", offset)?;
    let len = be_u32(data, offset.saturating_add(4)).unwrap_or_default();
    check(len <= MAX_AUTH_BYTES, "length", offset.saturating_add(4))?;
    check(flavor != 0 || len == 0, "length", offset.saturating_add(4))?;
    let padded = usize::try_from(len).unwrap_or(usize::MAX).saturating_add(3) & !3;
    let body = offset.saturating_add(8);
    need(data, body, padded)?;
    Ok(body.saturating_add(padded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn words(w: &[u32]) -> Vec<u8> {
        w.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    #[test]
    fn nfs_call_and_reply() {
        // NFSv3 GETATTR with AUTH_SYS (stamp, "h", uid, gid, no gids), AUTH_NONE verifier.
        let mut call = words(&[0x1234, 0, 2, 100_003, 3, 1, 1, 20, 7, 1]);
        call.extend_from_slice(b"h\0\0\0");
        call.extend_from_slice(&words(&[0, 0, 0, 0, 0, 8, 1, 2]));
        let rpc = Rpc::new_checked(&call[..]).unwrap();
        assert_eq!(
            (rpc.xid(), rpc.message_type(), rpc.program()),
            (0x1234, MessageType::Call, Some(100_003))
        );
        let reply = words(&[0x1234, 1, 0, 0, 0, 0, 1, 2]);
        assert_eq!(
            Rpc::new_checked(&reply[..]).unwrap().message_type(),
            MessageType::Reply
        );
        let denied = words(&[9, 1, 1, 1, 5]);
        assert!(Rpc::new_checked(&denied[..]).is_ok());
        for bad in [
            words(&[1, 0, 3, 100_003, 3, 1, 0, 0, 0, 0]),
            words(&[1, 0, 2, 100_003, 3, 1, 5, 0, 0, 0]),
            words(&[1, 0, 2, 100_003, 3, 1, 1, 401, 0, 0]),
            words(&[1, 1, 0, 0, 0, 6]),
            words(&[1, 2, 0, 0, 0, 0]),
        ] {
            assert!(Rpc::new_checked(&bad[..]).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            if let Ok(r) = Rpc::new_checked(&data[..]) { let _ = (r.xid(), r.program()); }
        }
    }
}
