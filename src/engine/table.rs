//! The world's entity tables (topics and their partitions, producers, groups, their instances
//! and partitions), and the one place the engine skips Rust's bounds checks.
//!
//! Why: the engine finds an entity by its number at every step (`groups[group]`, then
//! `instances[instance]`, then `partitions[slot]`, again in each function a record passes
//! through), and each lookup compared the number with the table's length first: about 6
//! million compare-and-branch pairs in the SimPy retry-topic run, 21 per kernel event. Without
//! them the run takes 9% fewer instructions and 4% less time (callgrind; `evflow bench`, 12
//! alternating rounds).
//!
//! How it stays sound. The rule: no `pub` function takes an `Ix` or turns a number from
//! its caller into one, so unchecked lookups happen only inside the engine, on numbers it made.
//! - Tables do not shrink: `Table` has no method that removes an entry, and the engine never
//!   replaces a table or swaps its entries. (The type does not forbid it to code that holds a
//!   table mutably, which outside the engine means a cloned world: one that cannot be
//!   stepped, and whose public methods all look up checked.) So an entity number, once valid,
//!   stays valid for the world's lifetime, and a seek checkpoint (a clone) has the same
//!   entities. Nothing outside the engine gets the running world mutably.
//! - Unchecked lookups take an `Ix`, which only the engine's own code makes (`id.ix()`), from
//!   the numbers it handed out itself: those in its scheduled events, its records and its
//!   subscription tables, each used on the table it numbers. Every other lookup (a `usize`, as
//!   from the web app, the metrics or the engine's public queries) is checked as before.
//! - Numbers from outside are checked where they come in: `Simulation::crash` and `restart`
//!   (the web app's buttons); the names and instance numbers of timeline actions, as the
//!   simulation is built and again as each runs (`World::on_action`), for a `Scenario` built
//!   in code rather than read and validated.
//! - Numbers never wrap: the build fails past 65,536 topics (retry and dead-letter topics
//!   included), groups or producers, or 65,535 instances in a group.
//! - A partition number crosses to another topic in two places. A failed record forwarded to
//!   a retry or dead-letter topic keeps its partition only if that topic has it
//!   (`forward_partition`, as Spring does), and `World::append` checks its lookup all the
//!   same. A replayed dead letter goes to its partition modulo the original topic's count.
//! - Builds with debug assertions (`cargo test`, the browser tests, the property tests over
//!   random scenarios) check every lookup all the same, and panic on a bad one.
//!
//! Two reviews traced every unchecked lookup to where its number is made. The three ways a
//! number could leave its range that the first found (a partition of a smaller retry or
//! dead-letter topic, topic and group numbers wrapping) were panics before this module, and
//! are closed above.

use std::ops::{Deref, DerefMut, Index, IndexMut};

/// A table of entities that grows and never shrinks, looked up by number.
#[derive(Clone, Debug)]
pub struct Table<T>(Vec<T>);

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table(Vec::new())
    }
}

impl<T> Table<T> {
    /// Adds an entity; its number is the table's length before.
    pub fn push(&mut self, entity: T) {
        self.0.push(entity);
    }
}

impl<T> From<Vec<T>> for Table<T> {
    fn from(entities: Vec<T>) -> Self {
        Table(entities)
    }
}

/// Reads as a slice: iteration, `len`, `get`, and checked indexing by `usize`. Not as a `Vec`:
/// that would let a table shrink.
impl<T> Deref for Table<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> DerefMut for Table<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<'a, T> IntoIterator for &'a Table<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Table<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}

/// Checked lookup, as a slice's.
impl<T> Index<usize> for Table<T> {
    type Output = T;

    #[inline]
    fn index(&self, index: usize) -> &T {
        &self.0[index]
    }
}

impl<T> IndexMut<usize> for Table<T> {
    #[inline]
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.0[index]
    }
}

/// The number of an entity the engine handed out itself (see the module documentation): an
/// unchecked lookup in release builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::engine) struct Ix(usize);

/// Entity numbers as the engine stores them.
pub(in crate::engine) trait EntityNumber {
    /// This number as an unchecked index. Only for numbers the engine handed out.
    fn ix(self) -> Ix;
}

impl EntityNumber for u16 {
    #[inline(always)]
    fn ix(self) -> Ix {
        Ix(usize::from(self))
    }
}

impl EntityNumber for u32 {
    #[inline(always)]
    fn ix(self) -> Ix {
        Ix(self as usize)
    }
}

impl<T> Index<Ix> for Table<T> {
    type Output = T;

    #[inline(always)]
    fn index(&self, index: Ix) -> &T {
        if cfg!(debug_assertions) {
            return &self.0[index.0];
        }
        // SAFETY: `index` is the number of an entity of this table (see the module
        // documentation), which never shrinks, so it is below the length.
        unsafe { self.0.get_unchecked(index.0) }
    }
}

impl<T> IndexMut<Ix> for Table<T> {
    #[inline(always)]
    fn index_mut(&mut self, index: Ix) -> &mut T {
        if cfg!(debug_assertions) {
            return &mut self.0[index.0];
        }
        // SAFETY: as for `index`.
        unsafe { self.0.get_unchecked_mut(index.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_reads_like_a_slice_and_finds_entities_by_number() {
        let mut table: Table<&str> = Table::default();
        table.push("orders");
        table.push("payments");
        assert_eq!(table.len(), 2);
        assert_eq!(table[1], "payments");
        assert_eq!(table[1u16.ix()], "payments");
        assert_eq!(table[0u32.ix()], "orders");
        table[1u16.ix()] = "refunds";
        assert_eq!(
            table.iter().copied().collect::<Vec<_>>(),
            ["orders", "refunds"]
        );
        assert_eq!(table.get(2), None);
    }

    #[test]
    #[should_panic]
    fn a_number_from_outside_is_checked() {
        let table: Table<u8> = vec![1, 2].into();
        let _ = table[2];
    }

    /// Tests build with debug assertions: there the engine's own lookups are checked too, so a
    /// bad number fails a test instead of reading past the table.
    #[test]
    #[should_panic]
    #[cfg(debug_assertions)]
    fn the_engines_lookups_are_checked_in_tests() {
        let table: Table<u8> = vec![1, 2].into();
        let _ = table[7u16.ix()];
    }
}
