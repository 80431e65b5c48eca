//! `classify --format parquet` writes the rows `--format jsonl` prints, with the Arrow schema;
//! compressed captures give the records of the plain ones; `torclass match` finds each
//! notice's flows, says whether its info-hash was seen, and names a bad notice file's line.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int8Type, TimestampNanosecondType, UInt16Type, UInt64Type};
use arrow_array::Array;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/captures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no captures in {}", dir.display());
    files
}

fn torclass(args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torclass"))
        .args(args)
        .args(files)
        .output()
        .expect("run torclass")
}

fn jsonl(files: &[PathBuf]) -> Vec<Value> {
    let out = torclass(&["classify", "--format", "jsonl", "--no-progress"], files);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Dictionary value `i` of a dictionary column with `K` keys, or null.
fn dict<K: arrow_array::types::ArrowDictionaryKeyType>(a: &dyn Array, i: usize) -> Value
where
    K::Native: TryInto<usize>,
{
    let d = a.as_dictionary::<K>();
    if d.is_null(i) {
        return Value::Null;
    }
    let key: usize = d.keys().value(i).try_into().ok().unwrap();
    Value::from(d.values().as_string::<i32>().value(key))
}

#[test]
fn parquet_rows_are_the_jsonl_rows() {
    let files = captures();
    let want = jsonl(&files);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.parquet");
    let out = torclass(
        &[
            "classify",
            "--format",
            "parquet",
            "--no-progress",
            "-o",
            path.to_str().unwrap(),
        ],
        &files,
    );
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty());
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let col = |name: &str| batch.column_by_name(name).unwrap().clone();
        for i in 0..batch.num_rows() {
            let string = |name: &str| {
                let c = col(name);
                let c = c.as_string::<i32>();
                if c.is_null(i) {
                    Value::Null
                } else {
                    Value::from(c.value(i))
                }
            };
            let ts = |name: &str| {
                let ns = col(name).as_primitive::<TimestampNanosecondType>().value(i);
                format!("{:.6}", ns as f64 / 1e9)
            };
            let evidence = col("evidence");
            let evidence = evidence.as_list::<i32>().value(i);
            let evidence: Vec<Value> = (0..evidence.len())
                .map(|j| dict::<Int8Type>(&evidence, j))
                .collect();
            let decided = col("decided_at_packet");
            let decided = decided.as_primitive::<UInt64Type>();
            rows.push((
                serde_json::json!({
                    "l4": dict::<Int8Type>(&col("l4"), i),
                    "src": string("src"),
                    "sport": col("sport").as_primitive::<UInt16Type>().value(i),
                    "dst": string("dst"),
                    "dport": col("dport").as_primitive::<UInt16Type>().value(i),
                    "packets": col("packets").as_primitive::<UInt64Type>().value(i),
                    "bytes": col("bytes").as_primitive::<UInt64Type>().value(i),
                    "packets_out": col("packets_out").as_primitive::<UInt64Type>().value(i),
                    "bytes_out": col("bytes_out").as_primitive::<UInt64Type>().value(i),
                    "packets_in": col("packets_in").as_primitive::<UInt64Type>().value(i),
                    "bytes_in": col("bytes_in").as_primitive::<UInt64Type>().value(i),
                    "verdict": dict::<Int8Type>(&col("verdict"), i),
                    "protocol": dict::<Int8Type>(&col("protocol"), i),
                    "confidence": dict::<Int8Type>(&col("confidence"), i),
                    "evidence": evidence,
                    "info_hash": string("info_hash"),
                    "peer_id": string("peer_id"),
                    "client": dict::<Int32Type>(&col("client"), i),
                    "dht_node_id": string("dht_node_id"),
                    "decided_at_packet": if decided.is_null(i) { Value::Null } else { decided.value(i).into() },
                    "tunnel": dict::<Int8Type>(&col("tunnel"), i),
                    "tunnel_dst": string("tunnel_dst"),
                }),
                (ts("first_ts"), ts("last_ts")),
                dict::<Int32Type>(&col("file"), i),
            ));
        }
    }
    assert_eq!(rows.len(), want.len());
    let mut files_seen = std::collections::BTreeSet::new();
    for ((row, (first, last), file), want) in rows.iter().zip(&want) {
        let mut want = want.clone();
        let want_first = want.as_object_mut().unwrap().remove("first_ts").unwrap();
        let want_last = want.as_object_mut().unwrap().remove("last_ts").unwrap();
        assert_eq!(row, &want);
        assert_eq!(first, &format!("{:.6}", want_first.as_f64().unwrap()));
        assert_eq!(last, &format!("{:.6}", want_last.as_f64().unwrap()));
        files_seen.insert(file.as_str().unwrap().to_owned());
    }
    assert_eq!(
        files_seen.len(),
        files.len(),
        "a file column names each capture"
    );
}

#[test]
fn gzip_and_zstd_captures_give_the_plain_records() {
    let plain = captures()
        .into_iter()
        .max_by_key(|p| p.metadata().unwrap().len())
        .unwrap();
    let bytes = std::fs::read(&plain).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("capture.pcap.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&bytes).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    // No extension: the magic decides.
    let zst = dir.path().join("capture");
    let level = ruzstd::encoding::CompressionLevel::Fastest;
    std::fs::write(&zst, ruzstd::encoding::compress_to_vec(&bytes[..], level)).unwrap();
    let want = jsonl(&[plain]);
    assert!(!want.is_empty());
    assert_eq!(jsonl(std::slice::from_ref(&gz)), want);
    assert_eq!(jsonl(&[zst]), want);
    let streamed = torclass(&["classify", "--format", "jsonl", "--no-mmap"], &[gz]);
    let streamed: Vec<Value> = String::from_utf8(streamed.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(streamed, want);
}

#[test]
fn notices_are_matched_to_flows() {
    let files = captures();
    let flows = jsonl(&files);
    let with_hash = flows
        .iter()
        .find(|f| f["protocol"] == "peer_wire" && f["info_hash"].is_string())
        .expect("a peer wire flow with an info-hash");
    let not_bt = flows
        .iter()
        .find(|f| f["verdict"] == "not_bittorrent")
        .expect("a non-BitTorrent flow");
    let time = |f: &Value| f["first_ts"].as_f64().unwrap();
    let notices = format!(
        "id,address,port,time,info_hash,tolerance\n\
         seen,{},{},{},{},1\n\
         other-torrent,{},{},{},{},1\n\
         not-bt,{},{},{},,1\n\
         nothing,192.0.2.1,1,{},,1\n\
         too-late,{},{},{},,1\n",
        with_hash["dst"].as_str().unwrap(),
        with_hash["dport"],
        time(with_hash),
        with_hash["info_hash"].as_str().unwrap(),
        with_hash["src"].as_str().unwrap(),
        with_hash["sport"],
        time(with_hash),
        "ab".repeat(20),
        not_bt["src"].as_str().unwrap(),
        not_bt["sport"],
        time(not_bt),
        time(with_hash),
        with_hash["src"].as_str().unwrap(),
        with_hash["sport"],
        time(with_hash) + 86_400.0,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notices.csv");
    std::fs::write(&path, notices).unwrap();
    let out = torclass(&["match", "--notices", path.to_str().unwrap()], &files);
    assert!(out.status.success(), "{out:?}");
    let results: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_id = |id: &str| results.iter().find(|r| r["id"] == id).unwrap().clone();
    let seen = by_id("seen");
    assert_eq!(seen["result"], "info_hash_seen");
    let matched = seen["flows"].as_array().unwrap();
    assert!(matched.iter().any(|f| f["info_hash_seen"] == true
        && f["protocol"] == "peer_wire"
        && f["src"] == with_hash["src"]
        && f["sport"] == with_hash["sport"]));
    assert!(matched
        .iter()
        .all(|f| f["file"].as_str().unwrap().ends_with(".pcap")));
    assert_eq!(by_id("other-torrent")["result"], "bittorrent");
    assert_eq!(by_id("not-bt")["result"], "not_bittorrent");
    assert_eq!(by_id("nothing")["result"], "no_flow");
    assert_eq!(by_id("too-late")["result"], "no_flow");

    let csv = torclass(
        &[
            "match",
            "--format",
            "csv",
            "--notices",
            path.to_str().unwrap(),
        ],
        &files,
    );
    assert!(csv.status.success(), "{csv:?}");
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.starts_with("line,id,address,port,time,notice_info_hash,tolerance,result,match,file,")
    );
    assert!(csv
        .lines()
        .any(|l| l.starts_with("5,nothing,192.0.2.1,1,") && l.contains(",no_flow,")));

    std::fs::write(&path, "address,port,time\n10.0.0.1,80,yesterday\n").unwrap();
    let bad = torclass(&["match", "--notices", path.to_str().unwrap()], &files);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(err.contains("line 2") && err.contains("yesterday"), "{err}");
}
