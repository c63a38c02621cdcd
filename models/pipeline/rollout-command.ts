/** `pipeline rollout <version>` and `pipeline rollback`: commander subcommands around runtime/registry/rollout.ts. */
import { Command, InvalidArgumentError } from 'commander';
import { Kafka } from 'kafkajs';
import { CONTROL_TOPIC } from '../../contracts/control';
import { REGISTRY_TOPIC, ROLLOUT_TOPIC } from '../../contracts/registry';
import { clientConfig } from '../../runtime/kafka/client-settings';
import { rollout, type RolloutResult } from '../../runtime/registry/rollout';
import { brokerList, positiveInt } from './options';

interface Options {
  brokers?: string[];
  layer?: Record<string, string[]>;
  controlTopic: string;
  registryTopic: string;
  rolloutTopic: string;
  loadTimeout: number;
  drainTimeout: number;
}

const layerCluster = (v: string, prev: Record<string, string[]> = {}): Record<string, string[]> => {
  const m = /^([a-z0-9][a-z0-9-]*)=(.+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--layer "${v}": expected <layer>=host:port[,host:port…]`);
  return { ...prev, [m[1]]: brokerList(m[2]) };
};

function withOptions(c: Command): Command {
  return c
    .option('--brokers <list>', 'the cluster of every layer not given with --layer (all layers on one cluster)', brokerList)
    .option('--layer <name=list>', "a layer's cluster, e.g. --layer edge=127.0.0.1:9092 --layer cloud=127.0.0.1:9192", layerCluster)
    .option('--control-topic <name>', 'control topic the workers follow', CONTROL_TOPIC)
    .option('--registry-topic <name>', 'model registry topic', REGISTRY_TOPIC)
    .option('--rollout-topic <name>', 'topic the replicas report their loaded versions on', ROLLOUT_TOPIC)
    .option('--load-timeout <s>', 'how long replicas may take to load the version', positiveInt('--load-timeout'), 120)
    .option('--drain-timeout <s>', 'how long the old version may take to drain after the switch', positiveInt('--drain-timeout'), 120);
}

async function run(target: { version: string } | { rollback: true }, o: Options): Promise<void> {
  const kafka = (name: string, brokers: string[]) => new Kafka(clientConfig(`ddnn-pipeline-rollout-${name}`, brokers));
  if (!o.brokers && !o.layer) throw new Error('give the clusters: --brokers <list> (one cluster) or --layer <name>=<list> per layer');
  const t0 = Date.now();
  const result: RolloutResult = await rollout({
    clusters: Object.fromEntries(Object.entries(o.layer ?? {}).map(([l, b]) => [l, kafka(l, b)])),
    shared: o.brokers ? kafka('shared', o.brokers) : undefined,
    target,
    controlTopic: o.controlTopic,
    registryTopic: o.registryTopic,
    rolloutTopic: o.rolloutTopic,
    loadTimeoutMs: o.loadTimeout * 1000,
    drainTimeoutMs: o.drainTimeout * 1000,
    log: (l) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${l}`),
  });
  const t = result.timings;
  console.log(
    result.outcome === 'unchanged'
      ? `${result.target} was already served by every layer`
      : `done: ${result.chain.join(' → ')} serve ${result.target} (loaded ${(t.loaded / 1000).toFixed(1)} s, switched ${(t.switched / 1000).toFixed(1)} s, drained ${(t.drained / 1000).toFixed(1)} s, retired ${(t.retired / 1000).toFixed(1)} s)`,
  );
}

export function rolloutCommand(): Command {
  return withOptions(new Command('rollout'))
    .description('move the running layers to a registered version: downstream layers load it first, the first layer switches, the old version drains, then it is dropped')
    .argument('<version>', 'a version in the registry (what `pipeline register` printed)')
    .action((version: string, o: Options) => run({ version }, o));
}

export function rollbackCommand(): Command {
  return withOptions(new Command('rollback'))
    .description('the same as rollout, to the version rolled out before the current one (the rollout history on the rollout topic)')
    .action((o: Options) => run({ rollback: true }, o));
}
