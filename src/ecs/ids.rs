//! Ids shaped like the ones ECS prints (32 hex digits), made deterministically from a
//! kind tag and a sequence number by a bijective mix, so they never collide and the
//! sequence number can be read back.

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
const M1: u64 = 0xbf58_476d_1ce4_e5b9;
const M2: u64 = 0x94d0_49bb_1331_11eb;

/// An id of 32 hex digits, made without allocating (a big run names every task).
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct HexId([u8; 32]);

impl HexId {
    /// The id of the `n`-th thing of `kind`.
    pub fn new(kind: u64, n: u64) -> Self {
        let a = mix(n ^ (kind << 56));
        let b = mix(a ^ GOLDEN);
        let mut id = [0; 32];
        for (eight, v) in id.chunks_exact_mut(8).zip([a >> 32, a, b >> 32, b]) {
            eight.copy_from_slice(&hex8(v as u32));
        }
        HexId(id)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }

    /// The digits' bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Display for HexId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for HexId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The id of the `n`-th thing of `kind`, as a string.
pub fn hex_id(kind: u64, n: u64) -> String {
    HexId::new(kind, n).as_str().to_string()
}

/// The sequence number of an id [`hex_id`] made for `kind`, if it is one.
pub fn parse_hex_id(kind: u64, id: &str) -> Option<u64> {
    if id.len() != 32 || !id.is_ascii() {
        return None;
    }
    let a = u64::from_str_radix(&id[..16], 16).ok()?;
    let b = u64::from_str_radix(&id[16..], 16).ok()?;
    let n = unmix(a) ^ (kind << 56);
    (mix(a ^ GOLDEN) == b && n >> 56 == 0).then_some(n)
}

/// The eight lowercase hex digits of `v`, most significant first: each nibble spread
/// to a byte of its own, then turned into its digit in all eight bytes at once (the
/// ids of a big run's records are made millions of times).
fn hex8(v: u32) -> [u8; 8] {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    // A byte of 10 or more carries into its bit 4 when 6 is added: it takes a letter.
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (x + 0x3030_3030_3030_3030 + letters * (b'a' - b'0' - 10) as u64).to_be_bytes()
}

/// A deterministic well-mixed number from a kind tag and a sequence number.
pub fn mixed(kind: u64, n: u64) -> u64 {
    mix(n ^ (kind << 56))
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(M1);
    z = (z ^ (z >> 27)).wrapping_mul(M2);
    z ^ (z >> 31)
}

/// The inverse of an odd number modulo 2^64 (Newton's iteration).
fn inverse(m: u64) -> u64 {
    let mut x = m;
    for _ in 0..5 {
        x = x.wrapping_mul(2u64.wrapping_sub(m.wrapping_mul(x)));
    }
    x
}

/// The inverse of `x ^ (x >> s)`.
fn unshift(y: u64, s: u32) -> u64 {
    let mut x = y;
    for _ in 0..64 / s {
        x = y ^ (x >> s);
    }
    x
}

fn unmix(mut z: u64) -> u64 {
    z = unshift(z, 31);
    z = unshift(z.wrapping_mul(inverse(M2)), 27);
    z = unshift(z.wrapping_mul(inverse(M1)), 30);
    z.wrapping_sub(GOLDEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_look_like_ecs_ids_differ_and_read_back() {
        let a = hex_id(1, 0);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, hex_id(1, 1));
        assert_ne!(a, hex_id(2, 0));
        for n in [0, 1, 7, 123_456, (1 << 40) + 3] {
            assert_eq!(parse_hex_id(0x7A, &hex_id(0x7A, n)), Some(n));
        }
        assert_eq!(parse_hex_id(0x7B, &hex_id(0x7A, 5)), None);
        assert_eq!(parse_hex_id(0x7A, "not-an-id"), None);
        for n in [0, 1, 255, 1 << 40, u64::MAX >> 8] {
            let a = mix(n ^ (0xC1 << 56));
            assert_eq!(hex_id(0xC1, n), format!("{a:016x}{:016x}", mix(a ^ GOLDEN)));
        }
        assert_eq!(parse_hex_id(0x7A, &"0".repeat(32)), None);
    }

    #[test]
    fn eight_digits_at_once_are_format_s() {
        let mut v: u32 = 0;
        for _ in 0..100_000 {
            v = v.wrapping_mul(2_654_435_761).wrapping_add(0x9e37_79b9);
            for x in [
                v,
                v & 0x0f0f_0f0f,
                v | 0xa0a0_a0a0,
                0,
                u32::MAX,
                0x0909_0909,
                0x0a0a_0a0a,
            ] {
                assert_eq!(hex8(x), *format!("{x:08x}").as_bytes());
            }
        }
    }
}
