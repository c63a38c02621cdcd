/**
 * Credentials reach the deployment from Secrets only: in every synthesizable environment, no manifest carries a
 * Secret object or a credential as a literal value; every credential env var is a secretKeyRef; broker, MirrorMaker 2
 * and worker configs refer to passwords through `${env:…}` or env vars, never inline; the cross-layer listener is
 * SASL_SSL unless the environment asks for PLAINTEXT (only `local`).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { getEnvironment, listEnvironments } from '../../environments';
import { buildContinuum, synthesizableEnvironment } from '../../constructs/continuum';
import { containersOf, type Manifest } from '../constructs/manifest-checks';

const CREDENTIAL = /PASSWORD|SECRET|TOKEN|CREDENTIAL|SASL_USERNAME/i;
/** `password=…`, `password="…"` or `user_x="…"` (JAAS) with anything but an env reference as the value. */
const INLINE_SECRET = /(password|user_[A-Za-z0-9_-]+)\s*=\s*"?(?!\$\{env:)(?!\$\{file:)[^"\s;]+/i;

const dir = mkdtempSync(path.join(tmpdir(), 'ddnn-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const envs = listEnvironments().map((n) => getEnvironment(n)).filter(synthesizableEnvironment);

test('the inline-password check catches literals and lets env references through', () => {
  for (const bad of ['ssl.keystore.password=hunter22', 'sasl.jaas.config=... password="hunter22";', 'user_ddnn="hunter22";']) expect(INLINE_SECRET.test(bad)).toBe(true);
  for (const ok of ['ssl.keystore.password=${env:KAFKA_TLS_KEYSTORE_PASSWORD}', 'password="${env:MM2_EDGE_PASSWORD}";']) expect(INLINE_SECRET.test(ok)).toBe(false);
});

test('there are environments to check, secured ones among them', () => {
  expect(envs.length).toBeGreaterThan(0);
  expect(envs.some((e) => e.security.externalListener === 'SASL_SSL')).toBe(true);
});

describe.each(envs.map((e) => [e.name, e] as const))('%s', (_name, env) => {
  const m = buildContinuum(env, path.join(dir, env.name));
  const objects: Manifest[] = [...m.layers.flatMap((l) => l.app.charts.flatMap((c) => c.toJson())), ...(m.federation?.app.charts.flatMap((c) => c.toJson()) ?? [])];

  test('no Secret objects: credentials are created by the operator, listed in REQUIRED-SECRETS.md', () => {
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata?.name)).toEqual([]);
    if (env.security.externalListener === 'SASL_SSL') expect(m.layers.every((l) => l.requiredSecrets.length > 0)).toBe(true);
  });

  test('every credential env var comes from a secretKeyRef', () => {
    const literal = objects.flatMap((o) =>
      containersOf(o).flatMap((c: Manifest) =>
        (c.env ?? []).filter((e: Manifest) => CREDENTIAL.test(e.name) && !e.valueFrom?.secretKeyRef).map((e: Manifest) => `${o.kind}/${o.metadata?.name}: ${e.name}`),
      ),
    );
    expect(literal).toEqual([]);
  });

  test('no password inline in any ConfigMap (broker, MirrorMaker 2, worker settings)', () => {
    const inline = objects
      .filter((o) => o.kind === 'ConfigMap')
      .flatMap((o) => Object.entries((o.data ?? {}) as Record<string, string>).flatMap(([k, v]) => v.split('\n').filter((line) => INLINE_SECRET.test(line)).map((line) => `${o.metadata.name}/${k}: ${line.slice(0, 120)}`)));
    expect(inline).toEqual([]);
  });

  test(`the cross-layer (WAN) listener is ${env.security.externalListener}`, () => {
    const brokerConfigs = objects.filter((o) => o.kind === 'ConfigMap').flatMap((o) => Object.values((o.data ?? {}) as Record<string, string>)).filter((v) => v.includes('listener.security.protocol.map'));
    expect(brokerConfigs.length).toBeGreaterThan(0);
    for (const c of brokerConfigs) expect(c).toMatch(new RegExp(`WAN:${env.security.externalListener}`));
  });
});
