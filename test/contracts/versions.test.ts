import * as fs from 'fs';
import * as path from 'path';
import { IMAGES, KAFKA_VERSION, ZOOKEEPER_VERSION } from '../../contracts/versions';

const pom = fs.readFileSync(path.join(__dirname, '../../runtime/kafka/pom.xml'), 'utf8');
const property = (name: string) => pom.match(new RegExp(`<${name}>([^<]+)</${name}>`))?.[1];

describe('one Kafka version', () => {
  test('the local launcher fetches the Kafka version of contracts/versions.ts (runtime/kafka/pom.xml)', () => {
    expect(property('kafka.version')).toBe(KAFKA_VERSION);
  });

  test('and the same ZooKeeper', () => {
    expect(property('zookeeper.version')).toBe(ZOOKEEPER_VERSION);
  });

  test('the images run those versions', () => {
    expect(IMAGES.kafka).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(IMAGES.zookeeper).toBe(`zookeeper:${ZOOKEEPER_VERSION}`);
  });

  test('no other module of the project defines a Kafka version of its own', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && /\bKAFKA_VERSION\s*=/.test(fs.readFileSync(p, 'utf8'))) offenders.push(path.relative(root, p));
      }
    };
    const root = path.join(__dirname, '../..');
    for (const d of ['contracts', 'runtime', 'models', 'constructs', 'infra', 'environments']) walk(path.join(root, d));
    expect(offenders).toEqual(['contracts/versions.ts']);
  });
});
