//! Random streams: one master seed, split into independent ChaCha8 streams.
//!
//! A stream is named by a `(concern, index)` pair — the domain decides what the
//! concerns are (arrivals, durations, placement ties, faults …) and what the index
//! means (usually which workload). Each pair maps to ChaCha's own 64-bit stream
//! parameter under the same key, so drawing more numbers from one stream never
//! shifts another.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

/// The random generator every stream uses.
pub type StreamRng = ChaCha8Rng;

/// An exponentially distributed gap (a Poisson process's) with mean `mean_ms`
/// milliseconds, rounded to the millisecond and at least 1 ms.
pub fn exponential_gap(rng: &mut StreamRng, mean_ms: f64) -> crate::engine::SimDuration {
    crate::engine::SimDuration((standard_exponential(rng) * mean_ms).round().max(1.0) as u64)
}

/// A uniform draw in (0, 1]: 53 random bits, so every value is exact.
pub(crate) fn unit_open_closed(rng: &mut StreamRng) -> f64 {
    use rand::Rng;
    1.0 - (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An Exp(1) draw by inversion, −ln U. The logarithm is `libm`'s, a pure-Rust
/// implementation, so the same seed gives the same bits on every platform (the
/// platform's own `ln`, and samplers built on it, may differ in the last bit).
pub fn standard_exponential(rng: &mut StreamRng) -> f64 {
    -libm::log(unit_open_closed(rng))
}

/// A standard normal draw by Box–Muller (one of the pair; two uniforms per draw), with
/// `libm`'s logarithm and cosine, for the same bits on every platform.
pub fn standard_normal(rng: &mut StreamRng) -> f64 {
    let (u1, u2) = (unit_open_closed(rng), unit_open_closed(rng));
    (-2.0 * libm::log(u1)).sqrt() * libm::cos(std::f64::consts::TAU * u2)
}

/// A master seed, from which named streams are derived.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RngStreams {
    master: u64,
}

impl RngStreams {
    /// Streams derived from `master`.
    pub fn new(master: u64) -> Self {
        RngStreams { master }
    }

    /// The master seed.
    pub fn master(&self) -> u64 {
        self.master
    }

    /// The stream for `concern`, instance `index` of it.
    pub fn stream(&self, concern: u32, index: u32) -> StreamRng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.master);
        rng.set_stream(((concern as u64) << 32) | index as u64);
        rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let s = RngStreams::new(42);
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(s.stream(1, 0), |r, _| Some(r.random()))
            .collect();
        let mut again = s.stream(1, 0);
        let b: Vec<u64> = (0..4).map(|_| again.random()).collect();
        assert_eq!(a, b);
        let mut other = s.stream(2, 0);
        let c: u64 = other.random();
        assert_ne!(a[0], c);
        let mut other_seed = RngStreams::new(43).stream(1, 0);
        assert_ne!(a[0], other_seed.random::<u64>());
    }
}

#[cfg(test)]
mod draws {
    use super::*;

    /// Pinned bits: a platform whose arithmetic differed would fail here first.
    #[test]
    fn draws_have_the_same_bits_everywhere() {
        let mut r = RngStreams::new(1).stream(0, 0);
        let e: Vec<u64> = (0..3).map(|_| standard_exponential(&mut r).to_bits()).collect();
        let n: Vec<u64> = (0..3).map(|_| standard_normal(&mut r).to_bits()).collect();
        assert_eq!(
            e,
            vec![0x3fe07ab10c81c588, 0x3fb573d6144cd606, 0x3fed0c1b7c333965],
            "{e:x?}"
        );
        assert_eq!(
            n,
            vec![0xbfc2eccf5d50117b, 0xbff872827e72b207, 0x3fda03057ccc0ec4],
            "{n:x?}"
        );
    }
}
