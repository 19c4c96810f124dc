//! Kafka's consumer-group partition assignors (`partition.assignment.strategy`), modelled on the
//! Java client in `org.apache.kafka.clients.consumer`.
//!
//! Four built-in assignors are reproduced, see [`AssignorKind`] and [`assign`]:
//!
//! * **`range`** (`RangeAssignor`): per topic, the subscribed members in member-id order each get
//!   a contiguous range; the first `partitions % members` members get one extra partition.
//! * **`roundrobin`** (`RoundRobinAssignor`): all subscribed partitions in `(topic, partition)`
//!   order are dealt one by one to the members in member-id order, skipping members that are not
//!   subscribed to the partition's topic.
//! * **`sticky`** (`StickyAssignor`) and **`cooperative-sticky`** (`CooperativeStickyAssignor`):
//!   both run `internals.AbstractStickyAssignor`. When every member has the same subscription the
//!   *constrained* algorithm runs (`ConstrainedAssignmentBuilder`: keep owned partitions up to the
//!   `minQuota = floor(P/M)` / `maxQuota = ceil(P/M)` quotas, then fill round-robin); otherwise the
//!   *general* algorithm runs (`GeneralAssignmentBuilder`: keep valid owned partitions, hand the
//!   rest to the least-loaded eligible member, then move partitions until balanced). The
//!   cooperative variant then withholds every partition that changes owner, because under the
//!   cooperative protocol (KIP-429) the old owner must revoke it first; the new owner receives it
//!   in the follow-up rebalance (`CooperativeStickyAssignor#adjustAssignment`).
//!
//! Unknown topics are ignored, exactly like `AbstractPartitionAssignor#assign(Cluster, ...)`,
//! which only passes subscribed topics with metadata (and at least one partition) to the
//! assignor. [`validate_subscriptions`] is available for callers that prefer an
//! [`AssignError::UnknownTopic`] instead.
//!
//! # Deviations from Kafka (all deliberate, all deterministic)
//!
//! * **Member order.** Kafka orders members by `group.instance.id` first (static members), then by
//!   member id. This model has no instance ids, so members are ordered by member id (byte-wise,
//!   which equals Java's `String#compareTo` for all ASCII / BMP ids). Rack awareness (KIP-881) is
//!   not modelled: results equal Kafka's when no consumer sets `client.rack`.
//! * **HashMap iteration.** The constrained sticky algorithm visits members in `java.util.HashMap`
//!   order when deciding which members may keep `maxQuota` owned partitions. That order depends
//!   on hash buckets and on the leader's join order, so it is not reproducible; this model visits
//!   members in member-id order. Results only differ when more members own `maxQuota` or more
//!   partitions than there are `P mod M` extra slots (Kafka's own tests assert on the resulting
//!   invariants, except `testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers`, see tests).
//!   Likewise `PartitionMovements` picks the first element of a `HashSet`; here the smallest.
//! * **Ownership conflicts** (`allSubscriptionsEqual`) are resolved per partition, independently of
//!   visiting order: the claim with the highest generation wins; if several members claim it at
//!   that generation nobody owns it (and it counts as "transferring" for the cooperative
//!   protocol). Kafka's result is identical whenever its own result does not depend on HashMap
//!   order. Owned partitions that do not exist (`partition >= count`) are ignored and duplicate
//!   entries in one member's `owned` list are collapsed (Kafka would report a member in conflict
//!   with itself).
//! * **Subscription equality** compares topic *sets*; Kafka compares list sizes and, because it
//!   seeds its reference set from the first non-empty subscription, treats a group with one empty
//!   subscription as "equal". Such groups take the general path here.
//! * **General-path guards.** The `prevAssignment` shortcut only moves a partition back to a
//!   previous owner that still subscribes to the topic and still takes part in reassignment
//!   (Kafka would assign it to an unsubscribed member, or throw a `NullPointerException`), and the
//!   "repeat until nothing moves" loop is capped so it always terminates.
//! * **Member data.** Kafka's `StickyAssignor` reads the previous assignment and generation from
//!   its user data, `CooperativeStickyAssignor` from `ownedPartitions` / `generationId`; both read
//!   [`Subscription::owned`] and [`Subscription::generation`] here.
//!
//! Everything is pure `std`, and every iteration is over sorted collections, so a given input
//! always yields the same assignment.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::error::Error;
use std::fmt;
use std::str::FromStr;

/// Generation used for a member that reports none (`AbstractStickyAssignor.DEFAULT_GENERATION`).
pub const DEFAULT_GENERATION: i32 = -1;

/// Upper bound on "repeat until nothing moves" passes in the general sticky algorithm. Kafka has
/// no bound; the loop normally ends after a handful of passes.
const MAX_REASSIGNMENT_PASSES: usize = 1_000;

/// A topic partition, displayed as Kafka prints it: "orders-3".
///
/// Ordering is by topic, then partition number, like Kafka's `TopicPartitionComparator`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition number within the topic.
    pub partition: u32,
}

impl TopicPartition {
    /// Creates `topic-partition`.
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    /// Formats as `TopicPartition#toString` does: `topic-partition`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

impl FromStr for TopicPartition {
    type Err = AssignError;

    /// Parses `topic-partition`, splitting at the *last* `-` because topic names may contain
    /// dashes (`"my-topic-3"` is partition 3 of `my-topic`). The partition must be plain decimal
    /// digits and the topic must be non-empty.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || AssignError::BadTopicPartition(s.to_string());
        let (topic, partition) = s.rsplit_once('-').ok_or_else(bad)?;
        if topic.is_empty()
            || partition.is_empty()
            || !partition.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let partition = partition.parse::<u32>().map_err(|_| bad())?;
        Ok(TopicPartition::new(topic, partition))
    }
}

/// One member's JoinGroup subscription (`ConsumerPartitionAssignor.Subscription`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Subscription {
    /// Subscribed topics.
    pub topics: Vec<String>,
    /// Partitions the member owned before this rebalance (`ownedPartitions`; for the eager
    /// `sticky` assignor Kafka carries the same information in its user data).
    pub owned: Vec<TopicPartition>,
    /// Generation in which `owned` was assigned; `None` means unknown (treated as
    /// [`DEFAULT_GENERATION`]). Used by the sticky assignors to settle conflicting claims.
    pub generation: Option<i32>,
}

impl Subscription {
    /// A subscription to `topics` that owns nothing.
    pub fn new<I, S>(topics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Subscription {
            topics: topics.into_iter().map(Into::into).collect(),
            owned: Vec::new(),
            generation: None,
        }
    }

    /// The same subscription, reporting `owned` partitions from `generation`.
    pub fn with_owned(
        mut self,
        owned: impl IntoIterator<Item = TopicPartition>,
        generation: Option<i32>,
    ) -> Self {
        self.owned = owned.into_iter().collect();
        self.generation = generation;
        self
    }
}

/// The built-in Kafka assignors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignorKind {
    /// `org.apache.kafka.clients.consumer.RangeAssignor` (protocol name `range`).
    Range,
    /// `org.apache.kafka.clients.consumer.RoundRobinAssignor` (protocol name `roundrobin`).
    RoundRobin,
    /// `org.apache.kafka.clients.consumer.StickyAssignor` (protocol name `sticky`, eager).
    Sticky,
    /// `org.apache.kafka.clients.consumer.CooperativeStickyAssignor` (`cooperative-sticky`).
    CooperativeSticky,
}

impl AssignorKind {
    /// All built-in assignors, in Kafka's documentation order.
    pub const ALL: [AssignorKind; 4] = [
        AssignorKind::Range,
        AssignorKind::RoundRobin,
        AssignorKind::Sticky,
        AssignorKind::CooperativeSticky,
    ];

    /// The protocol name Kafka sends in JoinGroup (`ConsumerPartitionAssignor#name`).
    pub fn name(self) -> &'static str {
        match self {
            AssignorKind::Range => "range",
            AssignorKind::RoundRobin => "roundrobin",
            AssignorKind::Sticky => "sticky",
            AssignorKind::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Whether the assignor supports the COOPERATIVE rebalance protocol (KIP-429); only
    /// `cooperative-sticky` among the built-ins.
    pub fn is_cooperative(self) -> bool {
        matches!(self, AssignorKind::CooperativeSticky)
    }

    /// The fully qualified Java class, as written in `partition.assignment.strategy`.
    pub fn class_name(self) -> &'static str {
        match self {
            AssignorKind::Range => "org.apache.kafka.clients.consumer.RangeAssignor",
            AssignorKind::RoundRobin => "org.apache.kafka.clients.consumer.RoundRobinAssignor",
            AssignorKind::Sticky => "org.apache.kafka.clients.consumer.StickyAssignor",
            AssignorKind::CooperativeSticky => {
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
            }
        }
    }
}

impl fmt::Display for AssignorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AssignorKind {
    type Err = AssignError;

    /// Accepts the protocol names (`range`, `roundrobin`, `sticky`, `cooperative-sticky`, ASCII
    /// case-insensitive) and the Java class names, fully qualified or simple (`RangeAssignor`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        AssignorKind::ALL
            .into_iter()
            .find(|kind| {
                let class = kind.class_name();
                let simple = class.rsplit('.').next().unwrap_or(class);
                wanted.eq_ignore_ascii_case(kind.name()) || wanted == class || wanted == simple
            })
            .ok_or_else(|| AssignError::UnknownAssignor(s.to_string()))
    }
}

/// Errors of this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignError {
    /// The name is none of Kafka's built-in assignors (protocol or class name).
    UnknownAssignor(String),
    /// `member` subscribes to `topic`, which is not in the cluster metadata. Only
    /// [`validate_subscriptions`] reports this; [`assign`] ignores such topics like Kafka does.
    UnknownTopic {
        /// The subscribing member id.
        member: String,
        /// The missing topic.
        topic: String,
    },
    /// The text is not of the form `topic-partition`.
    BadTopicPartition(String),
    /// The sticky algorithm reached a state in which Kafka throws `IllegalStateException`
    /// (an internal invariant broke; not expected for any input).
    Internal(String),
}

impl fmt::Display for AssignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignError::UnknownAssignor(name) => write!(
                f,
                "unknown partition assignor {name:?} \
                 (expected range, roundrobin, sticky or cooperative-sticky)"
            ),
            AssignError::UnknownTopic { member, topic } => {
                write!(f, "member {member} subscribes to unknown topic {topic}")
            }
            AssignError::BadTopicPartition(text) => {
                write!(
                    f,
                    "{text:?} is not a topic partition of the form <topic>-<partition>"
                )
            }
            AssignError::Internal(detail) => write!(f, "assignor invariant violated: {detail}"),
        }
    }
}

impl Error for AssignError {}

/// Member id -> assigned partitions, each list sorted.
pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// Computes the assignment exactly as the Kafka assignor of `kind` would (see the module docs for
/// the few documented deviations).
///
/// `partitions_per_topic`: topic -> partition count. Members are keyed by member id. Every member
/// appears in the output (possibly with an empty list), and each list is sorted. Deterministic.
///
/// Topics a member subscribes to that are missing from `partitions_per_topic` (or have zero
/// partitions) are ignored, as in `AbstractPartitionAssignor#assign(Cluster, GroupSubscription)`;
/// use [`validate_subscriptions`] to reject them instead.
///
/// For [`AssignorKind::CooperativeSticky`] this is the *first-round* assignment of a cooperative
/// rebalance: partitions that change owner are withheld from the new owner
/// (`CooperativeStickyAssignor#adjustAssignment`), see [`pending_transfers`]. Calling `assign`
/// again with the result as each member's `owned` yields the follow-up assignment.
pub fn assign(
    kind: AssignorKind,
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> Result<Assignment, AssignError> {
    let counts = subscribed_partition_counts(partitions_per_topic, members);
    let mut assignment = match kind {
        AssignorKind::Range => range_assign(&counts, members),
        AssignorKind::RoundRobin => round_robin_assign(&counts, members),
        AssignorKind::Sticky => sticky_plan(&counts, members)?.assignment,
        AssignorKind::CooperativeSticky => sticky_plan(&counts, members)?.cooperative_assignment(),
    };
    for partitions in assignment.values_mut() {
        partitions.sort();
    }
    Ok(assignment)
}

/// For `cooperative-sticky`: the partitions withheld from this round's [`assign`] result, mapped
/// to the member that will receive them once their current owner has revoked them
/// (`AbstractStickyAssignor#partitionsTransferringOwnership`, or
/// `CooperativeStickyAssignor#computePartitionsTransferringOwnership` on the general path).
/// Empty for the other (eager) assignors.
pub fn pending_transfers(
    kind: AssignorKind,
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> Result<BTreeMap<TopicPartition, String>, AssignError> {
    if !kind.is_cooperative() {
        return Ok(BTreeMap::new());
    }
    let counts = subscribed_partition_counts(partitions_per_topic, members);
    Ok(sticky_plan(&counts, members)?.transferring)
}

/// Strict check that every subscribed topic exists in `partitions_per_topic`. Kafka itself only
/// logs such topics at debug level and skips them; [`assign`] does the same.
pub fn validate_subscriptions(
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> Result<(), AssignError> {
    for (member, subscription) in members {
        if let Some(topic) = subscription
            .topics
            .iter()
            .find(|t| !partitions_per_topic.contains_key(*t))
        {
            return Err(AssignError::UnknownTopic {
                member: member.clone(),
                topic: topic.clone(),
            });
        }
    }
    Ok(())
}

/// A one-line human explanation of why `tp` went to its owner under `kind` (for the UI's "why is
/// partition 7 on consumer B?"). The reasoning is recomputed from the inputs; if the supplied
/// `assignment` disagrees with the recomputation, the text says so.
pub fn explain(
    kind: AssignorKind,
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
    assignment: &Assignment,
    tp: &TopicPartition,
) -> String {
    let name = kind.name();
    let count = match partitions_per_topic.get(&tp.topic) {
        Some(&n) if n > 0 => n,
        _ => {
            return format!(
                "{name}: topic {} is not in the cluster metadata, so {tp} cannot be assigned",
                tp.topic
            )
        }
    };
    if tp.partition >= count {
        return format!(
            "{name}: {tp} does not exist (topic {} has {count} partitions)",
            tp.topic
        );
    }
    let subscribers: Vec<&str> = members
        .iter()
        .filter(|(_, s)| s.topics.contains(&tp.topic))
        .map(|(m, _)| m.as_str())
        .collect();
    if subscribers.is_empty() {
        return format!(
            "{name}: no member subscribes to {}, so {tp} is unassigned",
            tp.topic
        );
    }
    let counts = subscribed_partition_counts(partitions_per_topic, members);
    let computed = match assign(kind, partitions_per_topic, members) {
        Ok(computed) => computed,
        Err(err) => return format!("{name}: cannot recompute the assignment: {err}"),
    };
    let computed_owner = owner_of(&computed, tp);
    let mut text = match kind {
        AssignorKind::Range => explain_range(count, &subscribers, tp, computed_owner),
        AssignorKind::RoundRobin => explain_round_robin(&counts, members, tp, computed_owner),
        AssignorKind::Sticky | AssignorKind::CooperativeSticky => {
            match sticky_plan(&counts, members) {
                Ok(plan) => explain_sticky(kind, &counts, members, &plan, tp),
                Err(err) => format!("{name}: cannot recompute the assignment: {err}"),
            }
        }
    };
    let supplied_owner = owner_of(assignment, tp);
    if supplied_owner != computed_owner {
        text.push_str(&format!(
            " (note: the supplied assignment has it on {}, which differs from this recomputation)",
            supplied_owner.unwrap_or("nobody")
        ));
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// `AbstractPartitionAssignor#assign(Cluster, GroupSubscription)`: the partition counts of all
/// subscribed topics that have metadata and at least one partition.
fn subscribed_partition_counts(
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> BTreeMap<String, u32> {
    members
        .values()
        .flat_map(|s| s.topics.iter())
        .filter_map(|topic| match partitions_per_topic.get(topic) {
            Some(&n) if n > 0 => Some((topic.clone(), n)),
            _ => None,
        })
        .collect()
}

/// The member holding `tp` in `assignment`, if any.
fn owner_of<'a>(assignment: &'a Assignment, tp: &TopicPartition) -> Option<&'a str> {
    assignment
        .iter()
        .find(|(_, partitions)| partitions.contains(tp))
        .map(|(member, _)| member.as_str())
}

/// A member's generation, [`DEFAULT_GENERATION`] when unknown (`memberData.generation.orElse`).
fn generation_of(subscription: &Subscription) -> i32 {
    subscription.generation.unwrap_or(DEFAULT_GENERATION)
}

/// All partitions of `counts` in `(topic, partition)` order.
fn all_partitions(counts: &BTreeMap<String, u32>) -> Vec<TopicPartition> {
    counts
        .iter()
        .flat_map(|(topic, &n)| (0..n).map(move |p| TopicPartition::new(topic.clone(), p)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// RangeAssignor
// ---------------------------------------------------------------------------------------------

/// The contiguous slice `(start, len)` that the `index`-th of `members` subscribed members gets
/// out of `partitions` partitions (`RangeAssignor#assign`: `start = per * i + min(i, extra)`,
/// `len = per + (i < extra ? 1 : 0)`).
fn range_slice(partitions: u32, members: usize, index: usize) -> (u32, u32) {
    let members = members as u32;
    let index = index as u32;
    let per_member = partitions / members;
    let with_extra = partitions % members;
    let start = per_member * index + index.min(with_extra);
    let len = per_member + u32::from(index < with_extra);
    (start, len)
}

/// `RangeAssignor#assign`: per topic, members sorted by member id take contiguous ranges.
fn range_assign(
    counts: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> Assignment {
    let mut assignment: Assignment = members.keys().map(|m| (m.clone(), Vec::new())).collect();
    let mut consumers_per_topic: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (member, subscription) in members {
        for topic in &subscription.topics {
            consumers_per_topic
                .entry(topic.as_str())
                .or_default()
                .insert(member.as_str());
        }
    }
    for (topic, consumers) in consumers_per_topic {
        let Some(&count) = counts.get(topic) else {
            continue;
        };
        for (index, member) in consumers.iter().enumerate() {
            let (start, len) = range_slice(count, consumers.len(), index);
            if let Some(list) = assignment.get_mut(*member) {
                list.extend((start..start + len).map(|p| TopicPartition::new(topic, p)));
            }
        }
    }
    assignment
}

fn explain_range(
    count: u32,
    subscribers: &[&str],
    tp: &TopicPartition,
    owner: Option<&str>,
) -> String {
    let members = subscribers.len();
    let header = format!(
        "range: {} has {count} partitions / {members} subscribed members = {} each \
         (+1 for the first {})",
        tp.topic,
        count / members as u32,
        count % members as u32
    );
    match owner.and_then(|o| subscribers.iter().position(|s| *s == o).map(|i| (o, i))) {
        Some((owner, index)) => {
            let (start, len) = range_slice(count, members, index);
            format!(
                "{header}; {owner} is member #{} in sorted member-id order, \
                 so it gets partitions {start}..={}",
                index + 1,
                start + len - 1
            )
        }
        None => format!("{header}; {tp} is unassigned"),
    }
}

// ---------------------------------------------------------------------------------------------
// RoundRobinAssignor
// ---------------------------------------------------------------------------------------------

/// `RoundRobinAssignor#assign`: a `CircularIterator` over the sorted members deals out all
/// subscribed partitions in `(topic, partition)` order, skipping unsubscribed members.
fn round_robin_assign(
    counts: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> Assignment {
    let mut assignment: Assignment = members.keys().map(|m| (m.clone(), Vec::new())).collect();
    let ring: Vec<(&String, BTreeSet<&str>)> = members
        .iter()
        .map(|(m, s)| (m, s.topics.iter().map(String::as_str).collect()))
        .collect();
    let mut cursor = 0;
    // `counts` only holds subscribed topics, so each topic has a subscriber and the skip loop ends.
    for tp in all_partitions(counts) {
        while !ring[cursor].1.contains(tp.topic.as_str()) {
            cursor = (cursor + 1) % ring.len();
        }
        if let Some(list) = assignment.get_mut(ring[cursor].0) {
            list.push(tp);
        }
        cursor = (cursor + 1) % ring.len();
    }
    assignment
}

fn explain_round_robin(
    counts: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
    tp: &TopicPartition,
    owner: Option<&str>,
) -> String {
    let order = all_partitions(counts);
    let position = order.iter().position(|p| p == tp).map_or(0, |i| i + 1);
    let Some(owner) = owner else {
        return format!("roundrobin: {tp} is unassigned");
    };
    let first: Option<BTreeSet<&String>> =
        members.values().next().map(|s| s.topics.iter().collect());
    let uniform = members
        .values()
        .all(|s| Some(s.topics.iter().collect::<BTreeSet<_>>()) == first);
    let skipping = if uniform {
        format!(
            " (identical subscriptions: partition #{position} goes to member #{})",
            (position - 1) % members.len() + 1
        )
    } else {
        format!(", skipping members not subscribed to {}", tp.topic)
    };
    format!(
        "roundrobin: {tp} is #{position} of {} subscribed partitions in (topic, partition) order; \
         dealt one by one to the {} members in sorted member-id order{skipping}, \
         it lands on {owner}",
        order.len(),
        members.len()
    )
}

// ---------------------------------------------------------------------------------------------
// AbstractStickyAssignor (StickyAssignor / CooperativeStickyAssignor)
// ---------------------------------------------------------------------------------------------

/// Valid previous ownership after settling conflicting claims (`allSubscriptionsEqual`).
struct Ownership {
    /// Member -> partitions it validly owned (every member present, lists sorted).
    owned: BTreeMap<String, Vec<TopicPartition>>,
    /// Partitions claimed by several members at the highest claimed generation
    /// (`partitionsWithMultiplePreviousOwners`); nobody keeps them.
    multiply_claimed: BTreeSet<TopicPartition>,
    /// Highest generation any member reported (`AbstractStickyAssignor#maxGeneration`).
    max_generation: i32,
}

/// Models the ownership bookkeeping of `AbstractStickyAssignor#allSubscriptionsEqual`: for each
/// existing partition the claim with the highest generation wins; a tie at that generation
/// invalidates the partition for every claimant.
fn resolve_ownership(
    counts: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> Ownership {
    let mut claims: BTreeMap<&TopicPartition, Vec<(&str, i32)>> = BTreeMap::new();
    let mut max_generation = DEFAULT_GENERATION;
    for (member, subscription) in members {
        let generation = generation_of(subscription);
        max_generation = max_generation.max(generation);
        let mut seen = BTreeSet::new();
        for tp in &subscription.owned {
            let exists = counts.get(&tp.topic).is_some_and(|&n| tp.partition < n);
            if exists && seen.insert(tp) {
                claims
                    .entry(tp)
                    .or_default()
                    .push((member.as_str(), generation));
            }
        }
    }
    let mut owned: BTreeMap<String, Vec<TopicPartition>> =
        members.keys().map(|m| (m.clone(), Vec::new())).collect();
    let mut multiply_claimed = BTreeSet::new();
    for (tp, claimants) in claims {
        let top = claimants
            .iter()
            .map(|&(_, g)| g)
            .max()
            .unwrap_or(DEFAULT_GENERATION);
        let winners: Vec<&str> = claimants
            .iter()
            .filter(|&&(_, g)| g == top)
            .map(|&(m, _)| m)
            .collect();
        match winners.as_slice() {
            [only] => {
                if let Some(list) = owned.get_mut(*only) {
                    list.push(tp.clone());
                }
            }
            _ => {
                multiply_claimed.insert(tp.clone());
            }
        }
    }
    Ownership {
        owned,
        multiply_claimed,
        max_generation,
    }
}

/// Everything the sticky assignors compute for one rebalance.
struct StickyPlan {
    /// Settled previous ownership.
    ownership: Ownership,
    /// `Some((minQuota, maxQuota))` when the constrained (equal subscriptions) path ran.
    quotas: Option<(usize, usize)>,
    /// The eager (`StickyAssignor`) assignment.
    assignment: Assignment,
    /// Partitions whose owner changes, mapped to their new owner
    /// (`partitionsTransferringOwnership`).
    transferring: BTreeMap<TopicPartition, String>,
}

impl StickyPlan {
    /// `CooperativeStickyAssignor#adjustAssignment`: remove transferring partitions from the new
    /// owners, so they are only handed out after the previous owner revoked them.
    fn cooperative_assignment(&self) -> Assignment {
        let mut assignment = self.assignment.clone();
        for (tp, member) in &self.transferring {
            if let Some(list) = assignment.get_mut(member) {
                list.retain(|p| p != tp);
            }
        }
        assignment
    }
}

/// `AbstractStickyAssignor#assignPartitions`: choose the constrained or the general algorithm.
fn sticky_plan(
    counts: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
) -> Result<StickyPlan, AssignError> {
    let ownership = resolve_ownership(counts, members);
    if members.is_empty() {
        return Ok(StickyPlan {
            ownership,
            quotas: None,
            assignment: Assignment::new(),
            transferring: BTreeMap::new(),
        });
    }
    let mut topic_sets = members
        .values()
        .map(|s| s.topics.iter().collect::<BTreeSet<_>>());
    let first = topic_sets.next();
    let all_equal = topic_sets.all(|set| Some(set) == first);
    if all_equal {
        let (assignment, transferring, quotas) = constrained_assign(counts, &ownership)?;
        Ok(StickyPlan {
            ownership,
            quotas: Some(quotas),
            assignment,
            transferring,
        })
    } else {
        let assignment = general_assign(counts, members, &ownership);
        let transferring = compute_partitions_transferring_ownership(members, &assignment);
        Ok(StickyPlan {
            ownership,
            quotas: None,
            assignment,
            transferring,
        })
    }
}

/// Result of [`constrained_assign`]: assignment, transferring partitions, `(minQuota, maxQuota)`.
type ConstrainedOutcome = (Assignment, BTreeMap<TopicPartition, String>, (usize, usize));

/// `AbstractStickyAssignor.ConstrainedAssignmentBuilder#build`, for groups whose members all
/// subscribe to the same topics.
///
/// 1. `assignOwnedPartitions`: each member (in member-id order) keeps its owned partitions, sorted
///    by (partition, topic): all of them if fewer than `minQuota` (it is then "unfilled"),
///    `maxQuota` of them while fewer than `P mod M` members hold `maxQuota`, else `minQuota`. The
///    rest are revoked.
/// 2. `assignRoundRobin`: the unassigned partitions, in (topic, partition) order, go round-robin
///    to members below `minQuota`; once all reach it, members at exactly `minQuota` take one more
///    each (first come, first served) until `P mod M` members are at `maxQuota`.
///
/// Returns the assignment, the partitions transferring ownership (revoked or multiply-claimed
/// partitions handed to someone) and `(minQuota, maxQuota)`.
fn constrained_assign(
    counts: &BTreeMap<String, u32>,
    ownership: &Ownership,
) -> Result<ConstrainedOutcome, AssignError> {
    let member_count = ownership.owned.len();
    let total: usize = counts.values().map(|&n| n as usize).sum();
    let min_quota = total / member_count;
    let max_quota = total.div_ceil(member_count);
    let expected_over_min = total % member_count;
    let mut current_over_min = 0;

    let mut assignment: Assignment = ownership
        .owned
        .keys()
        .map(|m| (m.clone(), Vec::new()))
        .collect();
    let mut assigned: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut revoked: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut under_min: Vec<String> = Vec::new();
    let mut exactly_min: VecDeque<String> = VecDeque::new();

    for (member, owned) in &ownership.owned {
        let mut owned = owned.clone();
        owned.sort_by(|a, b| {
            a.partition
                .cmp(&b.partition)
                .then_with(|| a.topic.cmp(&b.topic))
        });
        let keep = if owned.len() < min_quota {
            under_min.push(member.clone());
            owned.len()
        } else if owned.len() >= max_quota && current_over_min < expected_over_min {
            current_over_min += 1;
            if current_over_min == expected_over_min {
                exactly_min.clear();
            }
            max_quota
        } else {
            if current_over_min < expected_over_min {
                exactly_min.push_back(member.clone());
            }
            min_quota
        };
        let (kept, rest) = owned.split_at(keep);
        assigned.extend(kept.iter().cloned());
        revoked.extend(rest.iter().cloned());
        if let Some(list) = assignment.get_mut(member) {
            list.extend_from_slice(kept);
        }
    }

    under_min.sort();
    exactly_min.make_contiguous().sort();
    let unassigned: Vec<TopicPartition> = all_partitions(counts)
        .into_iter()
        .filter(|tp| !assigned.contains(tp))
        .collect();

    let mut transferring = BTreeMap::new();
    // Emulates the Java iterator over `unfilledMembersWithUnderMinQuotaPartitions`: `next` is the
    // index of the element its `next()` would return.
    let mut next = 0;
    for tp in unassigned {
        let (member, from_under) = if next < under_min.len() {
            (under_min[next].clone(), true)
        } else if under_min.is_empty() {
            match exactly_min.pop_front() {
                Some(member) => (member, false),
                None => {
                    return Err(AssignError::Internal(format!(
                        "no more unfilled consumers to be assigned, {tp} is left over"
                    )))
                }
            }
        } else {
            next = 0;
            (under_min[0].clone(), true)
        };
        let list = assignment
            .get_mut(&member)
            .ok_or_else(|| AssignError::Internal(format!("unknown member {member}")))?;
        list.push(tp.clone());
        let size = list.len();
        if revoked.contains(&tp) || ownership.multiply_claimed.contains(&tp) {
            transferring.insert(tp, member.clone());
        }
        if size == min_quota {
            if from_under {
                under_min.remove(next);
            }
            exactly_min.push_back(member);
        } else {
            if from_under {
                next += 1;
            }
            if size == max_quota {
                current_over_min += 1;
            }
        }
    }

    // `verifyUnfilledMembers`
    if !under_min.is_empty() {
        if current_over_min != expected_over_min {
            return Err(AssignError::Internal(format!(
                "{current_over_min} members above minQuota, expected {expected_over_min}, \
                 and nothing left to assign"
            )));
        }
        if let Some(member) = under_min
            .iter()
            .find(|m| assignment.get(*m).map_or(0, Vec::len) != min_quota)
        {
            return Err(AssignError::Internal(format!(
                "consumer {member} doesn't reach minQuota partitions, \
                 and no more partitions to be assigned"
            )));
        }
    }
    Ok((assignment, transferring, (min_quota, max_quota)))
}

/// `CooperativeStickyAssignor#computePartitionsTransferringOwnership` (general path): partitions
/// newly assigned to one member while another member reported owning them.
fn compute_partitions_transferring_ownership(
    members: &BTreeMap<String, Subscription>,
    assignment: &Assignment,
) -> BTreeMap<TopicPartition, String> {
    let mut added: BTreeMap<TopicPartition, String> = BTreeMap::new();
    let mut revoked: BTreeSet<&TopicPartition> = BTreeSet::new();
    for (member, assigned) in assignment {
        let Some(subscription) = members.get(member) else {
            continue;
        };
        let owned: BTreeSet<&TopicPartition> = subscription.owned.iter().collect();
        let assigned_set: BTreeSet<&TopicPartition> = assigned.iter().collect();
        for tp in assigned {
            if !owned.contains(tp) {
                added.insert(tp.clone(), member.clone());
            }
        }
        revoked.extend(
            subscription
                .owned
                .iter()
                .filter(|tp| !assigned_set.contains(tp)),
        );
    }
    added.retain(|tp, _| revoked.contains(tp));
    added
}

/// `AbstractStickyAssignor.PartitionMovements`: the net movements made while balancing, used to
/// avoid moving partitions of one topic back and forth between two members.
#[derive(Default)]
struct PartitionMovements {
    /// Topic -> (source, destination) -> partitions that made that net move.
    by_topic: BTreeMap<String, BTreeMap<(String, String), BTreeSet<TopicPartition>>>,
    /// Partition -> its net (source, destination).
    moves: BTreeMap<TopicPartition, (String, String)>,
}

impl PartitionMovements {
    /// `removeMovementRecordOfPartition`.
    fn remove_record(&mut self, tp: &TopicPartition) -> Option<(String, String)> {
        let pair = self.moves.remove(tp)?;
        if let Some(topic_moves) = self.by_topic.get_mut(&tp.topic) {
            if let Some(partitions) = topic_moves.get_mut(&pair) {
                partitions.remove(tp);
                if partitions.is_empty() {
                    topic_moves.remove(&pair);
                }
            }
            if topic_moves.is_empty() {
                self.by_topic.remove(&tp.topic);
            }
        }
        Some(pair)
    }

    /// `addPartitionMovementRecord`.
    fn add_record(&mut self, tp: &TopicPartition, pair: (String, String)) {
        self.moves.insert(tp.clone(), pair.clone());
        self.by_topic
            .entry(tp.topic.clone())
            .or_default()
            .entry(pair)
            .or_default()
            .insert(tp.clone());
    }

    /// `movePartition`: record `tp` moving from `old` to `new`, collapsing a move back to the
    /// original source into "no move".
    fn move_partition(&mut self, tp: &TopicPartition, old: &str, new: &str) {
        match self.remove_record(tp) {
            Some((source, _)) => {
                if source != new {
                    self.add_record(tp, (source, new.to_string()));
                }
            }
            None => self.add_record(tp, (old.to_string(), new.to_string())),
        }
    }

    /// `getTheActualPartitionToBeMoved`: if some partition of the same topic already moved from
    /// `new` to (the original source of) `tp`'s owner, move that one back instead of `tp`.
    fn actual_partition_to_move(
        &self,
        tp: &TopicPartition,
        old: &str,
        new: &str,
    ) -> TopicPartition {
        let Some(topic_moves) = self.by_topic.get(&tp.topic) else {
            return tp.clone();
        };
        let old = self
            .moves
            .get(tp)
            .map_or(old, |(source, _)| source.as_str());
        topic_moves
            .get(&(new.to_string(), old.to_string()))
            .and_then(|partitions| partitions.first().cloned())
            .unwrap_or_else(|| tp.clone())
    }
}

/// State of `AbstractStickyAssignor.GeneralAssignmentBuilder`.
struct GeneralBuilder {
    /// `consumer2AllPotentialTopics` (existing subscribed topics).
    potential_topics: BTreeMap<String, BTreeSet<String>>,
    /// `topic2AllPotentialConsumers`.
    potential_consumers: BTreeMap<String, Vec<String>>,
    /// Number of partitions each consumer could possibly get (`getMaxAssignmentSize`).
    max_sizes: BTreeMap<String, usize>,
    /// `currentAssignment` (without fixed consumers while balancing).
    current: BTreeMap<String, Vec<TopicPartition>>,
    /// `currentPartitionConsumer`.
    owner: BTreeMap<TopicPartition, String>,
    /// `sortedCurrentSubscriptions`: consumers ordered by (assignment size, member id).
    by_load: BTreeSet<(usize, String)>,
    movements: PartitionMovements,
}

/// `AbstractStickyAssignor.GeneralAssignmentBuilder#build`, for groups with differing
/// subscriptions.
///
/// 1. Keep every settled owned partition whose topic the owner still subscribes to.
/// 2. `maybeAssign`: give each remaining partition (topics with the fewest potential consumers
///    first) to the least-loaded member subscribed to its topic.
/// 3. `balance` / `performReassignments`: while the assignment is not balanced (some member could
///    take a partition from a member with 2+ more), move partitions to the least-loaded eligible
///    member, preferring a move back to a previous-generation owner; keep the result only if
///    the balance score improved.
fn general_assign(
    counts: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
    ownership: &Ownership,
) -> Assignment {
    let mut potential_consumers: BTreeMap<String, Vec<String>> =
        counts.keys().map(|t| (t.clone(), Vec::new())).collect();
    let mut potential_topics = BTreeMap::new();
    for (member, subscription) in members {
        let topics: BTreeSet<String> = subscription
            .topics
            .iter()
            .filter(|t| counts.contains_key(*t))
            .cloned()
            .collect();
        for topic in &topics {
            if let Some(consumers) = potential_consumers.get_mut(topic) {
                consumers.push(member.clone());
            }
        }
        potential_topics.insert(member.clone(), topics);
    }
    let max_sizes = potential_topics
        .iter()
        .map(|(m, topics)| {
            (
                m.clone(),
                topics
                    .iter()
                    .map(|t| counts.get(t).map_or(0, |&n| n as usize))
                    .sum(),
            )
        })
        .collect();

    // `prepopulateCurrentAssignments`: the most recent claim from an older generation.
    let mut prev: BTreeMap<TopicPartition, (String, i32)> = BTreeMap::new();
    for (member, subscription) in members {
        let generation = generation_of(subscription);
        if generation >= ownership.max_generation {
            continue;
        }
        for tp in &subscription.owned {
            let newer = prev.get(tp).is_none_or(|&(_, g)| generation > g);
            if newer {
                prev.insert(tp.clone(), (member.clone(), generation));
            }
        }
    }

    // `sortedAllPartitions`: topics by (number of potential consumers, name).
    let mut sorted_topics: Vec<&String> = counts.keys().collect();
    sorted_topics.sort_by_key(|t| (potential_consumers.get(*t).map_or(0, Vec::len), *t));
    let sorted_all: Vec<TopicPartition> = sorted_topics
        .iter()
        .flat_map(|t| (0..counts[*t]).map(move |p| TopicPartition::new((*t).clone(), p)))
        .collect();

    // `assignOwnedPartitions`
    let mut current = ownership.owned.clone();
    let mut revocation_required = false;
    let mut assigned = BTreeSet::new();
    for (member, partitions) in current.iter_mut() {
        let subscribed = &potential_topics[member];
        partitions.retain(|tp| {
            if subscribed.contains(&tp.topic) {
                assigned.insert(tp.clone());
                true
            } else {
                revocation_required = true;
                false
            }
        });
    }
    let owner = current
        .iter()
        .flat_map(|(m, ps)| ps.iter().map(move |tp| (tp.clone(), m.clone())))
        .collect();
    let unassigned: Vec<TopicPartition> = sorted_all
        .iter()
        .filter(|tp| !assigned.contains(*tp))
        .cloned()
        .collect();
    let by_load = current
        .iter()
        .map(|(m, ps)| (ps.len(), m.clone()))
        .collect();

    let builder = GeneralBuilder {
        potential_topics,
        potential_consumers,
        max_sizes,
        current,
        owner,
        by_load,
        movements: PartitionMovements::default(),
    };
    builder.balance(&prev, unassigned, sorted_all, revocation_required)
}

impl GeneralBuilder {
    fn load(&self, member: &str) -> usize {
        self.current.get(member).map_or(0, Vec::len)
    }

    fn subscribes(&self, member: &str, topic: &str) -> bool {
        self.potential_topics
            .get(member)
            .is_some_and(|topics| topics.contains(topic))
    }

    /// `canTopicParticipateInReassignment`: two or more potential consumers.
    fn topic_can_participate(&self, topic: &str) -> bool {
        self.potential_consumers
            .get(topic)
            .is_some_and(|c| c.len() >= 2)
    }

    /// `canConsumerParticipateInReassignment`.
    fn consumer_can_participate(&self, member: &str) -> bool {
        let Some(partitions) = self.current.get(member) else {
            return false;
        };
        if partitions.len() < self.max_sizes.get(member).copied().unwrap_or(0) {
            return true;
        }
        partitions
            .iter()
            .any(|tp| self.topic_can_participate(&tp.topic))
    }

    /// `isBalanced`: loads differ by at most one, or no member that could take more has a
    /// subscribed partition sitting on a member with 2+ more partitions. (Kafka scans every
    /// partition per member; the per-topic maximum owner load is an equivalent, faster test.)
    fn is_balanced(&self) -> bool {
        let (Some(first), Some(last)) = (self.by_load.first(), self.by_load.last()) else {
            return true;
        };
        if first.0 + 1 >= last.0 {
            return true;
        }
        let mut heaviest_owner: BTreeMap<&str, usize> = BTreeMap::new();
        for partitions in self.current.values() {
            for tp in partitions {
                let entry = heaviest_owner.entry(tp.topic.as_str()).or_insert(0);
                *entry = (*entry).max(partitions.len());
            }
        }
        self.by_load.iter().all(|(load, member)| {
            *load >= self.max_sizes.get(member).copied().unwrap_or(0)
                || self.potential_topics[member].iter().all(|topic| {
                    heaviest_owner
                        .get(topic.as_str())
                        .is_none_or(|&max| load + 1 >= max)
                })
        })
    }

    /// `getBalanceScore`: sum of pairwise load differences.
    fn balance_score(assignment: &BTreeMap<String, Vec<TopicPartition>>) -> usize {
        let loads: Vec<usize> = assignment.values().map(Vec::len).collect();
        loads
            .iter()
            .enumerate()
            .map(|(i, a)| loads[i + 1..].iter().map(|b| a.abs_diff(*b)).sum::<usize>())
            .sum()
    }

    /// The least-loaded (then smallest id) participating member subscribed to `topic`.
    fn least_loaded_for(&self, topic: &str) -> Option<String> {
        self.by_load
            .iter()
            .find(|(_, m)| self.subscribes(m, topic))
            .map(|(_, m)| m.clone())
    }

    /// `maybeAssignPartition`.
    fn assign_to_least_loaded(&mut self, tp: &TopicPartition) {
        if let Some(member) = self.least_loaded_for(&tp.topic) {
            let key = (self.load(&member), member.clone());
            self.by_load.remove(&key);
            if let Some(list) = self.current.get_mut(&member) {
                list.push(tp.clone());
            }
            self.owner.insert(tp.clone(), member.clone());
            self.by_load.insert((self.load(&member), member));
        }
    }

    /// `balance`.
    fn balance(
        mut self,
        prev: &BTreeMap<TopicPartition, (String, i32)>,
        unassigned: Vec<TopicPartition>,
        sorted_all: Vec<TopicPartition>,
        revocation_required: bool,
    ) -> Assignment {
        let initializing = self.by_load.last().is_none_or(|(load, _)| *load == 0);
        for tp in &unassigned {
            self.assign_to_least_loaded(tp);
        }

        // Narrow the scope to partitions and consumers that can actually move.
        let reassignable = |tp: &TopicPartition| self.topic_can_participate(&tp.topic);
        let sorted_all: Vec<TopicPartition> = sorted_all.into_iter().filter(reassignable).collect();
        let unassigned: Vec<TopicPartition> = unassigned.into_iter().filter(reassignable).collect();
        let mut fixed = BTreeMap::new();
        let consumers: Vec<String> = self.potential_topics.keys().cloned().collect();
        for member in consumers {
            if !self.consumer_can_participate(&member) {
                self.by_load.remove(&(self.load(&member), member.clone()));
                if let Some(partitions) = self.current.remove(&member) {
                    fixed.insert(member, partitions);
                }
            }
        }

        let pre_balance = self.current.clone();
        let pre_balance_owner = self.owner.clone();
        if !revocation_required {
            self.perform_reassignments(&unassigned, prev);
        }
        let reassigned = self.perform_reassignments(&sorted_all, prev);
        if !initializing
            && reassigned
            && Self::balance_score(&self.current) >= Self::balance_score(&pre_balance)
        {
            self.current = pre_balance;
            self.owner = pre_balance_owner;
        }
        self.current.extend(fixed);
        self.current
    }

    /// `performReassignments`: returns whether anything moved.
    fn perform_reassignments(
        &mut self,
        partitions: &[TopicPartition],
        prev: &BTreeMap<TopicPartition, (String, i32)>,
    ) -> bool {
        let mut performed = false;
        for _ in 0..MAX_REASSIGNMENT_PASSES {
            let mut modified = false;
            for tp in partitions {
                if self.is_balanced() {
                    break;
                }
                let Some(consumer) = self.owner.get(tp).cloned() else {
                    continue;
                };
                let Some(load) = self.current.get(&consumer).map(Vec::len) else {
                    continue;
                };
                if let Some((prev_consumer, _)) = prev.get(tp) {
                    let back = self.subscribes(prev_consumer, &tp.topic)
                        && self
                            .current
                            .get(prev_consumer)
                            .is_some_and(|ps| load > ps.len() + 1);
                    if back {
                        self.reassign(tp, prev_consumer.clone());
                        performed = true;
                        modified = true;
                        continue;
                    }
                }
                let lighter_exists = self.potential_consumers[&tp.topic].iter().any(|other| {
                    self.current
                        .get(other)
                        .is_some_and(|ps| load > ps.len() + 1)
                });
                if lighter_exists {
                    if let Some(target) = self.least_loaded_for(&tp.topic) {
                        self.reassign(tp, target);
                        performed = true;
                        modified = true;
                    }
                }
            }
            if !modified {
                break;
            }
        }
        performed
    }

    /// `reassignPartition(partition, newConsumer)`.
    fn reassign(&mut self, tp: &TopicPartition, new: String) {
        let Some(old) = self.owner.get(tp).cloned() else {
            return;
        };
        let actual = self.movements.actual_partition_to_move(tp, &old, &new);
        self.process_movement(actual, new);
    }

    /// `processPartitionMovement`.
    fn process_movement(&mut self, tp: TopicPartition, new: String) {
        let Some(old) = self.owner.get(&tp).cloned() else {
            return;
        };
        if old == new || !self.current.contains_key(&old) || !self.current.contains_key(&new) {
            return;
        }
        self.by_load.remove(&(self.load(&old), old.clone()));
        self.by_load.remove(&(self.load(&new), new.clone()));
        self.movements.move_partition(&tp, &old, &new);
        if let Some(list) = self.current.get_mut(&old) {
            list.retain(|p| p != &tp);
        }
        if let Some(list) = self.current.get_mut(&new) {
            list.push(tp.clone());
        }
        self.owner.insert(tp, new.clone());
        self.by_load.insert((self.load(&old), old));
        self.by_load.insert((self.load(&new), new));
    }
}

fn explain_sticky(
    kind: AssignorKind,
    counts: &BTreeMap<String, u32>,
    members: &BTreeMap<String, Subscription>,
    plan: &StickyPlan,
    tp: &TopicPartition,
) -> String {
    let name = kind.name();
    let claimants: Vec<(&str, i32)> = members
        .iter()
        .filter(|(_, s)| s.owned.contains(tp))
        .map(|(m, s)| (m.as_str(), generation_of(s)))
        .collect();
    let top_generation = claimants.iter().map(|&(_, g)| g).max();
    let tied: Vec<&str> = claimants
        .iter()
        .filter(|&&(_, g)| Some(g) == top_generation)
        .map(|&(m, _)| m)
        .collect();
    let previous = plan
        .ownership
        .owned
        .iter()
        .find(|(_, ps)| ps.contains(tp))
        .map(|(m, _)| m.as_str());
    let stale: Vec<String> = claimants
        .iter()
        .filter(|&&(m, g)| Some(m) != previous && Some(g) < top_generation)
        .map(|&(m, g)| format!("{m} (generation {g})"))
        .collect();
    let stale_note = if stale.is_empty() || plan.ownership.multiply_claimed.contains(tp) {
        String::new()
    } else {
        format!("; the older claim of {} was ignored", stale.join(", "))
    };
    let context = match plan.quotas {
        Some((min, max)) => format!(
            "all {} members subscribe to the same topics, \
             so each gets {min}..={max} of the {} partitions",
            members.len(),
            counts.values().sum::<u32>()
        ),
        None => "subscriptions differ, so Kafka's general balancing algorithm ran".to_string(),
    };
    let Some(new_owner) = owner_of(&plan.assignment, tp) else {
        return format!("{name}: {tp} is unassigned");
    };
    let generation = top_generation.unwrap_or(DEFAULT_GENERATION);

    if kind.is_cooperative() && plan.transferring.contains_key(tp) {
        let from = if plan.ownership.multiply_claimed.contains(tp) {
            format!(
                "{} (all claim it in generation {generation})",
                tied.join(" and ")
            )
        } else {
            previous.map_or_else(|| tied.join(" and "), str::to_string)
        };
        return format!(
            "cooperative-sticky: {tp} is withheld this round: it moves from {from} to \
             {new_owner}, so it must be revoked first; {new_owner} receives it in the \
             follow-up rebalance"
        );
    }
    if previous == Some(new_owner) {
        return format!(
            "{name}: {new_owner} already owned {tp} (generation {generation}) and keeps it \
             (stickiness){stale_note}; {context}"
        );
    }
    let why = if plan.ownership.multiply_claimed.contains(tp) {
        format!(
            "{tp} was claimed by {} in the same generation {generation}, \
             so Kafka treats it as unowned",
            tied.join(" and ")
        )
    } else if let Some(previous) = previous {
        match plan.quotas {
            Some(_) => {
                let owned = plan.ownership.owned.get(previous).map_or(0, Vec::len);
                let kept = plan.assignment.get(previous).map_or(0, |ps| {
                    ps.iter()
                        .filter(|p| plan.ownership.owned[previous].contains(p))
                        .count()
                });
                format!(
                    "{previous} owned {tp} but may keep only {kept} of its {owned} owned \
                     partitions under the quota"
                )
            }
            None if !members
                .get(previous)
                .is_some_and(|s| s.topics.contains(&tp.topic)) =>
            {
                format!(
                    "{previous} owned {tp} but no longer subscribes to {}",
                    tp.topic
                )
            }
            None => {
                format!("{previous} owned {tp} but had to give partitions up to balance the group")
            }
        }
    } else {
        format!("{tp} had no previous owner")
    };
    let to = match plan.quotas {
        Some(_) => format!(
            "{new_owner} was the next member below its quota \
             (members are filled round-robin in member-id order)"
        ),
        None => format!(
            "it went to the least-loaded member subscribed to {}, {new_owner}",
            tp.topic
        ),
    };
    format!("{name}: {why}{stale_note}; {to}; {context}")
}

#[cfg(test)]
mod tests {
    use super::*;

    type Group = BTreeMap<String, Subscription>;

    const STICKY_KINDS: [AssignorKind; 2] = [AssignorKind::Sticky, AssignorKind::CooperativeSticky];

    fn tp(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition::new(topic, partition)
    }

    fn counts(list: &[(&str, u32)]) -> BTreeMap<String, u32> {
        list.iter().map(|&(t, n)| (t.to_string(), n)).collect()
    }

    fn sub(topics: &[&str]) -> Subscription {
        Subscription::new(topics.iter().copied())
    }

    /// Kafka's `buildSubscriptionV2Above(topics, partitions, generation, _)`.
    fn owning(topics: &[&str], owned: Vec<TopicPartition>, generation: i32) -> Subscription {
        sub(topics).with_owned(owned, Some(generation))
    }

    fn group(list: Vec<(&str, Subscription)>) -> Group {
        list.into_iter().map(|(m, s)| (m.to_string(), s)).collect()
    }

    /// Parses Kafka's test notation `"t1-0, t1-3"` into a sorted list.
    fn parts(text: &str) -> Vec<TopicPartition> {
        let mut list: Vec<TopicPartition> = text
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("topic partition"))
            .collect();
        list.sort();
        list
    }

    fn run(kind: AssignorKind, counts: &BTreeMap<String, u32>, members: &Group) -> Assignment {
        assign(kind, counts, members).expect("assignment")
    }

    fn is_fully_balanced(assignment: &Assignment) -> bool {
        let sizes = assignment.values().map(Vec::len);
        sizes.clone().max().unwrap_or(0) - sizes.min().unwrap_or(0) <= 1
    }

    fn contains_all(haystack: &[TopicPartition], needles: &[TopicPartition]) -> bool {
        needles.iter().all(|n| haystack.contains(n))
    }

    /// Kafka `AbstractStickyAssignorTest#verifyValidityAndBalance`: members only get subscribed
    /// topics, no partition twice, and members 2+ apart share no topic.
    fn verify_validity_and_balance(members: &Group, assignment: &Assignment) {
        assert_eq!(members.len(), assignment.len());
        let consumers: Vec<&String> = assignment.keys().collect();
        for (i, consumer) in consumers.iter().enumerate() {
            let partitions = &assignment[*consumer];
            for p in partitions {
                assert!(
                    members[*consumer].topics.contains(&p.topic),
                    "{p} assigned to {consumer}, which does not subscribe to it: {assignment:?}"
                );
            }
            for other in &consumers[i + 1..] {
                let other_partitions = &assignment[*other];
                assert!(
                    partitions.iter().all(|p| !other_partitions.contains(p)),
                    "{consumer} and {other} share partitions: {assignment:?}"
                );
                if partitions.len().abs_diff(other_partitions.len()) <= 1 {
                    continue;
                }
                let topics: BTreeSet<&String> = partitions.iter().map(|p| &p.topic).collect();
                assert!(
                    other_partitions.iter().all(|p| !topics.contains(&p.topic)),
                    "partitions can move between {consumer} and {other} \
                     for a better balance: {assignment:?}"
                );
            }
        }
    }

    /// Kafka `CooperativeStickyAssignorTest#verifyCooperativeValidity`: nothing is revoked and
    /// added in the same round. Returns whether something was revoked (a follow-up is due).
    fn revokes_in_this_round(members: &Group, assignment: &Assignment) -> bool {
        let mut added = BTreeSet::new();
        let mut revoked = BTreeSet::new();
        for (member, assigned) in assignment {
            let owned = &members[member].owned;
            revoked.extend(owned.iter().filter(|p| !assigned.contains(p)).cloned());
            added.extend(assigned.iter().filter(|p| !owned.contains(p)).cloned());
        }
        let both: Vec<_> = added.intersection(&revoked).collect();
        assert!(
            both.is_empty(),
            "partitions revoked and reassigned in the same round: {both:?}"
        );
        !revoked.is_empty()
    }

    /// Kafka `AbstractStickyAssignorTest#verifyValidityAndBalance`, including the cooperative
    /// override that runs follow-up rebalances (owned = last assignment, generation 1) until no
    /// partition is revoked. Updates `members` like the Java test does and returns the final
    /// assignment.
    fn verify(
        kind: AssignorKind,
        counts: &BTreeMap<String, u32>,
        members: &mut Group,
        assignment: Assignment,
    ) -> Assignment {
        let mut assignment = assignment;
        if kind.is_cooperative() {
            let mut rebalances = 0;
            while revokes_in_this_round(members, &assignment) {
                for (member, partitions) in &assignment {
                    let subscription = members.get_mut(member).expect("member");
                    subscription.owned = partitions.clone();
                    subscription.generation = Some(1);
                }
                assignment = run(kind, counts, members);
                rebalances += 1;
                assert!(rebalances <= 4, "cooperative rebalancing did not settle");
            }
        }
        verify_validity_and_balance(members, &assignment);
        assignment
    }

    /// Assigns, then [`verify`]s (including cooperative follow-up rounds).
    fn run_verified(
        kind: AssignorKind,
        counts: &BTreeMap<String, u32>,
        members: &mut Group,
    ) -> Assignment {
        let first = run(kind, counts, members);
        verify(kind, counts, members, first)
    }

    /// Sets every member's `owned` to its partitions in `assignment`, at `generation`.
    fn adopt(members: &mut Group, assignment: &Assignment, generation: i32) {
        for (member, subscription) in members.iter_mut() {
            subscription.owned = assignment.get(member).cloned().unwrap_or_default();
            subscription.generation = Some(generation);
        }
    }

    /// Kafka `PartitionMovements#isSticky`: no topic has partitions moving both a->b and b->a.
    fn assert_sticky(before: &Assignment, after: &Assignment) {
        let mut pairs: BTreeSet<(String, String, String)> = BTreeSet::new();
        for (from, partitions) in before {
            for p in partitions {
                if let Some(to) = owner_of(after, p) {
                    if to != from && after.contains_key(from) {
                        pairs.insert((p.topic.clone(), from.clone(), to.to_string()));
                    }
                }
            }
        }
        for (topic, from, to) in &pairs {
            assert!(
                !pairs.contains(&(topic.clone(), to.clone(), from.clone())),
                "partitions of {topic} moved both {from}->{to} and {to}->{from}"
            );
        }
    }

    /// Kafka's `getCanonicalName(str, i, maxNum)`: zero-padded to the width of `max`.
    fn name(prefix: &str, i: usize, max: usize) -> String {
        format!("{prefix}{i:0width$}", width = max.to_string().len())
    }

    /// Tiny deterministic generator (Knuth's MMIX LCG) for the randomized ports.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, bound: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) % bound.max(1) as u64) as usize
        }
    }

    // ----------------------------------------------------------------- basic types

    #[test]
    fn topic_partition_display_and_parse() {
        assert_eq!(tp("orders", 3).to_string(), "orders-3");
        assert_eq!("t1-0".parse::<TopicPartition>(), Ok(tp("t1", 0)));
        assert_eq!(
            "my-topic-12".parse::<TopicPartition>(),
            Ok(tp("my-topic", 12))
        );
        for bad in [
            "orders",
            "-3",
            "orders-",
            "orders-x",
            "orders-+1",
            "orders-99999999999",
        ] {
            assert_eq!(
                bad.parse::<TopicPartition>(),
                Err(AssignError::BadTopicPartition(bad.to_string()))
            );
        }
        assert!(tp("a", 9) < tp("a", 10) && tp("a", 10) < tp("b", 0));
    }

    #[test]
    fn assignor_kind_names() {
        let names: Vec<&str> = AssignorKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(
            names,
            ["range", "roundrobin", "sticky", "cooperative-sticky"]
        );
        for kind in AssignorKind::ALL {
            assert_eq!(kind.name().parse::<AssignorKind>(), Ok(kind));
            assert_eq!(kind.class_name().parse::<AssignorKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.name());
            assert_eq!(
                kind.is_cooperative(),
                kind == AssignorKind::CooperativeSticky
            );
        }
        assert_eq!(
            "CooperativeStickyAssignor".parse::<AssignorKind>(),
            Ok(AssignorKind::CooperativeSticky)
        );
        assert_eq!(" Range ".parse::<AssignorKind>(), Ok(AssignorKind::Range));
        assert_eq!(
            "uniform".parse::<AssignorKind>(),
            Err(AssignError::UnknownAssignor("uniform".to_string()))
        );
    }

    #[test]
    fn errors_display() {
        let unknown = AssignError::UnknownTopic {
            member: "c1".into(),
            topic: "t9".into(),
        };
        assert_eq!(
            unknown.to_string(),
            "member c1 subscribes to unknown topic t9"
        );
        assert!(AssignError::UnknownAssignor("x".into())
            .to_string()
            .contains("cooperative-sticky"));
        assert!(AssignError::BadTopicPartition("x".into())
            .to_string()
            .contains("<topic>-<partition>"));
        let boxed: Box<dyn Error> = Box::new(AssignError::Internal("boom".into()));
        assert_eq!(boxed.to_string(), "assignor invariant violated: boom");
    }

    #[test]
    fn unknown_topics_are_ignored_but_can_be_validated() {
        let c = counts(&[("t1", 2)]);
        let members = group(vec![("c1", sub(&["t1", "ghost"]))]);
        for kind in AssignorKind::ALL {
            assert_eq!(run(kind, &c, &members)["c1"], parts("t1-0, t1-1"), "{kind}");
        }
        assert_eq!(
            validate_subscriptions(&c, &members),
            Err(AssignError::UnknownTopic {
                member: "c1".into(),
                topic: "ghost".into()
            })
        );
        assert_eq!(
            validate_subscriptions(&c, &group(vec![("c1", sub(&["t1"]))])),
            Ok(())
        );
    }

    #[test]
    fn empty_group() {
        for kind in AssignorKind::ALL {
            assert!(run(kind, &counts(&[("t", 3)]), &Group::new()).is_empty());
        }
    }

    // ----------------------------------------------------------------- RangeAssignorTest

    /// Kafka RangeAssignorTest#testOneConsumerNoTopic and #testOneConsumerNonexistentTopic
    #[test]
    fn range_one_consumer_no_topic_and_nonexistent_topic() {
        let a = run(
            AssignorKind::Range,
            &counts(&[]),
            &group(vec![("consumer1", sub(&[]))]),
        );
        assert_eq!(a.keys().collect::<Vec<_>>(), ["consumer1"]);
        assert!(a["consumer1"].is_empty());
        let a = run(
            AssignorKind::Range,
            &counts(&[]),
            &group(vec![("consumer1", sub(&["topic1"]))]),
        );
        assert!(a["consumer1"].is_empty());
    }

    /// Kafka RangeAssignorTest#testOneConsumerOneTopic and
    /// #testOnlyAssignsPartitionsFromSubscribedTopics
    #[test]
    fn range_one_consumer_one_topic_only_subscribed() {
        let members = group(vec![("consumer1", sub(&["topic1"]))]);
        let a = run(AssignorKind::Range, &counts(&[("topic1", 3)]), &members);
        assert_eq!(a["consumer1"], parts("topic1-0, topic1-1, topic1-2"));
        let a = run(
            AssignorKind::Range,
            &counts(&[("topic1", 3), ("other", 3)]),
            &members,
        );
        assert_eq!(a["consumer1"], parts("topic1-0, topic1-1, topic1-2"));
    }

    /// Kafka RangeAssignorTest#testOneConsumerMultipleTopics
    #[test]
    fn range_one_consumer_multiple_topics() {
        let a = run(
            AssignorKind::Range,
            &counts(&[("topic1", 1), ("topic2", 2)]),
            &group(vec![("consumer1", sub(&["topic1", "topic2"]))]),
        );
        assert_eq!(a["consumer1"], parts("topic1-0, topic2-0, topic2-1"));
    }

    /// Kafka RangeAssignorTest#testTwoConsumersOneTopicOnePartition and
    /// #testTwoConsumersOneTopicTwoPartitions
    #[test]
    fn range_two_consumers_one_topic() {
        let members = group(vec![
            ("consumer1", sub(&["topic1"])),
            ("consumer2", sub(&["topic1"])),
        ]);
        let a = run(AssignorKind::Range, &counts(&[("topic1", 1)]), &members);
        assert_eq!(a["consumer1"], parts("topic1-0"));
        assert!(a["consumer2"].is_empty());
        let a = run(AssignorKind::Range, &counts(&[("topic1", 2)]), &members);
        assert_eq!(a["consumer1"], parts("topic1-0"));
        assert_eq!(a["consumer2"], parts("topic1-1"));
    }

    /// Kafka RangeAssignorTest#testMultipleConsumersMixedTopics
    #[test]
    fn range_multiple_consumers_mixed_topics() {
        let members = group(vec![
            ("consumer1", sub(&["topic1"])),
            ("consumer2", sub(&["topic1", "topic2"])),
            ("consumer3", sub(&["topic1"])),
        ]);
        let a = run(
            AssignorKind::Range,
            &counts(&[("topic1", 3), ("topic2", 2)]),
            &members,
        );
        assert_eq!(a["consumer1"], parts("topic1-0"));
        assert_eq!(a["consumer2"], parts("topic1-1, topic2-0, topic2-1"));
        assert_eq!(a["consumer3"], parts("topic1-2"));
    }

    /// Kafka RangeAssignorTest#testTwoConsumersTwoTopicsSixPartitions (also the RangeAssignor
    /// javadoc example)
    #[test]
    fn range_two_consumers_two_topics_six_partitions() {
        let members = group(vec![
            ("consumer1", sub(&["topic1", "topic2"])),
            ("consumer2", sub(&["topic1", "topic2"])),
        ]);
        let a = run(
            AssignorKind::Range,
            &counts(&[("topic1", 3), ("topic2", 3)]),
            &members,
        );
        assert_eq!(
            a["consumer1"],
            parts("topic1-0, topic1-1, topic2-0, topic2-1")
        );
        assert_eq!(a["consumer2"], parts("topic1-2, topic2-2"));
    }

    /// Seed topology of the simulator: "orders" with 12 partitions.
    #[test]
    fn range_seed_topology_orders() {
        let c = counts(&[("orders", 12)]);
        let three = group(vec![
            ("consumer-a", sub(&["orders"])),
            ("consumer-b", sub(&["orders"])),
            ("consumer-c", sub(&["orders"])),
        ]);
        let a = run(AssignorKind::Range, &c, &three);
        assert_eq!(
            a["consumer-a"],
            (0..4).map(|p| tp("orders", p)).collect::<Vec<_>>()
        );
        assert_eq!(
            a["consumer-b"],
            (4..8).map(|p| tp("orders", p)).collect::<Vec<_>>()
        );
        assert_eq!(
            a["consumer-c"],
            (8..12).map(|p| tp("orders", p)).collect::<Vec<_>>()
        );

        let two = group(vec![
            ("consumer-a", sub(&["orders"])),
            ("consumer-b", sub(&["orders"])),
        ]);
        let a = run(AssignorKind::Range, &c, &two);
        assert_eq!(
            a["consumer-a"],
            (0..6).map(|p| tp("orders", p)).collect::<Vec<_>>()
        );
        assert_eq!(
            a["consumer-b"],
            (6..12).map(|p| tp("orders", p)).collect::<Vec<_>>()
        );

        let a = run(AssignorKind::Range, &c, &three);
        assert_eq!(
            explain(AssignorKind::Range, &c, &three, &a, &tp("orders", 7)),
            "range: orders has 12 partitions / 3 subscribed members = 4 each (+1 for the first 0); \
             consumer-b is member #2 in sorted member-id order, so it gets partitions 4..=7"
        );
    }

    // ----------------------------------------------------------------- RoundRobinAssignorTest

    /// Kafka RoundRobinAssignorTest#testOneConsumerNoTopic, #testOneConsumerNonexistentTopic,
    /// #testOneConsumerOneTopic and #testOnlyAssignsPartitionsFromSubscribedTopics
    #[test]
    fn round_robin_single_consumer_cases() {
        let rr = AssignorKind::RoundRobin;
        assert!(run(rr, &counts(&[]), &group(vec![("consumer", sub(&[]))]))["consumer"].is_empty());
        assert!(run(
            rr,
            &counts(&[]),
            &group(vec![("consumer", sub(&["topic"]))])
        )["consumer"]
            .is_empty());
        let one = group(vec![("consumer", sub(&["topic"]))]);
        assert_eq!(
            run(rr, &counts(&[("topic", 3)]), &one)["consumer"],
            parts("topic-0, topic-1, topic-2")
        );
        assert_eq!(
            run(rr, &counts(&[("topic", 3), ("other", 3)]), &one)["consumer"],
            parts("topic-0, topic-1, topic-2")
        );
    }

    /// Kafka RoundRobinAssignorTest#testOneConsumerMultipleTopics
    #[test]
    fn round_robin_one_consumer_multiple_topics() {
        let a = run(
            AssignorKind::RoundRobin,
            &counts(&[("topic1", 1), ("topic2", 2)]),
            &group(vec![("consumer", sub(&["topic1", "topic2"]))]),
        );
        assert_eq!(a["consumer"], parts("topic1-0, topic2-0, topic2-1"));
    }

    /// Kafka RoundRobinAssignorTest#testTwoConsumersOneTopicOnePartition and
    /// #testTwoConsumersOneTopicTwoPartitions
    #[test]
    fn round_robin_two_consumers_one_topic() {
        let members = group(vec![
            ("consumer1", sub(&["topic"])),
            ("consumer2", sub(&["topic"])),
        ]);
        let a = run(AssignorKind::RoundRobin, &counts(&[("topic", 1)]), &members);
        assert_eq!(a["consumer1"], parts("topic-0"));
        assert!(a["consumer2"].is_empty());
        let a = run(AssignorKind::RoundRobin, &counts(&[("topic", 2)]), &members);
        assert_eq!(a["consumer1"], parts("topic-0"));
        assert_eq!(a["consumer2"], parts("topic-1"));
    }

    /// Kafka RoundRobinAssignorTest#testMultipleConsumersMixedTopics
    #[test]
    fn round_robin_multiple_consumers_mixed_topics() {
        let members = group(vec![
            ("consumer1", sub(&["topic1"])),
            ("consumer2", sub(&["topic1", "topic2"])),
            ("consumer3", sub(&["topic1"])),
        ]);
        let a = run(
            AssignorKind::RoundRobin,
            &counts(&[("topic1", 3), ("topic2", 2)]),
            &members,
        );
        assert_eq!(a["consumer1"], parts("topic1-0"));
        assert_eq!(a["consumer2"], parts("topic1-1, topic2-0, topic2-1"));
        assert_eq!(a["consumer3"], parts("topic1-2"));
    }

    /// Kafka RoundRobinAssignorTest#testTwoConsumersTwoTopicsSixPartitions
    #[test]
    fn round_robin_two_consumers_two_topics_six_partitions() {
        let members = group(vec![
            ("consumer1", sub(&["topic1", "topic2"])),
            ("consumer2", sub(&["topic1", "topic2"])),
        ]);
        let c = counts(&[("topic1", 3), ("topic2", 3)]);
        let a = run(AssignorKind::RoundRobin, &c, &members);
        assert_eq!(a["consumer1"], parts("topic1-0, topic1-2, topic2-1"));
        assert_eq!(a["consumer2"], parts("topic1-1, topic2-0, topic2-2"));
        assert_eq!(
            explain(AssignorKind::RoundRobin, &c, &members, &a, &tp("topic2", 1)),
            "roundrobin: topic2-1 is #5 of 6 subscribed partitions in (topic, partition) order; \
             dealt one by one to the 2 members in sorted member-id order (identical \
             subscriptions: partition #5 goes to member #1), it lands on consumer1"
        );
    }

    /// The unequal-subscription example of the RoundRobinAssignor javadoc.
    #[test]
    fn round_robin_javadoc_unequal_subscriptions() {
        let members = group(vec![
            ("C0", sub(&["t0"])),
            ("C1", sub(&["t0", "t1"])),
            ("C2", sub(&["t0", "t1", "t2"])),
        ]);
        let a = run(
            AssignorKind::RoundRobin,
            &counts(&[("t0", 1), ("t1", 2), ("t2", 3)]),
            &members,
        );
        assert_eq!(a["C0"], parts("t0-0"));
        assert_eq!(a["C1"], parts("t1-0"));
        assert_eq!(a["C2"], parts("t1-1, t2-0, t2-1, t2-2"));
    }

    // ----------------------------------------------------------------- AbstractStickyAssignorTest

    /// Kafka AbstractStickyAssignorTest#testOneConsumerNoTopic, #testOneConsumerNonexistentTopic,
    /// #testOneConsumerOneTopic and #testOneConsumerMultipleTopics
    #[test]
    fn sticky_single_consumer_cases() {
        for kind in STICKY_KINDS {
            let a = run(kind, &counts(&[]), &group(vec![("consumer", sub(&[]))]));
            assert!(a["consumer"].is_empty() && a.len() == 1);
            let a = run(
                kind,
                &counts(&[("topic", 0)]),
                &group(vec![("consumer", sub(&["topic"]))]),
            );
            assert!(a["consumer"].is_empty());
            let a = run(
                kind,
                &counts(&[("topic", 3)]),
                &group(vec![("consumer", sub(&["topic"]))]),
            );
            assert_eq!(a["consumer"], parts("topic-0, topic-1, topic-2"));
            let c = counts(&[("topic1", 1), ("topic2", 2)]);
            let a = run(
                kind,
                &c,
                &group(vec![("consumer", sub(&["topic1", "topic2"]))]),
            );
            assert_eq!(a["consumer"], parts("topic1-0, topic2-0, topic2-1"));
            assert!(pending_transfers(
                kind,
                &c,
                &group(vec![("consumer", sub(&["topic1", "topic2"]))])
            )
            .unwrap()
            .is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testOnlyAssignsPartitionsFromSubscribedTopics
    #[test]
    fn sticky_only_assigns_partitions_from_subscribed_topics() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 2)]);
            let members = group(vec![(
                "consumer",
                owning(&["topic"], parts("topic-0, topic-1, other-0, other-1"), 1),
            )]);
            assert_eq!(
                run(kind, &c, &members)["consumer"],
                parts("topic-0, topic-1")
            );
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testTwoConsumersOneTopicOnePartition and
    /// #testTwoConsumersOneTopicTwoPartitions
    #[test]
    fn sticky_two_consumers_one_topic() {
        for kind in STICKY_KINDS {
            let mut members = group(vec![
                ("consumer1", sub(&["topic"])),
                ("consumer2", sub(&["topic"])),
            ]);
            let c = counts(&[("topic", 1)]);
            let a = run_verified(kind, &c, &mut members);
            assert!(is_fully_balanced(&a));
            let c = counts(&[("topic", 2)]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic-0"));
            assert_eq!(a["consumer2"], parts("topic-1"));
        }
    }

    /// Kafka AbstractStickyAssignorTest#testMultipleConsumersMixedTopicSubscriptions (general path)
    #[test]
    fn sticky_multiple_consumers_mixed_topic_subscriptions() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic1", 3), ("topic2", 2)]);
            let mut members = group(vec![
                ("consumer1", sub(&["topic1"])),
                ("consumer2", sub(&["topic1", "topic2"])),
                ("consumer3", sub(&["topic1"])),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic1-0, topic1-2"));
            assert_eq!(a["consumer2"], parts("topic2-0, topic2-1"));
            assert_eq!(a["consumer3"], parts("topic1-1"));
            let a = verify(kind, &c, &mut members, a);
            assert!(is_fully_balanced(&a));
        }
    }

    /// Kafka AbstractStickyAssignorTest#testTwoConsumersTwoTopicsSixPartitions
    #[test]
    fn sticky_two_consumers_two_topics_six_partitions() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic1", 3), ("topic2", 3)]);
            let members = group(vec![
                ("consumer1", sub(&["topic1", "topic2"])),
                ("consumer2", sub(&["topic1", "topic2"])),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic1-0, topic1-2, topic2-1"));
            assert_eq!(a["consumer2"], parts("topic1-1, topic2-0, topic2-2"));
        }
    }

    /// Kafka AbstractStickyAssignorTest#testConsumerOwningMinQuotaExpectedMaxQuota
    #[test]
    fn sticky_consumer_owning_min_quota_expected_max_quota() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic1", 2), ("topic2", 3)]);
            let topics = ["topic1", "topic2"];
            let members = group(vec![
                ("consumer1", owning(&topics, parts("topic1-0, topic2-1"), 1)),
                ("consumer2", owning(&topics, parts("topic1-1, topic2-2"), 1)),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic1-0, topic2-1, topic2-0"));
            assert_eq!(a["consumer2"], parts("topic1-1, topic2-2"));
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers.
    ///
    /// Deviation: both consumer1 and consumer2 own maxQuota (2) partitions but only one may keep
    /// them. Kafka's java.util.HashMap happens to visit consumer2 first (so upstream expects
    /// consumer1=[topic1-0], consumer2=[topic1-1, topic2-1], consumer3=[topic2-0]); this model
    /// visits members in member-id order, so consumer1 keeps both and consumer2 gives one up.
    #[test]
    fn sticky_max_quota_consumer_more_than_num_expected_max_capacity_members() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic1", 2), ("topic2", 2)]);
            let topics = ["topic1", "topic2"];
            let mut members = group(vec![
                ("consumer1", owning(&topics, parts("topic1-0, topic2-0"), 1)),
                ("consumer2", owning(&topics, parts("topic1-1, topic2-1"), 1)),
                ("consumer3", owning(&topics, vec![], 1)),
            ]);
            let transfers =
                pending_transfers(AssignorKind::CooperativeSticky, &c, &members).unwrap();
            assert_eq!(
                transfers,
                BTreeMap::from([(tp("topic2", 1), "consumer3".to_string())])
            );
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic1-0, topic2-0"));
            assert_eq!(a["consumer2"], parts("topic1-1"));
            let expected_c3 = if kind.is_cooperative() {
                vec![]
            } else {
                parts("topic2-1")
            };
            assert_eq!(a["consumer3"], expected_c3);
            let a = verify(kind, &c, &mut members, a);
            assert_eq!(a["consumer3"], parts("topic2-1"));
            assert!(is_fully_balanced(&a));
        }
    }

    /// Kafka AbstractStickyAssignorTest#testAllConsumersAreUnderMinQuota
    #[test]
    fn sticky_all_consumers_are_under_min_quota() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic1", 2), ("topic2", 3)]);
            let topics = ["topic1", "topic2"];
            let members = group(vec![
                ("consumer1", owning(&topics, parts("topic1-0"), 1)),
                ("consumer2", owning(&topics, parts("topic1-1"), 1)),
                ("consumer3", owning(&topics, vec![], 1)),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic1-0, topic2-1"));
            assert_eq!(a["consumer2"], parts("topic1-1, topic2-2"));
            assert_eq!(a["consumer3"], parts("topic2-0"));
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testAddRemoveConsumerOneTopic (a member joins, then one
    /// leaves)
    #[test]
    fn sticky_add_remove_consumer_one_topic() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 3)]);
            let mut members = group(vec![("consumer1", sub(&["topic"]))]);
            let a = run_verified(kind, &c, &mut members);
            assert_eq!(a["consumer1"], parts("topic-0, topic-1, topic-2"));

            members.insert(
                "consumer1".into(),
                owning(&["topic"], a["consumer1"].clone(), 1),
            );
            members.insert("consumer2".into(), owning(&["topic"], vec![], 1));
            let first = run(kind, &c, &members);
            assert_eq!(
                pending_transfers(AssignorKind::CooperativeSticky, &c, &members).unwrap(),
                BTreeMap::from([(tp("topic", 2), "consumer2".to_string())])
            );
            if kind.is_cooperative() {
                assert!(
                    first["consumer2"].is_empty(),
                    "topic-2 must be revoked before consumer2 gets it"
                );
            }
            let a = verify(kind, &c, &mut members, first);
            assert_eq!(a["consumer1"], parts("topic-0, topic-1"));
            assert_eq!(a["consumer2"], parts("topic-2"));

            members.remove("consumer1");
            members.insert(
                "consumer2".into(),
                owning(&["topic"], a["consumer2"].clone(), 1),
            );
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer2"], parts("topic-0, topic-1, topic-2"));
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testTopicBalanceAfterReassignment
    #[test]
    fn sticky_topic_balance_after_reassignment() {
        for kind in STICKY_KINDS {
            let all = ["topic1", "topic2"];
            let c = counts(&[("topic1", 12), ("topic2", 12)]);
            let per_topic = |a: &Assignment, expected: usize| {
                for partitions in a.values() {
                    for topic in all {
                        assert_eq!(
                            partitions.iter().filter(|p| p.topic == topic).count(),
                            expected
                        );
                    }
                }
            };
            let mut members = group(vec![("consumer1", sub(&all))]);
            let a = run_verified(kind, &c, &mut members);
            per_topic(&a, 12);

            members.insert("consumer2".into(), sub(&all));
            adopt(&mut members, &a, 1);
            let a = run_verified(kind, &c, &mut members);
            per_topic(&a, 6);

            members.insert("consumer3".into(), sub(&all));
            members.insert("consumer4".into(), sub(&all));
            adopt(&mut members, &a, 1);
            let a = run_verified(kind, &c, &mut members);
            per_topic(&a, 3);

            members.remove("consumer1");
            members.remove("consumer2");
            adopt(&mut members, &a, 1);
            let a = run_verified(kind, &c, &mut members);
            per_topic(&a, 6);
            assert!(is_fully_balanced(&a));
        }
    }

    /// Kafka AbstractStickyAssignorTest#testAddRemoveTwoConsumersTwoTopics (exact, including
    /// partitionsTransferringOwnership)
    #[test]
    fn sticky_add_remove_two_consumers_two_topics() {
        for kind in STICKY_KINDS {
            let all = ["topic1", "topic2"];
            let c = counts(&[("topic1", 3), ("topic2", 4)]);
            let mut members = group(vec![("consumer1", sub(&all)), ("consumer2", sub(&all))]);
            let a = run(kind, &c, &members);
            assert_eq!(
                a["consumer1"],
                parts("topic1-0, topic1-2, topic2-1, topic2-3")
            );
            assert_eq!(a["consumer2"], parts("topic1-1, topic2-0, topic2-2"));

            // add 2 consumers
            members.insert("consumer3".into(), sub(&all));
            members.insert("consumer4".into(), sub(&all));
            adopt(&mut members, &a, 1);
            assert_eq!(
                pending_transfers(AssignorKind::CooperativeSticky, &c, &members).unwrap(),
                BTreeMap::from([
                    (tp("topic1", 2), "consumer3".to_string()),
                    (tp("topic2", 3), "consumer3".to_string()),
                    (tp("topic2", 2), "consumer4".to_string()),
                ])
            );
            let a = run_verified(kind, &c, &mut members);
            assert_eq!(a["consumer1"], parts("topic1-0, topic2-1"));
            assert_eq!(a["consumer2"], parts("topic2-0, topic1-1"));
            assert_eq!(a["consumer3"], parts("topic1-2, topic2-3"));
            assert_eq!(a["consumer4"], parts("topic2-2"));

            // remove 2 consumers
            members.remove("consumer1");
            members.remove("consumer2");
            adopt(&mut members, &a, 1);
            let a = run(kind, &c, &members);
            assert_eq!(
                a["consumer3"],
                parts("topic1-2, topic2-3, topic1-0, topic2-1")
            );
            assert_eq!(a["consumer4"], parts("topic2-2, topic1-1, topic2-0"));
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testPoorRoundRobinAssignmentScenario
    #[test]
    fn sticky_poor_round_robin_assignment_scenario() {
        for kind in STICKY_KINDS {
            let c: BTreeMap<String, u32> =
                (1..=5).map(|i| (format!("topic{i}"), i % 2 + 1)).collect();
            let all = ["topic1", "topic2", "topic3", "topic4", "topic5"];
            let odd = ["topic1", "topic3", "topic5"];
            let mut members = group(vec![
                ("consumer1", sub(&all)),
                ("consumer2", sub(&odd)),
                ("consumer3", sub(&odd)),
                ("consumer4", sub(&all)),
            ]);
            let a = run_verified(kind, &c, &mut members);
            assert!(is_fully_balanced(&a), "{a:?}");
        }
    }

    /// Kafka AbstractStickyAssignorTest#testAddRemoveTopicTwoConsumers
    #[test]
    fn sticky_add_remove_topic_two_consumers() {
        for kind in STICKY_KINDS {
            let mut c = counts(&[("topic", 3)]);
            let mut members = group(vec![
                ("consumer1", sub(&["topic"])),
                ("consumer2", sub(&["topic"])),
            ]);
            let a1 = run_verified(kind, &c, &mut members);
            assert!(is_fully_balanced(&a1));

            c.insert("topic2".into(), 3);
            members = group(vec![
                (
                    "consumer1",
                    owning(&["topic", "topic2"], a1["consumer1"].clone(), 1),
                ),
                (
                    "consumer2",
                    owning(&["topic", "topic2"], a1["consumer2"].clone(), 1),
                ),
            ]);
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
            let a2 = run_verified(kind, &c, &mut members);
            assert_eq!((a2["consumer1"].len(), a2["consumer2"].len()), (3, 3));
            assert!(contains_all(&a2["consumer1"], &a1["consumer1"]));
            assert!(contains_all(&a2["consumer2"], &a1["consumer2"]));

            c.remove("topic");
            members = group(vec![
                ("consumer1", owning(&["topic2"], a2["consumer1"].clone(), 1)),
                ("consumer2", owning(&["topic2"], a2["consumer2"].clone(), 1)),
            ]);
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
            let a3 = run_verified(kind, &c, &mut members);
            assert!(is_fully_balanced(&a3));
            assert!(contains_all(&a2["consumer1"], &a3["consumer1"]));
            assert!(contains_all(&a2["consumer2"], &a3["consumer2"]));
        }
    }

    /// Kafka AbstractStickyAssignorTest#testReassignmentAfterOneConsumerLeaves (general path and
    /// isSticky)
    #[test]
    fn sticky_reassignment_after_one_consumer_leaves() {
        for kind in STICKY_KINDS {
            let c: BTreeMap<String, u32> = (1..20).map(|i| (name("t", i, 20), i as u32)).collect();
            let mut members: Group = (1..20)
                .map(|i| {
                    (
                        name("c", i, 20),
                        Subscription::new((1..=i).map(|j| name("t", j, 20))),
                    )
                })
                .collect();
            let a = run_verified(kind, &c, &mut members);
            adopt(&mut members, &a, 1);
            members.remove("c10");
            let after = run(kind, &c, &members);
            assert_sticky(&a, &after);
            verify(kind, &c, &mut members, after);
        }
    }

    /// Kafka AbstractStickyAssignorTest#testReassignmentAfterOneConsumerAdded
    #[test]
    fn sticky_reassignment_after_one_consumer_added() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 20)]);
            let mut members: Group = (1..10)
                .map(|i| (name("c", i, 10), sub(&["topic"])))
                .collect();
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
            run_verified(kind, &c, &mut members);
            // upstream re-subscribes without owned partitions, so nothing transfers
            let mut members: Group = (1..=10)
                .map(|i| (name("c", i, 10), sub(&["topic"])))
                .collect();
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
            run_verified(kind, &c, &mut members);
        }
    }

    /// Kafka AbstractStickyAssignorTest#testSameSubscriptions (member c5 leaves)
    #[test]
    fn sticky_same_subscriptions() {
        for kind in STICKY_KINDS {
            let c: BTreeMap<String, u32> = (1..15).map(|i| (name("t", i, 15), i as u32)).collect();
            let topics: Vec<String> = c.keys().cloned().collect();
            let mut members: Group = (1..9)
                .map(|i| (name("c", i, 9), Subscription::new(topics.clone())))
                .collect();
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
            let a = run_verified(kind, &c, &mut members);
            adopt(&mut members, &a, 1);
            members.remove(&name("c", 5, 9));
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
            let after = run_verified(kind, &c, &mut members);
            for (member, partitions) in &after {
                assert!(
                    contains_all(partitions, &a[member]),
                    "{member} lost partitions"
                );
            }
        }
    }

    /// Kafka AbstractStickyAssignorTest#testSubscriptionNotEqualAndAssignSamePartitionWith3Generation
    #[test]
    fn sticky_subscription_not_equal_and_assign_same_partition_with_3_generation() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 6), ("topic1", 1)]);
            for g in [
                [1, 2, 3],
                [1, 3, 2],
                [2, 1, 3],
                [2, 3, 1],
                [3, 1, 2],
                [3, 2, 1],
            ] {
                let members = group(vec![
                    (
                        "consumer1",
                        owning(&["topic"], parts("topic-0, topic-2"), g[0]),
                    ),
                    (
                        "consumer2",
                        owning(&["topic"], parts("topic-1, topic-2, topic-3"), g[1]),
                    ),
                    (
                        "consumer3",
                        owning(&["topic"], parts("topic-2, topic-4, topic-5"), g[2]),
                    ),
                    ("consumer4", owning(&["topic1"], parts("topic1-0"), 2)),
                ]);
                let a = run(AssignorKind::Sticky, &c, &members);
                let all: Vec<&TopicPartition> = a.values().flatten().collect();
                assert_eq!(all.len(), all.iter().collect::<BTreeSet<_>>().len());
                assert!(a.values().all(|p| (1..=2).contains(&p.len())), "{a:?}");
                let mut members = members;
                run_verified(kind, &c, &mut members);
            }
        }
    }

    /// Kafka AbstractStickyAssignorTest#testNewSubscription
    #[test]
    fn sticky_new_subscription() {
        for kind in STICKY_KINDS {
            let c: BTreeMap<String, u32> = (1..5).map(|i| (name("t", i, 5), 1)).collect();
            let mut members: Group = (0..3usize)
                .map(|i| {
                    let topics: Vec<String> = (i..=(3 * i).saturating_sub(2))
                        .filter(|&j| i > 0 || j > 0)
                        .map(|j| name("t", j, 5))
                        .collect();
                    (name("c", i, 3), Subscription::new(topics))
                })
                .collect();
            assert!(members["c0"].topics.is_empty());
            assert_eq!(members["c2"].topics, ["t2", "t3", "t4"]);
            let before = run_verified(kind, &c, &mut members);
            members.get_mut("c0").unwrap().topics.push(name("t", 1, 5));
            let after = run(kind, &c, &members);
            assert_sticky(&before, &after);
            verify(kind, &c, &mut members, after);
        }
    }

    /// Kafka AbstractStickyAssignorTest#testMoveExistingAssignments
    #[test]
    fn sticky_move_existing_assignments() {
        for kind in STICKY_KINDS {
            let c: BTreeMap<String, u32> = (1..=6).map(|i| (format!("topic{i}"), 1)).collect();
            let mut members = group(vec![
                (
                    "consumer1",
                    owning(&["topic1", "topic2"], parts("topic1-0"), 1),
                ),
                (
                    "consumer2",
                    owning(
                        &["topic1", "topic2", "topic3", "topic4"],
                        parts("topic2-0, topic3-0"),
                        1,
                    ),
                ),
                (
                    "consumer3",
                    owning(
                        &["topic2", "topic3", "topic4", "topic5", "topic6"],
                        parts("topic4-0, topic5-0, topic6-0"),
                        1,
                    ),
                ),
            ]);
            run_verified(kind, &c, &mut members);
        }
    }

    /// Kafka AbstractStickyAssignorTest#testStickiness (the potential group leader leaves)
    #[test]
    fn sticky_stickiness_after_leader_leaves() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic1", 3)]);
            let mut members: Group = (1..=4)
                .map(|i| (format!("consumer{i}"), sub(&["topic1"])))
                .collect();
            let a = run_verified(kind, &c, &mut members);
            assert!(a.values().all(|p| p.len() <= 1));
            members.remove("consumer1");
            adopt(&mut members, &a, 1);
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
            let after = run_verified(kind, &c, &mut members);
            for (member, partitions) in &after {
                assert_eq!(partitions.len(), 1);
                assert!(
                    contains_all(partitions, &a[member]),
                    "stickiness was not honored for {member}"
                );
            }
        }
    }

    /// Kafka AbstractStickyAssignorTest#testAssignmentUpdatedForDeletedTopic and
    /// #testNoExceptionThrownWhenOnlySubscribedTopicDeleted
    #[test]
    fn sticky_deleted_topics() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic1", 1), ("topic3", 100)]);
            let a = run(
                kind,
                &c,
                &group(vec![("consumer", sub(&["topic1", "topic2", "topic3"]))]),
            );
            assert_eq!(a["consumer"].len(), 101);

            let members = group(vec![(
                "consumer",
                owning(&["topic"], parts("topic-0, topic-1, topic-2"), 1),
            )]);
            let a = run(kind, &counts(&[]), &members);
            assert_eq!(a.len(), 1);
            assert!(a["consumer"].is_empty());
            assert!(pending_transfers(kind, &counts(&[]), &members)
                .unwrap()
                .is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testReassignmentWithRandomSubscriptionsAndChanges
    /// (java.util.Random replaced by an LCG, 25 instead of 100 rounds per assignor)
    #[test]
    fn sticky_reassignment_with_random_subscriptions_and_changes() {
        let mut rng = Lcg(42);
        for kind in STICKY_KINDS {
            for _round in 0..25 {
                let topic_count = 10 + rng.below(10);
                let topics: Vec<String> = (0..topic_count).map(|i| name("t", i, 20)).collect();
                let c: BTreeMap<String, u32> = topics
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.clone(), i as u32 + 1))
                    .collect();
                let consumer_count = 20 + rng.below(20);
                let random_sublist = |rng: &mut Lcg| {
                    let mut chosen = topics.clone();
                    for _ in 0..rng.below(topics.len()) {
                        chosen.remove(rng.below(chosen.len()));
                    }
                    chosen
                };
                let mut members: Group = (0..consumer_count)
                    .map(|i| {
                        (
                            name("c", i, 40),
                            Subscription::new(random_sublist(&mut rng)),
                        )
                    })
                    .collect();
                let a = run_verified(kind, &c, &mut members);
                let mut changed: Group = (0..consumer_count)
                    .map(|i| {
                        let member = name("c", i, 40);
                        let owned = a[&member].clone();
                        (
                            member,
                            Subscription::new(random_sublist(&mut rng)).with_owned(owned, Some(1)),
                        )
                    })
                    .collect();
                let after = run(kind, &c, &changed);
                assert_sticky(&a, &after);
                verify(kind, &c, &mut changed, after);
            }
        }
    }

    /// Kafka AbstractStickyAssignorTest#testAllConsumersReachExpectedQuotaAndAreConsideredFilled
    #[test]
    fn sticky_all_consumers_reach_expected_quota_and_are_considered_filled() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 4)]);
            let members = group(vec![
                (
                    "consumer1",
                    owning(&["topic"], parts("topic-0, topic-1"), 1),
                ),
                ("consumer2", owning(&["topic"], parts("topic-2"), 1)),
                ("consumer3", owning(&["topic"], vec![], 1)),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic-0, topic-1"));
            assert_eq!(a["consumer2"], parts("topic-2"));
            assert_eq!(a["consumer3"], parts("topic-3"));
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration
    /// and #testOwnedPartitionsAreInvalidatedForConsumerWithNoGeneration
    #[test]
    fn sticky_owned_partitions_invalidated_for_stale_or_no_generation() {
        for kind in STICKY_KINDS {
            for stale in [Some(9), Some(DEFAULT_GENERATION), None] {
                let c = counts(&[("topic", 3), ("topic2", 3)]);
                let topics = ["topic", "topic2"];
                let claimed = parts("topic-0, topic-2, topic2-1");
                let mut members = group(vec![
                    ("consumer1", owning(&topics, claimed.clone(), 10)),
                    ("consumer2", sub(&topics).with_owned(claimed.clone(), stale)),
                ]);
                let a = run(kind, &c, &members);
                assert_eq!(a["consumer1"], claimed);
                assert_eq!(a["consumer2"], parts("topic-1, topic2-0, topic2-2"));
                assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
                verify(kind, &c, &mut members, a);
            }
        }
    }

    /// Kafka AbstractStickyAssignorTest#testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration,
    /// StickyAssignorTest#testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer
    /// and the CooperativeStickyAssignorTest variant of the latter.
    #[test]
    fn sticky_partition_claimed_by_multiple_consumers_in_same_generation_equal() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 3)]);
            let mut members = group(vec![
                (
                    "consumer1",
                    owning(&["topic"], parts("topic-0, topic-1"), 1),
                ),
                (
                    "consumer2",
                    owning(&["topic"], parts("topic-0, topic-2"), 1),
                ),
                ("consumer3", owning(&["topic"], vec![], 1)),
            ]);
            assert_eq!(
                pending_transfers(AssignorKind::CooperativeSticky, &c, &members).unwrap(),
                BTreeMap::from([(tp("topic", 0), "consumer3".to_string())])
            );
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic-1"));
            assert_eq!(a["consumer2"], parts("topic-2"));
            // cooperative: topic-0 is considered owned, so it can't be assigned until both
            // claimants revoked it
            let expected = if kind.is_cooperative() {
                vec![]
            } else {
                parts("topic-0")
            };
            assert_eq!(a["consumer3"], expected);
            let a = verify(kind, &c, &mut members, a);
            assert!(is_fully_balanced(&a));
        }
    }

    /// StickyAssignorTest / CooperativeStickyAssignorTest
    /// #testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer
    #[test]
    fn sticky_partition_claimed_by_multiple_consumers_in_same_generation_unequal() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 4)]);
            let mut members = group(vec![
                (
                    "consumer1",
                    owning(&["topic"], parts("topic-0, topic-1"), 1),
                ),
                (
                    "consumer2",
                    owning(&["topic"], parts("topic-0, topic-2"), 1),
                ),
                ("consumer3", owning(&["topic"], vec![], 1)),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic-1, topic-3"));
            assert_eq!(a["consumer2"], parts("topic-2"));
            let expected = if kind.is_cooperative() {
                vec![]
            } else {
                parts("topic-0")
            };
            assert_eq!(a["consumer3"], expected);
            let a = verify(kind, &c, &mut members, a);
            assert!(is_fully_balanced(&a));
        }
    }

    /// Kafka AbstractStickyAssignorTest#testEnsurePartitionsAssignedToHighestGeneration
    #[test]
    fn sticky_ensure_partitions_assigned_to_highest_generation() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 3), ("topic2", 3), ("topic3", 3)]);
            let topics = ["topic", "topic2", "topic3"];
            let members = group(vec![
                (
                    "consumer1",
                    owning(&topics, parts("topic-0, topic2-0, topic3-0"), 10),
                ),
                (
                    "consumer2",
                    owning(&topics, parts("topic-1, topic2-1, topic3-1"), 9),
                ),
                (
                    "consumer3",
                    owning(&topics, parts("topic2-1, topic3-0, topic3-2"), 8),
                ),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic-0, topic2-0, topic3-0"));
            assert_eq!(a["consumer2"], parts("topic-1, topic2-1, topic3-1"));
            assert_eq!(a["consumer3"], parts("topic-2, topic2-2, topic3-2"));
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testNoReassignmentOnCurrentMembers
    #[test]
    fn sticky_no_reassignment_on_current_members() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 3), ("topic1", 3), ("topic2", 3), ("topic3", 3)]);
            let topics = ["topic", "topic2", "topic3", "topic1"];
            let mut members = group(vec![
                ("consumer1", owning(&topics, vec![], DEFAULT_GENERATION)),
                (
                    "consumer2",
                    owning(&topics, parts("topic-0, topic2-0, topic1-0"), 9),
                ),
                (
                    "consumer3",
                    owning(&topics, parts("topic3-2, topic2-2, topic1-1"), 8),
                ),
                (
                    "consumer4",
                    owning(&topics, parts("topic3-1, topic-1, topic-2"), 7),
                ),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic1-2, topic2-1, topic3-0"));
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
            let a = verify(kind, &c, &mut members, a);
            assert!(is_fully_balanced(&a));
        }
    }

    /// Kafka AbstractStickyAssignorTest#testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration
    #[test]
    fn sticky_owned_partitions_invalidated_for_consumer_with_multiple_generation() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 3), ("topic2", 3)]);
            let topics = ["topic", "topic2"];
            let members = group(vec![
                (
                    "consumer1",
                    owning(&topics, parts("topic-0, topic2-1, topic-1"), 10),
                ),
                (
                    "consumer2",
                    owning(&topics, parts("topic-0, topic2-1, topic2-2"), 8),
                ),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic-0, topic2-1, topic-1"));
            assert_eq!(a["consumer2"], parts("topic-2, topic2-2, topic2-0"));
            assert!(pending_transfers(kind, &c, &members).unwrap().is_empty());
        }
    }

    /// Kafka AbstractStickyAssignorTest#testRackAwareAssignmentWithUniformSubscription (its
    /// non-rack-aware expectations)
    #[test]
    fn sticky_uniform_subscription_without_racks() {
        for kind in STICKY_KINDS {
            let c = counts(&[("t1", 6), ("t2", 7), ("t3", 2)]);
            let expected = [
                "t1-0, t1-3, t2-0, t2-3, t2-6",
                "t1-1, t1-4, t2-1, t2-4, t3-0",
                "t1-2, t1-5, t2-2, t2-5, t3-1",
            ];
            let mut members: Group = (0..3)
                .map(|i| (format!("consumer{i}"), sub(&["t1", "t2", "t3"])))
                .collect();
            for owned in [false, true] {
                if owned {
                    for (i, s) in members.values_mut().enumerate() {
                        *s = s.clone().with_owned(parts(expected[i]), None);
                    }
                }
                let a = run(kind, &c, &members);
                for (i, member) in members.keys().enumerate() {
                    assert_eq!(a[member], parts(expected[i]), "{kind} owned={owned}");
                }
            }
        }
    }

    /// Kafka AbstractStickyAssignorTest#testRackAwareAssignmentWithNonEqualSubscription (its
    /// non-rack-aware expectations, including the cooperative two-step "intermediate" case; the
    /// upstream StickyAssignor ignores `ownedPartitions`, so only the fresh case applies to it)
    #[test]
    fn sticky_non_equal_subscription_without_racks() {
        let c = counts(&[("t1", 6), ("t2", 7), ("t3", 2)]);
        let all = ["t1", "t2", "t3"];
        let fresh = group(vec![
            ("consumer0", sub(&all)),
            ("consumer1", sub(&all)),
            ("consumer2", sub(&["t1", "t3"])),
        ]);
        let expected = [
            "t1-5, t2-0, t2-2, t2-4, t2-6",
            "t1-3, t2-1, t2-3, t2-5, t3-0",
            "t1-0, t1-1, t1-2, t1-4, t3-1",
        ];
        let with_owned = |owned: [&str; 3]| -> Group {
            fresh
                .iter()
                .enumerate()
                .map(|(i, (m, s))| (m.clone(), s.clone().with_owned(parts(owned[i]), None)))
                .collect()
        };
        for kind in STICKY_KINDS {
            let a = run(kind, &c, &fresh);
            for (i, member) in fresh.keys().enumerate() {
                assert_eq!(a[member], parts(expected[i]), "{kind}");
            }
            let a = run(kind, &c, &with_owned(expected));
            for (i, member) in fresh.keys().enumerate() {
                assert_eq!(
                    a[member],
                    parts(expected[i]),
                    "{kind} keeps a balanced owned assignment"
                );
            }
        }
        let owned = [
            "t1-0, t1-1, t1-2, t1-3, t1-4",
            "t1-5, t2-0, t2-1, t2-2, t2-3",
            "t2-4, t2-5, t2-6, t3-0, t3-1",
        ];
        let intermediate = ["t1-2, t1-3, t1-4", "t2-0, t2-1, t2-2, t2-3", "t3-0, t3-1"];
        let settled = [
            "t1-2, t1-3, t1-4, t2-4, t2-5",
            "t2-0, t2-1, t2-2, t2-3, t2-6",
            "t1-0, t1-1, t1-5, t3-0, t3-1",
        ];
        let cooperative = AssignorKind::CooperativeSticky;
        let a = run(cooperative, &c, &with_owned(owned));
        for (i, member) in fresh.keys().enumerate() {
            assert_eq!(a[member], parts(intermediate[i]));
        }
        let a = run(cooperative, &c, &with_owned(intermediate));
        for (i, member) in fresh.keys().enumerate() {
            assert_eq!(a[member], parts(settled[i]));
        }
    }

    /// Kafka StickyAssignorTest#testAssignmentWithMultipleGenerations1 (both subscription variants)
    #[test]
    fn sticky_assignment_with_multiple_generations_1() {
        for kind in STICKY_KINDS {
            for all_equal in [true, false] {
                let all = ["topic", "topic2"];
                let c2_topics: &[&str] = if all_equal { &all } else { &["topic"] };
                let c = counts(&[("topic", 6), ("topic2", 6)]);
                let mut members = group(vec![
                    ("consumer1", sub(&all)),
                    ("consumer2", sub(c2_topics)),
                    ("consumer3", sub(&all)),
                ]);
                let r1 = run_verified(kind, &c, &mut members);
                assert!(r1.values().all(|p| p.len() == 4));

                let mut members = group(vec![
                    ("consumer1", owning(&all, r1["consumer1"].clone(), 1)),
                    ("consumer2", owning(c2_topics, r1["consumer2"].clone(), 1)),
                ]);
                let r2 = run_verified(kind, &c, &mut members);
                assert!(r2.values().all(|p| p.len() == 6));
                if all_equal {
                    assert!(contains_all(&r2["consumer1"], &r1["consumer1"]));
                }
                assert!(contains_all(&r2["consumer2"], &r1["consumer2"]));
                assert!(r2["consumer2"].iter().any(|p| r1["consumer3"].contains(p)));

                let mut members = group(vec![
                    ("consumer2", owning(c2_topics, r2["consumer2"].clone(), 2)),
                    ("consumer3", owning(&all, r1["consumer3"].clone(), 1)),
                ]);
                let r3 = run_verified(kind, &c, &mut members);
                assert!(r3.values().all(|p| p.len() == 6));
                assert!(r3["consumer2"].iter().all(|p| !r3["consumer3"].contains(p)));
            }
        }
    }

    /// Kafka StickyAssignorTest#testAssignmentWithMultipleGenerations2 (both subscription variants)
    #[test]
    fn sticky_assignment_with_multiple_generations_2() {
        for kind in STICKY_KINDS {
            for all_equal in [true, false] {
                let all = ["topic", "topic2", "topic3"];
                let c1_topics: &[&str] = if all_equal { &all } else { &["topic"] };
                let c3_topics: &[&str] = if all_equal {
                    &all
                } else {
                    &["topic", "topic2"]
                };
                let c = counts(&[("topic", 4), ("topic2", 4), ("topic3", 4)]);
                let mut members = group(vec![
                    ("consumer1", sub(c1_topics)),
                    ("consumer2", sub(&all)),
                    ("consumer3", sub(c3_topics)),
                ]);
                let r1 = run_verified(kind, &c, &mut members);
                assert!(r1.values().all(|p| p.len() == 4));

                let mut members = group(vec![(
                    "consumer2",
                    owning(&all, r1["consumer2"].clone(), 1),
                )]);
                let r2 = run_verified(kind, &c, &mut members);
                assert_eq!(r2["consumer2"].len(), 12);
                assert!(contains_all(&r2["consumer2"], &r1["consumer2"]));

                let mut members = group(vec![
                    ("consumer1", owning(c1_topics, r1["consumer1"].clone(), 1)),
                    ("consumer2", owning(&all, r2["consumer2"].clone(), 2)),
                    ("consumer3", owning(c3_topics, r1["consumer3"].clone(), 1)),
                ]);
                let r3 = run_verified(kind, &c, &mut members);
                assert!(
                    r3.values().all(|p| p.len() == 4),
                    "{kind} {all_equal} {r3:?}"
                );
            }
        }
    }

    /// Kafka StickyAssignorTest#testAssignmentWithConflictingPreviousGenerations (both
    /// subscription variants)
    #[test]
    fn sticky_assignment_with_conflicting_previous_generations() {
        for kind in STICKY_KINDS {
            for all_equal in [true, false] {
                let all = ["topic", "topic2", "topic3"];
                let c1_topics: &[&str] = if all_equal { &all } else { &["topic"] };
                let c2_topics: &[&str] = if all_equal {
                    &all
                } else {
                    &["topic", "topic2"]
                };
                let c = counts(&[("topic", 4), ("topic2", 4), ("topic3", 4)]);
                let c1_owned = if all_equal {
                    parts("topic-0, topic-1, topic-2, topic2-2, topic2-3, topic3-0")
                } else {
                    parts("topic-0, topic-1, topic-2, topic-3")
                };
                let c2_owned = parts("topic-0, topic-1, topic2-0, topic2-1, topic2-2, topic2-3");
                let c3_owned = parts("topic-2, topic-3, topic3-0, topic3-1, topic3-2, topic3-3");
                let mut members = group(vec![
                    ("consumer1", owning(c1_topics, c1_owned, 1)),
                    ("consumer2", owning(c2_topics, c2_owned.clone(), 2)),
                    ("consumer3", owning(&all, c3_owned.clone(), 2)),
                ]);
                let a = run(kind, &c, &members);
                if !kind.is_cooperative() {
                    assert!(a.values().all(|p| p.len() == 4), "{a:?}");
                }
                assert!(contains_all(&c2_owned, &a["consumer2"]));
                assert!(contains_all(&c3_owned, &a["consumer3"]));
                let a = verify(kind, &c, &mut members, a);
                assert!(is_fully_balanced(&a));
            }
        }
    }

    /// Kafka StickyAssignorTest#testSchemaBackwardCompatibility (an old-schema member reports no
    /// generation)
    #[test]
    fn sticky_schema_backward_compatibility() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic", 3)]);
            let mut members = group(vec![
                (
                    "consumer1",
                    owning(&["topic"], parts("topic-0, topic-2"), 1),
                ),
                (
                    "consumer2",
                    sub(&["topic"]).with_owned(parts("topic-1"), None),
                ),
                ("consumer3", sub(&["topic"])),
            ]);
            let a = run_verified(kind, &c, &mut members);
            assert!(a.values().all(|p| p.len() == 1));
            assert!(contains_all(&parts("topic-0, topic-2"), &a["consumer1"]));
            assert_eq!(a["consumer2"], parts("topic-1"));
        }
    }

    /// Kafka CooperativeStickyAssignorTest#testAssignorWithOldVersionSubscriptions (and
    /// StickyAssignorTest's)
    #[test]
    fn sticky_assignor_with_old_version_subscriptions() {
        for kind in STICKY_KINDS {
            let c = counts(&[("topic1", 3)]);
            let members = group(vec![
                ("consumer1", owning(&["topic1"], parts("topic1-0"), 1)),
                ("consumer2", owning(&["topic1"], parts("topic1-1"), 1)),
                ("consumer3", owning(&["topic1"], vec![], 1)),
            ]);
            let a = run(kind, &c, &members);
            assert_eq!(a["consumer1"], parts("topic1-0"));
            assert_eq!(a["consumer2"], parts("topic1-1"));
            assert_eq!(a["consumer3"], parts("topic1-2"));
        }
    }

    /// Example 2 of the StickyAssignor javadoc: sticky beats round robin after C0 leaves.
    #[test]
    fn sticky_javadoc_example_2() {
        let c = counts(&[("t0", 1), ("t1", 2), ("t2", 3)]);
        let members = group(vec![
            ("C0", sub(&["t0"])),
            ("C1", sub(&["t0", "t1"])),
            ("C2", sub(&["t0", "t1", "t2"])),
        ]);
        let a = run(AssignorKind::Sticky, &c, &members);
        assert_eq!(a["C0"], parts("t0-0"));
        assert_eq!(a["C1"], parts("t1-0, t1-1"));
        assert_eq!(a["C2"], parts("t2-0, t2-1, t2-2"));
        let members = group(vec![
            (
                "C1",
                sub(&["t0", "t1"]).with_owned(a["C1"].clone(), Some(1)),
            ),
            (
                "C2",
                sub(&["t0", "t1", "t2"]).with_owned(a["C2"].clone(), Some(1)),
            ),
        ]);
        let a = run(AssignorKind::Sticky, &c, &members);
        assert_eq!(a["C1"], parts("t0-0, t1-0, t1-1"));
        assert_eq!(a["C2"], parts("t2-0, t2-1, t2-2"));
    }

    // ----------------------------------------------------------------- properties

    /// Property: with identical subscriptions, sticky and cooperative-sticky (after the follow-up
    /// round) assign every partition exactly once and loads differ by at most one, through random
    /// joins, leaves and partition growth. The cooperative first round never hands out a
    /// partition that another member still owns.
    #[test]
    fn property_equal_subscriptions_balanced_and_complete() {
        let mut rng = Lcg(2024);
        let mut withheld_rounds = 0;
        for kind in STICKY_KINDS {
            for _case in 0..60 {
                let topic_count = 1 + rng.below(4);
                let mut c: BTreeMap<String, u32> = (0..topic_count)
                    .map(|i| (format!("topic{i}"), 1 + rng.below(12) as u32))
                    .collect();
                let topics: Vec<String> = c.keys().cloned().collect();
                let mut next_id = 0;
                let mut members = Group::new();
                let mut generation = 0;
                let mut previous: Option<Assignment> = None;
                for _step in 0..6 {
                    // churn: some members leave, some join, topics sometimes grow
                    let leaving: Vec<String> = members
                        .keys()
                        .filter(|_| rng.below(4) == 0)
                        .cloned()
                        .collect();
                    for m in leaving {
                        members.remove(&m);
                    }
                    for _ in 0..rng.below(3) + usize::from(members.is_empty()) {
                        members.insert(
                            format!("member-{next_id:02}"),
                            Subscription::new(topics.clone()),
                        );
                        next_id += 1;
                    }
                    if rng.below(5) == 0 {
                        let t = &topics[rng.below(topics.len())];
                        *c.get_mut(t).unwrap() += 1 + rng.below(3) as u32;
                    }
                    if let Some(prev) = &previous {
                        adopt(&mut members, prev, generation);
                    }
                    generation += 1;

                    let first = run(kind, &c, &members);
                    let first_round: Vec<&TopicPartition> = first.values().flatten().collect();
                    assert_eq!(
                        first_round.len(),
                        first_round.iter().collect::<BTreeSet<_>>().len(),
                        "duplicate in first round"
                    );
                    let mut settled = first.clone();
                    if kind.is_cooperative() && revokes_in_this_round(&members, &first) {
                        withheld_rounds += 1;
                        adopt(&mut members, &first, generation);
                        settled = run(kind, &c, &members);
                        assert!(
                            !revokes_in_this_round(&members, &settled),
                            "second round must not revoke"
                        );
                    }
                    let mut all: Vec<TopicPartition> =
                        settled.values().flatten().cloned().collect();
                    all.sort();
                    assert_eq!(
                        all,
                        all_partitions(&c),
                        "{kind}: every partition exactly once"
                    );
                    assert!(is_fully_balanced(&settled), "{kind}: {settled:?}");
                    assert_eq!(run(kind, &c, &members), settled, "deterministic");
                    previous = Some(settled);
                }
            }
        }
        assert!(
            withheld_rounds > 20,
            "the churn must exercise cooperative withholding ({withheld_rounds})"
        );
    }

    /// Property: with random unequal subscriptions the general path stays valid (Kafka's
    /// verifyValidityAndBalance) and, for the cooperative variant, settles within a few rounds.
    #[test]
    fn property_unequal_subscriptions_valid() {
        let mut rng = Lcg(7);
        for kind in STICKY_KINDS {
            for _case in 0..30 {
                let c: BTreeMap<String, u32> = (0..1 + rng.below(5))
                    .map(|i| (format!("t{i}"), 1 + rng.below(8) as u32))
                    .collect();
                let topics: Vec<&String> = c.keys().collect();
                let mut members: Group = (0..1 + rng.below(6))
                    .map(|i| {
                        let chosen: Vec<String> = topics
                            .iter()
                            .filter(|_| rng.below(2) == 0)
                            .map(|t| (*t).clone())
                            .collect();
                        (format!("c{i}"), Subscription::new(chosen))
                    })
                    .collect();
                let a = run_verified(kind, &c, &mut members);
                adopt(&mut members, &a, 1);
                if let Some(first) = members.keys().next().cloned() {
                    members.remove(&first);
                }
                let after = run(kind, &c, &members);
                assert_sticky(&a, &after);
                verify(kind, &c, &mut members, after);
            }
        }
    }

    /// Kafka AbstractStickyAssignor.PartitionMovements: a move back to the source cancels out,
    /// and a reverse move of the same topic is redirected to the partition that came over.
    #[test]
    fn partition_movements_avoid_back_and_forth() {
        let mut moves = PartitionMovements::default();
        assert_eq!(
            moves.actual_partition_to_move(&tp("t", 1), "b", "a"),
            tp("t", 1)
        );
        moves.move_partition(&tp("t", 0), "a", "b");
        // moving any t-partition from b back to a should move t-0 back instead
        assert_eq!(
            moves.actual_partition_to_move(&tp("t", 1), "b", "a"),
            tp("t", 0)
        );
        // other topics and other directions are unaffected
        assert_eq!(
            moves.actual_partition_to_move(&tp("u", 1), "b", "a"),
            tp("u", 1)
        );
        assert_eq!(
            moves.actual_partition_to_move(&tp("t", 1), "b", "c"),
            tp("t", 1)
        );
        moves.move_partition(&tp("t", 0), "b", "a");
        assert!(moves.moves.is_empty() && moves.by_topic.is_empty());
        moves.move_partition(&tp("t", 2), "a", "b");
        moves.move_partition(&tp("t", 2), "b", "c");
        assert_eq!(moves.moves[&tp("t", 2)], ("a".to_string(), "c".to_string()));
    }

    // ----------------------------------------------------------------- explain

    #[test]
    fn explain_sticky_and_cooperative() {
        let c = counts(&[("orders", 12)]);
        let mut members = group(vec![
            ("consumer-a", sub(&["orders"])),
            ("consumer-b", sub(&["orders"])),
        ]);
        let first = run(AssignorKind::Sticky, &c, &members);
        adopt(&mut members, &first, 1);
        members.insert("consumer-c".into(), sub(&["orders"]));

        let sticky = run(AssignorKind::Sticky, &c, &members);
        let kept = explain(
            AssignorKind::Sticky,
            &c,
            &members,
            &sticky,
            &tp("orders", 0),
        );
        assert!(
            kept.starts_with(
                "sticky: consumer-a already owned orders-0 (generation 1) and keeps it"
            ),
            "{kept}"
        );
        assert!(
            kept.contains("each gets 4..=4 of the 12 partitions"),
            "{kept}"
        );
        let moved_tp = sticky["consumer-c"][0].clone();
        let moved = explain(AssignorKind::Sticky, &c, &members, &sticky, &moved_tp);
        assert!(
            moved.contains("may keep only 4 of its 6 owned partitions"),
            "{moved}"
        );

        let coop = run(AssignorKind::CooperativeSticky, &c, &members);
        assert!(coop["consumer-c"].is_empty());
        let withheld = explain(
            AssignorKind::CooperativeSticky,
            &c,
            &members,
            &coop,
            &moved_tp,
        );
        assert!(
            withheld.starts_with(&format!(
                "cooperative-sticky: {moved_tp} is withheld this round"
            )),
            "{withheld}"
        );
        assert!(
            withheld.contains("consumer-c receives it in the follow-up rebalance"),
            "{withheld}"
        );

        assert_eq!(
            explain(
                AssignorKind::Range,
                &c,
                &members,
                &sticky,
                &tp("orders", 12)
            ),
            "range: orders-12 does not exist (topic orders has 12 partitions)"
        );
        assert_eq!(
            explain(AssignorKind::Range, &c, &members, &sticky, &tp("payments", 0)),
            "range: topic payments is not in the cluster metadata, so payments-0 cannot be assigned"
        );
        let mismatch = explain(AssignorKind::Range, &c, &members, &sticky, &tp("orders", 0));
        assert!(mismatch.contains("consumer-a is member #1"), "{mismatch}");
        assert!(!mismatch.contains("note:"), "{mismatch}");
        let mut wrong = sticky.clone();
        wrong.insert("consumer-a".into(), vec![]);
        assert!(
            explain(AssignorKind::Range, &c, &members, &wrong, &tp("orders", 0))
                .contains("note: the supplied assignment has it on nobody")
        );
    }

    #[test]
    fn explain_general_path_and_conflicts() {
        let c = counts(&[("topic", 3)]);
        let members = group(vec![
            (
                "consumer1",
                owning(&["topic"], parts("topic-0, topic-1"), 1),
            ),
            (
                "consumer2",
                owning(&["topic"], parts("topic-0, topic-2"), 1),
            ),
            ("consumer3", owning(&["topic"], vec![], 1)),
        ]);
        let a = run(AssignorKind::Sticky, &c, &members);
        let text = explain(AssignorKind::Sticky, &c, &members, &a, &tp("topic", 0));
        assert!(
            text.contains("claimed by consumer1 and consumer2 in the same generation 1"),
            "{text}"
        );

        let c = counts(&[("t1", 3), ("t2", 2)]);
        let members = group(vec![("c1", sub(&["t1"])), ("c2", sub(&["t1", "t2"]))]);
        let a = run(AssignorKind::Sticky, &c, &members);
        let text = explain(AssignorKind::Sticky, &c, &members, &a, &tp("t1", 0));
        assert!(
            text.contains("had no previous owner") && text.contains("general balancing algorithm"),
            "{text}"
        );
        let text = explain(
            AssignorKind::RoundRobin,
            &c,
            &members,
            &run(AssignorKind::RoundRobin, &c, &members),
            &tp("t2", 1),
        );
        assert!(
            text.contains("skipping members not subscribed to t2"),
            "{text}"
        );
    }
}
