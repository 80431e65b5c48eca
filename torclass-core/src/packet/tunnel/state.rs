//! [`Tunnel::to_state`] and [`Tunnel::from_state`]: a tunnel as plain bytes, for snapshots of
//! whoever keeps a flow's tunnel beside its table (`torclass-capture`'s analyzer).

use super::{Outer, Tunnel, TunnelKind};
use crate::snapshot::{read_addr, write_addr, Reader, Writer};

impl Tunnel {
    /// Bytes of [`Tunnel::to_state`].
    pub const STATE_LEN: usize = 3 + 4 + 4 + 2 * 17;

    /// The tunnel as bytes: kind, depth, which parts are set, the id, the outer ports and
    /// addresses (little-endian).
    #[must_use]
    pub fn to_state(&self) -> [u8; Self::STATE_LEN] {
        let mut out = [0; Self::STATE_LEN];
        let mut w = Writer::new(&mut out);
        let outer = self.outer();
        let (ports, has_ports) = match outer.and_then(|o| o.ports) {
            Some(p) => (p, true),
            None => ((0, 0), false),
        };
        w.u8(self.kind() as u8);
        w.u8(self.depth());
        w.u8(u8::from(self.id().is_some())
            | u8::from(outer.is_some()) << 1
            | u8::from(has_ports) << 2);
        w.u32(self.id().unwrap_or(0));
        w.u16(ports.0);
        w.u16(ports.1);
        let unspecified = core::net::IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED);
        write_addr(&mut w, outer.map_or(unspecified, |o| o.src));
        write_addr(&mut w, outer.map_or(unspecified, |o| o.dst));
        out
    }

    /// The tunnel [`Tunnel::to_state`] wrote, or `None` for other bytes.
    #[must_use]
    pub fn from_state(state: &[u8; Self::STATE_LEN]) -> Option<Self> {
        let mut r = Reader::new(state, "tunnel");
        let kind = r.u8().ok()?;
        let kind = TunnelKind::ALL.into_iter().find(|k| *k as u8 == kind)?;
        let depth = r.u8().ok()?;
        let flags = r
            .u8()
            .ok()
            .filter(|f| *f & !7 == 0 && (*f & 4 == 0 || *f & 2 != 0))?;
        let id = r.u32().ok()?;
        let ports = (r.u16().ok()?, r.u16().ok()?);
        let src = read_addr(&mut r).ok()?;
        let dst = read_addr(&mut r).ok()?;
        let outer = (flags & 2 != 0).then_some(Outer {
            src,
            dst,
            ports: (flags & 4 != 0).then_some(ports),
        });
        let tunnel = Self::new(kind, depth, outer, (flags & 1 != 0).then_some(id));
        (tunnel.to_state() == *state).then_some(tunnel)
    }
}
