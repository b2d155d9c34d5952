/**
 * The coordinator runtime: hosts a coordinator's state machine (groups now, transactions and share
 * groups later) on each partition of its internal topic that this node leads, with one serial
 * executor per partition, timers, write-then-answer, and load/unload on leadership.
 */
package dev.sluice.broker.coordinator;
