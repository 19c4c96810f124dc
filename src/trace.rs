//! The trace of state changes and its stable hash.
//!
//! Every event is folded, field by field, into a 64-bit hash with integer arithmetic only, so
//! the same scenario and seed give the same hash on every platform (native or wasm) and any
//! change in behaviour changes it. Optionally the trace is also kept as text lines (bounded).

use crate::engine::world::World;
use crate::kafka::log::Record;
use crate::observer::{Observer, SimEvent, SkipReason};
use crate::time::SimTime;

/// A stable, fast 64-bit hash of the event stream.
#[derive(Clone, Debug)]
pub struct TraceHash {
    state: u64,
    events: u64,
}

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash {
            state: 0x243f_6a88_85a3_08d3,
            events: 0,
        }
    }
}

impl TraceHash {
    #[inline]
    fn word(&mut self, value: u64) {
        // A multiply–rotate mix (in the family of FxHash / wyhash folds): one multiply per
        // word, well spread, identical everywhere.
        self.state = (self.state ^ value)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }

    #[inline]
    fn record(&mut self, record: &Record) {
        self.word(record.produced_at);
        self.word(record.event_id);
        self.word(u64::from(record.key) << 32 | u64::from(record.key_seq));
        if record.causation_id != 0
            || record.attempts != 0
            || record.origin_at != record.produced_at
        {
            self.word(record.origin_at);
            self.word(record.correlation_id ^ record.causation_id.rotate_left(32));
            self.word(u64::from(record.event_type) << 16 | u64::from(record.attempts));
        }
    }

    /// Folds one event at time `now`.
    #[inline]
    pub fn add(&mut self, now: SimTime, event: &SimEvent) {
        self.events += 1;
        self.word(now);
        let pack = |a: u16, b: u16, c: u32| u64::from(a) << 48 | u64::from(b) << 32 | u64::from(c);
        match *event {
            SimEvent::Produced {
                producer,
                topic,
                partition,
                offset,
                ref record,
            } => {
                self.word(1 | pack(producer, topic, partition) << 8);
                self.word(offset);
                self.record(record);
            }
            SimEvent::Fetched {
                group,
                instance,
                topic,
                partition,
                from,
                count,
            } => {
                self.word(2);
                self.word(pack(group, instance, partition) ^ u64::from(topic) << 20);
                self.word(from);
                self.word(u64::from(count));
            }
            SimEvent::Processed {
                group,
                instance,
                topic,
                partition,
                offset,
                ref record,
                duplicate,
                disposition,
                effect,
                out_of_order,
            } => {
                self.word(
                    3 | u64::from(duplicate) << 4
                        | (disposition as u64) << 8
                        | (effect as u64) << 12
                        | u64::from(out_of_order) << 16,
                );
                self.word(pack(group, instance, partition) ^ u64::from(topic) << 20);
                self.word(offset);
                self.word(record.event_id);
            }
            SimEvent::Committed {
                group,
                topic,
                partition,
                offset,
            } => {
                self.word(4);
                self.word(pack(group, topic, partition));
                self.word(offset);
            }
            SimEvent::Skipped {
                group,
                topic,
                partition,
                from,
                to,
                reason,
            } => {
                self.word(5 | (u64::from(reason == SkipReason::Expired) << 4));
                self.word(pack(group, topic, partition));
                self.word(from);
                self.word(to);
            }
            SimEvent::Assigned {
                group,
                instance,
                topic,
                partition,
                position,
            } => {
                self.word(6);
                self.word(pack(group, instance, partition) ^ u64::from(topic) << 20);
                self.word(position);
            }
            SimEvent::Revoked {
                group,
                instance,
                topic,
                partition,
            } => {
                self.word(7);
                self.word(pack(group, instance, partition) ^ u64::from(topic) << 20);
            }
            SimEvent::RebalanceStarted { group, generation } => {
                self.word(8 | pack(group, 0, generation) << 8)
            }
            SimEvent::RebalanceCompleted { group, generation } => {
                self.word(9 | pack(group, 0, generation) << 8)
            }
            SimEvent::InstanceCrashed { group, instance } => {
                self.word(10 | pack(group, instance, 0) << 8)
            }
            SimEvent::CrashDetected { group, instance } => {
                self.word(11 | pack(group, instance, 0) << 8)
            }
            SimEvent::InstanceStarted { group, instance } => {
                self.word(12 | pack(group, instance, 0) << 8)
            }
            SimEvent::InstanceStopped { group, instance } => {
                self.word(13 | pack(group, instance, 0) << 8)
            }
            SimEvent::ProducerPaused { producer, paused } => {
                self.word(14 | pack(producer, u16::from(paused), 0) << 8)
            }
            SimEvent::RateChanged {
                producer,
                per_second_bits,
            } => {
                self.word(15 | pack(producer, 0, 0) << 8);
                self.word(per_second_bits);
            }
            SimEvent::Narration { step } => self.word(16 | u64::from(step) << 8),
            SimEvent::AttemptFailed {
                group,
                instance,
                topic,
                partition,
                offset,
                event_id,
                retryable,
                retry_in,
            } => {
                self.word(18 | u64::from(retryable) << 8);
                self.word(pack(group, instance, partition) ^ u64::from(topic) << 20);
                self.word(offset);
                self.word(event_id);
                self.word(retry_in.map_or(u64::MAX, |d| d));
            }
            SimEvent::OutageChanged { dependency, down } => {
                self.word(19 | pack(dependency, u16::from(down), 0) << 8)
            }
            SimEvent::RowCommitted { producer, event_id } => {
                self.word(20 | pack(producer, 0, 0) << 8);
                self.word(event_id);
            }
            SimEvent::EventLost { producer, event_id } => {
                self.word(21 | pack(producer, 0, 0) << 8);
                self.word(event_id);
            }
            SimEvent::PhantomPublished { producer, event_id } => {
                self.word(22 | pack(producer, 0, 0) << 8);
                self.word(event_id);
            }
            SimEvent::RelayCrashed { producer, worker } => {
                self.word(23 | pack(producer, worker, 0) << 8)
            }
            SimEvent::DlqReplayed { group, count } => {
                self.word(24 | pack(group, 0, 0) << 8);
                self.word(count);
            }
            SimEvent::Sample => self.word(17),
        }
    }

    /// The hash as 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.state)
    }

    /// How many events were folded.
    pub fn events(&self) -> u64 {
        self.events
    }
}

/// A JSON string literal of `text`: quoted, with `"`, `\` and control characters escaped
/// (scenario names are free text, and a trace line must stay one valid JSON object).
fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Formats one event as a trace line (JSON object), with names from the world. Keys are
/// unique in each line: the record's event type is `event_type`, since `event` names the
/// kind of trace event.
pub fn describe(now: SimTime, event: &SimEvent, world: &World) -> String {
    let topic = |t: u16| json_string(&world.topics[t as usize].name);
    let group = |g: u16| json_string(&world.groups[g as usize].name);
    let instance =
        |g: u16, i: u16| json_string(&world.groups[g as usize].instances[i as usize].name);
    let producer_name = |p: u16| json_string(&world.producers[p as usize].name);
    let producer_event = |kind: &str, producer: u16, event_id: u64| {
        format!(
            r#""{kind}","producer":{},"event_id":{event_id}"#,
            producer_name(producer)
        )
    };
    let body = match *event {
        SimEvent::Produced {
            producer,
            topic: t,
            partition,
            offset,
            record,
        } => format!(
            r#""produced","producer":{},"topic":{},"partition":{partition},"offset":{offset},"event_id":{},"key":{}"#,
            producer_name(producer),
            topic(t),
            record.event_id,
            if record.key == crate::kafka::log::NO_KEY {
                "null".to_string()
            } else {
                record.key.to_string()
            }
        ),
        SimEvent::Fetched {
            group: g,
            instance: i,
            topic: t,
            partition,
            from,
            count,
        } => format!(
            r#""fetched","group":{},"instance":{},"topic":{},"partition":{partition},"from":{from},"count":{count}"#,
            group(g),
            instance(g, i),
            topic(t)
        ),
        SimEvent::Processed {
            group: g,
            instance: i,
            topic: t,
            partition,
            offset,
            record,
            duplicate,
            disposition,
            effect,
            out_of_order,
        } => format!(
            r#""processed","group":{},"instance":{},"topic":{},"partition":{partition},"offset":{offset},"event_id":{},"event_type":{},"duplicate":{duplicate},"disposition":"{disposition:?}","effect":"{effect:?}","out_of_order":{out_of_order}"#,
            group(g),
            instance(g, i),
            topic(t),
            record.event_id,
            json_string(
                world
                    .event_types
                    .get(record.event_type as usize)
                    .map_or("", String::as_str)
            )
        ),
        SimEvent::AttemptFailed {
            group: g,
            instance: i,
            topic: t,
            partition,
            offset,
            event_id,
            retryable,
            retry_in,
        } => format!(
            r#""attempt_failed","group":{},"instance":{},"topic":{},"partition":{partition},"offset":{offset},"event_id":{event_id},"retryable":{retryable},"retry_in_us":{}"#,
            group(g),
            instance(g, i),
            topic(t),
            retry_in.map_or("null".to_string(), |d| d.to_string())
        ),
        SimEvent::OutageChanged { dependency, down } => format!(
            r#""outage","dependency":{},"down":{down}"#,
            json_string(&world.dependencies[dependency as usize].name)
        ),
        SimEvent::RowCommitted { producer, event_id } => {
            producer_event("row_committed", producer, event_id)
        }
        SimEvent::EventLost { producer, event_id } => {
            producer_event("event_lost", producer, event_id)
        }
        SimEvent::PhantomPublished { producer, event_id } => {
            producer_event("phantom_published", producer, event_id)
        }
        SimEvent::RelayCrashed { producer, worker } => format!(
            r#""relay_crashed","producer":{},"worker":{}"#,
            producer_name(producer),
            if worker == u16::MAX {
                "\"connector\"".to_string()
            } else {
                worker.to_string()
            }
        ),
        SimEvent::DlqReplayed { group: g, count } => {
            format!(r#""dlq_replayed","group":{},"count":{count}"#, group(g))
        }
        SimEvent::Committed {
            group: g,
            topic: t,
            partition,
            offset,
        } => format!(
            r#""committed","group":{},"topic":{},"partition":{partition},"offset":{offset}"#,
            group(g),
            topic(t)
        ),
        SimEvent::Skipped {
            group: g,
            topic: t,
            partition,
            from,
            to,
            reason,
        } => format!(
            r#""skipped","group":{},"topic":{},"partition":{partition},"from":{from},"to":{to},"reason":"{}""#,
            group(g),
            topic(t),
            match reason {
                SkipReason::Expired => "expired",
                SkipReason::ResetToLatest => "reset-to-latest",
            }
        ),
        SimEvent::Assigned {
            group: g,
            instance: i,
            topic: t,
            partition,
            position,
        } => format!(
            r#""assigned","group":{},"instance":{},"topic":{},"partition":{partition},"position":{position}"#,
            group(g),
            instance(g, i),
            topic(t)
        ),
        SimEvent::Revoked {
            group: g,
            instance: i,
            topic: t,
            partition,
        } => format!(
            r#""revoked","group":{},"instance":{},"topic":{},"partition":{partition}"#,
            group(g),
            instance(g, i),
            topic(t)
        ),
        SimEvent::RebalanceStarted {
            group: g,
            generation,
        } => {
            format!(
                r#""rebalance_started","group":{},"generation":{generation}"#,
                group(g)
            )
        }
        SimEvent::RebalanceCompleted {
            group: g,
            generation,
        } => {
            format!(
                r#""rebalance_completed","group":{},"generation":{generation}"#,
                group(g)
            )
        }
        SimEvent::InstanceCrashed {
            group: g,
            instance: i,
        } => {
            format!(
                r#""crashed","group":{},"instance":{}"#,
                group(g),
                instance(g, i)
            )
        }
        SimEvent::CrashDetected {
            group: g,
            instance: i,
        } => {
            format!(
                r#""crash_detected","group":{},"instance":{}"#,
                group(g),
                instance(g, i)
            )
        }
        SimEvent::InstanceStarted {
            group: g,
            instance: i,
        } => {
            format!(
                r#""started","group":{},"instance":{}"#,
                group(g),
                instance(g, i)
            )
        }
        SimEvent::InstanceStopped {
            group: g,
            instance: i,
        } => {
            format!(
                r#""stopped","group":{},"instance":{}"#,
                group(g),
                instance(g, i)
            )
        }
        SimEvent::ProducerPaused { producer, paused } => format!(
            r#""producer_paused","producer":{},"paused":{paused}"#,
            producer_name(producer)
        ),
        SimEvent::RateChanged {
            producer,
            per_second_bits,
        } => format!(
            r#""rate_changed","producer":{},"per_second":{}"#,
            producer_name(producer),
            f64::from_bits(per_second_bits)
        ),
        SimEvent::Narration { step } => format!(r#""narration","step":{step}"#),
        SimEvent::Sample => r#""sample""#.to_string(),
    };
    format!(r#"{{"t_us":{now},"event":{body}}}"#)
}

/// Keeps the trace hash and, optionally, the first `limit` trace lines.
#[derive(Clone, Debug, Default)]
pub struct TraceRecorder {
    /// The running hash.
    pub hash: TraceHash,
    /// Kept lines (JSON objects).
    pub lines: Vec<String>,
    /// How many lines to keep (0: none).
    pub limit: usize,
    /// Whether `Sample` ticks are written as lines too.
    pub include_samples: bool,
}

impl Observer for TraceRecorder {
    #[inline]
    fn on_event(&mut self, now: SimTime, event: &SimEvent, world: &World) {
        self.hash.add(now, event);
        if self.lines.len() < self.limit && (self.include_samples || *event != SimEvent::Sample) {
            self.keep_line(now, event, world);
        }
    }
}

impl TraceRecorder {
    /// Out of line: most runs keep no lines, and the hash is all the event path should carry.
    #[cold]
    #[inline(never)]
    fn keep_line(&mut self, now: SimTime, event: &SimEvent, world: &World) {
        self.lines.push(describe(now, event, world));
    }
}
