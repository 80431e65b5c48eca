//! The timestamp unit check: a clock in seconds, milliseconds or microseconds where torclass
//! takes nanoseconds stretches every timeout (a thousand- to a billion-fold) without any
//! error. [`torclass_clock_unit`] tells, for one timestamp, which unit it looks like; every
//! table checks the first timestamp it is given and keeps the answer in
//! `torclass_table_stats.clock_unit` (debug builds also print one warning to stderr).
//!
//! The rule compares the value with the wall clock (the only reference that tells a live clock
//! in the wrong unit from a relative one): a timestamp within a day of the current time
//! counted in seconds, milliseconds or microseconds since 1970 is in that unit. Nanoseconds
//! since 1970 pass, and so do relative clocks (`CLOCK_MONOTONIC`, time since boot or since a
//! capture began): such a clock collides with the rule only when it reads, in nanoseconds, the
//! current time in one of the other units give or take a day — an uptime of 1.8 s ± 86 µs,
//! 30 min ± 86 ms or 21 days ± 86 s (late 2026; they grow with the date). Timestamps far from today in the
//! wrong unit (an old capture replayed with millisecond times) are not detected.

use std::time::{SystemTime, UNIX_EPOCH};

/// `torclass_clock_unit`, `torclass_table_stats.clock_unit`: the timestamp is plausible as
/// nanoseconds (since 1970, or a relative clock such as `CLOCK_MONOTONIC`), or not checked
/// yet.
pub const TORCLASS_CLOCK_NANOSECONDS: u8 = 0;
/// The timestamp is the current time in seconds since 1970: every timeout would be a
/// billion times longer.
pub const TORCLASS_CLOCK_SECONDS: u8 = 1;
/// The timestamp is the current time in milliseconds since 1970 (as nDPI takes them): every
/// timeout would be a million times longer.
pub const TORCLASS_CLOCK_MILLISECONDS: u8 = 2;
/// The timestamp is the current time in microseconds since 1970 (`struct timeval`, pcap):
/// every timeout would be a thousand times longer.
pub const TORCLASS_CLOCK_MICROSECONDS: u8 = 3;

const DAY_S: u64 = 86_400;

/// The unit `timestamp` looks like at `now_s` (seconds since 1970).
pub(crate) fn unit_at(timestamp: u64, now_s: u64) -> u8 {
    let units = [
        (TORCLASS_CLOCK_SECONDS, 1),
        (TORCLASS_CLOCK_MILLISECONDS, 1_000),
        (TORCLASS_CLOCK_MICROSECONDS, 1_000_000),
    ];
    for (unit, per_second) in units {
        let now = now_s.saturating_mul(per_second);
        if timestamp.abs_diff(now) <= DAY_S.saturating_mul(per_second) {
            return unit;
        }
    }
    TORCLASS_CLOCK_NANOSECONDS
}

/// The unit `timestamp` looks like now; nanoseconds if the wall clock is before 1970.
pub(crate) fn unit(timestamp: u64) -> u8 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(now) => unit_at(timestamp, now.as_secs()),
        Err(_) => TORCLASS_CLOCK_NANOSECONDS,
    }
}

/// The unit's name for messages.
pub(crate) fn unit_name(unit: u8) -> &'static str {
    match unit {
        TORCLASS_CLOCK_SECONDS => "seconds",
        TORCLASS_CLOCK_MILLISECONDS => "milliseconds",
        TORCLASS_CLOCK_MICROSECONDS => "microseconds",
        _ => "nanoseconds",
    }
}

/// Which unit `timestamp` looks like: `TORCLASS_CLOCK_NANOSECONDS` (0) when it is plausible
/// as the nanoseconds every torclass function takes, else `TORCLASS_CLOCK_SECONDS`,
/// `_MILLISECONDS` or `_MICROSECONDS`: the value is within a day of the current time counted
/// in that unit since 1970. Relative clocks (`CLOCK_MONOTONIC`, since boot, since a capture
/// began) pass. Call it on your clock once at start-up, in any build:
/// `assert(torclass_clock_unit(now_ns()) == TORCLASS_CLOCK_NANOSECONDS);`. Tables run the same
/// check on the first timestamp they get (`torclass_table_stats.clock_unit`). Safe from any
/// thread.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_clock_unit(timestamp: u64) -> u8 {
    ffi_boundary!(TORCLASS_CLOCK_NANOSECONDS, { unit(timestamp) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_clocks_in_other_units_are_named() {
        let now = 1_796_000_000; // 2026-11
        assert_eq!(unit_at(now, now), TORCLASS_CLOCK_SECONDS);
        assert_eq!(unit_at(now * 1_000 + 999, now), TORCLASS_CLOCK_MILLISECONDS);
        assert_eq!(
            unit_at(now * 1_000_000 - 5, now),
            TORCLASS_CLOCK_MICROSECONDS
        );
        assert_eq!(
            unit_at(now * 1_000_000_000, now),
            TORCLASS_CLOCK_NANOSECONDS
        );
        // A pcap's time a few hours old, in microseconds.
        let hours_ago = (now - 5 * 3600) * 1_000_000;
        assert_eq!(unit_at(hours_ago, now), TORCLASS_CLOCK_MICROSECONDS);
    }

    #[test]
    fn relative_clocks_pass() {
        let now = 1_796_000_000;
        for t in [
            0,
            1,
            999_999_999,
            60 * 1_000_000_000,
            3 * 3600 * 1_000_000_000,
        ] {
            assert_eq!(unit_at(t, now), TORCLASS_CLOCK_NANOSECONDS, "{t}");
        }
        // 40 days of uptime in nanoseconds; a capture from 2015 in milliseconds (undetected).
        assert_eq!(unit_at(40 * DAY_S * 1_000_000_000, now), 0);
        assert_eq!(unit_at(1_430_000_000_000, now), 0);
        assert_eq!(unit_at(u64::MAX, now), 0);
        // SAFETY: always safe.
        let zero = unsafe { torclass_clock_unit(0) };
        assert_eq!(zero, TORCLASS_CLOCK_NANOSECONDS);
    }
}
