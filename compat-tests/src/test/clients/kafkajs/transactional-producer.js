#!/usr/bin/env node
// A KafkaJS transactional producer, driven by KafkaJsTransactionsTest.
//
// Usage: node transactional-producer.js BOOTSTRAP TOPIC TRANSACTIONAL_ID commit|abort COUNT PREFIX
//
// Connects a producer with the transactional id (idempotent, one request in flight, as KafkaJS
// requires for transactions), begins a transaction, sends COUNT records PREFIX0, PREFIX1, ... to
// partition 0 of TOPIC, and commits or aborts it. Prints "done COUNT" and exits 0 once the commit
// or abort has been acknowledged; on any error prints it to standard error and exits 1. KafkaJS's
// own log (level WARN) goes to standard error.
'use strict'

const { Kafka, logLevel } = require('kafkajs')

const usage = 'usage: transactional-producer.js BOOTSTRAP TOPIC TRANSACTIONAL_ID commit|abort COUNT PREFIX'

async function main(argv) {
  const [bootstrap, topic, transactionalId, ending, countArg, prefix] = argv
  if (!prefix || !['commit', 'abort'].includes(ending)) {
    console.error(usage)
    return 1
  }
  const count = Number(countArg)
  const kafka = new Kafka({
    clientId: 'sluice-compat-kafkajs-txn',
    brokers: bootstrap.split(','),
    logLevel: logLevel.WARN,
  })
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    const transaction = await producer.transaction()
    try {
      const messages = Array.from({ length: count }, (_, i) => ({ partition: 0, value: `${prefix}${i}` }))
      await transaction.send({ topic, messages })
      if (ending === 'commit') {
        await transaction.commit()
      } else {
        await transaction.abort()
      }
    } catch (e) {
      if (transaction.isActive()) {
        await transaction.abort()
      }
      throw e
    }
  } finally {
    await producer.disconnect()
  }
  process.stdout.write(`done ${count}\n`)
  return 0
}

main(process.argv.slice(2)).then(
  status => process.exit(status),
  error => {
    console.error(`transaction failed: ${error && error.stack}`)
    process.exit(1)
  })
