//! paycode's own trade and refund numbers.

use rand::Rng;

use crate::clock::UnixMillis;

/// Digits in paycode's own trade and refund numbers: the creation time in milliseconds, then
/// random digits.
const SERIAL_DIGITS: usize = 20;
/// Digits of the creation time at the start of a trade or refund number: Unix milliseconds
/// have 13 digits from 2001 to 2286.
const SERIAL_TIME_DIGITS: usize = 13;

/// A trade or refund number made at `now`: its 13 digits of Unix milliseconds, then 7 random
/// digits. Numbers grow with time, so the unique index on them takes each new one at its end
/// (one page per batch, where random numbers dirtied one page per payment, scattered over an
/// index that grows all day); the random digits keep them revealing no volume (a counter
/// would tell a merchant how many trades others made between two of its own). Two numbers of
/// the same millisecond collide with a chance of one in ten million; the unique index refuses
/// the second, its batch then runs its payments again one by one, each with a new number.
pub(super) fn serial_number(now: UnixMillis) -> String {
    let millis = u64::try_from(now).unwrap_or(0) % 10_u64.pow(SERIAL_TIME_DIGITS as u32);
    let mut rng = rand::rngs::OsRng;
    let random: String = (SERIAL_TIME_DIGITS..SERIAL_DIGITS)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect();
    format!("{millis:0width$}{random}", width = SERIAL_TIME_DIGITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_number_is_twenty_digits_starting_with_its_millisecond() {
        let number = serial_number(1_796_000_000_123);
        assert_eq!(number.len(), SERIAL_DIGITS);
        assert!(number.bytes().all(|byte| byte.is_ascii_digit()), "{number}");
        assert!(number.starts_with("1796000000123"), "{number}");
    }

    #[test]
    fn serial_numbers_of_later_milliseconds_sort_after_earlier_ones() {
        let mut previous = serial_number(1_796_000_000_000);
        for now in 1_796_000_000_001..1_796_000_000_200 {
            let number = serial_number(now);
            assert!(number > previous, "{number} after {previous}");
            previous = number;
        }
    }

    #[test]
    fn serial_numbers_of_one_millisecond_differ_in_their_random_digits() {
        let numbers: std::collections::HashSet<String> =
            (0..100).map(|_| serial_number(1_796_000_000_000)).collect();
        assert!(numbers.len() > 90, "{}", numbers.len());
    }
}
