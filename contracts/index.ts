/**
 * The contracts layer: what models, runtime, constructs and infra must agree on, defined once. It imports nothing
 * else of the project and does no I/O (only zod and node's hashing), so every other part may depend on it; the
 * direction is checked by dependency-cruiser (.dependency-cruiser.cjs, `npm run check:deps`).
 */
export * from './wire';
export * from './manifest';
export * from './versions';
export * from './worker-env';
export * from './kafka/broker-settings';
export * from './kafka/mirror-maker-settings';
export * from './kafka/security';
export * from './kafka/ports';
export * from './kafka/cluster-id';
export * from './kafka/topics';
export * from './records';
export * from './cifar10';
