//! Packet timestamps: exact nanoseconds since the epoch, and seconds as `f64`.

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// A pcap record timestamp: seconds and a fraction in micro- or nanoseconds.
pub(crate) fn pcap_nanos(secs: u32, fraction: u32, nanosecond_magic: bool) -> i128 {
    let scale = if nanosecond_magic { 1 } else { 1_000 };
    // In 64 bits (every packet takes this path): (2^32 - 1) · 10^9 + (2^32 - 1) · 10^3 < 2^64.
    i128::from(u64::from(secs) * 1_000_000_000 + u64::from(fraction) * scale)
}

/// A pcapng timestamp: `ticks` in units of the interface's `if_tsresol` (high bit clear:
/// 10^-n s, set: 2^-n s), plus its `if_tsoffset` in seconds. Finer than nanoseconds is
/// truncated towards zero.
pub(crate) fn pcapng_nanos(ticks: u64, tsresol: u8, tsoffset: i64) -> i128 {
    let exponent = u32::from(tsresol & 0x7f);
    let ticks = u128::from(ticks);
    let nanos = if tsresol & 0x80 == 0 {
        if exponent <= 9 {
            // ticks < 2^64 and 10^9 < 2^30: fits in u128.
            ticks * 10u128.pow(9 - exponent)
        } else {
            // 10^(n-9) > u64::MAX >= ticks once n - 9 >= 20.
            10u128
                .checked_pow(exponent - 9)
                .map_or(0, |divisor| ticks / divisor)
        }
    } else {
        // ticks * 10^9 < 2^94; the shift is at most 127.
        (ticks * 1_000_000_000) >> exponent
    };
    // nanos < 2^94 fits in i128.
    i128::try_from(nanos).unwrap_or(i128::MAX) + i128::from(tsoffset) * NANOS_PER_SEC
}

/// Seconds since the epoch as `f64`, with the whole seconds and the fraction converted
/// separately so the fraction keeps its precision.
pub(crate) fn seconds(nanos: i128) -> f64 {
    // Every packet takes this path: 64-bit arithmetic (until 2262) avoids the software i128
    // division and conversion, which cost about 100 instructions a packet.
    if let Ok(nanos) = i64::try_from(nanos) {
        const PER_SEC: i64 = 1_000_000_000;
        return nanos.div_euclid(PER_SEC) as f64 + nanos.rem_euclid(PER_SEC) as f64 / 1e9;
    }
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let frac = nanos.rem_euclid(NANOS_PER_SEC);
    // Casts: |secs| < 2^64 in practice; f64 rounding is the documented convenience.
    secs as f64 + frac as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcap_micro_and_nano() {
        assert_eq!(pcap_nanos(1, 5, false), 1_000_005_000);
        assert_eq!(pcap_nanos(1, 5, true), 1_000_000_005);
        let max = i128::from(u32::MAX);
        assert_eq!(
            pcap_nanos(u32::MAX, u32::MAX, false),
            max * NANOS_PER_SEC + max * 1_000
        );
    }

    #[test]
    fn pcapng_resolutions() {
        assert_eq!(pcapng_nanos(1_500_000, 6, 0), 1_500_000_000);
        assert_eq!(pcapng_nanos(1_500_000_000, 9, 0), 1_500_000_000);
        assert_eq!(pcapng_nanos(15, 1, 0), 1_500_000_000);
        assert_eq!(pcapng_nanos(1_500_000_000_123, 12, 0), 1_500_000_000);
        assert_eq!(pcapng_nanos(3, 0x80 | 1, 0), 1_500_000_000);
        assert_eq!(pcapng_nanos(1 << 30, 0x80 | 30, 0), 1_000_000_000);
        assert_eq!(pcapng_nanos(u64::MAX, 127, 0), 0);
        assert_eq!(pcapng_nanos(u64::MAX, 0xff, 0), 0);
        assert_eq!(pcapng_nanos(2, 0, -1), 1_000_000_000);
    }

    #[test]
    fn seconds_keep_microseconds() {
        let s = seconds(1_700_000_000_123_456_000);
        assert_eq!(format!("{s:.6}"), "1700000000.123456");
        assert_eq!(seconds(-500_000_000), -0.5);
        let beyond_i64 = 40_000_000_000 * NANOS_PER_SEC + 250_000_000;
        assert_eq!(seconds(beyond_i64), 40_000_000_000.25);
        for n in [0i128, 1, 999_999_999, -1, -1_000_000_001, 1 << 62] {
            let (s, f) = (n.div_euclid(NANOS_PER_SEC), n.rem_euclid(NANOS_PER_SEC));
            assert_eq!(seconds(n), s as f64 + f as f64 / 1e9, "{n}");
        }
    }
}
