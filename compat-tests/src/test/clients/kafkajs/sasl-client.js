#!/usr/bin/env node
// A KafkaJS producer that authenticates with SASL over TLS, driven by SaslTest.
//
// Usage: node sasl-client.js BOOTSTRAP CA_PEM MECHANISM USERNAME PASSWORD TOPIC COUNT
//
// MECHANISM is plain, scram-sha-256 or scram-sha-512. Connects over TLS trusting CA_PEM,
// authenticates, sends COUNT records to partition 0 of TOPIC and reads the partition's end offset
// back through the admin client. Prints "done END" and exits 0; exits 2 when authentication is
// refused, 1 on any other error (printed to standard error).
'use strict'

const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')

async function main(argv) {
  const [bootstrap, ca, mechanism, username, password, topic, countArg] = argv
  if (!countArg) {
    console.error('usage: sasl-client.js BOOTSTRAP CA_PEM MECHANISM USERNAME PASSWORD TOPIC COUNT')
    return 1
  }
  const kafka = new Kafka({
    clientId: 'sluice-compat-kafkajs-sasl',
    brokers: bootstrap.split(','),
    ssl: { ca: [fs.readFileSync(ca, 'utf-8')] },
    sasl: { mechanism, username, password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  })
  const producer = kafka.producer()
  const admin = kafka.admin()
  try {
    await producer.connect()
    const messages = Array.from({ length: Number(countArg) }, (_, i) => ({ partition: 0, value: `v${i}` }))
    await producer.send({ topic, messages })
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(topic)
    const end = offsets.find((o) => o.partition === 0).high
    console.log(`done ${end}`)
    return 0
  } catch (e) {
    console.error(e)
    return e.name === 'KafkaJSSASLAuthenticationError' || String(e.message).includes('SASL') ? 2 : 1
  } finally {
    await producer.disconnect().catch(() => {})
    await admin.disconnect().catch(() => {})
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(e)
  process.exit(1)
})
