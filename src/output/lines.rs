//! A file of lines (events.jsonl, decisions.jsonl, tasks.csv) written on a thread of
//! its own. The simulating thread serialises each record into a buffer and hands full
//! buffers over; writing and compressing happen beside it. Only whole buffers cross
//! threads (and come back to be reused), so no record is allocated on one thread and
//! freed on the other — which glibc's allocator makes slower than writing on one
//! thread (docs/PERFORMANCE.md). One writer per file keeps the records' order.
//! events.jsonl is fed whole buffers of frames ([`frame`]), which its writer makes into
//! lines.

use super::folder::OutFile;
use crate::sim::journal::frame;
use serde_json::Value;
use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Bytes per buffer handed to the writer.
const BUFFER: usize = 1 << 18;
/// Buffers waiting for the writer before the simulation waits for it (bounds memory).
const IN_FLIGHT: usize = 4;

/// events.jsonl, decisions.jsonl or tasks.csv, being written.
pub struct Lines {
    buf: Vec<u8>,
    framed: bool,
    tx: Option<SyncSender<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
    writer: Option<JoinHandle<std::io::Result<OutFile>>>,
}

impl Lines {
    /// Starts the writer of `file`; `framed`: the buffers hold frames, made into lines
    /// on the writer's thread.
    pub fn spawn(file: OutFile, framed: bool) -> Lines {
        let (tx, rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (back, spare) = sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let writer = std::thread::spawn(move || {
            let mut file = file;
            let mut failed = None;
            let mut expander = frame::Expander::default();
            let mut lines = Vec::new();
            for mut buf in rx {
                let bytes = if framed {
                    lines.clear();
                    expander.expand(&buf, &mut lines);
                    &lines
                } else {
                    &buf
                };
                if failed.is_none()
                    && let Err(e) = file.write_all(bytes)
                {
                    failed = Some(e);
                }
                buf.clear();
                let _ = back.try_send(buf);
            }
            match failed {
                Some(e) => Err(e),
                None => Ok(file),
            }
        });
        Lines {
            buf: Vec::with_capacity(BUFFER),
            framed,
            tx: Some(tx),
            spare,
            writer: Some(writer),
        }
    }

    /// Serialises one record.
    pub fn push(&mut self, record: &Value) {
        debug_assert!(!self.framed, "a file of frames is fed whole buffers");
        serde_json::to_writer(&mut self.buf, record).expect("a JSON value serialises into memory");
        self.end_line();
    }

    /// Hands over a buffer of whole frames (a file spawned `framed`); returns an empty
    /// one to fill next.
    pub fn frames(&mut self, full: Vec<u8>) -> Vec<u8> {
        debug_assert!(self.framed, "frames go to a file of frames");
        let next = self.spare.try_recv().unwrap_or_else(|_| Vec::with_capacity(BUFFER));
        self.send(full);
        next
    }

    /// Adds text that ends its own lines (a CSV header or row).
    pub fn push_text(&mut self, text: &[u8]) {
        self.buf.extend_from_slice(text);
        self.hand_over_if_full();
    }

    fn end_line(&mut self) {
        self.buf.push(b'\n');
        self.hand_over_if_full();
    }

    fn hand_over_if_full(&mut self) {
        if self.buf.len() >= BUFFER {
            self.hand_over();
        }
    }

    fn hand_over(&mut self) {
        let next = self.spare.try_recv().unwrap_or_else(|_| Vec::with_capacity(BUFFER));
        let full = std::mem::replace(&mut self.buf, next);
        self.send(full);
    }

    fn send(&self, full: Vec<u8>) {
        if let Some(tx) = &self.tx {
            // Fails only when the writer has ended, which `finish` reports.
            let _ = tx.send(full);
        }
    }

    /// Writes what is left and closes the file; the first write error, if any.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.hand_over();
        self.tx = None;
        let writer = self.writer.take().expect("a stream is finished once");
        let file = writer
            .join()
            .map_err(|_| std::io::Error::other("the output writer thread failed"))??;
        file.finish()
    }
}
