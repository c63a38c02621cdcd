/** Option parsers shared by the pipeline's subcommands: errors name the option. */
import { InvalidArgumentError } from 'commander';

export const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
  return n;
};

export const nonNegative = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number, got "${v}"`);
  return n;
};

export const brokerList = (v: string): string[] => {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0 || list.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) throw new InvalidArgumentError(`--brokers "${v}": expected host:port[,host:port…]`);
  return list;
};
