//! From an IP datagram or a UDP payload to the IP packet a tunnel carries in it, for the
//! reference reading of [`decode`](super::decode) (the fast path hands tunnels over to it).
//!
//! The header views (`gre.rs`, `vxlan.rs`, `geneve.rs`, `teredo.rs`, `pppoe.rs`, `gtp.rs`,
//! `mpls.rs`) are written by hand,
//! not with nom (issue 19): the same GTP-U parser (flags, optional fields, an extension-header
//! chain) written with nom 8's `complete` combinators took 50 instructions per header against
//! 32 (callgrind, 1.28 M headers), and these whole-header views are a few offsets each.

use super::error::DecodeError;
use super::geneve::{self, Geneve};
use super::gre::{self, Gre};
use super::gtp::{self, GtpU};
use super::link::{self, IpPacket, IpVersion};
use super::teredo::{self, Teredo};
use super::tunnel::{Encap, Outer, Tunnel, TunnelKind};
use super::vxlan::{self, Vxlan};
use super::{Datagram, Fragment, Layer};

/// IP protocol numbers of the tunnels read here.
pub(super) mod protocol {
    /// IPv4 encapsulation (RFC 2003, RFC 2473).
    pub const IPV4: u8 = 4;
    /// IPv6 encapsulation (RFC 4213, RFC 2473).
    pub const IPV6: u8 = 41;
    /// Generic routing encapsulation (RFC 2784).
    pub const GRE: u8 = 47;
}

/// True if `protocol` is a tunnel this module reads.
pub(super) const fn is_tunnel(protocol: u8) -> bool {
    matches!(protocol, protocol::IPV4 | protocol::IPV6 | protocol::GRE)
}

/// The encapsulation inside `d` (itself inside `encap`), one deeper, cut short if `d` is a
/// first fragment.
fn inside(d: &Datagram<'_>, encap: Encap, layer: Layer) -> Result<Encap, DecodeError> {
    Ok(encap.enter(layer)?.cut(d.fragment == Fragment::First))
}

/// The tunnel to put around what `encap` carries.
fn tunnel(kind: TunnelKind, encap: Encap, outer: Option<Outer>, id: Option<u32>) -> Tunnel {
    Tunnel::new(kind, encap.depth(), outer, id)
}

/// The IP packet in `d` (inside `encap`), whose protocol is IP-in-IP (4, 41) or GRE (47), and
/// the tunnel to put around the packet decoded from it.
pub(super) fn ip_tunnel<'a>(
    d: &Datagram<'a>,
    encap: Encap,
) -> Result<(IpPacket<'a>, Tunnel), DecodeError> {
    let outer = Some(Outer {
        src: d.src,
        dst: d.dst,
        ports: None,
    });
    let v6 = d.layer == Layer::Ipv6;
    match d.protocol {
        protocol::IPV4 | protocol::IPV6 => {
            let (kind, version) = match (v6, d.protocol == protocol::IPV6) {
                (false, false) => (TunnelKind::IpIp, IpVersion::V4),
                (false, true) => (TunnelKind::SixInFour, IpVersion::V6),
                (true, false) => (TunnelKind::FourInSix, IpVersion::V4),
                (true, true) => (TunnelKind::SixInSix, IpVersion::V6),
            };
            let encap = inside(d, encap, d.layer)?;
            Ok((
                IpPacket::new(version, d.bytes, d.offset, encap),
                tunnel(kind, encap, outer, None),
            ))
        }
        _ => {
            let gre = Gre::new_checked(d.bytes, d.offset)?;
            let at = d.offset.saturating_add(gre.header_len());
            let payload = gre.payload();
            let key = gre.key();
            match gre.protocol() {
                gre::protocol::IPV4 | gre::protocol::IPV6 => {
                    let version = if gre.protocol() == gre::protocol::IPV4 {
                        IpVersion::V4
                    } else {
                        IpVersion::V6
                    };
                    let encap = inside(d, encap, Layer::Gre)?;
                    Ok((
                        IpPacket::new(version, payload, at, encap),
                        tunnel(TunnelKind::Gre, encap, outer, key),
                    ))
                }
                gre::protocol::ETHERNET => {
                    let encap = inside(d, encap, Layer::Gre)?;
                    let ip = link::ethernet(payload, at, encap)?;
                    Ok((ip, tunnel(TunnelKind::Gre, encap, outer, key)))
                }
                gre::protocol::MPLS => {
                    let encap = inside(d, encap, Layer::Gre)?;
                    let ip = link::mpls(payload, at, encap)?;
                    Ok((ip, tunnel(TunnelKind::Gre, encap, outer, key)))
                }
                gre::protocol::ERSPAN_2 | gre::protocol::ERSPAN_3 => {
                    let (frame, at, session) = gre::erspan(&gre, at)?;
                    let encap = inside(d, encap, Layer::Gre)?;
                    let ip = link::ethernet(frame, at, encap)?;
                    Ok((ip, tunnel(TunnelKind::Erspan, encap, outer, session)))
                }
                other => Err(DecodeError::Unsupported {
                    layer: Layer::Gre,
                    field: "protocol type",
                    value: other.into(),
                }),
            }
        }
    }
}

/// True if a UDP datagram from `sport` to `dport` may carry a tunnel read here: VXLAN (4789,
/// 8472), GENEVE (6081) or GTP-U (2152) to `dport`, Teredo (3544) either way.
#[inline]
pub(super) const fn is_tunnel_port(sport: u16, dport: u16) -> bool {
    matches!(
        dport,
        vxlan::PORT | vxlan::LINUX_PORT | geneve::PORT | gtp::PORT | teredo::PORT
    ) || sport == teredo::PORT
}

/// The IP packet in the UDP datagram of `d` (inside `encap`) from `sport` to `dport` (one of
/// [`is_tunnel_port`]) whose payload `payload` (`on_wire` bytes before any snapshot-length
/// cut) starts `at` bytes into the frame, or `None` when the payload is not a tunnel header
/// (the datagram is then an ordinary UDP datagram). Once the tunnel header is read, what is
/// inside decides: its errors are the packet's.
pub(super) fn udp_tunnel<'a>(
    d: &Datagram<'a>,
    encap: Encap,
    (sport, dport): (u16, u16),
    payload: &'a [u8],
    on_wire: usize,
    at: usize,
) -> Option<Result<(IpPacket<'a>, Tunnel), DecodeError>> {
    let outer = Some(Outer {
        src: d.src,
        dst: d.dst,
        ports: Some((sport, dport)),
    });
    match dport {
        vxlan::PORT | vxlan::LINUX_PORT => {
            let vxlan = Vxlan::new_checked(payload, at, dport == vxlan::LINUX_PORT).ok()?;
            let inner = at.saturating_add(vxlan.header_len());
            Some(inside(d, encap, Layer::Vxlan).and_then(|encap| {
                let ip = link::ethernet(vxlan.payload(), inner, encap)?;
                Ok((
                    ip,
                    tunnel(TunnelKind::Vxlan, encap, outer, Some(vxlan.vni())),
                ))
            }))
        }
        geneve::PORT => {
            let geneve = Geneve::new_checked(payload, at).ok()?;
            let inner = at.saturating_add(geneve.header_len);
            Some(inside(d, encap, Layer::Geneve).and_then(|encap| {
                let ip = match geneve.kind {
                    geneve::Payload::Ethernet => link::ethernet(geneve.payload, inner, encap)?,
                    geneve::Payload::Ip(version) => {
                        IpPacket::new(version, geneve.payload, inner, encap)
                    }
                };
                Ok((
                    ip,
                    tunnel(TunnelKind::Geneve, encap, outer, Some(geneve.vni)),
                ))
            }))
        }
        gtp::PORT => {
            let gtp = GtpU::new_checked(payload, at).ok()?;
            let inner = at.saturating_add(gtp.header_len);
            Some(inside(d, encap, Layer::GtpU).map(|encap| {
                (
                    IpPacket::new(IpVersion::FromNibble, gtp.payload, inner, encap),
                    tunnel(TunnelKind::GtpU, encap, outer, Some(gtp.teid)),
                )
            }))
        }
        _ => {
            // Teredo runs over IPv4 only (RFC 4380 §2.1).
            if d.layer != Layer::Ipv4 {
                return None;
            }
            let teredo = Teredo::new_checked(payload, on_wire, at).ok()?;
            let inner = at.saturating_add(teredo.header_len);
            Some(inside(d, encap, Layer::Teredo).map(|encap| {
                (
                    IpPacket::new(IpVersion::V6, teredo.packet, inner, encap),
                    tunnel(TunnelKind::Teredo, encap, outer, None),
                )
            }))
        }
    }
}
