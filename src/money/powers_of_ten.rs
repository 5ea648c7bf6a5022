//! Powers of ten: the scales of Decimal mantissas and of the engine's scaled integers.

/// 10^0 ..= 10^38. Every entry is below 2^127, so it is also an `i128` ([`pow10`]).
pub(crate) const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// [`POW10`]'s first 20 entries, the powers of ten a `u64` holds.
pub(crate) const POW10_U64: [u64; 20] = {
    let mut t = [0u64; 20];
    let mut i = 0;
    while i < 20 {
        t[i] = POW10[i] as u64;
        i += 1;
    }
    t
};

/// 10^k as an `i128`, for k ≤ 38.
#[inline]
pub(crate) fn pow10(k: u32) -> Option<i128> {
    POW10.get(k as usize).map(|&p| p as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_power_is_ten_times_the_last() {
        assert_eq!(POW10[0], 1);
        assert_eq!(
            POW10[38],
            100_000_000_000_000_000_000_000_000_000_000_000_000
        );
        for k in 1..39 {
            assert_eq!(POW10[k], POW10[k - 1] * 10);
        }
        assert_eq!(POW10_U64[19], 10_000_000_000_000_000_000);
        assert_eq!(pow10(38), Some(10i128.pow(38)));
        assert_eq!(pow10(39), None);
    }
}
