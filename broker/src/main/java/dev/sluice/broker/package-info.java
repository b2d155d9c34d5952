/**
 * The broker: network server, one handler per Kafka API, metadata, coordinators, configuration,
 * the command-line entry point and the embedded API.
 */
package dev.sluice.broker;
