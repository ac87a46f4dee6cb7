//! String interning: attribute names and values, task groups. Lookups only — nothing
//! ever iterates the hash map, so its order cannot leak into decisions or outputs.

use rustc_hash::FxHashMap;

/// An interned string.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(pub u32);

/// A table of interned strings; ids are handed out in first-seen order.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    ids: FxHashMap<String, Sym>,
    names: Vec<String>,
}

impl Interner {
    /// The symbol for `s`, creating it if new.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = Sym(self.names.len() as u32);
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }

    /// The symbol for `s`, if it was ever interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.ids.get(s).copied()
    }

    /// The string of `id`.
    pub fn resolve(&self, id: Sym) -> &str {
        &self.names[id.0 as usize]
    }

    /// How many strings are interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
