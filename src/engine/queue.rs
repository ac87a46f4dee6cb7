//! The event queue: a binary heap ordered by (time, insertion sequence), so events
//! at equal times come out first-in first-out, with lazy cancellation by generation.
//!
//! A cancellable event is scheduled against a [`Slot`]; [`EventQueue::cancel`] bumps the
//! slot's generation and every event scheduled against the old generation is dropped,
//! unseen, when it reaches the head of the queue.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A cancellation handle: events scheduled on a slot die together when it is cancelled.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub u32);

const NO_SLOT: u32 = u32::MAX;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    slot: u32,
    generation: u32,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // BinaryHeap is a max-heap: the smallest (time, seq) must compare greatest.
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.cmp(&self.time).then_with(|| other.seq.cmp(&self.seq))
    }
}

/// A discrete-event queue over a closed event type `E`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
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
            heap: BinaryHeap::new(),
            seq: 0,
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
        self.heap.len()
    }

    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
        self.heap.push(Entry {
            time: at,
            seq: self.seq,
            slot,
            generation,
            event,
        });
        self.seq += 1;
    }

    /// The time of the next live event, if any (drops stale heads on the way).
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.drop_stale();
        self.heap.peek().map(|e| e.time)
    }

    /// Removes and returns the next live event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.drop_stale();
        let e = self.heap.pop()?;
        self.now = e.time;
        self.popped += 1;
        Some((e.time, e.event))
    }

    /// Like [`pop`](Self::pop), but leaves events later than `end` in the queue.
    pub fn pop_until(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        match self.peek_time() {
            Some(t) if t <= end => self.pop(),
            _ => None,
        }
    }

    fn drop_stale(&mut self) {
        while let Some(head) = self.heap.peek() {
            if head.slot == NO_SLOT || self.generations[head.slot as usize] == head.generation {
                return;
            }
            self.heap.pop();
        }
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
    #[should_panic(expected = "in the past")]
    fn scheduling_into_the_past_is_a_bug() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), ());
        q.pop();
        q.schedule(SimTime(9), ());
    }
}
