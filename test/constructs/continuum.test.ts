/**
 * Every object of every environment is validated against the Kubernetes OpenAPI schema (and the CRD schemas),
 * and the wiring between objects and clusters is checked: topics used by workers and MirrorMaker 2 exist with
 * enough partitions in the cluster they are used in, referenced Services/ConfigMaps/Secrets exist, images pinned.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { App } from 'cdk8s';
import { type Environment, deviceIds, getEnvironment, listEnvironments, parseEnvironment } from '../../environments';
import { paperHa } from '../../environments/paper-ha';
import { type ContinuumManifests, buildContinuum, gkeAllocatableMiB, synthesizableEnvironment } from '../../constructs/continuum';
import { synthesize } from '../../constructs/main';
import { type Manifest, containersOf, envOf, referenceProblems, schemaErrors, serviceOfBootstrap, topicsCreated } from './manifest-checks';

const objectsOf = (app: App): Manifest[] => app.charts.flatMap((c) => c.toJson());

/** The Deployment a member cluster ends up with: the federated template with that cluster's overrides applied. */
function materialize(fed: Manifest[], cluster: string): Manifest | undefined {
  const fd = fed.find((o) => o.kind === 'FederatedDeployment');
  if (fd) {
    if (!fd.spec.placement.clusters.some((c: Manifest) => c.name === cluster)) return undefined;
    const d: Manifest = JSON.parse(JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: fd.metadata.name, ...fd.spec.template.metadata }, spec: fd.spec.template.spec }));
    for (const o of fd.spec.overrides?.find((x: Manifest) => x.clusterName === cluster)?.clusterOverrides ?? []) setPointer(d, o.path, o.value);
    return d;
  }
  const pp = fed.find((o) => o.kind === 'PropagationPolicy')!;
  if (!pp.spec.placement.clusterAffinity.clusterNames.includes(cluster)) return undefined;
  const d: Manifest = JSON.parse(JSON.stringify(fed.find((o) => o.kind === 'Deployment')));
  const rule = fed.find((o) => o.kind === 'OverridePolicy')!.spec.overrideRules.find((r: Manifest) => r.targetCluster.clusterNames.includes(cluster));
  for (const o of rule?.overriders.plaintext ?? []) setPointer(d, o.path, o.value);
  return d;
}

function setPointer(obj: Manifest, pointer: string, value: unknown) {
  const keys = pointer.split('/').slice(1);
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k];
  o[keys[keys.length - 1]] = value;
}

interface ClusterView {
  layer: string;
  objects: Manifest[];
  externalBootstrap: string;
  topics: Map<string, number>;
  secrets: string[];
}

function views(m: ContinuumManifests): ClusterView[] {
  const fed = m.federation ? objectsOf(m.federation.app) : [];
  return m.layers.map((l) => {
    const objects = objectsOf(l.app);
    const placed = m.federation ? materialize(fed, l.layer) : undefined;
    if (placed) objects.push({ ...placed, metadata: { ...placed.metadata, namespace: m.environment.namespace } });
    return { layer: l.layer, objects, externalBootstrap: l.kafka.externalBootstrapServers, topics: topicsCreated(objects), secrets: l.requiredSecrets.map((s) => s.name) };
  });
}

/** Which cluster a bootstrap list points at: this one (its Services) or a peer (its WAN endpoints). */
function clusterOf(bootstrap: string, self: ClusterView, all: ClusterView[]): ClusterView {
  const services = serviceOfBootstrap(bootstrap);
  if (services.length > 0) {
    // A Service of the manifests, or the bootstrap Service Strimzi's operator creates for a Kafka resource.
    for (const s of services)
      expect(self.objects.some((o) => (o.kind === 'Service' && o.metadata.name === s) || (o.kind === 'Kafka' && `${o.metadata.name}-kafka-bootstrap` === s))).toBe(true);
    return self;
  }
  const peer = all.find((v) => v.externalBootstrap === bootstrap);
  if (!peer) throw new Error(`${self.layer}: bootstrap ${bootstrap} is neither a local Service nor a peer's WAN listener`);
  return peer;
}

const cases: [string, Environment][] = [
  ...listEnvironments()
    .map((n) => [n, getEnvironment(n)] as [string, Environment])
    .filter(([, e]) => synthesizableEnvironment(e)),
  ['paper-ha-p2 with karmada', parseEnvironment({ ...paperHa(2), federation: { engine: 'karmada' } })],
  ['paper-ha-p3 with kraft', parseEnvironment({ ...paperHa(3), coordination: 'kraft' })],
  ['paper-ha-p1 unfederated', parseEnvironment({ ...paperHa(1), federation: { engine: 'none' } })],
  ['edge + fog + cloud, mirrored', threeLayers()],
  // Strimzi as the engine: the same environments (KRaft: Strimzi runs no ZooKeeper), the same checks.
  ['paper-simple on Strimzi', onStrimzi(getEnvironment('paper-simple'))],
  ['paper-ha-p2 on Strimzi', onStrimzi(parseEnvironment(paperHa(2)))],
  ['cloud-only on Strimzi', onStrimzi(getEnvironment('cloud-only'))],
  ['edge + fog + cloud on Strimzi, mirrored', onStrimzi(threeLayers())],
];

function onStrimzi(env: Environment): Environment {
  return parseEnvironment({ ...env, coordination: 'kraft', layers: env.layers.map((l) => ({ ...l, kafka: { ...l.kafka, engine: 'strimzi' } })) });
}

/** Mirror flows into a cluster: from dedicated MirrorMaker 2 properties, or from Strimzi's KafkaMirrorMaker2. */
function flowsOf(objects: Manifest[]): { source: string; target: string; sourceBootstrap: string; targetBootstrap: string; topics: string[] }[] {
  const fromProperties = objects
    .filter((o) => o.kind === 'ConfigMap' && o.data?.['mm2.properties'])
    .flatMap((cm) => {
      const props = Object.fromEntries(
        (cm.data['mm2.properties'] as string)
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf('=')).replace(/\\/g, ''), l.slice(l.indexOf('=') + 1)]),
      );
      return Object.keys(props)
        .filter((k) => k.endsWith('.enabled') && k.includes('->') && props[k] === 'true')
        .map((flow) => {
          const [source, target] = flow.replace(/\.enabled$/, '').split('->');
          const topics = props[`${source}->${target}.topics`].split(',').map((t: string) => t.replace(/\\/g, ''));
          return { source, target, sourceBootstrap: props[`${source}.bootstrap.servers`], targetBootstrap: props[`${target}.bootstrap.servers`], topics };
        });
    });
  const fromStrimzi = objects
    .filter((o) => o.kind === 'KafkaMirrorMaker2')
    .flatMap((mm) => {
      const bootstrap = (alias: string) => mm.spec.clusters.find((c: Manifest) => c.alias === alias).bootstrapServers;
      expect(mm.spec.connectCluster).toBe(mm.spec.mirrors[0].targetCluster);
      return mm.spec.mirrors.map((m: Manifest) => ({
        source: m.sourceCluster,
        target: m.targetCluster,
        sourceBootstrap: bootstrap(m.sourceCluster),
        targetBootstrap: bootstrap(m.targetCluster),
        topics: (m.topicsPattern as string).split('|').map((t) => t.replace(/\\/g, '')),
      }));
    });
  return [...fromProperties, ...fromStrimzi];
}

/** SCRAM users' grants on a cluster: from the access Job's kafka-acls.sh lines, or from Strimzi's KafkaUser resources. */
function grantsOf(cluster: string, objects: Manifest[]) {
  const job = objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('kafka-access-'));
  const script: string = job ? containersOf(job)[0].command[2] : '';
  expect(script).not.toMatch(/password=(?!\$pw\])/);
  const fromJob = script
    .split('\n')
    .filter((l) => l.startsWith('acl '))
    .map((l) => {
      const m = /User:(\S+) (.*) --(topic|group|cluster)(?: (\S+) --resource-pattern-type (\S+))?/.exec(l)!;
      return { cluster, user: m[1], ops: m[2], resource: m[3], name: m[4], pattern: m[5] };
    });
  const fromStrimzi = objects
    .filter((o) => o.kind === 'KafkaUser')
    .flatMap((u) =>
      (u.spec.authorization?.acls ?? []).map((a: Manifest) => ({
        cluster,
        user: u.metadata.name,
        ops: (a.operations as string[]).join(' '),
        resource: a.resource.type,
        name: a.resource.name,
        pattern: a.resource.patternType === 'prefix' ? 'prefixed' : a.resource.patternType,
      })),
    );
  return [...fromJob, ...fromStrimzi];
}

/** A three-tier continuum (the models' edge-fog-cloud placement): a fog site between the paper's edge and cloud. */
function threeLayers(): Environment {
  const base = paperHa(2);
  const [edge, cloud] = base.layers;
  const fog = {
    ...edge,
    name: 'fog',
    cluster: { kind: 'on-prem' as const, nodes: [{ name: 'fog-1', address: '198.51.100.10', role: 'server' as const }], egressCidrs: ['198.51.100.0/24'] },
    kafka: { ...edge.kafka, external: { type: 'NodePort' as const, host: '198.51.100.10' } },
    worker: { ...edge.worker!, subModel: 'fog' },
  };
  return parseEnvironment({ ...base, model: { ...base.model, location: base.model.location.replace(/edge-cloud$/, 'edge-fog-cloud') }, layers: [edge, fog, cloud] });
}

describe.each(cases)('%s', (_label, env) => {
  const outroot = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-synth-'));
  const manifests = buildContinuum(env, outroot);
  const all = views(manifests);
  afterAll(() => fs.rmSync(outroot, { recursive: true, force: true }));

  test('has one cluster per layer', () => {
    expect(all.map((v) => v.layer)).toEqual(env.layers.map((l) => l.name));
  });

  test('every object is valid against the Kubernetes OpenAPI schema and the CRD schemas', () => {
    const objects = [...all.flatMap((v) => v.objects), ...(manifests.federation ? objectsOf(manifests.federation.app) : [])];
    expect(objects.length).toBeGreaterThan(10);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('referenced Services, ConfigMaps and Secrets exist or are declared as operator-provided; images pinned', () => {
    for (const v of all) expect(referenceProblems(v.objects, v.secrets)).toEqual([]);
  });

  test('every topic a worker uses exists where it produces or consumes, with partitions ≥ replicas', () => {
    for (const v of all) {
      const worker = v.objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'inference-worker');
      const layer = env.layers.find((l) => l.name === v.layer)!;
      if (!layer.worker) continue;
      expect(worker).toBeDefined();
      const e = envOf(containersOf(worker!)[0]);
      const local = clusterOf(e.DDNN_BROKERS, v, all);
      expect(local).toBe(v);
      // An autoscaled worker has no replicas of its own: KEDA's maxReplicaCount bounds it.
      const scaled = v.objects.find((o) => o.kind === 'ScaledObject');
      expect(local.topics.get(e.DDNN_INPUT_TOPIC)).toBeGreaterThanOrEqual(worker!.spec.replicas ?? scaled!.spec.maxReplicaCount);
      expect(local.topics.has(e.DDNN_DLQ_TOPIC)).toBe(true);
      if (e.DDNN_NEXT_TOPIC) expect(clusterOf(e.DDNN_NEXT_BROKERS, v, all).topics.has(e.DDNN_NEXT_TOPIC)).toBe(true);
      // One reply topic per device: the worker may answer on each of them, and on nothing else.
      const pattern = new RegExp(e.DDNN_REPLY_TOPIC_PATTERN);
      const answers = clusterOf(e.DDNN_ANSWER_BROKERS, v, all);
      const replyTopics = deviceIds(env).map((d) => `${env.topics.prefix}.replies.${d}`);
      for (const t of replyTopics) {
        expect(pattern.test(t)).toBe(true);
        expect(answers.topics.get(t)).toBe(1);
      }
      expect(pattern.test(`${env.topics.prefix}.replies`)).toBe(false);
    }
  });

  test('MirrorMaker 2 copies topics that exist on both sides with the same partitions, no topic both ways', () => {
    const mirrored = new Set<string>();
    const into = new Map<string, Set<string>>();
    const outOf = new Map<string, Set<string>>();
    const mark = (m: Map<string, Set<string>>, cluster: string, topic: string) => m.set(cluster, (m.get(cluster) ?? new Set()).add(topic));
    for (const v of all) {
      for (const flow of flowsOf(v.objects)) {
        const { source, target } = flow;
        expect(target).toBe(v.layer);
        const sourceView = all.find((x) => x.layer === source)!;
        expect(flow.sourceBootstrap).toBe(sourceView.externalBootstrap);
        expect(serviceOfBootstrap(flow.targetBootstrap).length).toBeGreaterThan(0);
        for (const topic of flow.topics) {
          mirrored.add(topic);
          mark(outOf, source, topic);
          mark(into, target, topic);
          expect(sourceView.topics.get(topic)).toBeDefined();
          expect(v.topics.get(topic)).toBe(sourceView.topics.get(topic));
        }
      }
    }
    // Identity names loop when a cluster both receives and sends the same topic; fan-in (several sources, one target) does not.
    for (const [cluster, topics] of into) for (const t of topics) expect(outOf.get(cluster)?.has(t) ?? false).toBe(false);
    expect(mirrored.size > 0).toBe(env.transport === 'mirrored' && env.layers.length > 1);
  });

  test('WAN access: SCRAM users from Secrets; each device reads only its own reply topic and writes only the request topic', () => {
    if (env.security.externalListener !== 'SASL_SSL') return;
    const ids = deviceIds(env);
    const grants = all.flatMap((v) => grantsOf(v.layer, v.objects));
    const reads = grants.filter((g) => g.resource === 'topic' && /Read/.test(g.ops));
    for (const id of ids) {
      const own = reads.filter((g) => g.user === id);
      expect(own.map((g) => [g.name, g.pattern])).toEqual([[`${env.topics.prefix}.replies.${id}`, 'literal']]);
      // Nobody else on a WAN listener reads a device's answers, except MirrorMaker 2 carrying them from a layer that is not the devices'.
      const entry = env.layers[0].name;
      expect(reads.filter((g) => g.name === `${env.topics.prefix}.replies.${id}` && g.user !== id && (g.user !== 'ddnn-mirror-maker' || g.cluster === entry))).toEqual([]);
      const writes = grants.filter((g) => g.user === id && /Write/.test(g.ops));
      expect(writes).toHaveLength(1);
      expect(writes[0].name).toMatch(/\.requests$/);
      expect(grants.filter((g) => g.user === id && g.resource === 'group')).toEqual([expect.objectContaining({ name: `ddnn-device.${id}.`, pattern: 'prefixed' })]);
    }
    // Every Secret the access Jobs read is listed for the operator.
    for (const l of manifests.layers) for (const s of l.access?.secrets ?? []) expect(l.requiredSecrets).toContainEqual(expect.objectContaining({ name: s.name, keys: s.keys }));
  });

  test('pods run restricted: non-root, read-only root filesystem, all capabilities dropped', () => {
    for (const o of all.flatMap((v) => v.objects)) {
      for (const c of containersOf(o)) {
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        expect(c.securityContext.runAsNonRoot ?? o.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
        // The namespaces enforce the "restricted" Pod Security Standard, which also wants a seccomp profile.
        expect((c.securityContext.seccompProfile ?? o.spec.template.spec.securityContext.seccompProfile)?.type).toBe('RuntimeDefault');
        expect(c.resources?.limits?.memory).toBeDefined();
      }
    }
  });
});

describe('GKE capacity check', () => {
  test('knows what a custom machine type offers to pods', () => {
    // 4096 MiB less 25 % of 4 GiB and the 100 MiB eviction threshold.
    expect(gkeAllocatableMiB('e2-custom-2-4096')).toBe(2972);
    expect(gkeAllocatableMiB('n2-custom-4-16384')).toBe(Math.floor(16384 - 1024 - 0.2 * 4096 - 0.1 * 8192 - 100));
    expect(gkeAllocatableMiB('e2-standard-4')).toBeUndefined();
  });

  test('refuses a cloud layer whose pods cannot fit its nodes', () => {
    const input = paperHa(4);
    const cloud = { ...input.layers[1], worker: { ...input.layers[1].worker!, resources: { cpu: '500m', memory: '2Gi' } } };
    const env = parseEnvironment({ ...input, layers: [input.layers[0], cloud] });
    expect(() => buildContinuum(env, os.tmpdir())).toThrow(/layer "cloud": pods request \d+ MiB of memory but 3 × e2-custom-2-4096 offer 8916 MiB/);
  });
});

describe('synthesize (the cdk8s app)', () => {
  test('writes one folder per layer cluster plus federation, with the operator-provided Secrets listed', () => {
    const outroot = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-main-'));
    try {
      const results = synthesize(['paper-simple', 'local'], outroot);
      expect(results.map((r) => r.environment.name)).toEqual(['paper-simple']);
      expect(fs.readdirSync(path.join(outroot, 'paper-simple')).sort()).toEqual(['cloud', 'edge', 'federation']);
      expect(fs.readdirSync(path.join(outroot, 'paper-simple', 'federation')).sort()).toEqual(['README.md', 'kubefed.k8s.yaml']);
      expect(fs.readFileSync(path.join(outroot, 'paper-simple', 'federation', 'README.md'), 'utf8')).toContain('kubefedctl join');
      expect(fs.readdirSync(path.join(outroot, 'paper-simple', 'edge')).sort()).toEqual([
        '00-namespace.k8s.yaml',
        '10-kafka.k8s.yaml',
        '20-topics.k8s.yaml',
        '25-access.k8s.yaml',
        '40-inference.k8s.yaml',
        '50-network-policies.k8s.yaml',
        'REQUIRED-SECRETS.md',
      ]);
      const doc = fs.readFileSync(path.join(outroot, 'paper-simple', 'cloud', 'REQUIRED-SECRETS.md'), 'utf8');
      expect(doc).toContain('`kafka-tls`');
      expect(doc).toContain('`kafka-edge-client`');
      expect(doc).toContain('`kafka-wan-users` (keys: `ddnn-worker`)');
      // Devices log in to the edge cluster (requests and their own replies): their SCRAM passwords are needed there only.
      expect(doc).not.toContain('kafka-device-credentials');
      const edgeDoc = fs.readFileSync(path.join(outroot, 'paper-simple', 'edge', 'REQUIRED-SECRETS.md'), 'utf8');
      expect(edgeDoc).toContain('`kafka-device-credentials` (keys: `device-0`)');
    } finally {
      fs.rmSync(outroot, { recursive: true, force: true });
    }
  });

  test('refuses to synthesize the local environment', () => {
    expect(() => buildContinuum(getEnvironment('local'), os.tmpdir())).toThrow(/local processes/);
  });
});

describe('deploy-time checks', () => {
  test("a secured edge + fog + cloud with transport 'direct' is refused: the fog worker would reach the edge with the cloud's login", () => {
    const env = parseEnvironment({ ...threeLayers(), transport: 'direct' });
    expect(env.security.externalListener).toBe('SASL_SSL');
    const outroot = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-synth-'));
    try {
      expect(() => buildContinuum(env, outroot)).toThrow(/InferenceLayer fog: next \(.*\) and reply \(.*\) are two remote clusters/);
    } finally {
      fs.rmSync(outroot, { recursive: true, force: true });
    }
  });

  test("every environment's workers wait 0 ms for a batch to fill, as the worker does by default", () => {
    for (const name of listEnvironments()) {
      const env = getEnvironment(name);
      if (!synthesizableEnvironment(env)) continue;
      const outroot = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-synth-'));
      const objects = buildContinuum(env, outroot);
      fs.rmSync(outroot, { recursive: true, force: true });
      const workers = [...objects.layers.flatMap((l) => objectsOf(l.app)), ...(objects.federation ? objectsOf(objects.federation.app) : [])]
        .flatMap(containersOf)
        .filter((c) => c.name === 'worker');
      expect(workers.length).toBeGreaterThan(0);
      for (const c of workers) expect([name, envOf(c).DDNN_BATCH_MAX_WAIT_MS]).toEqual([name, '0']);
    }
  });
});

test("the GKE capacity check counts Strimzi's brokers and MirrorMaker 2 too", () => {
  const input = paperHa(4);
  // 4 workers × 1.5 GiB and MM2 fit alone (6912 MiB); with the node pool's three 768 MiB brokers they do not (9216).
  const cloud = { ...input.layers[1], kafka: { ...input.layers[1].kafka, engine: 'strimzi' as const }, worker: { ...input.layers[1].worker!, resources: { cpu: '500m', memory: '1536Mi' } } };
  const env = parseEnvironment({ ...input, coordination: 'kraft', layers: [{ ...input.layers[0], kafka: { ...input.layers[0].kafka, engine: 'strimzi' as const } }, cloud] });
  expect(() => buildContinuum(env, os.tmpdir())).toThrow(/layer "cloud": pods request \d+ MiB of memory but 3 × e2-custom-2-4096 offer 8916 MiB/);
});
