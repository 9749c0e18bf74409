//! Reproducible random streams.
//!
//! Every random stream is a xoshiro256++ generator (from `rand_xoshiro`, whose
//! output is specified and portable, unlike `rand`'s `StdRng`) seeded from the
//! experiment seed and an identity: a short list of integers naming what the
//! stream is for (sweep point, replication, purpose). Identities are mixed
//! with SplitMix64, so nearby identities give unrelated streams.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The simulator's random number generator.
pub type SimRng = Xoshiro256PlusPlus;

/// One SplitMix64 step: a bijective mix of 64 bits.
#[inline]
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes a seed and an identity into one 64-bit seed.
pub fn derive_seed(seed: u64, identity: &[u64]) -> u64 {
    let mut h = splitmix64(seed);
    for &part in identity {
        h = splitmix64(h ^ splitmix64(part.wrapping_add(0x6A09_E667_F3BC_C909)));
    }
    h
}

/// A random stream for `(seed, identity)`.
pub fn stream(seed: u64, identity: &[u64]) -> SimRng {
    SimRng::seed_from_u64(derive_seed(seed, identity))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn same_identity_same_stream_and_different_identities_differ() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = stream(42, &[1, 2]);
                move |_| r.random()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = stream(42, &[1, 2]);
                move |_| r.random()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(derive_seed(42, &[1, 2]), derive_seed(42, &[2, 1]));
        assert_ne!(derive_seed(42, &[1]), derive_seed(43, &[1]));
        assert_ne!(derive_seed(42, &[]), derive_seed(42, &[0]));
    }

    #[test]
    fn stream_output_is_pinned() {
        // The generator and the derivation are part of the reproducibility
        // contract: a change here changes every published result.
        let mut r = stream(1, &[0]);
        let x: u64 = r.random();
        assert_eq!(x, stream(1, &[0]).random::<u64>());
        assert_eq!(derive_seed(0, &[]), 0xE220_A839_7B1D_CDAF);
    }
}
