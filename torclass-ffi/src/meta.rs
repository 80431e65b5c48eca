//! [`torclass_meta`]: what torclass extracted from a flow (info-hash, peer ids, client), in a
//! plain C struct the caller owns.

use torclass_core::observer::{Field, Number, Observer, CLIENT_NAME_CAP};
use torclass_core::{Client, Direction, Metadata};

/// Bytes of [`torclass_meta::client`], NUL included.
pub const TORCLASS_CLIENT_LEN: usize = 64;
/// Bytes of [`torclass_meta::client_version`], the BEP 10 `v` string (cut to this length).
pub const TORCLASS_CLIENT_VERSION_LEN: usize = 48;

const _: () = assert!(TORCLASS_CLIENT_VERSION_LEN == CLIENT_NAME_CAP);

/// Fields extracted from a flow. Plain data: every byte pattern is a valid value, zeroed
/// memory is an empty record, and it may be copied freely. Arrays indexed `[2]` are per
/// direction (`TORCLASS_DIRECTION_*`).
///
/// A field is complete when its length says so: `info_hash_len` is 20 (BEP 3, or BEP 52's
/// truncated SHA-256) or 32 (a `urn:btmh:` magnet), `peer_id_len[d]` and `dht_node_id_len[d]`
/// are 20. The flow's endpoints are in `torclass_flow_info.key`. Smaller values
/// mean the field is still arriving across segments.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct torclass_meta {
    /// The info-hash, `info_hash_len` bytes.
    pub info_hash: [u8; 32],
    /// The peer id each side sent (handshake or tracker request, BEP 20).
    pub peer_id: [[u8; 20]; 2],
    /// The DHT node id each side sent (BEP 5 `id`), `dht_node_id_len[d]` bytes.
    pub dht_node_id: [[u8; 20]; 2],
    /// The BEP 10 `v` string each side sent, `client_version_len[d]` bytes, not
    /// NUL-terminated.
    pub client_version: [[u8; TORCLASS_CLIENT_VERSION_LEN]; 2],
    /// The client each side runs, as NUL-terminated text such as `"Transmission 3.00"`, named
    /// as the CLI and Python name it: from the peer id, else the `v` string; empty when
    /// unknown.
    pub client: [[u8; TORCLASS_CLIENT_LEN]; 2],
    /// The port each side listens on (BEP 10 `p`, a tracker request's `port`); 0 if not seen.
    pub listen_port: [u16; 2],
    /// Bytes of `info_hash` received.
    pub info_hash_len: u8,
    /// Bytes of `peer_id[d]` received.
    pub peer_id_len: [u8; 2],
    /// Bytes of `client_version[d]` received.
    pub client_version_len: [u8; 2],
    /// Bytes of `dht_node_id[d]` received (20 when complete).
    pub dht_node_id_len: [u8; 2],
    /// Zero.
    pub reserved: u8,
}

impl Default for torclass_meta {
    fn default() -> Self {
        Self {
            info_hash: [0; 32],
            peer_id: [[0; 20]; 2],
            dht_node_id: [[0; 20]; 2],
            client_version: [[0; TORCLASS_CLIENT_VERSION_LEN]; 2],
            client: [[0; TORCLASS_CLIENT_LEN]; 2],
            listen_port: [0; 2],
            info_hash_len: 0,
            peer_id_len: [0; 2],
            client_version_len: [0; 2],
            dht_node_id_len: [0; 2],
            reserved: 0,
        }
    }
}

/// Copy `bytes` into `dst` at `offset`, growing `len` to cover them; bytes past the end are
/// dropped. `len` may hold anything the caller left there.
fn put(dst: &mut [u8], len: &mut u8, offset: u32, bytes: &[u8]) {
    let Ok(start) = usize::try_from(offset) else {
        return;
    };
    if start >= dst.len() {
        return;
    }
    for (slot, byte) in dst.iter_mut().skip(start).zip(bytes) {
        *slot = *byte;
    }
    let end = start.saturating_add(bytes.len()).min(dst.len());
    if end > usize::from(*len) {
        *len = u8::try_from(end).unwrap_or(u8::MAX);
    }
}

/// Write `text` as NUL-terminated, cut to fit.
fn put_text(dst: &mut [u8; TORCLASS_CLIENT_LEN], parts: &[&str]) {
    let mut at = 0;
    for b in parts.iter().flat_map(|p| p.bytes()) {
        if at + 1 >= dst.len() {
            break;
        }
        dst[at] = b;
        at += 1;
    }
    dst[at..].fill(0);
}

impl torclass_meta {
    /// The complete peer id `direction` sent, if any.
    fn complete_peer_id(&self, d: usize) -> Option<&[u8; 20]> {
        (self.peer_id_len[d] == 20).then_some(&self.peer_id[d])
    }

    fn version_bytes(&self, d: usize) -> &[u8] {
        let len = usize::from(self.client_version_len[d]).min(TORCLASS_CLIENT_VERSION_LEN);
        &self.client_version[d][..len]
    }

    /// Fill `client[d]` by the core's rule ([`Client::identify`]: the peer id, else the `v`
    /// string), as the CLI and Python name it.
    pub(crate) fn name_clients(&mut self) {
        for d in 0..2 {
            let version = self.version_bytes(d);
            let client = Client::identify(
                self.complete_peer_id(d).map(|id| &id[..]),
                (!version.is_empty()).then_some(version),
            );
            match client {
                Some(c) => {
                    let sep = if c.version().is_empty() { "" } else { " " };
                    put_text(&mut self.client[d], &[c.name(), sep, c.version()]);
                }
                None => put_text(&mut self.client[d], &[]),
            }
        }
    }

    /// The record of a table slot's [`Metadata`].
    pub(crate) fn from_metadata(m: &Metadata) -> Self {
        let mut out = Self::default();
        if let Some(ih) = m.info_hash() {
            put(&mut out.info_hash, &mut out.info_hash_len, 0, ih.as_bytes());
        }
        for direction in [Direction::Initiator, Direction::Responder] {
            let d = direction.index();
            if let Some(id) = m.peer_id(direction) {
                put(&mut out.peer_id[d], &mut out.peer_id_len[d], 0, id);
            }
            if let Some(v) = m.client_name(direction) {
                put(
                    &mut out.client_version[d],
                    &mut out.client_version_len[d],
                    0,
                    v,
                );
            }
            if let Some(id) = m.dht_node_id(direction) {
                put(&mut out.dht_node_id[d], &mut out.dht_node_id_len[d], 0, id);
            }
            out.listen_port[d] = m.listen_port(direction).unwrap_or(0);
        }
        out.name_clients();
        out
    }
}

impl Observer for torclass_meta {
    fn field(&mut self, direction: Direction, field: Field, offset: u32, bytes: &[u8]) {
        let d = direction.index().min(1);
        match field {
            Field::InfoHash => put(&mut self.info_hash, &mut self.info_hash_len, offset, bytes),
            Field::PeerId => put(
                &mut self.peer_id[d],
                &mut self.peer_id_len[d],
                offset,
                bytes,
            ),
            Field::ClientName => put(
                &mut self.client_version[d],
                &mut self.client_version_len[d],
                offset,
                bytes,
            ),
            Field::DhtNodeId => put(
                &mut self.dht_node_id[d],
                &mut self.dht_node_id_len[d],
                offset,
                bytes,
            ),
            _ => {}
        }
    }

    fn number(&mut self, direction: Direction, number: Number, value: u64) {
        if let (Number::ListenPort, Ok(port)) = (number, u16::try_from(value)) {
            self.listen_port[direction.index().min(1)] = port;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_reassemble_and_name_the_client() {
        let mut m = torclass_meta::default();
        m.field(Direction::Responder, Field::PeerId, 0, b"-TR3000-");
        m.field(Direction::Responder, Field::PeerId, 8, b"abcdefghijkl");
        m.field(Direction::Initiator, Field::InfoHash, u32::MAX, b"x");
        m.name_clients();
        assert_eq!(m.peer_id_len, [0, 20]);
        assert_eq!(m.info_hash_len, 0);
        assert_eq!(&m.client[1][..17], b"Transmission 3.00");
        assert_eq!(m.client[1][17], 0);
        assert_eq!(m.client[0][0], 0);
    }

    #[test]
    fn clients_are_named_as_the_cli_names_them() {
        let mut m = torclass_meta::default();
        m.field(
            Direction::Initiator,
            Field::ClientName,
            0,
            b"libtorrent/2.0.8.0",
        );
        m.name_clients();
        m.field(
            Direction::Initiator,
            Field::PeerId,
            0,
            b"-LT2080-abcdefghijkl",
        );
        m.name_clients();
        let end = m.client[0].iter().position(|&b| b == 0).unwrap_or(64);
        assert_eq!(&m.client[0][..end], b"libtorrent-rasterbar 2.0.8");
    }

    #[test]
    fn garbage_lengths_are_harmless() {
        let mut m = torclass_meta {
            client_version_len: [255, 255],
            peer_id_len: [200, 7],
            ..torclass_meta::default()
        };
        m.name_clients();
        m.field(Direction::Initiator, Field::ClientName, 47, b"abc");
        assert_eq!(m.client_version_len[0], 255);
    }
}
