/**
 * kafkajs client settings for low latency, in one place so workers, devices, tests and benchmarks agree.
 *
 * Consumers long-poll (500 ms, minBytes 1), producers run without Nagle, and retries outlast a broker fail-over.
 * `npm run bench:kafka` measures the consumer settings against kafkajs' defaults.
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

/**
 * The consumer knobs the benchmark compares (kafkajs defaults vs tuned). A long poll with `minBytes` 1: the broker
 * answers a parked fetch the moment a record arrives, so a fetch is almost always waiting there — across the WAN
 * too, where a 20 ms wait against a 30 ms round trip left no fetch parked most of the time and a record waited for
 * the next one to cross (up to a round trip). Idle consumers fetch twice a second instead of 50 times, CPU that the
 * workers need on a small machine. kafkajs sends fetches on their own connection, so a parked fetch never delays a
 * commit or a heartbeat; it delays a stop or a rebalance by at most the wait.
 */
export const LOW_LATENCY_CONSUMER: Omit<ConsumerConfig, 'groupId'> = {
  maxWaitTimeInMs: 500,
  minBytes: 1,
  // Fail over quickly when a worker dies; kafkajs defaults are 30 s / 3 s.
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
  rebalanceTimeout: 10_000,
  // Fetch-size caps sized for the brokers' message.max.bytes (8 MiB).
  maxBytesPerPartition: 8 * 1024 * 1024,
  retry: CLIENT_RETRY,
};

export const LOW_LATENCY_PRODUCER: ProducerConfig = {
  allowAutoTopicCreation: false,
  // Idempotence keeps retried sends from duplicating (it forces acks=all and 1 in-flight request; with the kafkajs
  // patch, one send at a time per producer, so none reuses the sequence of a batch the leader wrote).
  idempotent: true,
  maxInFlightRequests: 1,
  retry: CLIENT_RETRY,
};

/** Acks for `producer.send`: all in-sync replicas, so an acknowledged record survives a broker loss. */
export const ACKS_ALL = -1;

/**
 * kafkajs' own socket factory leaves Nagle's algorithm on. With one request in flight that costs nothing, but once
 * several produce requests are pipelined on a connection, each small request written while the previous one is
 * unacknowledged waits for the peer's (delayed) ACK: `npm run bench:wan-produce` measured p95 31 ms with Nagle against
 * 21 ms without, 5 requests in flight across a 15 ms link.
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
