//! The event queue under the hold model: pop the next event, push one at
//! now + Exp(mean 1 s) (gaps drawn beforehand), with 10^3, 10^5 and 10^6 events
//! pending. Reports events/s.
//!
//! Beside the engine's radix heap, the same hold on two general priority queues over
//! the same (time, sequence) keys, to show why the engine keeps its own: the standard
//! library's binary heap, and the `priority-queue` crate (a heap with a hash index, so
//! that an item's priority can change — which a discrete-event queue never needs).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecsim::engine::rng::{StreamRng, standard_exponential};
use ecsim::engine::{EventQueue, RngStreams, SimDuration, SimTime};
use std::cmp::Reverse;
use std::hint::black_box;

const BATCH: u64 = 10_000;

/// The first `pending` event times of the hold model, in milliseconds.
fn initial(rng: &mut StreamRng, pending: usize) -> Vec<u64> {
    (0..pending)
        .map(|_| (standard_exponential(rng) * pending as f64) as u64)
        .collect()
}

/// Exp(mean 1 s) gaps in milliseconds, drawn before timing so that only the queue is
/// measured; [`Gaps::next`] cycles through them.
struct Gaps(Vec<u64>, usize);

impl Gaps {
    fn new(rng: &mut StreamRng) -> Gaps {
        Gaps(
            (0..1 << 16)
                .map(|_| (standard_exponential(rng) * 1000.0) as u64)
                .collect(),
            0,
        )
    }

    fn next(&mut self) -> u64 {
        self.1 = (self.1 + 1) & 0xFFFF;
        self.0[self.1]
    }
}

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue");
    for pending in [1_000usize, 100_000, 1_000_000] {
        g.throughput(Throughput::Elements(BATCH));

        let mut rng = RngStreams::new(1).stream(0, 0);
        let mut gaps = Gaps::new(&mut rng);
        let mut q: EventQueue<u32> = EventQueue::new();
        for (i, t) in initial(&mut rng, pending).into_iter().enumerate() {
            q.schedule(SimTime(t), i as u32);
        }
        g.bench_with_input(BenchmarkId::new("radix", pending), &pending, |b, _| {
            b.iter(|| {
                for _ in 0..BATCH {
                    let (t, e) = q.pop().expect("never empty");
                    q.schedule(t + SimDuration(gaps.next()), black_box(e));
                }
            })
        });

        let mut rng = RngStreams::new(1).stream(0, 0);
        let mut gaps = Gaps::new(&mut rng);
        let mut heap = std::collections::BinaryHeap::new();
        let mut seq = 0u64;
        for t in initial(&mut rng, pending) {
            heap.push(Reverse((t, seq)));
            seq += 1;
        }
        g.bench_with_input(BenchmarkId::new("std_binary_heap", pending), &pending, |b, _| {
            b.iter(|| {
                for _ in 0..BATCH {
                    let Reverse((t, _)) = heap.pop().expect("never empty");
                    heap.push(Reverse((t + gaps.next(), seq)));
                    seq += 1;
                }
            })
        });

        let mut rng = RngStreams::new(1).stream(0, 0);
        let mut gaps = Gaps::new(&mut rng);
        let mut pq = priority_queue::PriorityQueue::new();
        let mut seq = 0u64;
        for t in initial(&mut rng, pending) {
            pq.push(seq, Reverse((t, seq)));
            seq += 1;
        }
        g.bench_with_input(BenchmarkId::new("priority_queue_crate", pending), &pending, |b, _| {
            b.iter(|| {
                for _ in 0..BATCH {
                    let (_, Reverse((t, _))) = pq.pop().expect("never empty");
                    pq.push(seq, Reverse((t + gaps.next(), seq)));
                    seq += 1;
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
