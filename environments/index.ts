/**
 * One typed, validated environment per experiment. `getEnvironment(name)` returns it with defaults filled in, or
 * throws InvalidEnvironmentError naming each bad field.
 */
import { cloudOnly } from './cloud-only';
import { local } from './local';
import { PAPER_HA_PARTITIONS, paperHa } from './paper-ha';
import { paperSimple } from './paper-simple';
import { type Environment, type EnvironmentInput, parseEnvironment } from './schema';

export * from './schema';
export * from './topology';
export * from './naming';

const DEFINITIONS: readonly EnvironmentInput[] = [paperSimple, ...PAPER_HA_PARTITIONS.map(paperHa), cloudOnly, local];

export const ENVIRONMENT_NAMES = DEFINITIONS.map((e) => e.name);

export function listEnvironments(): string[] {
  return [...ENVIRONMENT_NAMES];
}

export function getEnvironment(name: string): Environment {
  const input = DEFINITIONS.find((e) => e.name === name);
  if (!input) throw new Error(`unknown environment "${name}"; known: ${ENVIRONMENT_NAMES.join(', ')}`);
  return parseEnvironment(input);
}

/** Every environment, validated (throws on the first invalid one). */
export function allEnvironments(): Environment[] {
  return DEFINITIONS.map(parseEnvironment);
}
