//! Text made once per task or bin (tasks.csv rows, events, bin names), where the
//! formatting machinery was a visible share of the run: numbers written digit by digit,
//! and a fast test for the bytes a CSV cell or JSON string must quote or escape.

/// The two digits of 0 to 99, in order.
const PAIRS: [u8; 200] = {
    let mut p = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        p[2 * i] = b'0' + (i / 10) as u8;
        p[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    p
};

/// Appends `n` in decimal, two digits per division.
pub fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[n as usize * 2..n as usize * 2 + 2]);
    } else {
        at -= 1;
        digits[at] = b'0' + n as u8;
    }
    out.extend_from_slice(&digits[at..]);
}

/// Appends `ms` milliseconds as seconds with three decimals (`12.345`).
pub fn push_secs(out: &mut Vec<u8>, ms: u64) {
    push_decimal(out, ms / 1000);
    let frac = ms % 1000;
    out.extend_from_slice(&[
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

/// `ms` milliseconds as seconds with three decimals (`12.345`).
pub fn secs_string(ms: u64) -> String {
    let mut out = Vec::with_capacity(16);
    push_secs(&mut out, ms);
    String::from_utf8(out).expect("digits are ASCII")
}

/// Whether any byte of `s` is `special`, where every special byte is below `below`
/// (at most 128) or equal to `also`: eight bytes at a time are first tested for a byte
/// below `below` or equal to `also` (most text has none), and only a chunk that has one
/// is looked at byte by byte. For quoting CSV cells and escaping JSON strings.
pub fn any_special(s: &[u8], below: u8, also: Option<u8>, special: impl Fn(&u8) -> bool) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    debug_assert!(below <= 128);
    // A byte of x below n (bytes at or above 0x80 excepted) sets its high bit.
    let has_below = |x: u64, n: u8| x.wrapping_sub(ONES * n as u64) & !x & HIGHS != 0;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes(c.try_into().expect("eight bytes"));
        let suspect = has_below(v, below) || also.is_some_and(|a| has_below(v ^ (ONES * a as u64), 1));
        if suspect && c.iter().any(&special) {
            return true;
        }
    }
    chunks.remainder().iter().any(special)
}

#[cfg(test)]
mod tests {
    #[test]
    fn seconds_have_three_decimals() {
        for ms in [0u64, 7, 1_000, 12_345, 86_400_001] {
            assert_eq!(super::secs_string(ms), format!("{}.{:03}", ms / 1000, ms % 1000));
        }
    }

    #[test]
    fn decimals_are_written_as_format_writes_them() {
        for n in (0..100_000).chain([999_999, 1_000_000, 123_456_789, u64::MAX - 1, u64::MAX]) {
            let mut out = b"x".to_vec();
            super::push_decimal(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), format!("x{n}"));
        }
    }
}
