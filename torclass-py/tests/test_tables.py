"""flows_table and what is built on it: one schema for every capture, the CLI's rows, sources,
on_error and read_status, warnings, threads, pickling, Parquet, packets, notices."""

from __future__ import annotations

import copy
import gzip
import io
import json
import os
import pickle
import subprocess
import warnings
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import (
    PEER_WIRE,
    REPO,
    Frame,
    feed_pipe,
    labelled_captures,
    no_captures,
    pcap_bytes,
    peer_wire_flow,
)

import torclass

CAPTURES = labelled_captures()
CLI = Path(os.environ.get("TORCLASS_CLI", REPO / "target" / "debug" / "torclass"))


def cli_rows(paths: list[Path]) -> list[dict[str, object]]:
    """The CLI's JSON lines for ``paths`` (scripts/test.d/40-python.sh builds it)."""
    if not CLI.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no {CLI}")
        pytest.skip(f"SKIPPED LOUDLY: no {CLI} (cargo build -p torclass-cli)")
    out = subprocess.run(
        [str(CLI), "classify", "--format", "jsonl", "--no-progress", *map(str, paths)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def as_record_dicts(table: pa.Table) -> list[dict[str, object]]:
    """Table rows in the JSON-lines form, to compare with the CLI's."""
    rows = []
    for row in table.to_pylist():
        row = dict(row)
        for key in ("first_ts", "last_ts"):
            row[key] = round(row[key].timestamp(), 6)
        del row["duration"], row["file"]
        rows.append(row)
    return rows


def record_key(record: dict[str, object]) -> str:
    """A total order over records, to compare two lists of them as multisets."""
    return json.dumps(record, sort_keys=True)


def test_rows_equal_the_cli_records() -> None:
    if not CAPTURES:
        no_captures()
    table = torclass.flows_table(CAPTURES, threads=2)
    assert table.schema == torclass.SCHEMA
    want = cli_rows(CAPTURES)
    got = as_record_dicts(table)
    for w in want:
        w["first_ts"] = round(float(w["first_ts"]), 6)  # type: ignore[arg-type]
        w["last_ts"] = round(float(w["last_ts"]), 6)  # type: ignore[arg-type]
    # The CLI sorts its records; a table has the flows that ended while a capture was read
    # (negative-probes: flows 200 s apart, past the UDP timeout) where they ended.
    assert sorted(got, key=record_key) == sorted(want, key=record_key)
    assert table.column("file").to_pylist()[0] == str(CAPTURES[0])


def test_an_empty_capture_has_the_schema_and_warns(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(pcap_bytes([]))
    with pytest.warns(torclass.NoFlowsWarning, match="empty.pcap: no flow in 0 frames"):
        table = torclass.flows_table(empty)
    assert table.num_rows == 0 and table.schema == torclass.SCHEMA
    pd = pytest.importorskip("pandas")
    with pytest.warns(torclass.NoFlowsWarning):
        e = torclass.flows_dataframe(empty)
    full = torclass.flows_dataframe(pcap_bytes(peer_wire_flow(1)))
    assert list(e.dtypes) == list(full.dtypes)
    both = pd.concat([e, full, full])
    assert list(both.dtypes) == list(full.dtypes)
    assert both.nlargest(1, "bytes").shape[0] == 1
    assert str(full.verdict.dtype) == "category" and "bittorrent" in full.verdict.cat.categories


def test_sources_of_every_kind_give_the_same_rows(tmp_path: Path) -> None:
    data = pcap_bytes(peer_wire_flow(1) + peer_wire_flow(2))
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "a.pcap"
    path.write_bytes(data)
    (tmp_path / "notes.txt").write_text("not a capture")
    gz = tmp_path / "b.pcap.gz"
    gz.write_bytes(gzip.compress(data))
    zstandard = pytest.importorskip("zstandard")
    zst = tmp_path / "c.pcap.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(data))
    want = torclass.flows_table(path).drop_columns(["file"])
    assert want.num_rows == 2
    for source in [
        str(path),
        path,
        data,
        bytearray(data),
        memoryview(data),
        io.BytesIO(data),
        ("named", data),
        gz,
        zst,
        gzip.compress(data),
        io.BytesIO(gzip.compress(data)),
    ]:
        got = torclass.flows_table(source)
        assert got.drop_columns(["file"]).equals(want), source
    with open(path, "rb") as f:
        assert torclass.flows_table(f).column("file").to_pylist() == [str(path)] * 2
    assert torclass.flows_table(("named", data)).column("file").to_pylist() == ["named"] * 2
    # A directory is read recursively for captures; a glob too.
    directory = torclass.flows_table(tmp_path)
    assert sorted(set(directory.column("file").to_pylist())) == sorted(map(str, [gz, path, zst]))
    glob = torclass.flows_table(str(tmp_path / "**" / "*.pcap*"))
    assert glob.num_rows == 6
    assert torclass.flows_table([path, data]).num_rows == 4


def test_fsspec_files_are_sources(tmp_path: Path) -> None:
    """An fsspec file object (as S3 or HDFS gives them) is read, named by its path."""
    fsspec = pytest.importorskip("fsspec")
    data = pcap_bytes(peer_wire_flow(1))
    fs = fsspec.filesystem("memory")
    fs.pipe("/captures/a.pcap", data)
    fs.pipe("/captures/b.pcap.gz", gzip.compress(data))
    want = torclass.flows_table(data).drop_columns(["file"])
    for name in ("/captures/a.pcap", "/captures/b.pcap.gz"):
        with fs.open(name, "rb") as f:
            got = torclass.flows_table(f)
            path = f.path
        assert got.drop_columns(["file"]).equals(want)
        assert got.column("file").to_pylist() == [path] * want.num_rows


def test_bad_sources_and_arguments_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="a capture source is a path.*not int"):
        torclass.flows_table(3)
    with pytest.raises(FileNotFoundError, match="no file matches"):
        torclass.flows_table(str(tmp_path / "*.pcap"))
    with pytest.raises(FileNotFoundError, match="no capture files under"):
        torclass.flows_table(tmp_path)
    with pytest.raises(FileNotFoundError):
        torclass.flows_table(tmp_path / "missing.pcap")
    with pytest.raises(OSError, match="binary mode"):
        torclass.flows_table(io.StringIO("text"))
    data = pcap_bytes(peer_wire_flow(1))
    for kwargs, error, text in [
        ({"max_flows": 0}, ValueError, "max_flows must be at least 1, not 0"),
        ({"max_flows": -5}, ValueError, "not -5"),
        ({"max_flows": 1.5}, TypeError, "max_flows must be an int"),
        ({"threads": 0}, ValueError, "threads must be at least 1"),
        ({"on_error": "ignore"}, ValueError, "on_error must be"),
    ]:
        with pytest.raises(error, match=text):
            torclass.flows_table(data, **kwargs)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="max_flows must be from 1"):
            torclass.read_pcap(tmp_path / "x.pcap", max_flows=bad)
        with pytest.raises(ValueError, match="max_flows must be from 1"):
            torclass.Classifier(max_flows=bad)


def test_on_error_raise_keep_skip_and_the_status(tmp_path: Path) -> None:
    good = pcap_bytes(peer_wire_flow(1))
    damaged = pcap_bytes(peer_wire_flow(2) + [Frame("10.0.0.5", 1, "10.0.0.6", 2, b"x" * 200, ts=1_700_000_100.0)])
    damaged = damaged[:-100]
    sources = [("good", good), ("cut", damaged), ("missing", tmp_path / "missing.pcap")]
    with pytest.raises(torclass.CaptureError) as e:
        torclass.flows_table(sources[:2])
    assert e.value.path == "cut" and e.value.truncated
    kept = torclass.flows_table(sources[:2], on_error="keep")
    assert kept.column("file").to_pylist() == ["good", "cut"]
    skipped = torclass.flows_table(sources[:2], on_error="skip")
    assert skipped.column("file").to_pylist() == ["good"]
    status = torclass.read_status(kept).to_pylist()
    assert [s["file"] for s in status] == ["good", "cut"]
    assert status[0]["error"] is None and status[0]["flows"] == 1 and status[0]["frames"] == 2
    assert status[1]["truncated"] and status[1]["offset"] > 0 and "cut" in status[1]["error"]
    missing = torclass.flows_table([tmp_path / "missing.pcap", good], on_error="keep")
    assert "No such file" in torclass.read_status(missing).to_pylist()[0]["error"]
    pytest.importorskip("pandas")
    frame = torclass.flows_dataframe(sources[:2], on_error="keep")
    assert torclass.read_status(frame).num_rows == 2


def test_a_frame_of_a_source_equals_a_frame_of_its_table_which_stays_whole() -> None:
    """flows_dataframe frees the columns of a table it read itself as it converts them; a
    table passed in is left whole."""
    if not CAPTURES:
        no_captures()
    table = torclass.flows_table(CAPTURES[:4])
    before = table.to_pylist()
    frame = torclass.flows_dataframe(table)
    assert frame.equals(torclass.flows_dataframe(CAPTURES[:4]))
    assert table.to_pylist() == before
    assert list(frame.src) == table.column("src").to_pylist()


def test_unsupported_link_types_warn(tmp_path: Path) -> None:
    data = bytearray(pcap_bytes(peer_wire_flow(1)))
    data[20:24] = (147).to_bytes(4, "little")  # LINKTYPE_USER0
    with (
        pytest.warns(torclass.NoFlowsWarning, match="2 of a link or network type"),
        pytest.warns(torclass.UnsupportedLinkTypeWarning, match="unsupported link type 147"),
    ):
        table = torclass.flows_table(bytes(data))
    assert table.num_rows == 0
    assert torclass.read_status(table).column("unknown_link_type").to_pylist() == [147]


def test_threads_give_the_rows_of_one_thread(tmp_path: Path) -> None:
    files = []
    for n in range(5):
        p = tmp_path / f"{n}.pcap"
        p.write_bytes(pcap_bytes(peer_wire_flow(n) + peer_wire_flow(n + 10)))
        files.append(p)
    one = torclass.flows_table(files, threads=1)
    assert torclass.flows_table(files, threads=3).equals(one)
    assert torclass.flows_table(files, threads=64).equals(one)


def test_records_verdicts_and_flows_pickle_and_copy() -> None:
    if not CAPTURES:
        no_captures()
    records = [r for p in CAPTURES for r in torclass.read_pcap(p)]
    for r in records:
        for back in (pickle.loads(pickle.dumps(r)), copy.copy(r), copy.deepcopy(r)):
            assert back == r and back.to_json() == r.to_json()
        assert torclass.FlowRecord(r.to_dict()).to_dict() == r.to_dict()
    v = torclass.classify(PEER_WIRE)
    assert v.is_bittorrent
    assert pickle.loads(pickle.dumps(v)) == v == copy.copy(v) == torclass.Verdict(**v.to_dict())
    flow = torclass.Flow("tcp")
    flow.feed(peer_wire_flow(1)[0].payload[:30], "initiator")
    back = pickle.loads(pickle.dumps(flow))
    for f in (flow, back):
        f.feed(peer_wire_flow(1)[0].payload[30:], "initiator")
        f.feed(peer_wire_flow(1)[1].payload, "responder")
    assert back.to_dict() == flow.to_dict() and back.verdict == flow.verdict
    with pytest.raises(ValueError, match="not the state of a torclass.Flow"):
        torclass.Flow._from_state(b"\x01\x00junk")
    clf = torclass.Classifier(max_flows=16)
    clf.feed(peer_wire_flow(1)[0].bytes())
    back = pickle.loads(pickle.dumps(clf))
    assert [r.to_dict() for r in back.finish()] == [r.to_dict() for r in clf.finish()]


def test_flow_records_from_dicts_check_every_key() -> None:
    base = {"l4": "udp", "src": "10.0.0.1", "sport": 1, "dst": "::1", "dport": 2}
    r = torclass.FlowRecord(base)
    assert r.verdict == "undecided" and r.packets == 0 and r.first_ts == 0.0
    full = torclass.FlowRecord(
        {**base, "verdict": "bittorrent", "protocol": "dht", "confidence": "confirmed",
         "evidence": ["dht_query"], "info_hash": "ab" * 20, "peer_id": "-TR-\\x00\\\\",
         "first_ts": 1.5, "last_ts": 2.0, "decided_at_packet": 1}
    )
    assert full.evidence == ["dht_query"] and full.peer_id == "-TR-\\x00\\\\"
    for change, text in [
        ({"l4": "sctp"}, "transport"),
        ({"sport": 70000}, "sport must be a port"),
        ({"src": "nope"}, "src must be an IPv4"),
        ({"verdict": "bittorrent"}, "protocol must be"),
        ({"protocol": "dht"}, "empty for a undecided"),
        ({"info_hash": "abc"}, "info_hash must be"),
        ({"peer_id": "\\q"}, "peer_id must be"),
        ({"colour": "red"}, 'unknown key "colour"'),
    ]:
        with pytest.raises((ValueError, TypeError), match=text):
            torclass.FlowRecord({**base, **change})
    with pytest.raises(ValueError, match="l4 is required"):
        torclass.FlowRecord({"src": "10.0.0.1"})


def test_polars_and_parquet_keep_the_schema(tmp_path: Path) -> None:
    table = torclass.flows_table(pcap_bytes(peer_wire_flow(1)))
    pl = pytest.importorskip("polars")
    frame = torclass.flows_polars(table)
    assert frame.height == 1 and frame["verdict"].dtype == pl.Categorical
    import pyarrow.parquet as pq

    out = tmp_path / "f.parquet"
    torclass.write_parquet(table, out)
    assert pq.read_table(out).schema == torclass.SCHEMA
    if CLI.exists():
        cli_out = tmp_path / "cli.parquet"
        subprocess.run([str(CLI), "classify", "--format", "parquet", "-o", str(cli_out), str(REPO / "tests/captures/ipv6.pcap")], check=True)
        assert pq.read_schema(cli_out) == torclass.SCHEMA


def test_packets_of_one_flow(capture: Path) -> None:
    table = torclass.flows_table(capture)
    bt = table.filter(pa.compute.equal(table["protocol"], "peer_wire")).slice(0, 1)
    packets = torclass.packets(flow=bt)
    row = bt.to_pylist()[0]
    assert packets.num_rows == row["packets"]
    assert set(packets.column("direction").to_pylist()) == {"initiator", "responder"}
    assert packets.column("ts").to_pylist()[0] == row["first_ts"]
    record = next(r for r in torclass.read_pcap(capture) if r.src == row["src"] and r.sport == row["sport"])
    assert torclass.packets(capture, flow=record).equals(packets)
    with pytest.raises(ValueError, match="no dport"):
        torclass.packets(capture, flow={"l4": "tcp", "src": "1.2.3.4", "sport": 1, "dst": "1.2.3.5"})


def test_summary_is_the_clis(capture: Path) -> None:
    pytest.importorskip("pandas")
    s = torclass.summary(capture)
    if CLI.exists():
        out = subprocess.run([str(CLI), "classify", "--summary", "-f", "jsonl", str(capture)], check=True, capture_output=True, text=True).stdout
        cli = json.loads(out)
        assert int(s.flows.sum()) == cli["summary"]["flows"]
        for protocol, counts in cli["summary"]["bittorrent"]["protocols"].items():
            mine = s[(s.verdict == "bittorrent") & (s.protocol == protocol)]
            assert int(mine.bytes.sum()) == counts["bytes"], protocol
    assert list(s.columns) == ["verdict", "protocol", "flows", "packets", "bytes"]
    assert s.verdict.iloc[0] == "bittorrent"
    frame = torclass.flows_dataframe(capture)
    assert torclass.summary(frame).equals(s)


def test_notices_match_as_the_cli(tmp_path: Path) -> None:
    if not CAPTURES:
        no_captures()
    table = torclass.flows_table(CAPTURES)
    rows = table.to_pylist()
    bt = next(r for r in rows if r["protocol"] == "peer_wire" and r["info_hash"])
    notices = tmp_path / "notices.csv"
    notices.write_text(
        "id,address,port,time,info_hash\n"
        f"seen,{bt['src']},{bt['sport']},{bt['first_ts'].isoformat()},{bt['info_hash']}\n"
        f"none,192.0.2.1,1,{bt['first_ts'].isoformat()},\n"
    )
    result = torclass.match_notices(table, notices)
    assert result.column_names[: len(torclass.MATCH_COLUMNS)] == torclass.MATCH_COLUMNS
    seen = [r for r in result.to_pylist() if r["id"] == "seen"]
    assert seen and seen[0]["result"] == "info_hash_seen"
    assert any(r["info_hash_seen"] and r["protocol"] == "peer_wire" for r in seen)
    none = [r for r in result.to_pylist() if r["id"] == "none"]
    assert len(none) == 1 and none[0]["result"] == "no_flow" and none[0]["src"] is None
    pd = pytest.importorskip("pandas")
    frame = torclass.flows_dataframe(CAPTURES)
    by_frame = torclass.match_notices(frame, pd.read_csv(notices, dtype=str))
    assert by_frame.column("result").to_pylist() == result.column("result").to_pylist()
    if CLI.exists():
        out = subprocess.run([str(CLI), "match", "--notices", str(notices), *map(str, CAPTURES)], check=True, capture_output=True, text=True).stdout
        cli = [json.loads(line) for line in out.splitlines()]
        assert [c["result"] for c in cli] == ["info_hash_seen", "no_flow"]
        assert len(cli[0]["flows"]) == len([r for r in seen if r["match"] == "endpoint"])
        assert len(cli[0]["same_address"]) == len([r for r in seen if r["match"] == "same_address"])
    with pytest.raises(ValueError, match="line 2"):
        torclass.match_notices(table, [{"address": "x", "port": 1, "time": "2024-01-01T00:00:00Z"}])


def test_ctrl_c_stops_flows_table(tmp_path: Path) -> None:
    """SIGINT while flows_table reads (GIL released, on its own threads) raises
    KeyboardInterrupt from the call, within about 100 ms of a chunk. One source is a pipe that
    never ends, so the signal always lands during the read (a file could be read before it
    arrives); the other is a whole file read beside it. Without the interrupt the writer gives
    up after 60 s, the read ends and the test fails."""
    import signal
    import threading
    import time

    if not CAPTURES:
        no_captures()
    data = max(CAPTURES, key=lambda p: p.stat().st_size).read_bytes()
    big = tmp_path / "big.pcap"
    big.write_bytes(data)
    fifo = tmp_path / "endless.pcap"
    os.mkfifo(fifo)
    frames = [Frame("10.0.0.1", 5000, "10.0.0.2", 53, b"x" * 20, ts=1.7e9, udp=True)]
    header_and_one = pcap_bytes(frames)
    records = header_and_one[24:] * 1000
    stop = threading.Event()

    feeder = feed_pipe(fifo, header_and_one, records, stop, repeat=True)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            torclass.flows_table([fifo, big], threads=2)
    finally:
        timer.cancel()
        stop.set()
        # A writer still waiting for a reader to open the pipe is let through (then EPIPE).
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        feeder.join()
    assert time.monotonic() - start < 30


def test_plot_draws_each_protocols_bytes(capture: Path) -> None:
    """plot: one area per BitTorrent protocol whose heights add up to the flows' bytes; a
    table without BitTorrent says so."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = torclass.flows_table(capture)
    frame = table.to_pandas()
    bt = frame[frame.verdict == "bittorrent"]
    # 1s: many bins; 1h: the whole capture in one (closed at the next bin, without a warning).
    for freq in ("1s", "1h"):
        ax = torclass.plot(table, freq=freq)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert sorted(labels) == sorted(set(bt.protocol.astype(str)))
        assert len(ax.collections) == len(labels)
        assert ax.get_ylabel() == f"BitTorrent bytes per {freq}"
    empty = torclass.plot(table.slice(0, 0))
    assert [t.get_text() for t in empty.texts] == ["no BitTorrent flow"]
    plt.close("all")
