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
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut id = [0; 32];
        for (half, v) in id.chunks_exact_mut(16).zip([a, b]) {
            for (k, d) in half.iter_mut().enumerate() {
                *d = DIGITS[(v >> (4 * (15 - k))) as usize & 15];
            }
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
}
