/**
 * The tiered log store: per-partition segmented logs with offset and time indexes on local disk,
 * crash recovery, retention and compaction, and an object-store tier for rolled segments.
 */
package dev.sluice.storage;
