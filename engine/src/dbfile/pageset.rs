//! A set of page numbers as a bitmap: the pages a header references, the pages a backup has
//! pinned, the free pages. A database of 1 GiB in 8 KiB pages needs 16 KiB for each, and
//! building, combining and searching them is word by word: pinning a database for a backup
//! and freeing its pages again afterwards cost well under a millisecond, not a sorted tree of
//! 131,072 nodes.
//!
//! Invariant: `len` is the number of bits set; no word past the last one set is kept; every
//! word below `low` is zero (so taking the lowest page, over and over, scans each word once).

use std::fmt;

/// A set of page numbers.
#[derive(Clone, Default)]
pub struct PageSet {
    words: Vec<u64>,
    len: usize,
    low: usize,
}

impl fmt::Debug for PageSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PageSet({} pages)", self.len)
    }
}

impl PartialEq for PageSet {
    fn eq(&self, other: &PageSet) -> bool {
        self.words == other.words
    }
}

impl Eq for PageSet {}

impl FromIterator<u32> for PageSet {
    fn from_iter<I: IntoIterator<Item = u32>>(pages: I) -> PageSet {
        let mut set = PageSet::default();
        for p in pages {
            set.insert(p);
        }
        set
    }
}

impl PageSet {
    /// An empty set.
    pub fn new() -> PageSet {
        PageSet::default()
    }

    fn trim(&mut self) {
        while self.words.last() == Some(&0) {
            self.words.pop();
        }
        debug_assert_eq!(
            self.len,
            self.words
                .iter()
                .map(|w| w.count_ones() as usize)
                .sum::<usize>(),
            "len counts the bits set"
        );
        debug_assert!(
            self.words.iter().take(self.low).all(|w| *w == 0),
            "no page below the low mark"
        );
    }

    /// Adds `page`; false when it was there.
    pub fn insert(&mut self, page: u32) -> bool {
        let (word, bit) = (page as usize / 64, page % 64);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.low = self.low.min(word);
        let had = self.words[word] & (1 << bit) != 0;
        self.words[word] |= 1 << bit;
        self.len += usize::from(!had);
        !had
    }

    /// Whether `page` is in the set.
    pub fn contains(&self, page: u32) -> bool {
        self.words
            .get(page as usize / 64)
            .is_some_and(|w| w & (1 << (page % 64)) != 0)
    }

    /// Pages in the set.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties the set.
    pub fn clear(&mut self) {
        self.words.clear();
        self.len = 0;
        self.low = 0;
    }

    /// Removes and returns the lowest page.
    pub fn pop_first(&mut self) -> Option<u32> {
        let low = self.low;
        let (i, w) = self
            .words
            .iter_mut()
            .enumerate()
            .skip(low)
            .find(|(_, w)| **w != 0)?;
        self.low = i;
        let bit = w.trailing_zeros();
        *w &= !(1 << bit);
        self.len -= 1;
        let page = u32::try_from(i * 64).expect("page numbers fit u32") + bit;
        self.trim();
        Some(page)
    }

    /// The pages in `range_start..range_end` in neither `a` nor `b`.
    pub fn complement_of(a: &PageSet, b: &PageSet, range_start: u32, range_end: u32) -> PageSet {
        let end_words = (range_end as usize).div_ceil(64);
        let word = |s: &PageSet, i: usize| s.words.get(i).copied().unwrap_or(0);
        let mut out = PageSet {
            words: (0..end_words).map(|i| !(word(a, i) | word(b, i))).collect(),
            len: 0,
            low: 0,
        };
        // Clear the bits outside the range.
        for p in 0..range_start.min(range_end) {
            let (w, bit) = (p as usize / 64, p % 64);
            out.words[w] &= !(1 << bit);
        }
        if range_end % 64 != 0 {
            let last = end_words - 1;
            out.words[last] &= (1u64 << (range_end % 64)) - 1;
        }
        out.len = out.words.iter().map(|w| w.count_ones() as usize).sum();
        out.trim();
        out
    }

    /// The pages, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let base = u32::try_from(i * 64).expect("page numbers fit u32");
            (0..64u32)
                .filter(move |bit| w & (1 << bit) != 0)
                .map(move |bit| base + bit)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_page_set_agrees_with_a_sorted_set() {
        let pages = [2u32, 3, 63, 64, 65, 127, 128, 1000, 4095];
        let set: PageSet = pages.iter().copied().collect();
        let tree: BTreeSet<u32> = pages.iter().copied().collect();
        assert_eq!(set.len(), tree.len());
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            tree.iter().copied().collect::<Vec<_>>()
        );
        for p in 0..5000 {
            assert_eq!(set.contains(p), tree.contains(&p), "page {p}");
        }
        let mut popped = set.clone();
        let mut order = Vec::new();
        while let Some(p) = popped.pop_first() {
            order.push(p);
        }
        assert_eq!(order, pages.to_vec());
        assert!(popped.is_empty() && popped == PageSet::new());
        // A page below the ones taken so far is found again.
        let mut set: PageSet = [500u32, 900].into_iter().collect();
        assert_eq!(set.pop_first(), Some(500));
        set.insert(3);
        assert_eq!(
            (set.pop_first(), set.pop_first(), set.pop_first()),
            (Some(3), Some(900), None)
        );
    }

    #[test]
    fn the_complement_covers_exactly_the_range_outside_both_sets() {
        let a: PageSet = [2u32, 5, 70].into_iter().collect();
        let b: PageSet = [3u32, 129].into_iter().collect();
        let free = PageSet::complement_of(&a, &b, 2, 131);
        let expect: Vec<u32> = (2..131)
            .filter(|p| ![2, 3, 5, 70, 129].contains(p))
            .collect();
        assert_eq!(free.iter().collect::<Vec<_>>(), expect);
        assert_eq!(free.len(), expect.len());
        assert!(PageSet::complement_of(&a, &b, 2, 2).is_empty());
        assert_eq!(PageSet::complement_of(&a, &b, 0, 64).len(), 64 - 3);
    }
}
