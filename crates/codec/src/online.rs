//! Online codes (SPEC section 2.2): a prefix and sixteen random digits.

use rand::{CryptoRng, RngCore};

use crate::code::{PaymentCode, Prefix, PAYLOAD_LIMIT};

/// The largest multiple of `10^16` that fits in a `u64`. Random words at or above it are
/// redrawn, so that every payload below `10^16` is equally likely.
const UNBIASED_LIMIT: u64 = u64::MAX / PAYLOAD_LIMIT * PAYLOAD_LIMIT;

/// Redraws allowed before concluding the generator is broken. One draw in about 38,000 is
/// redrawn, so a working generator never comes near this.
const MAX_DRAWS: usize = 64;

/// Makes an online code: `prefix` followed by sixteen uniformly random digits from `rng`.
///
/// Pass the operating system's generator (`rand::rngs::OsRng`) in production; the parameter
/// exists so that tests can use a seeded one. The digits are drawn by rejection sampling, so no
/// payload is more likely than another.
///
/// # Panics
///
/// If `rng` returns 64 words in a row from the top 0.003% of the `u64` range, which only a
/// broken generator does.
pub fn generate_online_code<R>(prefix: Prefix, rng: &mut R) -> PaymentCode
where
    R: RngCore + CryptoRng + ?Sized,
{
    for _ in 0..MAX_DRAWS {
        let word = rng.next_u64();
        if word < UNBIASED_LIMIT {
            return PaymentCode::from_parts(prefix, word % PAYLOAD_LIMIT);
        }
    }
    panic!("the random number generator returned {MAX_DRAWS} out-of-range words in a row");
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::{OsRng, StdRng};
    use rand::SeedableRng;

    #[test]
    fn an_online_code_keeps_its_prefix_and_has_eighteen_digits() {
        let prefix = Prefix::new(80).unwrap();
        for _ in 0..1_000 {
            let code = generate_online_code(prefix, &mut OsRng);
            let text = code.to_string();
            assert_eq!(text.len(), 18);
            assert!(text.starts_with("80"));
            assert_eq!(PaymentCode::parse(&text).unwrap(), code);
        }
    }

    #[test]
    fn every_digit_position_takes_every_value_about_equally_often() {
        let mut rng = StdRng::seed_from_u64(2024);
        let prefix = Prefix::new(80).unwrap();
        let draws = 20_000;
        let mut counts = [[0u32; 10]; 16];
        for _ in 0..draws {
            let mut payload = generate_online_code(prefix, &mut rng).payload();
            for position in counts.iter_mut().rev() {
                position[(payload % 10) as usize] += 1;
                payload /= 10;
            }
        }
        // Each count is binomial with mean 2000 and standard deviation about 42; a bias such
        // as a stuck or missing digit would be far outside this band.
        for (position, digit_counts) in counts.iter().enumerate() {
            for (digit, &count) in digit_counts.iter().enumerate() {
                assert!(
                    (1_750..=2_250).contains(&count),
                    "digit {digit} at position {position} appeared {count} times in {draws}"
                );
            }
        }
    }

    #[test]
    fn words_in_the_biased_tail_are_redrawn() {
        /// Returns the first value once, then the second for ever.
        struct Scripted([u64; 2], usize);
        impl RngCore for Scripted {
            fn next_u32(&mut self) -> u32 {
                self.next_u64() as u32
            }
            fn next_u64(&mut self) -> u64 {
                let word = self.0[self.1.min(1)];
                self.1 += 1;
                word
            }
            fn fill_bytes(&mut self, bytes: &mut [u8]) {
                bytes.fill(0)
            }
            fn try_fill_bytes(&mut self, bytes: &mut [u8]) -> Result<(), rand::Error> {
                self.fill_bytes(bytes);
                Ok(())
            }
        }
        impl CryptoRng for Scripted {}

        let prefix = Prefix::new(80).unwrap();
        let mut rng = Scripted([u64::MAX, 42], 0);
        assert_eq!(generate_online_code(prefix, &mut rng).payload(), 42);
        assert_eq!(rng.1, 2, "the biased word was discarded");
    }
}
