/**
 * Container ports of the Kafka and ZooKeeper pods. The manifests (constructs) and the cloud firewall (infra) must
 * agree on them, so they live here rather than in either.
 */
export const KAFKA_PORTS = { internal: 9092, controller: 9093, wan: 9094 } as const;

export const ZOOKEEPER_PORTS = { client: 2181, peer: 2888, election: 3888 } as const;
