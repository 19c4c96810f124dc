//! The Kafka model's building blocks: the key partitioner, the consumer partition assignors
//! and the partition log.

pub mod assignor;
pub mod log;
pub mod partitioner;
