//! The discrete-event engine. It knows nothing about containers: integer time,
//! an event queue with FIFO ties and lazy cancellation, and seeded random streams.

pub mod duration;
pub mod prefetch;
pub mod queue;
pub mod rate;
pub mod rng;
pub mod time;

pub use queue::{EventQueue, Slot};
pub use rng::{RngStreams, StreamRng, exponential_gap};
pub use time::{OptTime, SimDuration, SimTime};
