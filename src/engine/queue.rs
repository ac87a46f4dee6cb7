//! The event queue: a radix heap of base 16 ordered by time, so events at equal times
//! come out first-in first-out, with lazy cancellation by generation.
//!
//! A cancellable event is scheduled against a [`Slot`]; [`EventQueue::cancel`] bumps the
//! slot's generation and every event scheduled against the old generation is dropped,
//! unseen, when it reaches the head of the queue.
//!
//! Why a radix heap: simulated time never goes back, so every time pushed is at least
//! the last time settled. Times are read as sixteen hexadecimal digits. An entry lives
//! in the bucket (level, digit) of the highest digit where its time differs from the
//! last settled time `last`, and its own value of that digit; equal to `last`, it is in
//! the head, a first-in first-out queue. Every entry of a lower bucket comes before
//! every entry of a higher one. Pushing is O(1); popping empties the lowest non-empty
//! bucket around its least time into lower ones, and an entry only ever moves down a
//! level, so it moves at most once per hexadecimal digit of its distance from the head:
//! four or five times for an event ten minutes ahead in milliseconds. With one bucket
//! per bit (the binary radix heap this replaced) such an event moved about once per
//! bit, three to four times as often. The 4-ary heap before that did O(log n)
//! comparisons and moves per push and pop (see docs/PERFORMANCE.md).
//!
//! Equal times need no sequence number: an entry's bucket is a function of its time
//! and `last`, so entries of one time always share a bucket, and every move drains a
//! bucket in order and appends, so they keep their insertion order.

use super::prefetch::prefetch;
use super::time::SimTime;
use std::collections::VecDeque;

/// A cancellation handle: events scheduled on a slot die together when it is cancelled.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub u32);

const NO_SLOT: u32 = u32::MAX;
/// Bits per digit of a time.
const DIGIT_BITS: u32 = 4;
/// Values of a digit.
const RADIX: usize = 1 << DIGIT_BITS;
/// Digits of a 64-bit time.
const LEVELS: usize = 64 / DIGIT_BITS as usize;
/// The largest bucket capacity kept for reuse after the bucket is emptied.
const KEEP_CAPACITY: usize = 1024;
/// Entries that move from this level or above to a lower one (due within
/// 2^(DIGIT_BITS · SOON_LEVEL) ms of the head: 16 ms) are shown to the caller's hint.
const SOON_LEVEL: usize = 1;

struct Entry<E> {
    time: u64,
    slot: u32,
    generation: u32,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime(self.time)
    }
}

/// The bucket of `time` relative to the last settled time `last`, as (level, digit);
/// None for the head (equal times).
fn bucket_of(time: u64, last: u64) -> Option<(usize, usize)> {
    let differ = time ^ last;
    if differ == 0 {
        return None;
    }
    let level = (63 - differ.leading_zeros()) / DIGIT_BITS;
    let digit = (time >> (level * DIGIT_BITS)) as usize & (RADIX - 1);
    Some((level as usize, digit))
}

/// A discrete-event queue over a closed event type `E`.
pub struct EventQueue<E> {
    /// Entries at the last settled time, in insertion order.
    head: VecDeque<Entry<E>>,
    /// Bucket (level, digit) at `level · RADIX + digit`.
    buckets: Vec<Vec<Entry<E>>>,
    /// Per level, bit d set: bucket (level, d) is not empty.
    digits: [u16; LEVELS],
    /// Bit l set: level l has a non-empty bucket.
    levels: u16,
    last: u64,
    len: usize,
    now: SimTime,
    generations: Vec<u32>,
    popped: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            head: VecDeque::new(),
            buckets: (0..LEVELS * RADIX).map(|_| Vec::new()).collect(),
            digits: [0; LEVELS],
            levels: 0,
            last: 0,
            len: 0,
            now: SimTime::ZERO,
            generations: Vec::new(),
            popped: 0,
        }
    }

    /// The time of the last event popped (the simulated clock).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events waiting, including cancelled ones not yet dropped.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Live events delivered so far.
    pub fn delivered(&self) -> u64 {
        self.popped
    }

    /// Schedules `event` at `at`. Scheduling into the past is a broken invariant.
    pub fn schedule(&mut self, at: SimTime, event: E) {
        self.push(at, NO_SLOT, 0, event);
    }

    /// Schedules `event` at `at`, to be dropped if `slot` is cancelled before then.
    pub fn schedule_on(&mut self, at: SimTime, slot: Slot, event: E) {
        let idx = slot.0 as usize;
        if idx >= self.generations.len() {
            self.generations.resize(idx + 1, 0);
        }
        let generation = self.generations[idx];
        self.push(at, slot.0, generation, event);
    }

    /// Drops every event scheduled on `slot` so far.
    pub fn cancel(&mut self, slot: Slot) {
        if let Some(g) = self.generations.get_mut(slot.0 as usize) {
            *g = g.wrapping_add(1);
        }
    }

    fn push(&mut self, at: SimTime, slot: u32, generation: u32, event: E) {
        assert!(at >= self.now, "event scheduled in the past: {at} < now {}", self.now);
        let e = Entry {
            time: at.millis(),
            slot,
            generation,
            event,
        };
        if e.time < self.last {
            self.rebase(e.time);
        }
        self.place(e);
        self.len += 1;
    }

    /// Puts `e` in its bucket relative to `last`.
    fn place(&mut self, e: Entry<E>) {
        let at = bucket_of(e.time, self.last);
        self.put(e, at);
    }

    /// Puts `e` in bucket `at` (None: the head).
    #[inline]
    fn put(&mut self, e: Entry<E>, at: Option<(usize, usize)>) {
        match at {
            None => self.head.push_back(e),
            Some((level, digit)) => {
                self.buckets[level * RADIX + digit].push(e);
                self.digits[level] |= 1 << digit;
                self.levels |= 1 << level;
            }
        }
    }

    /// Re-buckets every entry around `time`, below all of them. Needed only when a time
    /// below the last settled one arrives: after a peek (or dropped cancelled events)
    /// settled on a later head that was not popped. A run's loop pops what it peeks,
    /// so this is rare; it costs one pass over the waiting events.
    fn rebase(&mut self, time: u64) {
        self.last = time;
        self.digits = [0; LEVELS];
        self.levels = 0;
        let mut all: Vec<Entry<E>> = self.head.drain(..).collect();
        all.extend(self.buckets.iter_mut().flat_map(|b| b.drain(..)));
        for e in all {
            self.place(e);
        }
    }

    /// Makes the head hold the least time (when any): empties the lowest non-empty
    /// bucket around its least time into lower ones. An event that comes below
    /// [`SOON_LEVEL`] from above it is shown to `soon`.
    fn settle_head(&mut self, soon: &mut impl FnMut(Option<Slot>, &E)) -> Option<&Entry<E>> {
        if self.head.is_empty() {
            if self.levels == 0 {
                return None;
            }
            let level = self.levels.trailing_zeros() as usize;
            let digit = self.digits[level].trailing_zeros() as usize;
            let b = level * RADIX + digit;
            let mut moving = std::mem::take(&mut self.buckets[b]);
            self.digits[level] &= !(1 << digit);
            if self.digits[level] == 0 {
                self.levels &= !(1 << level);
            }
            self.last = moving
                .iter()
                .map(|e| e.time)
                .min()
                .expect("an occupied bucket has entries");
            for e in moving.drain(..) {
                let at = bucket_of(e.time, self.last);
                if level >= SOON_LEVEL && at.is_none_or(|(l, _)| l < SOON_LEVEL) {
                    self.hint(&e, soon);
                }
                self.put(e, at);
            }
            // A small bucket keeps its room for the next entries; a large one gives its
            // memory back (a bucket's peak can be most of the queue, once).
            if moving.capacity() <= KEEP_CAPACITY {
                self.buckets[b] = moving;
            }
        }
        self.head.front()
    }

    /// Shows a soon-due live event to `soon` and prefetches its slot's generation.
    fn hint(&self, e: &Entry<E>, soon: &mut impl FnMut(Option<Slot>, &E)) {
        if e.slot == NO_SLOT {
            soon(None, &e.event);
        } else {
            prefetch(&self.generations[e.slot as usize], 1);
            soon(Some(Slot(e.slot)), &e.event);
        }
    }

    /// Removes the head; call only when [`settle_head`](Self::settle_head) found one.
    fn pop_head(&mut self) -> Option<Entry<E>> {
        let e = self.head.pop_front()?;
        self.len -= 1;
        Some(e)
    }

    /// Removes and returns the next live event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until_hinting(SimTime(u64::MAX), |_, _| {})
    }

    /// Like [`pop`](Self::pop), but leaves events later than `end` in the queue.
    pub fn pop_until(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        self.pop_until_hinting(end, |_, _| {})
    }

    /// Like [`pop_until`](Self::pop_until), and shows `soon` each event (and its slot)
    /// as it comes within a few milliseconds of the head (most events once, some never),
    /// so that a caller can prefetch what the event will touch.
    pub fn pop_until_hinting(&mut self, end: SimTime, mut soon: impl FnMut(Option<Slot>, &E)) -> Option<(SimTime, E)> {
        loop {
            let head = self.settle_head(&mut soon)?;
            let (slot, generation) = (head.slot, head.generation);
            if slot == NO_SLOT || self.generations[slot as usize] == generation {
                break;
            }
            self.pop_head();
        }
        if self.head.front()?.time() > end {
            return None;
        }
        let e = self.pop_head()?;
        self.now = e.time();
        self.popped += 1;
        Some((e.time(), e.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_come_out_in_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), 'b');
        q.schedule(SimTime(1), 'a');
        q.schedule(SimTime(5), 'c');
        q.schedule(SimTime(5), 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c', 'd']);
        assert_eq!(q.now(), SimTime(5));
    }

    #[test]
    fn cancelled_slots_drop_their_events_only() {
        let mut q = EventQueue::new();
        q.schedule_on(SimTime(3), Slot(0), "stale");
        q.schedule_on(SimTime(4), Slot(1), "kept");
        q.cancel(Slot(0));
        q.schedule_on(SimTime(6), Slot(0), "fresh");
        let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(got, vec![(SimTime(4), "kept"), (SimTime(6), "fresh")]);
        assert_eq!(q.delivered(), 2);
    }

    #[test]
    fn pop_until_leaves_later_events() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), 1);
        q.schedule(SimTime(20), 2);
        assert_eq!(q.pop_until(SimTime(15)), Some((SimTime(10), 1)));
        assert_eq!(q.pop_until(SimTime(15)), None);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn a_far_event_is_hinted_once_shortly_before_it_comes_out() {
        let mut q = EventQueue::new();
        for t in [1_000u64, 1_003, 5_000, 70_000] {
            q.schedule(SimTime(t), t);
        }
        // (event, how many events had been popped when it was hinted)
        let mut hinted: Vec<(u64, usize)> = Vec::new();
        let mut popped = Vec::new();
        loop {
            let n = popped.len();
            let Some((t, e)) = q.pop_until_hinting(SimTime(u64::MAX), |_, &e| hinted.push((e, n))) else {
                break;
            };
            popped.push(t.millis());
            assert_eq!(t.millis(), e);
        }
        assert_eq!(popped, [1_000, 1_003, 5_000, 70_000]);
        let events: Vec<u64> = hinted.iter().map(|h| h.0).collect();
        assert_eq!(
            events,
            [1_000, 1_003, 5_000, 70_000],
            "each event hinted once, in order"
        );
        // Hinted within 2^(DIGIT_BITS · SOON_LEVEL) ms of the event popped right after
        // the hint.
        for (e, n) in hinted {
            assert!(
                e - popped[n] < 1 << (DIGIT_BITS as usize * SOON_LEVEL),
                "{e} hinted before {}",
                popped[n]
            );
        }
    }

    #[test]
    fn many_events_come_out_sorted_and_fifo_within_a_time() {
        let mut q = EventQueue::new();
        let mut x: u64 = 12345;
        for i in 0..5000u32 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            q.schedule(SimTime((x >> 33) % 97), i);
        }
        let mut last = (SimTime::ZERO, 0u32);
        let mut n = 0;
        while let Some((t, i)) = q.pop() {
            assert!(
                t > last.0 || (t == last.0 && (n == 0 || i > last.1)),
                "out of order at {t}"
            );
            last = (t, i);
            n += 1;
        }
        assert_eq!(n, 5000);
    }

    #[test]
    fn interleaved_pushes_pops_and_cancels_match_a_sorted_reference() {
        let mut q = EventQueue::new();
        let mut reference: std::collections::BTreeMap<(u64, u64), (u32, u32)> = Default::default();
        let mut generations = [0u32; 8];
        let (mut x, mut seq) = (99u64, 0u64);
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            x >> 33
        };
        for _ in 0..20_000 {
            match next() % 5 {
                0 | 1 => {
                    let at = q.now().0 + next() % [3, 1000, 1 << 40][(next() % 3) as usize];
                    let slot = (next() % 8) as u32;
                    q.schedule_on(SimTime(at), Slot(slot), seq);
                    reference.insert((at, seq), (slot, generations[slot as usize]));
                    seq += 1;
                }
                2 => {
                    let slot = (next() % 8) as usize;
                    q.cancel(Slot(slot as u32));
                    generations[slot] += 1;
                }
                _ => {
                    let mut want_back = None;
                    let want = loop {
                        match reference.pop_first() {
                            Some(((t, s), (slot, g))) if generations[slot as usize] == g => {
                                want_back = Some(((t, s), (slot, g)));
                                break Some((SimTime(t), s));
                            }
                            Some(_) => continue,
                            None => break None,
                        }
                    };
                    let limit = SimTime(q.now().0 + next() % 2000);
                    let want = want.filter(|(t, _)| *t <= limit);
                    if want.is_none() {
                        // Still pending: a later pop must give it (an early pop_until
                        // leaves it, and what is scheduled after may come first).
                        reference.extend(want_back.take());
                    }
                    assert_eq!(q.pop_until(limit), want);
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_into_the_past_is_a_bug() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), ());
        q.pop();
        q.schedule(SimTime(9), ());
    }
}
