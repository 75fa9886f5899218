//! A fast hasher for the short keys of a data set (ids, statuses, accounts), and the
//! interner that makes equal text values share one allocation.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// The Fx hash (rustc's) with a final mix, so that ids differing only in their last
/// characters (`P00017`, `P00018`) still spread over the table. Not resistant to chosen
/// collisions, which a data file could only use to slow down its own load.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (slot, byte) in word.iter_mut().zip(rest) {
                *slot = *byte;
            }
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        // murmur3's finalizer: every input bit reaches the low bits the table indexes by.
        let mut hash = self.hash;
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
        hash ^= hash >> 33;
        hash
    }
}

/// Builds `FxHasher`s.
pub(crate) type FxBuildHasher = BuildHasherDefault<FxHasher>;
/// A `HashSet` with `FxHasher`.
pub(crate) type FxHashSet<T> = HashSet<T, FxBuildHasher>;
/// A `HashMap` with `FxHasher`.
pub(crate) type FxHashMap<K, V> = HashMap<K, V, FxBuildHasher>;

/// A text of at most 16 bytes packed into integers, so that hashing and comparing it
/// needs no loop and no call: most ids and repeated values (`won`, `ACC04530`,
/// `P00017`) are this short.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ShortText {
    head: u64,
    tail: u64,
    len: u8,
}

impl ShortText {
    /// The packed form of `text`, or `None` when it is longer than 16 bytes. Two texts
    /// have equal forms exactly when they are equal: for a given length, `head` and
    /// `tail` (overlapping when the text is shorter than 16 bytes) hold every byte.
    pub(crate) fn new(text: &str) -> Option<ShortText> {
        let bytes = text.as_bytes();
        let len = bytes.len();
        let word = |at: usize| bytes.get(at..at + 8).and_then(|word| <[u8; 8]>::try_from(word).ok()).map_or(0, u64::from_le_bytes);
        let half = |at: usize| bytes.get(at..at + 4).and_then(|half| <[u8; 4]>::try_from(half).ok()).map_or(0, |half| u64::from(u32::from_le_bytes(half)));
        let byte = |at: usize| bytes.get(at).map_or(0, |&byte| u64::from(byte));
        let (head, tail) = match len {
            0 => (0, 0),
            1..=3 => (byte(0) | byte(len / 2) << 8 | byte(len - 1) << 16, 0),
            4..=7 => (half(0), half(len - 4)),
            8..=16 => (word(0), word(len - 8)),
            _ => return None,
        };
        Some(ShortText { head, tail, len: u8::try_from(len).ok()? })
    }
}

/// A set of texts, short ones packed (see `ShortText`).
#[derive(Default)]
pub(crate) struct TextSet<'a> {
    short: FxHashSet<ShortText>,
    long: FxHashSet<&'a str>,
}

impl<'a> TextSet<'a> {
    /// Adds `text`.
    pub(crate) fn insert(&mut self, text: &'a str) {
        match ShortText::new(text) {
            Some(short) => self.short.insert(short),
            None => self.long.insert(text),
        };
    }

    /// Whether the set holds `text`.
    pub(crate) fn contains(&self, text: &str) -> bool {
        match ShortText::new(text) {
            Some(short) => self.short.contains(&short),
            None => self.long.contains(text),
        }
    }
}

/// Shares equal text values (statuses, accounts, products) between rows: a million
/// bookings with eight products hold eight strings, not a million.
#[derive(Default)]
pub(crate) struct Interner {
    /// Short values by their packed form.
    short: FxHashMap<ShortText, Arc<str>>,
    /// Longer values.
    long: FxHashSet<Arc<str>>,
    /// Per column (see `get_for`), the value it gave last: a column often repeats it.
    last: [Option<(ShortText, Arc<str>)>; 8],
}

impl Interner {
    /// Values kept for sharing at most: a column of distinct values (a free-text note)
    /// then stops growing the table, and its values are simply allocated.
    const MAX_SHARED: usize = 1 << 16;

    /// `text` as a shared string, the same allocation as every earlier equal value.
    pub(crate) fn get(&mut self, text: &str) -> Arc<str> {
        match ShortText::new(text) {
            Some(short) => self.get_short(short, text),
            None => self.get_long(text),
        }
    }

    /// `get` for a value of column `column` (any small number that tells columns
    /// apart), checking first whether it is the value the column gave last.
    pub(crate) fn get_for(&mut self, column: usize, text: &str) -> Arc<str> {
        let Some(short) = ShortText::new(text) else {
            return self.get_long(text);
        };
        if let Some(Some((last, shared))) = self.last.get(column) {
            if *last == short {
                return Arc::clone(shared);
            }
        }
        let shared = self.get_short(short, text);
        if let Some(slot) = self.last.get_mut(column) {
            *slot = Some((short, Arc::clone(&shared)));
        }
        shared
    }

    fn get_short(&mut self, short: ShortText, text: &str) -> Arc<str> {
        if let Some(shared) = self.short.get(&short) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        if self.short.len() + self.long.len() < Self::MAX_SHARED {
            self.short.insert(short, Arc::clone(&shared));
        }
        shared
    }

    fn get_long(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.long.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        if self.short.len() + self.long.len() < Self::MAX_SHARED {
            self.long.insert(Arc::clone(&shared));
        }
        shared
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn interned_values_share_one_allocation() {
        let mut interner = Interner::default();
        let a = interner.get("won");
        let b = interner.get_for(0, "won");
        let c = interner.get_for(0, "lost");
        let d = interner.get_for(0, "won");
        assert!(Arc::ptr_eq(&a, &b) && Arc::ptr_eq(&a, &d));
        assert_eq!(&*c, "lost");
        assert!(!Arc::ptr_eq(&a, &c));
        let long = "a value longer than sixteen bytes";
        let e = interner.get_for(1, long);
        let f = interner.get(long);
        assert!(Arc::ptr_eq(&e, &f));
        assert_eq!(&*e, long);
    }

    #[test]
    fn short_texts_are_equal_exactly_when_the_texts_are() {
        let mut texts: Vec<String> = vec![String::new(), "\u{0}".into(), "\u{0}\u{0}".into()];
        for len in 1..=17 {
            let base: String = (0..len).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            texts.push(base.clone());
            // The same length, one byte changed at each position.
            for at in 0..len {
                let mut bytes = base.clone().into_bytes();
                bytes[at] = b'Z';
                texts.push(String::from_utf8(bytes).unwrap());
            }
            texts.push(format!("{base}\u{0}"));
        }
        texts.push("é".into());
        texts.push("ée".into());
        for a in &texts {
            for b in &texts {
                match (ShortText::new(a), ShortText::new(b)) {
                    (Some(x), Some(y)) => assert_eq!(x == y, a == b, "{a:?} {b:?}"),
                    (x, y) => {
                        assert_eq!(x.is_none(), a.len() > 16);
                        assert_eq!(y.is_none(), b.len() > 16);
                    }
                }
            }
        }
        let mut set = TextSet::default();
        for text in &texts {
            set.insert(text);
        }
        assert!(texts.iter().all(|text| set.contains(text)));
        assert!(!set.contains("not in the set at all"));
        assert!(!set.contains("zz"));
    }

    #[test]
    fn close_ids_spread_over_the_low_bits() {
        let build = FxBuildHasher::default();
        let mut buckets = std::collections::BTreeSet::new();
        for i in 0..1024 {
            let id = format!("P{i:05}");
            buckets.insert(build.hash_one(id.as_str()) & 1023);
        }
        // A poor mix would put these in a handful of buckets.
        assert!(buckets.len() > 500, "{} buckets", buckets.len());
    }
}
