//! events.jsonl as frames, for a recorder that writes it on another thread: the
//! simulating thread hands over each record as a frame — a JSON record rendered
//! already, or a task state change as its compact [`TaskChange`] — and the writer
//! thread makes the lines with an [`Expander`]. Task state changes are most of a big
//! run's records, so most of the rendering leaves the simulating thread; the bytes are
//! the ones rendering in place gives (a test compares them).
//!
//! A frame is its kind (one byte), its length (four bytes, little-endian) and its body.

use super::task::{TaskChange, TaskDetail};
use super::values::WallClock;
use crate::ecs::cluster::InstanceId;
use serde_json::Value;

/// What a frame holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One JSON record, rendered.
    Json = b'J' as isize,
    /// A task state change, [`TaskChange::encode`]d.
    Task = b'T' as isize,
}

/// Opens a frame of `kind` at the end of `buf`; its body follows. Returns where its
/// length goes, for [`close`].
pub fn open(buf: &mut Vec<u8>, kind: Kind) -> usize {
    buf.push(kind as u8);
    buf.extend_from_slice(&[0; 4]);
    buf.len() - 4
}

/// Closes the frame [`open`] began at `at`: its body is what follows the length.
pub fn close(buf: &mut [u8], at: usize) {
    let len = u32::try_from(buf.len() - at - 4).expect("a record under 4 GiB");
    buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// Appends `record` as a JSON frame.
pub fn push_json(buf: &mut Vec<u8>, record: &Value) {
    let at = open(buf, Kind::Json);
    serde_json::to_writer(&mut *buf, record).expect("a JSON value serialises into memory");
    close(buf, at);
}

/// Makes frames into events.jsonl's lines, keeping the wall clock of the task state
/// changes it has read and, per container instance, the members that place its tasks.
#[derive(Default)]
pub struct Expander {
    clock: Option<WallClock>,
    placements: Placements,
}

impl Expander {
    /// Appends the lines of whole frames `frames` to `out`, one record and a newline
    /// each. Panics on bytes that are not frames (a broken invariant).
    pub fn expand(&mut self, frames: &[u8], out: &mut Vec<u8>) {
        let mut rest = frames;
        while let Some((&kind, after)) = rest.split_first() {
            let (len, after) = after
                .split_first_chunk::<4>()
                .expect("a frame's length follows its kind");
            let (body, after) = after.split_at(u32::from_le_bytes(*len) as usize);
            rest = after;
            if kind == Kind::Json as u8 {
                out.extend_from_slice(body);
            } else {
                assert_eq!(kind, Kind::Task as u8, "a frame the journal wrote");
                let (change, start) = TaskChange::decode(body);
                let instance = change.instance();
                if self.clock.as_ref().is_none_or(|c| c.start_unix_ms != start) {
                    self.clock = Some(WallClock::new(start));
                }
                let clock = self.clock.as_ref().expect("the clock was just set");
                let mut event = change.event(clock);
                if let Some(i) = instance {
                    event.detail.placed = Some(self.placements.of(i, &event.detail));
                }
                event.write_json(out);
            }
            out.push(b'\n');
        }
    }
}

/// Per container instance, the members from availabilityZone to containerInstanceArn
/// of its tasks' events ([`TaskDetail::placed`]), and the names they were made from:
/// written once per instance rather than once per event, and again only if the names
/// differ (a task of another capacity provider on it).
#[derive(Default)]
struct Placements {
    by_instance: Vec<Option<(Vec<u8>, Vec<u8>)>>,
    names: Vec<u8>,
}

impl Placements {
    /// The placement members of `detail`, whose task is on instance `i`.
    fn of(&mut self, i: InstanceId, detail: &TaskDetail<'_>) -> &[u8] {
        let names = &mut self.names;
        names.clear();
        names.push(u8::from(detail.availability_zone.is_some()));
        // 0xFF is no byte of UTF-8: the names cannot run into one another.
        for name in [
            detail.availability_zone.unwrap_or(""),
            detail.capacity_provider_name,
            detail.cluster_arn.name,
            detail.container_instance_arn.map_or("", |a| a.name),
        ] {
            names.extend_from_slice(name.as_bytes());
            names.push(0xFF);
        }
        if self.by_instance.len() <= i.idx() {
            self.by_instance.resize(i.idx() + 1, None);
        }
        let slot = &mut self.by_instance[i.idx()];
        if slot.as_ref().is_none_or(|(made_of, _)| made_of != names) {
            *slot = Some((names.clone(), detail.placement_members()));
        }
        &slot.as_ref().expect("the members were just written").1
    }
}
