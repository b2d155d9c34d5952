#!/usr/bin/env node
// A KafkaJS group consumer, driven by GroupConsumerKafkaJsTest.
//
// Usage: node group-consumer.js BOOTSTRAP TOPIC GROUP MODE [COUNT] [TIMEOUT_SECONDS]
//
// MODE is one of:
//   drain   subscribe, read until COUNT records have arrived, commit, leave the group, exit.
//   member  subscribe, read whatever arrives until standard input is closed, then leave the
//           group and exit.
//
// A new group starts from the earliest offset. KafkaJS commits the offsets of a batch as soon as
// the batch is processed, and finishes the batch in hand (commit included) before it leaves the
// group, so what the group has committed when the program exits is exactly what it printed.
//
// Standard output, one line each:
//   assigned P P ...        the partitions of TOPIC this member holds after a rebalance
//   record P:OFFSET:VALUE   one consumed record
//   done N                  the program is ending normally after N records
// KafkaJS's own log (level WARN, or KAFKAJS_LOG_LEVEL) goes to standard error. Exit status 0 on
// success, 2 when TIMEOUT_SECONDS passes first, 1 on any error.
'use strict'

const { Kafka, logLevel } = require('kafkajs')

const usage = 'usage: group-consumer.js BOOTSTRAP TOPIC GROUP drain|member [COUNT] [TIMEOUT_SECONDS]'

async function main(argv) {
  const [bootstrap, topic, group, mode, countArg, timeoutArg] = argv
  if (!mode || !['drain', 'member'].includes(mode)) {
    console.error(usage)
    return 1
  }
  const count = countArg ? Number(countArg) : 0
  const timeoutMs = (timeoutArg ? Number(timeoutArg) : 30) * 1000

  const toStderr = () => ({ namespace, level, label, log }) => {
    const { message, ...extra } = log
    process.stderr.write(`${label} [${namespace}] ${message} ${JSON.stringify(extra)}\n`)
  }
  const kafka = new Kafka({
    clientId: 'sluice-compat-kafkajs',
    brokers: bootstrap.split(','),
    logLevel: logLevel.WARN,
    logCreator: toStderr,
  })
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: 6000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 500,
  })

  let read = 0
  let finish
  const finished = new Promise(resolve => { finish = resolve })
  const timer = setTimeout(() => finish(2), timeoutMs)
  // In case KafkaJS blocks the way out (disconnect waits for requests in flight).
  setTimeout(() => {
    console.error(`still blocked 5 s past the ${timeoutMs / 1000} s deadline; giving up`)
    process.exit(2)
  }, timeoutMs + 5000).unref()

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = (payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b)
    process.stdout.write(['assigned', ...partitions].join(' ') + '\n')
  })
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) {
      console.error(`consumer crashed: ${payload.error && payload.error.stack}`)
      finish(1)
    }
  })
  if (mode === 'member') {
    process.stdin.on('end', () => finish(0))
    process.stdin.resume()
  }

  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      process.stdout.write(`record ${partition}:${message.offset}:${message.value.toString('utf8')}\n`)
      read += 1
      if (mode === 'drain' && read >= count) {
        finish(0)
      }
    },
  })
  if (mode === 'drain' && count <= 0) {
    finish(0)
  }

  const status = await finished
  clearTimeout(timer)
  await consumer.disconnect()
  if (status === 2) {
    console.error(`timed out after ${timeoutMs / 1000} s with ${read} records read`)
  } else if (status === 0) {
    process.stdout.write(`done ${read}\n`)
  }
  return status
}

// Exits explicitly: KafkaJS can leave timers behind that would keep the process alive.
main(process.argv.slice(2)).then(
  status => process.exit(status),
  error => {
    console.error(error && error.stack ? error.stack : error)
    process.exit(1)
  })
