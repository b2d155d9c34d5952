#!/usr/bin/env python3
"""A kafka-python group consumer, driven by GroupConsumerKafkaPythonTest.

Usage: group_consumer.py BOOTSTRAP TOPIC GROUP MODE [COUNT] [TIMEOUT_SECONDS]

MODE is one of:
  drain   subscribe, read until COUNT records have arrived, commit, leave the group, exit.
  member  subscribe, read and commit whatever arrives until standard input is closed,
          then commit, leave the group, exit.

A new group starts from the earliest offset. Offsets are committed explicitly (never by a timer),
so what the group has committed when the program exits is exactly what it printed.

Standard output, one line each, flushed as they happen:
  assigned P P ...        the partitions of TOPIC this member holds after a rebalance
  record P:OFFSET:VALUE   one consumed record
  done N                  the program is ending normally after N records
Anything else goes to standard error. Exit status 0 on success, 2 when TIMEOUT_SECONDS passes
first, 1 on any error.
"""

import logging
import os
import sys
import threading
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer


class AssignmentReporter(ConsumerRebalanceListener):
    def __init__(self, topic):
        self.topic = topic

    def on_partitions_revoked(self, revoked):
        pass

    def on_partitions_assigned(self, assigned):
        partitions = sorted(tp.partition for tp in assigned if tp.topic == self.topic)
        print(" ".join(["assigned"] + [str(p) for p in partitions]), flush=True)


def give_up(timeout):
    """Ends the program from another thread when the client blocks past the deadline."""
    print("still blocked 5 s past the %.0f s deadline; giving up" % timeout, file=sys.stderr, flush=True)
    os._exit(2)


def main(argv):
    if len(argv) < 5 or argv[4] not in ("drain", "member"):
        print(__doc__, file=sys.stderr)
        return 1
    bootstrap, topic, group, mode = argv[1:5]
    count = int(argv[5]) if len(argv) > 5 else 0
    timeout = float(argv[6]) if len(argv) > 6 else 30.0
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

    watchdog = threading.Timer(timeout + 5, give_up, args=(timeout,))
    watchdog.daemon = True
    watchdog.start()

    stdin_closed = threading.Event()
    if mode == "member":
        def wait_for_eof():
            sys.stdin.read()
            stdin_closed.set()
        threading.Thread(target=wait_for_eof, daemon=True).start()

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        client_id="sluice-compat-kafka-python",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    consumer.subscribe([topic], listener=AssignmentReporter(topic))
    deadline = time.monotonic() + timeout
    read = 0
    status = 0
    try:
        while not stdin_closed.is_set():
            if mode == "drain" and read >= count:
                break
            if time.monotonic() > deadline:
                print("timed out after %.0f s with %d records read" % (timeout, read), file=sys.stderr)
                status = 2
                break
            batches = consumer.poll(timeout_ms=200)
            for tp in sorted(batches, key=lambda tp: tp.partition):
                for record in batches[tp]:
                    print("record %d:%d:%s" % (tp.partition, record.offset, record.value.decode("utf-8")),
                          flush=True)
                    read += 1
            if batches:
                consumer.commit()
        consumer.commit()
    finally:
        consumer.close(autocommit=False)
    if status == 0:
        print("done %d" % read, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
