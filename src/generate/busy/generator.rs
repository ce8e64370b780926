//! The generator's loop: each slot writes the event an earlier activity planned for it, or starts
//! a new activity from the mix (whose events activities.rs plans).

use super::super::options::{GenerateOptions, received_ms};
use super::super::record::write_record;
use super::super::rng::Rng;
use super::cluster::Cluster;
use super::mix::MIX;
use super::planned::{Pending, Planned};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

/// Writes `opts.events` events in time order; returns how many were written.
pub fn write_audit(out: &mut dyn Write, opts: &GenerateOptions) -> io::Result<u64> {
    let mut busy = Busy::new(opts);
    let mut line = String::with_capacity(2048);
    for i in 0..opts.events {
        let now_ms = received_ms(opts, i);
        if busy.planned.peek().is_none_or(|Reverse(p)| p.due > i) {
            busy.start_activity(i, now_ms);
        }
        let Reverse(next) = busy.planned.pop().expect("an activity plans an event for its own slot");
        line.clear();
        busy.write(&mut line, &next.event, now_ms);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(opts.events)
}

/// How many recent event objects a repeat of the same event can patch.
pub(super) const RECENT_EVENTS: usize = 256;
/// The most slots between two events of one activity (a pod's creation and its scheduling, ...).
const MAX_GAP: u64 = 40;

/// The generator's state: the cluster, the events planned for later slots, recent event objects.
/// Its fields are the busy folder's: activities.rs plans with them.
pub(super) struct Busy<'o> {
    pub(super) opts: &'o GenerateOptions,
    pub(super) rng: Rng,
    pub(super) cluster: Cluster,
    weights: Vec<u32>,
    planned: BinaryHeap<Reverse<Pending>>,
    seq: u64,
    /// Event objects created lately, for the patches that count their repeats.
    pub(super) recent_events: Vec<Planned>,
    node_role: String,
}

impl<'o> Busy<'o> {
    fn new(opts: &'o GenerateOptions) -> Busy<'o> {
        Busy {
            opts,
            rng: Rng::new(opts.seed),
            cluster: Cluster::new(opts.seed, received_ms(opts, 0)),
            weights: MIX.iter().map(|&(_, w)| w).collect(),
            planned: BinaryHeap::new(),
            seq: 0,
            recent_events: Vec::with_capacity(RECENT_EVENTS),
            node_role: format!("{}-node-role", opts.cluster),
        }
    }

    /// Starts an activity drawn from the mix in slot `i`.
    fn start_activity(&mut self, i: u64, now: i64) {
        let activity = MIX[self.rng.weighted(&self.weights)].0;
        let events = self.activity(activity, now);
        // Its events: the first in this slot, each next one a few slots later.
        let mut due = i;
        for event in events {
            self.seq += 1;
            self.planned.push(Reverse(Pending { due, seq: self.seq, event }));
            due += 1 + self.rng.below(MAX_GAP);
        }
    }

    /// Writes `p` as happening at `now`.
    fn write(&mut self, s: &mut String, p: &Planned, now: i64) {
        let audit_id = self.rng.uuid();
        let latency_ms = 2 + self.rng.below(40) as i64;
        let record = p.record(&self.opts.account, &self.node_role, &audit_id, now, latency_ms, &mut self.rng);
        write_record(s, &record, &mut self.rng);
    }
}
