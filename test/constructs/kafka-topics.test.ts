import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { clusterWithTopics, find } from './fixtures';
import { schemaErrors, topicsCreated } from './manifest-checks';

describe('KafkaTopics', () => {
  test('creates every declared topic with its partitions, replication, min.insync.replicas and retention', () => {
    const { chart } = clusterWithTopics([
      { name: 'ddnn.edge.requests', partitions: 4, replicationFactor: 3, minInSyncReplicas: 2, retentionMs: 3_600_000 },
      { name: 'ddnn.replies', partitions: 2 },
    ]);
    const objects = Testing.synth(chart);
    const job = find(objects, 'Job');
    const script: string = job.spec.template.spec.containers[0].command[2];
    expect(script).toContain(
      '--topic ddnn.edge.requests --partitions 4 --replication-factor 3 --config min.insync.replicas=2 --config retention.ms=3600000',
    );
    expect(script).toContain('--topic ddnn.replies --partitions 2 --replication-factor 3 --config min.insync.replicas=2');
    expect(script).toContain('--create --if-not-exists');
    expect([...topicsCreated(objects)]).toEqual([
      ['ddnn.edge.requests', 4],
      ['ddnn.replies', 2],
    ]);
    expect(job.spec.template.spec.containers[0].env).toContainEqual({ name: 'BOOTSTRAP', value: expect.stringContaining('kafka-0.kafka-headless:9092') });
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('the Job script grows an existing topic to the declared partitions and never tries to shrink one', () => {
    const { chart } = clusterWithTopics([
      { name: 'grows', partitions: 4 },
      { name: 'same', partitions: 2 },
      { name: 'shrinks', partitions: 1 },
    ]);
    const script: string = find(Testing.synth(chart), 'Job').spec.template.spec.containers[0].command[2];
    // A stand-in kafka-topics.sh: every topic exists with 2 partitions; calls are logged.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-topics-'));
    const fake = path.join(dir, 'kafka-topics.sh');
    fs.writeFileSync(
      fake,
      `#!/usr/bin/env bash\necho "$*" >> ${dir}/calls\ncase "$*" in *--describe*--topic*) echo "Topic: x\tTopicId: y\tPartitionCount: 2\tReplicationFactor: 3";; esac\n`,
      { mode: 0o755 },
    );
    try {
      const stderr = execFileSync('bash', ['-c', `{\n${script.split('/opt/kafka/bin/kafka-topics.sh').join(fake)}\n} 2>&1 >/dev/null`], {
        env: { ...process.env, BOOTSTRAP: 'b:9092' },
      }).toString();
      const alters = fs.readFileSync(path.join(dir, 'calls'), 'utf8').split('\n').filter((l) => l.includes('--alter'));
      expect(alters).toEqual(['--bootstrap-server b:9092 --alter --topic grows --partitions 4']);
      expect(stderr).toContain('WARNING: shrinks has 2 partitions, more than the 1 declared');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a changed declaration gets a new Job name (Jobs are immutable)', () => {
    const a = clusterWithTopics([{ name: 't', partitions: 1 }]).topics.jobName;
    const b = clusterWithTopics([{ name: 't', partitions: 2 }]).topics.jobName;
    expect(a).toMatch(/^kafka-topics-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });

  test.each([
    [[{ name: 't', replicationFactor: 4 }], /topics\[0\] \(t\): replicationFactor \(4\) must be ≤ brokers \(3\)/],
    [[{ name: 't', replicationFactor: 2, minInSyncReplicas: 3 }], /minInSyncReplicas \(3\) must be ≤ replicationFactor \(2\)/],
    [[{ name: 't', partitions: 0 }], /partitions \(0\) must be an integer ≥ 1/],
    [[{ name: 'bad topic' }], /name must be/],
    [[{ name: 't' }, { name: 't' }], /topics\[1\] \(t\): declared twice/],
  ])('refuses %j at synth time', (topics, message) => {
    expect(() => clusterWithTopics(topics)).toThrow(message);
  });

  test('looks up a topic or names what the cluster has', () => {
    const { topics } = clusterWithTopics([{ name: 'a' }, { name: 'b', partitions: 3 }], 1);
    expect(topics.topic('b')).toEqual({ name: 'b', partitions: 3, replicationFactor: 1, minInSyncReplicas: 1, retentionMs: 86_400_000 });
    expect(() => topics.topic('c')).toThrow('topic "c" is not declared in kafka (has: a, b)');
  });
});
