//! `torclass.packets(source, flow=...)`: the packets of one flow as Arrow columns (a time
//! series per packet), read with the GIL released.

use std::net::IpAddr;
use std::sync::Arc;

use arrow_array::builder::PrimitiveBuilder;
use arrow_array::types::UInt8Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Int8Array, RecordBatch, StringArray, TimestampNanosecondArray,
    UInt32Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use torclass_capture::{CaptureError, ReadMode};
use torclass_core::packet::{self, Endpoint, FlowKey, LinkType};

use crate::arrow::{arrow_error, ArrowStream};
use crate::errors::capture_error;
use crate::names;
use crate::source::Named;

/// The columns of `torclass.packets`.
fn packet_schema() -> SchemaRef {
    let dictionary = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8));
    Arc::new(Schema::new(vec![
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            false,
        ),
        Field::new("direction", dictionary, false),
        Field::new("frame_len", DataType::UInt32, false),
        Field::new("wire_len", DataType::UInt32, false),
        Field::new("payload_len", DataType::UInt32, false),
        Field::new("tcp_flags", DataType::UInt8, true),
    ]))
}

#[derive(Default)]
struct Columns {
    ts: Vec<i64>,
    direction: Vec<i8>,
    frame_len: Vec<u32>,
    wire_len: Vec<u32>,
    payload_len: Vec<u32>,
    tcp_flags: PrimitiveBuilder<UInt8Type>,
}

/// Every packet of `source` on the flow `l4 src:sport <-> dst:dport` whose time is within
/// `[first_ns, last_ns]`: its time, `direction` (`initiator` for packets from `src:sport`),
/// captured and on-the-wire frame lengths, transport payload length and TCP flags.
#[pyfunction]
#[pyo3(signature = (source, *, l4, src, sport, dst, dport, first_ns, last_ns, mmap = true))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_packets(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    l4: &str,
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    first_ns: i64,
    last_ns: i64,
    mmap: bool,
) -> PyResult<ArrowStream> {
    let transport = names::transport(l4)?;
    let address = |text: &str| {
        text.parse::<IpAddr>()
            .map_err(|_| PyValueError::new_err(format!("{text:?} is not an IP address")))
    };
    let key = FlowKey {
        transport,
        src: Endpoint {
            addr: address(src)?,
            port: sport,
        },
        dst: Endpoint {
            addr: address(dst)?,
            port: dport,
        },
    };
    let named = Named::extract(source)?;
    let mode = if mmap {
        ReadMode::Auto
    } else {
        ReadMode::Stream
    };
    let columns = py
        .detach(|| read(named, mode, &key, first_ns, last_ns))
        .map_err(|e| capture_error(&e))?;
    let Columns {
        ts,
        direction,
        frame_len,
        wire_len,
        payload_len,
        mut tcp_flags,
    } = columns;
    let directions: ArrayRef = Arc::new(StringArray::from(vec!["initiator", "responder"]));
    let direction = DictionaryArray::try_new(Int8Array::from(direction), directions)
        .map_err(|e| arrow_error(&e))?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampNanosecondArray::from(ts).with_timezone("UTC")),
        Arc::new(direction),
        Arc::new(UInt32Array::from(frame_len)),
        Arc::new(UInt32Array::from(wire_len)),
        Arc::new(UInt32Array::from(payload_len)),
        Arc::new(tcp_flags.finish()),
    ];
    let schema = packet_schema();
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| arrow_error(&e))?;
    Ok(ArrowStream::new(schema, vec![batch]))
}

fn read(
    source: Named,
    mode: ReadMode,
    key: &FlowKey,
    first_ns: i64,
    last_ns: i64,
) -> Result<Columns, CaptureError> {
    let reversed = key.reversed();
    let mut reader = source.open(mode)?;
    let mut out = Columns::default();
    while let Some(p) = reader.next_packet()? {
        let ts = i64::try_from(p.ts_nanos).unwrap_or(i64::MAX);
        if ts < first_ns || ts > last_ns {
            continue;
        }
        let Some(link) = LinkType::from_pcap(p.link_type) else {
            continue;
        };
        let Ok(decoded) = packet::decode(link, p.data) else {
            continue;
        };
        let direction = if decoded.key == *key {
            0
        } else if decoded.key == reversed {
            1
        } else {
            continue;
        };
        out.ts.push(ts);
        out.direction.push(direction);
        out.frame_len
            .push(u32::try_from(p.data.len()).unwrap_or(u32::MAX));
        out.wire_len.push(p.orig_len);
        out.payload_len.push(decoded.payload_len_on_wire);
        out.tcp_flags.append_option(decoded.tcp.map(|t| t.flags.0));
    }
    Ok(out)
}
