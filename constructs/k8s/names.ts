/** Physical names of the objects a construct creates. */
import { Names } from 'cdk8s';
import type { Construct } from 'constructs';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The user's name, or one derived from the construct's path (`<chart>-<id>-<hash>`), so two instances in one
 * namespace never collide. `maxLen` leaves room for the suffixes a construct appends (`-headless`, `-0`, …).
 */
export function physicalName(scope: Construct, name: string | undefined, where: string, maxLen = 40): string {
  if (name === undefined) return Names.toDnsLabel(scope, { maxLen });
  if (name.length > maxLen || !DNS_LABEL.test(name))
    throw new Error(`${where}: name (${name}) must be a DNS label (a-z, 0-9, -) of at most ${maxLen} characters`);
  return name;
}
