#!/usr/bin/env python3
"""kafka-python over SASL_SSL, driven by SaslTest: produce COUNT records to partition 0 of TOPIC,
then read them back from the start, authenticating with MECHANISM as USER.

Usage: sasl_client.py BOOTSTRAP CA_FILE MECHANISM USER PASSWORD TOPIC COUNT

Prints "consumed N" and exits 0 when all COUNT records came back; prints the error and exits 1
when the broker refuses the credentials or anything else fails.
"""

import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def main():
    bootstrap, ca_file, mechanism, user, password, topic, count = sys.argv[1:8]
    count = int(count)
    security = dict(bootstrap_servers=bootstrap, security_protocol="SASL_SSL", ssl_cafile=ca_file,
                    sasl_mechanism=mechanism, sasl_plain_username=user, sasl_plain_password=password)
    try:
        producer = KafkaProducer(acks="all", **security)
        for i in range(count):
            producer.send(topic, value=("python-%d" % i).encode(), partition=0)
        producer.flush(30)
        producer.close(10)
        consumer = KafkaConsumer(consumer_timeout_ms=15000, **security)
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        seen = [m.value.decode() for m in consumer]
        consumer.close()
    except Exception as e:  # the test reads the reason
        print("failed %s: %s" % (type(e).__name__, e), flush=True)
        sys.exit(1)
    expected = ["python-%d" % i for i in range(count)]
    if seen[:count] != expected:
        print("read %d records, not the %d sent: %s" % (len(seen), count, seen[:5]), flush=True)
        sys.exit(1)
    print("consumed %d" % count, flush=True)


if __name__ == "__main__":
    main()
