/**
 * kafkajs client settings for low latency, in one place so workers, devices, tests and benchmarks agree.
 *
 * kafkajs' consumer defaults (maxWaitTimeInMs 5000) let an idle fetch hang for seconds; the tuned values
 * below keep fetches short. `npm run bench:kafka` measures both against each other.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ConsumerConfig, ISocketFactory, KafkaConfig, ProducerConfig } from 'kafkajs';
import { logLevel } from 'kafkajs';
import './codecs'; // snappy, lz4 and zstd for every client built with these settings
import { kafkajsSecurity, type ClientSecurity } from './security';

/**
 * Retries with every field set: kafkajs picks other defaults when NODE_ENV=test (maxRetryTime 1 s instead of 30 s),
 * which made a client under jest give up in ~5 s — before a dead broker is fenced and its partitions re-led.
 * This budget (~26 s) outlasts a broker fail-over and is the same in tests and in production.
 */
export const CLIENT_RETRY = { initialRetryTime: 100, multiplier: 2, factor: 0.2, maxRetryTime: 5_000, retries: 10 } as const;

/** The consumer knobs the benchmark compares (kafkajs defaults vs tuned). */
export const LOW_LATENCY_CONSUMER: Omit<ConsumerConfig, 'groupId'> = {
  maxWaitTimeInMs: 20,
  minBytes: 1,
  // Fail over quickly when a worker dies; kafkajs defaults are 30 s / 3 s.
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
  rebalanceTimeout: 10_000,
  // Fetch-size caps sized for the brokers' message.max.bytes (8 MiB).
  maxBytesPerPartition: 8 * 1024 * 1024,
  retry: CLIENT_RETRY,
};

/**
 * A consumer reading a cluster on another layer, across the WAN: a long poll. With a 20 ms wait and a 30 ms round
 * trip no fetch is parked at the broker most of the time, so a record arriving then waits for the next fetch to
 * cross the WAN (up to a round trip more). With 500 ms a fetch is almost always waiting, and `minBytes` 1 makes the
 * broker answer it the moment a record arrives: one one-way delay. Idle cost: 2 fetches/s instead of 20.
 */
export const WAN_CONSUMER: Omit<ConsumerConfig, 'groupId'> = { ...LOW_LATENCY_CONSUMER, maxWaitTimeInMs: 500 };

export const LOW_LATENCY_PRODUCER: ProducerConfig = {
  allowAutoTopicCreation: false,
  // Idempotence keeps retried sends from duplicating (it forces acks=all and 1 in-flight request).
  idempotent: true,
  maxInFlightRequests: 1,
  retry: CLIENT_RETRY,
};

/** Acks for `producer.send`: all in-sync replicas, so an acknowledged record survives a broker loss. */
export const ACKS_ALL = -1;

/**
 * kafkajs' own socket factory leaves Nagle's algorithm on. With one request in flight that costs nothing, but once
 * several produce requests are pipelined on a connection, each small request written while the previous one is
 * unacknowledged waits for the peer's (delayed) ACK: +40 ms steps, measured as a 100 ms answer path across the WAN.
 * Kafka's Java client and the brokers set TCP_NODELAY; so does this factory (same keep-alive as kafkajs').
 */
export const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : net.connect({ host, port }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

/**
 * Client-wide settings: quiet logs (kafkajs logs every reconnect at ERROR) and quick reconnects; TLS + SASL/SCRAM
 * when `security` is given (runtime/kafka/security.ts), PLAINTEXT otherwise.
 */
export function clientConfig(clientId: string, brokers: string | readonly string[], security?: ClientSecurity): KafkaConfig {
  return {
    ...(security ? kafkajsSecurity(security) : {}),
    clientId,
    brokers: typeof brokers === 'string' ? brokers.split(',') : [...brokers],
    socketFactory: noDelaySocketFactory,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: CLIENT_RETRY,
  };
}
