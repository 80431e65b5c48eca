//! [`schema`] and [`FlowColumns`]: flow records as Apache Arrow columns, with one schema for
//! every front end that writes them (the Python module's `flows_table`, the CLI's Parquet).
//!
//! The columns are the record's ([`COLUMNS`](crate::COLUMNS), in order) and then [`EXTRA_COLUMNS`], typed so
//! that an empty capture has the same columns as a full one:
//!
//! | column | Arrow type |
//! |---|---|
//! | `l4`, `verdict` | `dictionary<int8, utf8>` |
//! | `protocol`, `confidence` | `dictionary<int8, utf8>`, null unless BitTorrent |
//! | `src`, `dst` | `utf8` (the address as the JSON record writes it) |
//! | `sport`, `dport` | `uint16` |
//! | `first_ts`, `last_ts` | `timestamp[ns, UTC]` (exact: a pcapng in ns keeps them) |
//! | `packets`, `bytes`, `packets_out`, `bytes_out`, `packets_in`, `bytes_in` | `uint64` (`_out`: sent by `src`, `_in`: by `dst`) |
//! | `evidence` | `list<dictionary<int8, utf8>>` (also for a flow that is not BitTorrent: a magnet URI in a web page) |
//! | `info_hash`, `peer_id`, `dht_node_id` | `utf8`, nullable (hex; printable peer id) |
//! | `client` | `dictionary<int32, utf8>`, nullable |
//! | `decided_at_packet` | `uint64`, nullable |
//! | `tunnel` | `dictionary<int8, utf8>`, nullable: the encapsulation or proxy the flow was read from |
//! | `tunnel_dst` | `utf8`, nullable: where the tunnel runs (the record's `tunnel_dst`) |
//! | `duration` | `duration[ns]`: `last_ts - first_ts` |
//! | `file` | `dictionary<int32, utf8>`: the capture the flow was read from |
//!
//! The small vocabularies (`l4`, `verdict`, `protocol`, `confidence`, `evidence`) are encoded
//! with their whole vocabulary as the dictionary, in a fixed order, in every batch: pandas
//! sees the same categories in every file, so frames concatenate without turning to `object`.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use arrow_array::builder::{PrimitiveBuilder, StringBuilder, StringDictionaryBuilder};
use arrow_array::types::{Int32Type, Int8Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, DictionaryArray, DurationNanosecondArray, Int8Array, ListArray, RecordBatch,
    StringArray, TimestampNanosecondArray, UInt16Array, UInt64Array,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use torclass_core::packet::TunnelKind;
use torclass_core::verdict::{Evidence, Protocol, Transport};

use crate::record::{peer_id_text, FlowRecord};

/// The columns after the record's: `duration` and `file`.
pub const EXTRA_COLUMNS: [&str; 2] = ["duration", "file"];

const L4: [&str; 2] = ["tcp", "udp"];
const VERDICTS: [&str; 3] = ["bittorrent", "not_bittorrent", "undecided"];
const CONFIDENCES: [&str; 2] = ["likely", "confirmed"];

fn protocols() -> [&'static str; Protocol::ALL.len()] {
    Protocol::ALL.map(Protocol::name)
}

fn tunnels() -> [&'static str; TunnelKind::ALL.len()] {
    TunnelKind::ALL.map(TunnelKind::name)
}

fn evidence_names() -> Vec<&'static str> {
    Evidence::NAMED.iter().map(|(_, name)| *name).collect()
}

fn small_dictionary() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8))
}

fn large_dictionary() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// The schema of every table and Parquet file of flow records (see the module docs).
#[must_use]
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let evidence = Field::new("item", small_dictionary(), false);
            Arc::new(Schema::new(vec![
                Field::new("l4", small_dictionary(), false),
                Field::new("src", DataType::Utf8, false),
                Field::new("sport", DataType::UInt16, false),
                Field::new("dst", DataType::Utf8, false),
                Field::new("dport", DataType::UInt16, false),
                Field::new("first_ts", timestamp(), false),
                Field::new("last_ts", timestamp(), false),
                Field::new("packets", DataType::UInt64, false),
                Field::new("bytes", DataType::UInt64, false),
                Field::new("packets_out", DataType::UInt64, false),
                Field::new("bytes_out", DataType::UInt64, false),
                Field::new("packets_in", DataType::UInt64, false),
                Field::new("bytes_in", DataType::UInt64, false),
                Field::new("verdict", small_dictionary(), false),
                Field::new("protocol", small_dictionary(), true),
                Field::new("confidence", small_dictionary(), true),
                Field::new("evidence", DataType::List(Arc::new(evidence)), false),
                Field::new("info_hash", DataType::Utf8, true),
                Field::new("peer_id", DataType::Utf8, true),
                Field::new("client", large_dictionary(), true),
                Field::new("dht_node_id", DataType::Utf8, true),
                Field::new("decided_at_packet", DataType::UInt64, true),
                Field::new("tunnel", small_dictionary(), true),
                Field::new("tunnel_dst", DataType::Utf8, true),
                Field::new("duration", DataType::Duration(TimeUnit::Nanosecond), false),
                Field::new("file", large_dictionary(), false),
            ]))
        })
        .clone()
}

/// Builds the columns of [`schema`] one record at a time; [`FlowColumns::finish`] makes them
/// a [`RecordBatch`] (the builders' buffers become the batch's, without a copy).
pub struct FlowColumns {
    l4: Vec<i8>,
    src: StringBuilder,
    sport: Vec<u16>,
    dst: StringBuilder,
    dport: Vec<u16>,
    first_ns: Vec<i64>,
    last_ns: Vec<i64>,
    packets: Vec<u64>,
    bytes: Vec<u64>,
    packets_out: Vec<u64>,
    bytes_out: Vec<u64>,
    packets_in: Vec<u64>,
    bytes_in: Vec<u64>,
    verdict: Vec<i8>,
    protocol: PrimitiveBuilder<Int8Type>,
    confidence: PrimitiveBuilder<Int8Type>,
    evidence_lengths: Vec<usize>,
    evidence: Vec<i8>,
    info_hash: StringBuilder,
    peer_id: StringBuilder,
    client: StringDictionaryBuilder<Int32Type>,
    dht_node_id: StringBuilder,
    decided_at_packet: PrimitiveBuilder<UInt64Type>,
    tunnel: PrimitiveBuilder<Int8Type>,
    tunnel_dst: StringBuilder,
    file: StringDictionaryBuilder<Int32Type>,
}

impl Default for FlowColumns {
    fn default() -> Self {
        Self::new()
    }
}

/// The position of `name` in `vocabulary`, as a dictionary key (every vocabulary is short).
fn key(vocabulary: &[&str], name: &str) -> i8 {
    let at = vocabulary.iter().position(|v| *v == name).unwrap_or(0);
    i8::try_from(at).unwrap_or(0)
}

/// Append `bytes` as lowercase hex, or null.
fn append_hex(builder: &mut StringBuilder, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => {
            for b in bytes {
                // Writing to a builder cannot fail.
                let _ = write!(builder, "{b:02x}");
            }
            builder.append_value("");
        }
        None => builder.append_null(),
    }
}

impl FlowColumns {
    /// No rows yet.
    #[must_use]
    pub fn new() -> Self {
        Self {
            l4: Vec::new(),
            src: StringBuilder::new(),
            sport: Vec::new(),
            dst: StringBuilder::new(),
            dport: Vec::new(),
            first_ns: Vec::new(),
            last_ns: Vec::new(),
            packets: Vec::new(),
            bytes: Vec::new(),
            packets_out: Vec::new(),
            bytes_out: Vec::new(),
            packets_in: Vec::new(),
            bytes_in: Vec::new(),
            verdict: Vec::new(),
            protocol: PrimitiveBuilder::new(),
            confidence: PrimitiveBuilder::new(),
            evidence_lengths: Vec::new(),
            evidence: Vec::new(),
            info_hash: StringBuilder::new(),
            peer_id: StringBuilder::new(),
            client: StringDictionaryBuilder::new(),
            dht_node_id: StringBuilder::new(),
            decided_at_packet: PrimitiveBuilder::new(),
            tunnel: PrimitiveBuilder::new(),
            tunnel_dst: StringBuilder::new(),
            file: StringDictionaryBuilder::new(),
        }
    }

    /// Rows so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.l4.len()
    }

    /// True if no row was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.l4.is_empty()
    }

    /// Add `record`, read from the capture named `file`.
    pub fn push(&mut self, record: &FlowRecord, file: &str) {
        let l4 = match record.l4 {
            Transport::Tcp => 0,
            _ => 1,
        };
        self.l4.push(l4);
        // Writing to a builder cannot fail.
        let _ = write!(self.src, "{}", record.src);
        self.src.append_value("");
        self.sport.push(record.sport);
        let _ = write!(self.dst, "{}", record.dst);
        self.dst.append_value("");
        self.dport.push(record.dport);
        self.first_ns.push(record.first_ns);
        self.last_ns.push(record.last_ns);
        self.packets.push(record.packets);
        self.bytes.push(record.bytes);
        self.packets_out.push(record.packets_out);
        self.bytes_out.push(record.bytes_out);
        self.packets_in.push(record.packets_in);
        self.bytes_in.push(record.bytes_in);
        self.verdict.push(key(&VERDICTS, record.verdict.name()));
        let detection = record.verdict.detection();
        self.protocol
            .append_option(detection.map(|d| key(&protocols(), d.protocol.name())));
        self.confidence
            .append_option(detection.map(|d| key(&CONFIDENCES, d.confidence.name())));
        let evidence = detection.map_or(record.evidence, |d| d.evidence | record.evidence);
        let before = self.evidence.len();
        for (i, (bit, _)) in Evidence::NAMED.iter().enumerate() {
            if evidence.contains(*bit) {
                self.evidence.push(i8::try_from(i).unwrap_or(0));
            }
        }
        self.evidence_lengths.push(self.evidence.len() - before);
        append_hex(&mut self.info_hash, record.info_hash.as_deref());
        match &record.peer_id {
            Some(id) => self.peer_id.append_value(peer_id_text(id)),
            None => self.peer_id.append_null(),
        }
        match &record.client {
            // A dictionary of i32 keys holds 2^31 values: more than rows a batch has.
            Some(c) => drop(self.client.append(c)),
            None => self.client.append_null(),
        }
        append_hex(&mut self.dht_node_id, record.dht_node_id.as_deref());
        self.decided_at_packet
            .append_option(record.decided_at_packet);
        self.tunnel
            .append_option(record.tunnel.map(|t| key(&tunnels(), t)));
        self.tunnel_dst.append_option(record.tunnel_dst.as_deref());
        let _ = self.file.append(file);
    }

    /// The rows as a batch of [`schema`]; the builder is empty again.
    ///
    /// # Errors
    /// Only if the columns disagreed with the schema, which the tests rule out.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let fixed = |keys: Vec<i8>, vocabulary: &[&str]| -> Result<ArrayRef, ArrowError> {
            let values: ArrayRef = Arc::new(StringArray::from(vocabulary.to_vec()));
            Ok(Arc::new(DictionaryArray::<Int8Type>::try_new(
                Int8Array::from(keys),
                values,
            )?))
        };
        let optional = |keys: &mut PrimitiveBuilder<Int8Type>, vocabulary: &[&str]| {
            let values: ArrayRef = Arc::new(StringArray::from(vocabulary.to_vec()));
            DictionaryArray::<Int8Type>::try_new(keys.finish(), values)
                .map(|a| Arc::new(a) as ArrayRef)
        };
        let durations: Vec<i64> = self
            .first_ns
            .iter()
            .zip(&self.last_ns)
            .map(|(first, last)| last.saturating_sub(*first))
            .collect();
        let evidence_names = evidence_names();
        let evidence_items = fixed(std::mem::take(&mut self.evidence), &evidence_names)?;
        let evidence_field = Arc::new(Field::new("item", small_dictionary(), false));
        let offsets = OffsetBuffer::from_lengths(std::mem::take(&mut self.evidence_lengths));
        let evidence = ListArray::try_new(evidence_field, offsets, evidence_items, None)?;
        let mut columns: Vec<ArrayRef> = vec![
            fixed(std::mem::take(&mut self.l4), &L4)?,
            Arc::new(self.src.finish()),
            Arc::new(UInt16Array::from(std::mem::take(&mut self.sport))),
            Arc::new(self.dst.finish()),
            Arc::new(UInt16Array::from(std::mem::take(&mut self.dport))),
            Arc::new(
                TimestampNanosecondArray::from(std::mem::take(&mut self.first_ns))
                    .with_timezone("UTC"),
            ),
            Arc::new(
                TimestampNanosecondArray::from(std::mem::take(&mut self.last_ns))
                    .with_timezone("UTC"),
            ),
            Arc::new(UInt64Array::from(std::mem::take(&mut self.packets))),
            Arc::new(UInt64Array::from(std::mem::take(&mut self.bytes))),
            Arc::new(UInt64Array::from(std::mem::take(&mut self.packets_out))),
            Arc::new(UInt64Array::from(std::mem::take(&mut self.bytes_out))),
            Arc::new(UInt64Array::from(std::mem::take(&mut self.packets_in))),
            Arc::new(UInt64Array::from(std::mem::take(&mut self.bytes_in))),
            fixed(std::mem::take(&mut self.verdict), &VERDICTS)?,
            optional(&mut self.protocol, &protocols())?,
            optional(&mut self.confidence, &CONFIDENCES)?,
            Arc::new(evidence),
            Arc::new(self.info_hash.finish()),
            Arc::new(self.peer_id.finish()),
            Arc::new(self.client.finish()),
            Arc::new(self.dht_node_id.finish()),
            Arc::new(self.decided_at_packet.finish()),
            optional(&mut self.tunnel, &tunnels())?,
            Arc::new(self.tunnel_dst.finish()),
            Arc::new(DurationNanosecondArray::from(durations)),
            Arc::new(self.file.finish()),
        ];
        // Builders grow by doubling: the room a batch did not fill goes back to the allocator
        // rather than staying beside the table (a realloc per buffer, without a copy).
        for column in &mut columns {
            Array::shrink_to_fit(column);
        }
        RecordBatch::try_new(schema(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Id, COLUMNS};
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    use std::net::Ipv4Addr;
    use torclass_core::verdict::{Confidence, Detection, Verdict};

    #[test]
    fn the_schema_has_the_record_columns_then_the_extra_ones() {
        let schema = schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let want: Vec<&str> = COLUMNS.iter().chain(&EXTRA_COLUMNS).copied().collect();
        assert_eq!(names, want);
    }

    #[test]
    fn an_empty_batch_has_the_schema() {
        let batch = FlowColumns::new().finish().unwrap();
        assert_eq!(batch.num_rows(), 0);
        assert_eq!(batch.schema(), schema());
    }

    #[test]
    fn rows_carry_the_record_values() {
        let mut r = FlowRecord::new(
            Transport::Udp,
            Ipv4Addr::new(10, 0, 0, 1).into(),
            6881,
            Ipv4Addr::new(10, 0, 0, 2).into(),
            6882,
        );
        r.set_times(1_700_000_000_000_000_001, 1_700_000_002_000_000_000);
        r.verdict = Verdict::BitTorrent(Detection::new(
            Protocol::Dht,
            Confidence::Confirmed,
            Evidence::DHT_QUERY | Evidence::DHT_RESPONSE,
        ));
        r.info_hash = Some(Id::from_slice(&[0xab; 20]));
        let mut columns = FlowColumns::new();
        columns.push(&r, "a.pcap");
        columns.push(
            &FlowRecord::new(Transport::Tcp, r.dst, 1, r.src, 2),
            "b.pcap",
        );
        let batch = columns.finish().unwrap();
        assert_eq!(batch.num_rows(), 2);
        let col = |name: &str| batch.column_by_name(name).unwrap().clone();
        let first = col("first_ts");
        let first = first.as_primitive::<arrow_array::types::TimestampNanosecondType>();
        assert_eq!(first.value(0), 1_700_000_000_000_000_001);
        let duration = col("duration");
        let duration = duration.as_primitive::<arrow_array::types::DurationNanosecondType>();
        assert_eq!(duration.value(0), 1_999_999_999);
        let protocol = col("protocol");
        let protocol = protocol.as_dictionary::<Int8Type>();
        assert!(protocol.is_null(1));
        let key = usize::try_from(protocol.keys().value(0)).unwrap();
        assert_eq!(protocol.values().as_string::<i32>().value(key), "dht");
        let evidence = col("evidence");
        let evidence = evidence.as_list::<i32>();
        assert_eq!(evidence.value_length(0), 2);
        assert_eq!(evidence.value_length(1), 0);
        assert_eq!(
            col("info_hash").as_string::<i32>().value(0),
            "ab".repeat(20)
        );
        assert!(col("client").is_null(0));
        let verdict = col("verdict");
        let verdict = verdict.as_dictionary::<Int8Type>();
        let key = usize::try_from(verdict.keys().value(1)).unwrap();
        assert_eq!(verdict.values().as_string::<i32>().value(key), "undecided");
    }
}
