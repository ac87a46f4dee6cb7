//! The event queue under the hold model: pop the next event, push one at
//! now + Exp(mean 1 s), with 10^3, 10^5 and 10^6 events pending. Reports events/s.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecsim::engine::rng::standard_exponential;
use ecsim::engine::{EventQueue, RngStreams, SimDuration, SimTime};
use std::hint::black_box;

const BATCH: u64 = 10_000;

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue");
    for pending in [1_000usize, 100_000, 1_000_000] {
        let mut rng = RngStreams::new(1).stream(0, 0);
        let mut q: EventQueue<u32> = EventQueue::new();
        for i in 0..pending {
            let gap = standard_exponential(&mut rng);
            q.schedule(SimTime((gap * 1000.0 * pending as f64 / 1000.0) as u64), i as u32);
        }
        g.throughput(Throughput::Elements(BATCH));
        g.bench_with_input(BenchmarkId::new("hold", pending), &pending, |b, _| {
            b.iter(|| {
                for _ in 0..BATCH {
                    let (t, e) = q.pop().expect("never empty");
                    let gap = standard_exponential(&mut rng);
                    q.schedule(t + SimDuration((gap * 1000.0) as u64), black_box(e));
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
