#!/usr/bin/env python3
"""A librdkafka transactional producer (through confluent-kafka-python), driven by
LibrdkafkaTransactionsTest.

Usage: transactional_producer.py BOOTSTRAP TOPIC TRANSACTIONAL_ID commit|abort COUNT PREFIX

Initialises the transactional id (which fences any earlier producer with it), begins a
transaction, produces COUNT records PREFIX0, PREFIX1, ... to partition 0 of TOPIC, waits until
they are acknowledged, and commits or aborts the transaction. Prints "done COUNT" and exits 0 when the commit or abort has been
acknowledged; prints the error to standard error and exits 1 otherwise. Every call is bounded
by a 30 s timeout. The environment variable LIBRDKAFKA_DEBUG, when set, is passed on as
librdkafka's "debug" setting (its log goes to standard error).
"""

import os
import sys

from confluent_kafka import KafkaException, Producer

TIMEOUT = 30.0


def main(argv):
    if len(argv) != 7 or argv[4] not in ("commit", "abort"):
        print(__doc__, file=sys.stderr)
        return 1
    bootstrap, topic, transactional_id, ending, count, prefix = argv[1:7]
    config = {
        "bootstrap.servers": bootstrap,
        "transactional.id": transactional_id,
        "error_cb": lambda error: print("client error: %s" % error, file=sys.stderr, flush=True),
    }
    if os.environ.get("LIBRDKAFKA_DEBUG"):
        config["debug"] = os.environ["LIBRDKAFKA_DEBUG"]
    producer = Producer(config)
    try:
        producer.init_transactions(TIMEOUT)
        producer.begin_transaction()
        for i in range(int(count)):
            producer.produce(topic, value=("%s%d" % (prefix, i)).encode("utf-8"), partition=0)
        # Without it an abort would purge records still queued in the client, and the broker would
        # never see what is being aborted.
        if producer.flush(TIMEOUT) > 0:
            print("records still unsent after %.0f s" % TIMEOUT, file=sys.stderr, flush=True)
            return 1
        if ending == "commit":
            producer.commit_transaction(TIMEOUT)
        else:
            producer.abort_transaction(TIMEOUT)
    except KafkaException as e:
        print("transaction failed: %s" % e.args[0], file=sys.stderr, flush=True)
        return 1
    print("done %s" % count, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
