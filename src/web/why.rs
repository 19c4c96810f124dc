//! "Why?" explanations for hovers: which keys land on a partition (Kafka's murmur2 rule), why
//! an owner got a partition (the assignor's rule, from `kafka::assignor::explain`), what an
//! instance or producer is doing. Read-only over the world.

use crate::engine::world::{InstanceState, Keys, World};
use crate::kafka::assignor::{self, Subscription, TopicPartition};
use crate::kafka::partitioner::murmur2;
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// A hover card: a title and lines of text.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Card {
    /// Bold first line.
    pub title: String,
    /// Further lines.
    pub lines: Vec<String>,
    /// A monospace block (rules, key lists).
    pub code: Vec<String>,
}

fn thousands(n: u64) -> String {
    super::fmt::thousands(n)
}

/// Partition `partition` of topic `topic`: offsets and the keys that land there.
pub fn partition(world: &World, topic: u16, partition: u32) -> Card {
    let t = &world.topics[topic as usize];
    let log = &t.partitions[partition as usize];
    let n = t.partitions.len() as u32;
    let mut card = Card {
        title: format!("{}-{partition}", t.name),
        lines: vec![format!(
            "log-start offset {} · log-end offset {}",
            thousands(log.start_offset()),
            thousands(log.end_offset())
        )],
        code: Vec::new(),
    };
    // A dead-letter topic: the attempt history of its latest records.
    if t.name.ends_with(".DLT") {
        let here: Vec<_> = world
            .dead_letters
            .iter()
            .filter(|d| {
                d.original_partition == partition
                    && world
                        .topics
                        .get(d.original_topic as usize)
                        .is_some_and(|o| t.name.starts_with(o.name.as_str()))
            })
            .collect();
        card.lines.push(format!(
            "{} dead letters in this partition (DeadLetterPublishingRecoverer: same partition as the original)",
            here.len()
        ));
        for d in here.iter().rev().take(4) {
            let failures: Vec<String> = d.failures.iter().map(|&f| super::fmt::clock(f)).collect();
            card.code.push(format!(
                "event {} from {}-{}@{}: {} attempt(s) failed ({}) at {}; dead-lettered at {}",
                d.event_id,
                world.topics[d.original_topic as usize].name,
                d.original_partition,
                d.original_offset,
                d.failures.len(),
                d.exception,
                failures.join(", "),
                super::fmt::clock(d.at)
            ));
        }
        return card;
    }
    for producer in world.producers.iter().filter(|p| p.topic == topic) {
        match &producer.keys {
            Keys::Keyed { space, .. } => {
                card.lines.push(format!(
                    "{} sends keyed records: partition = toPositive(murmur2(key bytes)) % {n}. Keys that land here:",
                    producer.name
                ));
                let mut shown = 0;
                let mut total = 0u64;
                for (k, p) in space.partition_of.iter().enumerate() {
                    if p != partition {
                        continue;
                    }
                    total += 1;
                    if shown < 5 {
                        let key = space.key_text(k as u32);
                        let hash = murmur2(key.as_bytes());
                        card.code.push(format!("{key:<14} murmur2 {hash:>11} → P{p}"));
                        shown += 1;
                    }
                }
                if total > shown {
                    card.code.push(format!(
                        "… {} of its {} keys land here",
                        thousands(total),
                        thousands(space.count as u64)
                    ));
                } else if total == 0 {
                    card.lines.push(format!("none of its {} keys hash to this partition", space.count));
                }
            }
            Keys::Keyless(_) => card.lines.push(format!(
                "{} sends keyless records: the sticky partitioner fills one batch on a partition, then picks another",
                producer.name
            )),
            #[allow(unreachable_patterns)]
            _ => card.lines.push(format!(
                "{} sends keyless records (the entity key is only in the payload): the sticky partitioner spreads one entity's events over partitions",
                producer.name
            )),
        }
    }
    card
}

/// Partition counts, member subscriptions, the current assignment, and (member key, name).
type AssignorInputs = (
    BTreeMap<String, u32>,
    BTreeMap<String, Subscription>,
    assignor::Assignment,
    Vec<(String, String)>,
);

/// The subscriptions the coordinator would hand to the assignor now (running members, as in
/// the engine's rebalance), the partition counts, and the current assignment.
fn assignor_inputs(world: &World, group: u16) -> AssignorInputs {
    let g = &world.groups[group as usize];
    let topic_names: Vec<String> = g
        .topics
        .iter()
        .map(|&t| world.topics[t as usize].name.clone())
        .collect();
    let counts = g
        .topics
        .iter()
        .map(|&t| {
            let topic = &world.topics[t as usize];
            (topic.name.clone(), topic.partitions.len() as u32)
        })
        .collect();
    let to_tp = |slot: u32| {
        let gp = &g.partitions[slot as usize];
        TopicPartition::new(world.topics[gp.topic as usize].name.clone(), gp.partition)
    };
    let mut members = BTreeMap::new();
    let mut assignment = assignor::Assignment::new();
    let mut names = Vec::new();
    for (m, instance) in g.instances.iter().enumerate() {
        if instance.state != InstanceState::Running {
            continue;
        }
        let key = crate::engine::world::member_key(m as u16);
        let owned: Vec<TopicPartition> = instance.assigned.iter().map(|&s| to_tp(s)).collect();
        let sticky = matches!(
            g.config.assignor,
            assignor::AssignorKind::Sticky | assignor::AssignorKind::CooperativeSticky
        );
        members.insert(
            key.clone(),
            Subscription {
                topics: topic_names.clone(),
                owned: if sticky { owned.clone() } else { Vec::new() },
                generation: Some(g.generation as i32),
            },
        );
        assignment.insert(key.clone(), owned);
        names.push((key, instance.name.clone()));
    }
    (counts, members, assignment, names)
}

/// Why `slot` of `group` is owned by whom it is owned.
pub fn owner(world: &World, group: u16, slot: u32) -> Card {
    let g = &world.groups[group as usize];
    let gp = &g.partitions[slot as usize];
    let topic = &world.topics[gp.topic as usize];
    let tp = TopicPartition::new(topic.name.clone(), gp.partition);
    let lag = g.partition_lag(slot as usize, &world.topics);
    let owner = gp.owner.map(|o| &g.instances[o.instance as usize]);
    let mut card = Card {
        title: format!(
            "{tp} in {} → {}",
            g.name,
            owner.map_or("no owner".to_string(), |i| i.name.clone())
        ),
        lines: vec![format!(
            "committed {} · log-end {} · lag {}",
            gp.committed.map_or("-".into(), thousands),
            thousands(topic.partitions[gp.partition as usize].end_offset()),
            lag.map_or("-".into(), thousands)
        )],
        code: Vec::new(),
    };
    if let Some(i) = owner {
        if i.state == InstanceState::Crashed {
            card.lines.push(format!(
                "{} crashed: the partition stalls until the coordinator notices (session.timeout = {})",
                i.name,
                crate::time::Duration(g.config.session_timeout)
            ));
        }
    }
    if g.rebalancing() {
        card.lines.push("a rebalance is in progress".into());
    }
    let (counts, members, assignment, names) = assignor_inputs(world, group);
    if members.is_empty() {
        card.lines
            .push("no running member: nothing is assigned".into());
        return card;
    }
    let mut text = assignor::explain(g.config.assignor, &counts, &members, &assignment, &tp);
    for (key, name) in &names {
        text = text.replace(key.as_str(), name);
    }
    card.lines.push(format!("Why: {text}"));
    card
}

/// An instance: state, partitions, records in hand.
pub fn instance(world: &World, group: u16, instance: u16) -> Card {
    let g = &world.groups[group as usize];
    let i = &g.instances[instance as usize];
    let state = match i.state {
        InstanceState::Running => "running",
        InstanceState::Crashed => "crashed",
        InstanceState::Stopped => "stopped",
    };
    let parts: Vec<String> = i
        .assigned
        .iter()
        .map(|&s| {
            let gp = &g.partitions[s as usize];
            format!("{}-{}", world.topics[gp.topic as usize].name, gp.partition)
        })
        .collect();
    Card {
        title: i.name.clone(),
        lines: vec![
            format!("{state} · {} records in hand", i.records_in_hand()),
            if parts.is_empty() {
                "owns no partition".into()
            } else {
                format!("owns {}", parts.join(", "))
            },
            "click for actions (crash, restart, stop)".into(),
        ],
        code: Vec::new(),
    }
}

/// A producer: rate, keys, topic.
pub fn producer(world: &World, scenario: &Scenario, index: u16) -> Card {
    let p = &world.producers[index as usize];
    let spec = &scenario.producers[index as usize];
    let keys = match (&spec.keys, &spec.key_distribution) {
        (Some(k), Some(d)) => format!("keys {k} ({d})"),
        (Some(k), None) => format!("keys {k} (uniform)"),
        (None, _) => "keyless (sticky partitioner)".into(),
    };
    Card {
        title: format!("{} → {}", p.name, world.topics[p.topic as usize].name),
        lines: vec![
            format!(
                "{}/s {:?} · {}{}",
                super::fmt::short_float(p.rate()),
                p.arrival,
                keys,
                if p.paused { " · paused" } else { "" }
            )
            .replace("Poisson", "poisson")
            .replace("Constant", "constant")
            .replace("Burst", "burst"),
            format!("produced {}", thousands(p.produced)),
        ],
        code: Vec::new(),
    }
}
