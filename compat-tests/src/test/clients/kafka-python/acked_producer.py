#!/usr/bin/env python3
"""A kafka-python producer with acks=all, driven by ClusterClientsTest.

Usage: acked_producer.py BOOTSTRAP TOPIC PREFIX

Sends PREFIX-0, PREFIX-1, ... one at a time to TOPIC, waiting for each acknowledgement, until
standard input is closed. The producer retries what fails (a partition leader dying, a broker
going away) as any application would configure it to; a record that still fails is reported and
skipped.

Standard output, one line each, flushed as they happen:
  acked P:OFFSET:VALUE   the broker acknowledged VALUE at OFFSET of partition P
  failed VALUE ERROR     VALUE was not acknowledged
  done N                 the program is ending normally after N acknowledgements
Anything else goes to standard error. Exit status 0 on success, 1 on any error.
"""

import sys
import threading

from kafka import KafkaProducer


def main():
    bootstrap, topic, prefix = sys.argv[1:4]
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", retries=100,
                             retry_backoff_ms=200, request_timeout_ms=10000, max_in_flight_requests_per_connection=1,
                             metadata_max_age_ms=5000, value_serializer=lambda v: v.encode("utf-8"))
    acked = 0
    sequence = 0
    while not stop.is_set():
        value = "%s-%d" % (prefix, sequence)
        sequence += 1
        try:
            metadata = producer.send(topic, value).get(timeout=120)
            acked += 1
            print("acked %d:%d:%s" % (metadata.partition, metadata.offset, value), flush=True)
        except Exception as e:  # the test counts what was acknowledged; a failure is reported, not fatal
            print("failed %s %s" % (value, type(e).__name__), flush=True)
    producer.close(timeout=30)
    print("done %d" % acked, flush=True)


if __name__ == "__main__":
    main()
