//! Bin-packing instance files: BPPLIB's BPP format (1-D) and VPSolver's `.vbp`
//! (d-dimensional), read into one shape. Errors name the file, line and column.

use crate::error::{Error, Problem};

/// One bin-packing instance: identical bins, and items in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackInstance {
    /// The file name without its extension.
    pub name: String,
    /// The bin's capacity per dimension (one for a 1-D instance).
    pub capacity: Vec<u32>,
    /// Item sizes, `capacity.len()` per item, items in file order (a `.vbp` item
    /// type repeated by its demand).
    pub sizes: Vec<u32>,
}

impl PackInstance {
    /// Dimensions.
    pub fn dims(&self) -> usize {
        self.capacity.len()
    }

    /// Items.
    pub fn len(&self) -> usize {
        self.sizes.len() / self.dims().max(1)
    }

    /// Whether it has no items.
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// Item `i`'s sizes.
    pub fn item(&self, i: usize) -> &[u32] {
        let d = self.dims();
        &self.sizes[i * d..(i + 1) * d]
    }

    /// The volume lower bound: the most bins any one dimension's total needs.
    pub fn volume_bound(&self) -> u64 {
        (0..self.dims())
            .map(|k| {
                let total: u64 = (0..self.len()).map(|i| self.item(i)[k] as u64).sum();
                total.div_ceil(self.capacity[k].max(1) as u64)
            })
            .max()
            .unwrap_or(0)
    }
}

/// The instance formats read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// BPPLIB: `n`, `c`, then `n` weights, one number per line.
    Bpp,
    /// VPSolver: `d`, `d` capacities, `m`, then `m` lines of `d` sizes and a demand.
    Vbp,
    /// An openb pod list (CSV), run in the GPU-sharing research mode
    /// ([`super::gpu_share`]) on the node list beside it, not packed into bins.
    OpenbPods,
}

impl Format {
    /// The format a file says, if any: `.vbp`, BPPLIB's `.txt` / `.bpp`, or a `.csv`
    /// whose header is an openb pod list's.
    pub fn of(path: &std::path::Path) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("vbp") => Some(Format::Vbp),
            Some("txt" | "bpp") => Some(Format::Bpp),
            Some("csv") if super::gpu_share::is_pod_list(path) => Some(Format::OpenbPods),
            _ => None,
        }
    }
}

/// Numbers of a text, each with its 1-based line and column.
struct Numbers<'a> {
    file: &'a str,
    tokens: Vec<(&'a str, usize, usize)>,
    at: usize,
}

impl<'a> Numbers<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        let mut tokens = Vec::new();
        for (l, line) in text.lines().enumerate() {
            let mut col = 0;
            for part in line.split(|c: char| c.is_ascii_whitespace()) {
                if !part.is_empty() {
                    tokens.push((part, l + 1, col + 1));
                }
                col += part.len() + 1;
            }
        }
        Numbers { file, tokens, at: 0 }
    }

    fn error(&self, pos: Option<(usize, usize)>, message: String) -> Error {
        let position = pos.or_else(|| self.tokens.last().map(|t| (t.1, t.2 + t.0.len())));
        Error::Invalid(vec![Problem {
            file: self.file.to_string(),
            path: String::new(),
            position,
            message,
        }])
    }

    /// The next number, which `what` names, between `min` and `max`.
    fn next(&mut self, what: &str, min: u64, max: u64) -> Result<u32, Error> {
        let Some(&(tok, line, col)) = self.tokens.get(self.at) else {
            return Err(self.error(None, format!("the file ends where {what} was expected")));
        };
        self.at += 1;
        match tok.parse::<u64>() {
            Ok(v) if (min..=max).contains(&v) => Ok(v as u32),
            Ok(v) => Err(self.error(
                Some((line, col)),
                format!("{what} is {v}: it must be from {min} to {max}"),
            )),
            Err(_) if tok.parse::<i64>().is_ok() => Err(self.error(
                Some((line, col)),
                format!(
                    "{what} is {tok}: sizes and counts are whole numbers from {min} (ecsim packs no negative sizes)"
                ),
            )),
            Err(_) => Err(self.error(
                Some((line, col)),
                format!("{what} is `{tok}`: a whole number was expected"),
            )),
        }
    }

    fn position(&self) -> Option<(usize, usize)> {
        self.tokens.get(self.at.saturating_sub(1)).map(|t| (t.1, t.2))
    }

    fn end(&self) -> Result<(), Error> {
        match self.tokens.get(self.at) {
            None => Ok(()),
            Some(&(tok, line, col)) => Err(self.error(
                Some((line, col)),
                format!("`{tok}` after the last item: the counts at the top say the file ends before it"),
            )),
        }
    }
}

/// The most items an instance may have (a `.vbp` demand multiplies).
pub const MAX_ITEMS: u64 = 50_000_000;
/// The most dimensions a `.vbp` instance may have.
pub const MAX_DIMS: u64 = 64;

/// Reads an instance of `format` from `text`; `file` names it in errors, and its stem
/// is the instance's name.
pub fn parse(file: &str, text: &str, format: Format) -> Result<PackInstance, Error> {
    let mut n = Numbers::new(file, text);
    let big = u32::MAX as u64;
    let (capacity, sizes) = match format {
        Format::Bpp => {
            let count = n.next("the number of items (first line)", 1, MAX_ITEMS)?;
            let c = n.next("the bin capacity (second line)", 1, big)?;
            let mut sizes = Vec::with_capacity(count as usize);
            for i in 0..count {
                sizes.push(n.next(&format!("item {}'s weight", i + 1), 1, c as u64)?);
            }
            (vec![c], sizes)
        }
        Format::Vbp => {
            let d = n.next("the number of dimensions (first number)", 1, MAX_DIMS)? as usize;
            let capacity = (0..d)
                .map(|k| n.next(&format!("the bin capacity in dimension {}", k + 1), 1, big))
                .collect::<Result<Vec<u32>, Error>>()?;
            let types = n.next("the number of item types", 1, MAX_ITEMS)?;
            let mut sizes = Vec::new();
            let mut items = 0u64;
            for t in 0..types {
                let size = (0..d)
                    .map(|k| {
                        n.next(
                            &format!("item type {}'s size in dimension {}", t + 1, k + 1),
                            0,
                            capacity[k] as u64,
                        )
                    })
                    .collect::<Result<Vec<u32>, Error>>()?;
                let demand = n.next(&format!("item type {}'s demand", t + 1), 0, MAX_ITEMS)?;
                items += demand as u64;
                if items > MAX_ITEMS {
                    return Err(n.error(
                        n.position(),
                        format!("more than {MAX_ITEMS} items in all: demands add up past the limit"),
                    ));
                }
                for _ in 0..demand {
                    sizes.extend_from_slice(&size);
                }
            }
            (capacity, sizes)
        }
        Format::OpenbPods => {
            return Err(n.error(
                None,
                "an openb pod list is a GPU-sharing experiment on its node list, not bins to pack".into(),
            ));
        }
    };
    n.end()?;
    let name = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file)
        .to_string();
    Ok(PackInstance { name, capacity, sizes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_bpp_and_a_vbp_instance() {
        let bpp = parse("x/u4.txt", "4\n10\n5\n5\n7\n3\n", Format::Bpp).unwrap();
        assert_eq!((bpp.name.as_str(), bpp.dims(), bpp.len()), ("u4", 1, 4));
        assert_eq!(bpp.item(2), &[7]);
        assert_eq!(bpp.volume_bound(), 2);
        let vbp = parse("CL_1.vbp", "2\n10 20\n2\n4 5 2\n6 20 1\n", Format::Vbp).unwrap();
        assert_eq!(vbp.len(), 3);
        assert_eq!(vbp.sizes, vec![4, 5, 4, 5, 6, 20]);
        assert_eq!(vbp.volume_bound(), 2);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let e = parse("a.txt", "3\n10\n5\n11\n1\n", Format::Bpp)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "a.txt:4:1: item 2's weight is 11: it must be from 1 to 10");
        let e = parse("a.vbp", "2\n10 10\n1\n4 x 1\n", Format::Vbp)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "a.vbp:4:3: item type 1's size in dimension 2 is `x`: a whole number was expected"
        );
        let e = parse("a.txt", "3\n10\n5\n", Format::Bpp).unwrap_err().to_string();
        assert!(e.starts_with("a.txt:3:2: the file ends where item 2's weight"), "{e}");
        let e = parse("a.txt", "1\n10\n5\n6\n", Format::Bpp).unwrap_err().to_string();
        assert!(e.starts_with("a.txt:4:1: `6` after the last item"), "{e}");
    }
}
