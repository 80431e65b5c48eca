//! Shared by the torclass benches and tools: the real captures of `tests/captures`, read into
//! memory as frames and as per-flow payload sequences.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use torclass_capture::{CaptureError, CaptureReader};
use torclass_core::packet::{self, FlowKey, LinkType};
use torclass_core::{Direction, Transport};

/// The directory of the real captures (`tests/captures` of the repository).
pub fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/captures")
}

/// The path of capture `name` (e.g. `tcp-plain`) in [`captures_dir`].
pub fn capture(name: &str) -> PathBuf {
    captures_dir().join(format!("{name}.pcap"))
}

/// Every capture in [`captures_dir`], by name, sorted.
pub fn capture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(captures_dir())
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    name.strip_suffix(".pcap").map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// One captured frame, owned.
#[derive(Clone, Debug)]
pub struct Frame {
    /// pcap LINKTYPE of the frame.
    pub link_type: u32,
    /// Capture time, nanoseconds since the epoch.
    pub ts_nanos: i128,
    /// The frame's bytes from the link-layer header.
    pub data: Vec<u8>,
}

/// Read every frame of the capture at `path` into memory.
///
/// # Errors
/// The reader's error for an unreadable or corrupt file.
pub fn read_frames(path: &Path) -> Result<Vec<Frame>, CaptureError> {
    let mut reader = CaptureReader::open(path)?;
    let mut frames = Vec::new();
    while let Some(p) = reader.next_packet()? {
        frames.push(Frame {
            link_type: p.link_type,
            ts_nanos: p.ts_nanos,
            data: p.data.to_vec(),
        });
    }
    Ok(frames)
}

/// The payloads of one flow, in capture order, with who sent each.
#[derive(Clone, Debug)]
pub struct FlowPayloads {
    /// The flow's key, `src` the side that sent its first packet.
    pub key: FlowKey,
    /// Non-empty transport payloads (TCP segments as captured, retransmissions included).
    pub payloads: Vec<(Direction, Vec<u8>)>,
}

impl FlowPayloads {
    /// Total payload bytes.
    pub fn bytes(&self) -> usize {
        self.payloads.iter().map(|(_, p)| p.len()).sum()
    }

    /// The concatenated payloads sent by `direction`.
    pub fn stream(&self, direction: Direction) -> Vec<u8> {
        self.payloads
            .iter()
            .filter(|(d, _)| *d == direction)
            .flat_map(|(_, p)| p.iter().copied())
            .collect()
    }

    /// The flow's transport.
    pub fn transport(&self) -> Transport {
        self.key.transport
    }
}

/// Group decodable frames into flows, in the order flows were first seen.
pub fn flows(frames: &[Frame]) -> Vec<FlowPayloads> {
    let mut index: HashMap<FlowKey, usize> = HashMap::new();
    let mut out: Vec<FlowPayloads> = Vec::new();
    for frame in frames {
        let Some(link) = LinkType::from_pcap(frame.link_type) else {
            continue;
        };
        let Ok(p) = packet::decode(link, &frame.data) else {
            continue;
        };
        let (i, direction) = if let Some(&i) = index.get(&p.key) {
            (i, Direction::Initiator)
        } else if let Some(&i) = index.get(&p.key.reversed()) {
            (i, Direction::Responder)
        } else {
            index.insert(p.key, out.len());
            out.push(FlowPayloads {
                key: p.key,
                payloads: Vec::new(),
            });
            (out.len() - 1, Direction::Initiator)
        };
        if !p.payload.is_empty() {
            if let Some(flow) = out.get_mut(i) {
                flow.payloads.push((direction, p.payload.to_vec()));
            }
        }
    }
    out
}

/// The flows of every capture in [`captures_dir`], with the capture's name.
///
/// # Errors
/// The reader's error for the first capture that cannot be read.
pub fn all_flows() -> Result<Vec<(String, FlowPayloads)>, CaptureError> {
    let mut out = Vec::new();
    for name in capture_names() {
        let frames = read_frames(&capture(&name))?;
        out.extend(flows(&frames).into_iter().map(|f| (name.clone(), f)));
    }
    Ok(out)
}

/// Writes a microsecond pcap file (the format of the real captures).
pub struct PcapWriter<W: std::io::Write> {
    out: W,
}

impl<W: std::io::Write> PcapWriter<W> {
    /// Write the file header for `link_type` frames of at most 262144 bytes.
    ///
    /// # Errors
    /// The writer's error.
    pub fn new(mut out: W, link_type: u32) -> std::io::Result<Self> {
        out.write_all(&0xa1b2_c3d4_u32.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&[0; 8])?;
        out.write_all(&262_144u32.to_le_bytes())?;
        out.write_all(&link_type.to_le_bytes())?;
        Ok(Self { out })
    }

    /// Write one frame captured at `ts_nanos` (rounded down to microseconds).
    ///
    /// # Errors
    /// The writer's error.
    pub fn write(&mut self, ts_nanos: i128, frame: &[u8]) -> std::io::Result<()> {
        let micros = ts_nanos.max(0) / 1000;
        let secs = u32::try_from(micros / 1_000_000).unwrap_or(u32::MAX);
        let usecs = (micros % 1_000_000) as u32;
        let len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        self.out.write_all(&secs.to_le_bytes())?;
        self.out.write_all(&usecs.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(frame)
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Rewrite the IP addresses of an Ethernet frame (802.1Q tags skipped) so that copy `copy` of
/// a capture has flows distinct from every other copy: bytes 1 and 2 of each IPv4 address (2
/// and 3 of each IPv6 address) are XORed with the copy number, a bijection that keeps both
/// directions of a flow together. The IPv4 header checksum is recomputed; TCP/UDP checksums
/// are left as they were (no classifier here checks them). Returns false for frames that are
/// not IP over Ethernet (left unchanged).
pub fn rewrite_addresses(frame: &mut [u8], copy: u16) -> bool {
    let [hi, lo] = copy.to_be_bytes();
    let mut at = 12;
    let ethertype = loop {
        let Some(t) = frame.get(at..at + 2) else {
            return false;
        };
        let t = u16::from_be_bytes([t[0], t[1]]);
        if t == 0x8100 || t == 0x88a8 {
            at += 4;
        } else {
            break t;
        }
    };
    let ip = at + 2;
    let xor = |frame: &mut [u8], addr: usize, first: usize| {
        if let Some(b) = frame.get_mut(addr + first) {
            *b ^= hi;
        }
        if let Some(b) = frame.get_mut(addr + first + 1) {
            *b ^= lo;
        }
    };
    match ethertype {
        0x0800 => {
            let Some(&vihl) = frame.get(ip) else {
                return false;
            };
            let ihl = usize::from(vihl & 0x0f) * 4;
            if frame.len() < ip + ihl.max(20) {
                return false;
            }
            xor(frame, ip + 12, 1);
            xor(frame, ip + 16, 1);
            frame[ip + 10] = 0;
            frame[ip + 11] = 0;
            let sum = frame[ip..ip + ihl]
                .chunks(2)
                .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
                .sum::<u32>();
            let folded = (sum & 0xffff) + (sum >> 16);
            let folded = (folded & 0xffff) + (folded >> 16);
            let checksum = !(folded as u16);
            frame[ip + 10..ip + 12].copy_from_slice(&checksum.to_be_bytes());
            true
        }
        0x86dd if frame.len() >= ip + 40 => {
            xor(frame, ip + 8, 2);
            xor(frame, ip + 24, 2);
            true
        }
        _ => false,
    }
}
