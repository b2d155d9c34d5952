#!/usr/bin/env python3
"""A librdkafka group consumer (through confluent-kafka-python), driven by
GroupConsumerLibrdkafkaTest.

Usage: group_consumer.py BOOTSTRAP TOPIC GROUP MODE [COUNT] [TIMEOUT_SECONDS]

MODE is one of:
  drain   subscribe, read until COUNT records have arrived, commit, leave the group, exit.
  member  subscribe, read and commit whatever arrives until standard input is closed,
          then commit, leave the group, exit.

A new group starts from the earliest offset. Offsets are committed explicitly and synchronously
(auto-commit is off), so what the group has committed when the program exits is exactly what it
printed.

Standard output, one line each, flushed as they happen:
  assigned P P ...        the partitions of TOPIC this member holds after a rebalance
  record P:OFFSET:VALUE   one consumed record
  done N                  the program is ending normally after N records
Anything else goes to standard error. Exit status 0 on success, 2 when TIMEOUT_SECONDS passes
first, 1 on any error. The environment variable LIBRDKAFKA_DEBUG, when set, is passed on as
librdkafka's "debug" setting (its log goes to standard error).
"""

import os
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException


def commit(consumer):
    """Commits the consumed positions; nothing consumed since the last commit is not an error."""
    try:
        consumer.commit(asynchronous=False)
    except KafkaException as e:
        if e.args[0].code() != KafkaError._NO_OFFSET:
            raise


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

    watchdog = threading.Timer(timeout + 5, give_up, args=(timeout,))
    watchdog.daemon = True
    watchdog.start()

    stdin_closed = threading.Event()
    if mode == "member":
        def wait_for_eof():
            sys.stdin.read()
            stdin_closed.set()
        threading.Thread(target=wait_for_eof, daemon=True).start()

    fatal = []

    def on_error(error):
        print("client error: %s" % error, file=sys.stderr, flush=True)
        if error.fatal():
            fatal.append(error)

    def on_assign(consumer, partitions):
        owned = sorted(tp.partition for tp in partitions if tp.topic == topic)
        print(" ".join(["assigned"] + [str(p) for p in owned]), flush=True)

    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": "sluice-compat-librdkafka",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "error_cb": on_error,
    }
    if os.environ.get("LIBRDKAFKA_DEBUG"):
        config["debug"] = os.environ["LIBRDKAFKA_DEBUG"]
    consumer = Consumer(config)
    consumer.subscribe([topic], on_assign=on_assign)
    deadline = time.monotonic() + timeout
    read = 0
    status = 0
    try:
        while not stdin_closed.is_set():
            if fatal:
                raise KafkaException(fatal[0])
            if mode == "drain" and read >= count:
                break
            if time.monotonic() > deadline:
                print("timed out after %.0f s with %d records read" % (timeout, read), file=sys.stderr)
                status = 2
                break
            messages = consumer.consume(num_messages=500, timeout=0.2)
            for message in messages:
                if message.error():
                    raise KafkaException(message.error())
                print("record %d:%d:%s" % (message.partition(), message.offset(), message.value().decode("utf-8")),
                      flush=True)
                read += 1
            if messages:
                commit(consumer)
        commit(consumer)
    finally:
        consumer.close()
    if status == 0:
        print("done %d" % read, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
