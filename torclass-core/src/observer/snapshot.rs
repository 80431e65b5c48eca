//! [`Metadata`] in a snapshot ([`crate::snapshot`]): each field's length and the bytes it
//! covers, both listen ports, the proxy target.

use super::Metadata;
use crate::snapshot::{Reader, SnapshotError, Writer};

fn write_field(w: &mut Writer<'_>, bytes: &[u8], len: u8) {
    w.u8(len);
    w.bytes(bytes.get(..usize::from(len)).unwrap_or(bytes));
}

/// Read a field [`write_field`] wrote into `dst`; its length.
fn read_field(r: &mut Reader<'_>, dst: &mut [u8], what: &'static str) -> Result<u8, SnapshotError> {
    let len = r.u8()?;
    let part = dst.get_mut(..usize::from(len));
    let Some(part) = part else {
        return Err(SnapshotError::Invalid { what });
    };
    part.copy_from_slice(r.bytes(usize::from(len))?);
    Ok(len)
}

impl Metadata {
    pub(crate) fn save(&self, w: &mut Writer<'_>) {
        write_field(w, &self.info_hash, self.info_hash_len);
        for i in 0..2 {
            let len = |l: &[u8; 2]| l.get(i).copied().unwrap_or(0);
            if let Some(id) = self.peer_id.get(i) {
                write_field(w, id, len(&self.peer_id_len));
            }
            if let Some(name) = self.client_name.get(i) {
                write_field(w, name, len(&self.client_name_len));
            }
            if let Some(id) = self.node_id.get(i) {
                write_field(w, id, len(&self.node_id_len));
            }
            w.u16(self.listen_port.get(i).copied().unwrap_or(0));
        }
        write_field(w, &self.proxy_target, self.proxy_target_len);
    }

    pub(crate) fn restore(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        let mut m = Self::new();
        m.info_hash_len = read_field(r, &mut m.info_hash, "info-hash length")?;
        for i in 0..2 {
            let (Some(id), Some(name), Some(node)) = (
                m.peer_id.get_mut(i),
                m.client_name.get_mut(i),
                m.node_id.get_mut(i),
            ) else {
                return Err(SnapshotError::Invalid { what: "metadata" });
            };
            let lens = [
                read_field(r, id, "peer id length")?,
                read_field(r, name, "client name length")?,
                read_field(r, node, "node id length")?,
            ];
            let port = r.u16()?;
            let (Some(a), Some(b), Some(c), Some(p)) = (
                m.peer_id_len.get_mut(i),
                m.client_name_len.get_mut(i),
                m.node_id_len.get_mut(i),
                m.listen_port.get_mut(i),
            ) else {
                return Err(SnapshotError::Invalid { what: "metadata" });
            };
            [*a, *b, *c] = lens;
            *p = port;
        }
        m.proxy_target_len = read_field(r, &mut m.proxy_target, "proxy target length")?;
        Ok(m)
    }
}
