/** Shared by the tests of the wire format and of its users (worker routing, device sessions). */
import { RawHeaders, WireError } from '../../../runtime/wire';

/** Headers as a Kafka consumer returns them: Buffer values. */
export function consumedHeaders(h: Record<string, string>): RawHeaders {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
}

/** The reason of the WireError that `fn` throws; any other outcome fails the test. */
export function wireErrorReason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e.reason;
    throw e;
  }
  throw new Error('expected a WireError');
}
