//! [`BlockEvent`]: the line the blocker writes for each flow it blocks (or, with `--dry-run`,
//! would block): when, which queue, the user, and the flow's record with the same keys as
//! `torclass classify --format jsonl`.

use std::net::IpAddr;

use torclass_capture::{write_jsonl, FlowRecord};

/// One blocked flow.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockEvent {
    /// When it was blocked, nanoseconds since the Unix epoch.
    pub time_ns: u64,
    /// The queue that saw it.
    pub queue: u16,
    /// Only logged (`--dry-run`), not blocked.
    pub dry_run: bool,
    /// The end of the flow inside the users' networks (else its initiator).
    pub user: IpAddr,
    /// The flow.
    pub record: FlowRecord,
}

impl BlockEvent {
    /// The event as one JSON object and a newline: `time` (RFC 3339, UTC, microseconds),
    /// `event` (`block` or `dry_run`), `queue`, `user`, then the flow record's keys.
    pub fn json_line(&self) -> String {
        let mut record = Vec::with_capacity(512);
        // Writing to a Vec cannot fail.
        let _ = write_jsonl(&mut record, &self.record);
        let record = String::from_utf8_lossy(&record);
        let rest = record.strip_prefix('{').unwrap_or(&record);
        format!(
            "{{\"time\":\"{}\",\"event\":\"{}\",\"queue\":{},\"user\":\"{}\",{rest}",
            rfc3339(self.time_ns),
            if self.dry_run { "dry_run" } else { "block" },
            self.queue,
            self.user,
        )
    }
}

/// `ns` since the epoch as `YYYY-MM-DDTHH:MM:SS.uuuuuuZ` (RFC 3339 §5.6).
pub fn rfc3339(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let micros = ns % 1_000_000_000 / 1_000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of day `days` since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use torclass_core::Transport;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(951_782_400_123_000_000),
            "2000-02-29T00:00:00.123000Z"
        );
        assert_eq!(
            rfc3339(1_700_000_003_500_000_000),
            "2023-11-14T22:13:23.500000Z"
        );
        assert_eq!(
            rfc3339(4_102_444_799_000_000_000),
            "2099-12-31T23:59:59.000000Z"
        );
    }

    #[test]
    fn line_is_one_json_object_with_the_record_keys() {
        let record = FlowRecord::new(
            Transport::Tcp,
            Ipv4Addr::new(10, 8, 0, 2).into(),
            40000,
            Ipv4Addr::new(192, 0, 2, 1).into(),
            6881,
        );
        let e = BlockEvent {
            time_ns: 1_700_000_003_500_000_000,
            queue: 2,
            dry_run: false,
            user: Ipv4Addr::new(10, 8, 0, 2).into(),
            record,
        };
        let line = e.json_line();
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["time"], "2023-11-14T22:13:23.500000Z");
        assert_eq!(v["event"], "block");
        assert_eq!(v["queue"], 2);
        assert_eq!(v["user"], "10.8.0.2");
        assert_eq!(v["dst"], "192.0.2.1");
        assert_eq!(v["dport"], 6881);
        for key in torclass_capture::COLUMNS {
            assert!(v.get(key).is_some(), "{key}");
        }
    }
}
