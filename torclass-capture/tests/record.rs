//! The flow record's JSON-lines, CSV and table forms, and the summary.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use torclass_capture::{
    write_jsonl, FlowRecord, Format, Id, RecordWriter, Summary, UnknownFormat, COLUMNS,
};
use torclass_core::verdict::{Confidence, Detection, Evidence, Protocol, Transport, Verdict};

fn full() -> FlowRecord {
    FlowRecord {
        l4: Transport::Tcp,
        src: Ipv4Addr::new(10, 0, 0, 1).into(),
        sport: 51413,
        dst: Ipv4Addr::new(10, 0, 0, 2).into(),
        dport: 6881,
        first_ts: 1_700_000_000.123456,
        last_ts: 1_700_000_003.5,
        first_ns: 1_700_000_000_123_456_000,
        last_ns: 1_700_000_003_500_000_000,
        packets: 42,
        bytes: 123_456,
        packets_out: 30,
        bytes_out: 100_000,
        packets_in: 12,
        bytes_in: 23_456,
        verdict: Verdict::BitTorrent(Detection::new(
            Protocol::PeerWire,
            Confidence::Confirmed,
            Evidence::HANDSHAKE | Evidence::EXTENSION_HANDSHAKE | Evidence::UT_PEX,
        )),
        evidence: Evidence::HANDSHAKE | Evidence::EXTENSION_HANDSHAKE | Evidence::UT_PEX,
        info_hash: Some((0..20).collect()),
        peer_id: Some(Id::from_slice(b"-TR3000-ab\\c\x00\xffdefghi")),
        client: Some("Transmission \"3.00\", 1\u{1}".into()),
        dht_node_id: Some(Id::from_elem(0xab, 20)),
        decided_at_packet: Some(1),
        end_reason: None,
        tunnel: Some("vxlan"),
        tunnel_dst: Some("192.0.2.1:40000 -> 192.0.2.2:4789 vni 42".into()),
    }
}

fn not_bt() -> FlowRecord {
    let mut r = FlowRecord::new(
        Transport::Udp,
        "2001:db8::1".parse::<Ipv6Addr>().unwrap().into(),
        53,
        IpAddr::V6(Ipv6Addr::LOCALHOST),
        5353,
    );
    r.first_ts = 1.0;
    r.last_ts = 2.25;
    r.packets = 2;
    r.bytes = 90;
    r.packets_out = 1;
    r.bytes_out = 40;
    r.packets_in = 1;
    r.bytes_in = 50;
    r.verdict = Verdict::NotBitTorrent;
    r.decided_at_packet = Some(2);
    r
}

fn jsonl(r: &FlowRecord) -> String {
    let mut out = Vec::new();
    write_jsonl(&mut out, r).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn full_record_json_line() {
    assert_eq!(
        jsonl(&full()),
        concat!(
            r#"{"l4":"tcp","src":"10.0.0.1","sport":51413,"dst":"10.0.0.2","dport":6881,"#,
            r#""first_ts":1700000000.123456,"last_ts":1700000003.500000,"packets":42,"bytes":123456,"#,
            r#""packets_out":30,"bytes_out":100000,"packets_in":12,"bytes_in":23456,"#,
            r#""verdict":"bittorrent","protocol":"peer_wire","confidence":"confirmed","#,
            r#""evidence":["handshake","extension_handshake","ut_pex"],"#,
            r#""info_hash":"000102030405060708090a0b0c0d0e0f10111213","#,
            r#""peer_id":"-TR3000-ab\\\\c\\x00\\xffdefghi","#,
            r#""client":"Transmission \"3.00\", 1\u0001","#,
            r#""dht_node_id":"abababababababababababababababababababab","decided_at_packet":1,"#,
            r#""tunnel":"vxlan","tunnel_dst":"192.0.2.1:40000 -> 192.0.2.2:4789 vni 42"}"#,
            "\n"
        )
    );
}

#[test]
fn not_bittorrent_record_has_nulls_not_gaps() {
    assert_eq!(
        jsonl(&not_bt()),
        concat!(
            r#"{"l4":"udp","src":"2001:db8::1","sport":53,"dst":"::1","dport":5353,"#,
            r#""first_ts":1.000000,"last_ts":2.250000,"packets":2,"bytes":90,"#,
            r#""packets_out":1,"bytes_out":40,"packets_in":1,"bytes_in":50,"#,
            r#""verdict":"not_bittorrent","protocol":null,"confidence":null,"evidence":[],"#,
            r#""info_hash":null,"peer_id":null,"client":null,"dht_node_id":null,"decided_at_packet":2,"#,
            r#""tunnel":null,"tunnel_dst":null}"#,
            "\n"
        )
    );
}

/// A magnet link in a web page is metadata: the flow is not BitTorrent, and the record keeps
/// the evidence and the info-hash for the analyst.
#[test]
fn a_record_keeps_the_evidence_of_a_flow_that_is_not_bittorrent() {
    let mut page = not_bt();
    page.evidence = Evidence::MAGNET_URI;
    page.info_hash = Some(Id::from_elem(1, 20));
    let line = jsonl(&page);
    assert!(line.contains(r#""verdict":"not_bittorrent","protocol":null,"confidence":null,"evidence":["magnet_uri"],"info_hash":"0101"#), "{line}");
}

#[test]
fn json_lines_parse_with_every_key_in_order() {
    for r in [full(), not_bt()] {
        let line = jsonl(&r);
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let object = value.as_object().unwrap();
        assert_eq!(object.len(), COLUMNS.len());
        let mut at = 0;
        for key in COLUMNS {
            let found = line[at..].find(&format!("\"{key}\":")).unwrap();
            at += found;
        }
    }
    let value: serde_json::Value = serde_json::from_str(&jsonl(&full())).unwrap();
    assert_eq!(value["peer_id"], "-TR3000-ab\\\\c\\x00\\xffdefghi");
    assert_eq!(value["client"], "Transmission \"3.00\", 1\u{1}");
}

#[test]
fn non_finite_timestamps_are_null() {
    let mut r = not_bt();
    r.first_ts = f64::NAN;
    assert!(jsonl(&r).contains(r#""first_ts":null,"#));
}

fn written(format: Format, records: &[FlowRecord]) -> String {
    let mut w = RecordWriter::new(Vec::new(), format);
    for r in records {
        w.write(r).unwrap();
    }
    String::from_utf8(w.finish().unwrap()).unwrap()
}

#[test]
fn csv_header_rows_and_quoting() {
    let out = written(Format::Csv, &[full(), not_bt()]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], COLUMNS.join(","));
    assert_eq!(
        lines[1],
        concat!(
            "tcp,10.0.0.1,51413,10.0.0.2,6881,1700000000.123456,1700000003.500000,42,123456,",
            "30,100000,12,23456,",
            "bittorrent,peer_wire,confirmed,handshake|extension_handshake|ut_pex,",
            "000102030405060708090a0b0c0d0e0f10111213,-TR3000-ab\\\\c\\x00\\xffdefghi,",
            "\"Transmission \"\"3.00\"\", 1\u{1}\",abababababababababababababababababababab,1,",
            "vxlan,192.0.2.1:40000 -> 192.0.2.2:4789 vni 42"
        )
    );
    assert_eq!(
        lines[2],
        "udp,2001:db8::1,53,::1,5353,1.000000,2.250000,2,90,1,40,1,50,not_bittorrent,,,,,,,,2,,"
    );
    // An empty run still has its header.
    assert_eq!(
        written(Format::Csv, &[]),
        format!("{}\n", COLUMNS.join(","))
    );
    assert_eq!(written(Format::Jsonl, &[]), "");
}

#[test]
fn table_is_aligned() {
    let out = written(Format::Table, &[full(), not_bt()]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("l4   src:sport              dst:dport               packets"));
    let verdict_at = lines[0].find("verdict").unwrap();
    assert_eq!(lines[1].find("bittorrent"), Some(verdict_at));
    let packets_end = lines[0].find("packets").unwrap() + "packets".len();
    assert_eq!(&lines[1][packets_end - 2..packets_end], "42");
    let in_end = lines[0].find("bytes_in").unwrap() + "bytes_in".len();
    assert_eq!(&lines[1][in_end - 5..in_end], "23456");
    assert!(lines[1].contains("Transmission \"3.00\", 1?"));
    assert!(lines[1].ends_with("0001020304050607  vxlan"));
    assert!(lines[2].ends_with("  -"));
    assert!(lines[2].contains("[2001:db8::1]:53"));
    assert!(lines.iter().all(|l| !l.ends_with(' ')));
}

#[test]
fn format_names() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>(), Ok(f));
        assert_eq!(f.to_string(), f.name());
    }
    assert_eq!("json".parse::<Format>(), Err(UnknownFormat("json".into())));
    assert_eq!(
        UnknownFormat("json".into()).to_string(),
        "unknown format \"json\" (expected table, jsonl or csv)"
    );
}

#[test]
fn summary_counts() {
    let mut s = Summary::new();
    let mut dht = full();
    dht.verdict = Verdict::BitTorrent(Detection::new(
        Protocol::Dht,
        Confidence::Likely,
        Evidence::DHT_QUERY,
    ));
    dht.packets = 1;
    dht.bytes = 100;
    let mut undecided = not_bt();
    undecided.verdict = Verdict::Undecided;
    for r in [full(), full(), dht, not_bt(), undecided] {
        s.add(&r);
    }
    let c = |flows, packets, bytes| torclass_capture::Counts {
        flows,
        packets,
        bytes,
    };
    assert_eq!(s.protocol(Protocol::PeerWire), c(2, 84, 246_912));
    assert_eq!(s.protocol(Protocol::Dht), c(1, 1, 100));
    assert_eq!(s.protocol(Protocol::Utp), c(0, 0, 0));
    assert_eq!(s.bittorrent(), c(3, 85, 247_012));
    assert_eq!(s.not_bittorrent(), c(1, 2, 90));
    assert_eq!(s.undecided(), c(1, 2, 90));
    assert_eq!(s.total(), c(5, 89, 247_192));

    let json: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
    assert_eq!(json["summary"]["flows"], 5);
    assert_eq!(json["summary"]["bittorrent"]["flows"], 3);
    assert_eq!(
        json["summary"]["bittorrent"]["protocols"]["peer_wire"]["bytes"],
        246_912
    );
    assert_eq!(
        json["summary"]["bittorrent"]["protocols"]["magnet"]["flows"],
        0
    );
    assert_eq!(json["summary"]["not_bittorrent"]["packets"], 2);
    assert_eq!(json["summary"]["undecided"]["flows"], 1);

    assert_eq!(
        s.to_string(),
        concat!(
            "verdict         protocol               flows     packets          bytes\n",
            "bittorrent      peer_wire                  2          84         246912\n",
            "bittorrent      dht                        1           1            100\n",
            "not_bittorrent  -                          1           2             90\n",
            "undecided       -                          1           2             90\n",
            "total                                      5          89         247192\n",
        )
    );
    assert!(Summary::new().to_string().contains("bittorrent      -  "));
}
