//! The pcapng format: sections, each a section header block, interface description blocks
//! and packet blocks, in the section's byte order.
//!
//! Packets come from enhanced packet blocks (EPB), simple packet blocks (SPB: interface 0,
//! captured length `min(original length, snaplen)`, no timestamp) and the obsolete packet
//! block (PB). Every other block is skipped. Each interface has its own link type, snapshot
//! length, `if_tsresol` (10^-n or 2^-n seconds) and `if_tsoffset`.

use crate::error::{CaptureErrorKind, Unit};
use crate::reader::{read_u32, Need, Packet, MAX_RECORD_LEN};
use crate::time;
use pcap_parser::pcapng::{
    parse_block_be, parse_block_le, Block, EnhancedPacketBlock, InterfaceDescriptionBlock,
    OptionCode, SimplePacketBlock, UnknownBlock,
};

/// The most interface description blocks one section may declare.
pub const MAX_INTERFACES: u32 = 4096;

mod field {
    /// Block type of a section header block (a palindrome: the same in both byte orders).
    pub const SHB_TYPE: u32 = 0x0A0D_0D0A;
    /// Block type of the obsolete packet block.
    pub const PB_TYPE: u32 = 0x0000_0002;
    /// The byte-order magic as written by a little-endian writer, read little-endian.
    pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
    /// Offset of the block total length.
    pub const LENGTH: usize = 4;
    /// Offset of the byte-order magic in a section header block.
    pub const BYTE_ORDER: usize = 8;
    /// Bytes needed to know a block's length (type and length; the SHB also needs its
    /// byte-order magic).
    pub const BLOCK_HEADER_LEN: usize = 8;
    pub const SHB_PREFIX_LEN: usize = 12;
    /// Smallest block: type, length, trailing length.
    pub const MIN_BLOCK_LEN: u32 = 12;
    /// Offset of the packet data in an EPB and a PB.
    pub const EPB_DATA: usize = 28;
    /// Offset of the packet data in an SPB.
    pub const SPB_DATA: usize = 12;
    /// Offsets in an obsolete PB's body (after type and length).
    pub const PB_INTERFACE: usize = 0;
    pub const PB_TS_HIGH: usize = 4;
    pub const PB_TS_LOW: usize = 8;
    pub const PB_CAPLEN: usize = 12;
    pub const PB_ORIGLEN: usize = 16;
    pub const PB_DATA: usize = 20;
}

pub(crate) use field::{SHB_PREFIX_LEN, SHB_TYPE};

/// A block's name for messages, by block type.
pub(crate) fn block_name(block_type: u32) -> Option<&'static str> {
    Some(match block_type {
        field::SHB_TYPE => "section header",
        0x0000_0001 => "interface description",
        field::PB_TYPE => "packet",
        0x0000_0003 => "simple packet",
        0x0000_0004 => "name resolution",
        0x0000_0005 => "interface statistics",
        0x0000_0006 => "enhanced packet",
        0x0000_0009 => "systemd journal export",
        0x0000_000A => "decryption secrets",
        _ => return None,
    })
}

/// The length of the section header block starting `prefix`, read in the byte order its
/// byte-order magic gives (which needs [`SHB_PREFIX_LEN`] bytes).
pub(crate) fn section_header(prefix: &[u8]) -> Result<Need, CaptureErrorKind> {
    let Some(magic) = read_u32(prefix, field::BYTE_ORDER, false) else {
        return Ok(Need::Header {
            unit: Unit::PcapngBlock(field::SHB_TYPE),
            len: field::SHB_PREFIX_LEN,
        });
    };
    let big_endian = match magic {
        field::BYTE_ORDER_MAGIC => false,
        m if m.swap_bytes() == field::BYTE_ORDER_MAGIC => true,
        m => {
            return Err(CaptureErrorKind::BadByteOrderMagic {
                magic: m.swap_bytes(),
            })
        }
    };
    block_len(prefix, field::SHB_TYPE, big_endian)
}

fn block_len(data: &[u8], block_type: u32, big_endian: bool) -> Result<Need, CaptureErrorKind> {
    let unit = Unit::PcapngBlock(block_type);
    let Some(length) = read_u32(data, field::LENGTH, big_endian) else {
        return Ok(Need::Header {
            unit,
            len: field::BLOCK_HEADER_LEN,
        });
    };
    if length < field::MIN_BLOCK_LEN || length % 4 != 0 {
        return Err(CaptureErrorKind::BadBlockLength { block_type, length });
    }
    if length as usize > MAX_RECORD_LEN {
        return Err(CaptureErrorKind::TooLarge {
            unit,
            length: length.into(),
            max: MAX_RECORD_LEN as u64,
        });
    }
    Ok(Need::Record {
        unit,
        len: length as usize,
    })
}

/// One interface description.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link_type: u32,
    snaplen: u32,
    tsresol: u8,
    tsoffset: i64,
}

impl Interface {
    fn new(idb: &InterfaceDescriptionBlock<'_>, big_endian: bool) -> Self {
        // pcap-parser reads if_tsoffset little-endian whatever the section's byte order.
        let tsoffset = idb
            .options
            .iter()
            .find(|o| o.code == OptionCode::IfTsoffset)
            .and_then(|o| o.as_bytes().ok())
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, |b| {
                if big_endian {
                    i64::from_be_bytes(b)
                } else {
                    i64::from_le_bytes(b)
                }
            });
        Self {
            // The block stores a 16-bit link type.
            link_type: (idb.linktype.0 as u32) & 0xffff,
            snaplen: idb.snaplen,
            tsresol: idb.if_tsresol,
            tsoffset,
        }
    }

    fn check_caplen(&self, caplen: u32) -> Result<(), CaptureErrorKind> {
        if self.snaplen != 0 && caplen > self.snaplen {
            return Err(CaptureErrorKind::CaplenExceedsSnaplen {
                caplen,
                snaplen: self.snaplen,
            });
        }
        Ok(())
    }

    fn ts(&self, high: u32, low: u32) -> i128 {
        let ticks = (u64::from(high) << 32) | u64::from(low);
        time::pcapng_nanos(ticks, self.tsresol, self.tsoffset)
    }
}

/// The state of the current section: its byte order and its interfaces.
#[derive(Debug, Default)]
pub(crate) struct PcapngState {
    big_endian: bool,
    interfaces: Vec<Interface>,
}

impl PcapngState {
    /// How many bytes the block at the start of `data` needs.
    pub(crate) fn need(&self, data: &[u8]) -> Result<Need, CaptureErrorKind> {
        // The SHB type is a palindrome, so it reads the same before the byte order is known.
        match read_u32(data, 0, self.big_endian) {
            None => Ok(Need::Header {
                unit: Unit::PcapngBlockHeader,
                len: field::BLOCK_HEADER_LEN,
            }),
            Some(field::SHB_TYPE) => section_header(data),
            Some(block_type) => block_len(data, block_type, self.big_endian),
        }
    }

    /// Take in `record`, a whole block of the length [`PcapngState::need`] gave: the packet
    /// it carries, if any.
    pub(crate) fn record(&mut self, record: &[u8]) -> Result<Option<Packet>, CaptureErrorKind> {
        let parse = if self.big_endian {
            parse_block_be
        } else {
            parse_block_le
        };
        match parse(record) {
            Ok(([], block)) => self.block(&block),
            _ => {
                let block_type = read_u32(record, 0, self.big_endian).unwrap_or_default();
                Err(CaptureErrorKind::Malformed {
                    unit: Unit::PcapngBlock(block_type),
                })
            }
        }
    }

    /// Take in a block pcap-parser has parsed: the packet it carries, if any.
    fn block(&mut self, block: &Block<'_>) -> Result<Option<Packet>, CaptureErrorKind> {
        match block {
            Block::SectionHeader(shb) => {
                self.big_endian = shb.big_endian();
                self.interfaces.clear();
                Ok(None)
            }
            Block::InterfaceDescription(idb) => {
                if self.interfaces.len() >= MAX_INTERFACES as usize {
                    return Err(CaptureErrorKind::TooManyInterfaces {
                        max: MAX_INTERFACES,
                    });
                }
                self.interfaces.push(Interface::new(idb, self.big_endian));
                Ok(None)
            }
            Block::EnhancedPacket(epb) => self.enhanced(epb).map(Some),
            Block::SimplePacket(spb) => self.simple(spb).map(Some),
            Block::Unknown(b) if self.native(b.block_type) == field::PB_TYPE => {
                self.obsolete(b).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// A block type as pcap-parser stores it (read little-endian) in the section's order.
    fn native(&self, raw: u32) -> u32 {
        if self.big_endian {
            raw.swap_bytes()
        } else {
            raw
        }
    }

    fn interface(&self, id: u32) -> Result<&Interface, CaptureErrorKind> {
        self.interfaces
            .get(id as usize)
            .ok_or(CaptureErrorKind::UnknownInterface {
                interface: id,
                declared: self.interfaces.len() as u32,
            })
    }

    fn enhanced(&self, epb: &EnhancedPacketBlock<'_>) -> Result<Packet, CaptureErrorKind> {
        let interface = self.interface(epb.if_id)?;
        interface.check_caplen(epb.caplen)?;
        Ok(Packet {
            link_type: interface.link_type,
            ts_nanos: Some(interface.ts(epb.ts_high, epb.ts_low)),
            orig_len: epb.origlen,
            start: field::EPB_DATA,
            // pcap-parser checked that the padded caplen fits in the block.
            len: epb.caplen as usize,
        })
    }

    fn simple(&self, spb: &SimplePacketBlock<'_>) -> Result<Packet, CaptureErrorKind> {
        let interface = self.interface(0)?;
        let mut len = spb.data.len().min(spb.origlen as usize);
        if interface.snaplen != 0 {
            len = len.min(interface.snaplen as usize);
        }
        Ok(Packet {
            link_type: interface.link_type,
            ts_nanos: None,
            orig_len: spb.origlen,
            start: field::SPB_DATA,
            len,
        })
    }

    fn obsolete(&self, pb: &UnknownBlock<'_>) -> Result<Packet, CaptureErrorKind> {
        let malformed = CaptureErrorKind::Malformed {
            unit: Unit::PcapngBlock(field::PB_TYPE),
        };
        let read = |at| read_u32(pb.data, at, self.big_endian).ok_or(malformed);
        // The interface id is the first u16 of the body (a u16 drop count follows).
        let id_and_drops = read(field::PB_INTERFACE)?;
        let id = if self.big_endian {
            id_and_drops >> 16
        } else {
            id_and_drops & 0xffff
        };
        let interface = self.interface(id)?;
        let caplen = read(field::PB_CAPLEN)?;
        let body = pb.data.len().saturating_sub(field::PB_DATA);
        if caplen as usize > body {
            return Err(malformed);
        }
        interface.check_caplen(caplen)?;
        Ok(Packet {
            link_type: interface.link_type,
            ts_nanos: Some(interface.ts(read(field::PB_TS_HIGH)?, read(field::PB_TS_LOW)?)),
            orig_len: read(field::PB_ORIGLEN)?,
            start: field::EPB_DATA,
            len: caplen as usize,
        })
    }
}
