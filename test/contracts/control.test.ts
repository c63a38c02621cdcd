import { controlKey, decodeControlRecord, effectiveSettings, encodeControlValue, parseControlKey } from '../../contracts/control';
import { decodeHopSettings, encodeHopSettings } from '../../contracts/wire';

const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('control records', () => {
  test('keys: settings per layer or for all, models per layer', () => {
    expect(parseControlKey(controlKey('settings', 'edge'))).toEqual({ kind: 'settings', layer: 'edge' });
    expect(parseControlKey('settings/*')).toEqual({ kind: 'settings', layer: '*' });
    expect(parseControlKey('models/cloud')).toEqual({ kind: 'models', layer: 'cloud' });
    expect(parseControlKey('models/*')).toBeNull();
    expect(parseControlKey('threshold/edge')).toBeNull();
    expect(parseControlKey('settings/Edge Layer')).toBeNull();
  });

  test('valid settings and models decode; a tombstone clears', () => {
    const s = decodeControlRecord('settings/edge', encodeControlValue({ threshold: 0.6, featuresDtype: 'int8', issuedAt: 1, by: 'controller' }));
    expect(s.value).toEqual({ threshold: 0.6, featuresDtype: 'int8', issuedAt: 1, by: 'controller' });
    const m = decodeControlRecord('models/cloud', bytes({ active: 'b', serve: ['a', 'b'], issuedAt: 2 }));
    expect(m.value).toMatchObject({ active: 'b', serve: ['a', 'b'] });
    expect(decodeControlRecord('settings/*', null).value).toBeNull();
  });

  test.each([
    ['unknown field', 'settings/edge', bytes({ threshold: 0.5, thresold: 0.4, issuedAt: 1 }), /invalid: .*thresold/],
    ['threshold out of range', 'settings/edge', bytes({ threshold: 1.5, issuedAt: 1 }), /invalid: settings\/edge: threshold/],
    ['unknown encoding', 'settings/edge', bytes({ featuresDtype: 'bf16', issuedAt: 1 }), /featuresDtype/],
    ['not JSON', 'settings/edge', Buffer.from('{threshold:'), /not-json/],
    ['bad key', 'knobs/edge', bytes({ issuedAt: 1 }), /bad-key/],
    ['no key', null, bytes({ issuedAt: 1 }), /bad-key/],
    ['active not served', 'models/edge', bytes({ active: 'c', serve: ['a'], issuedAt: 1 }), /active must be one of serve/],
  ])('%s is rejected with a reason naming it', (_name, key, value, message) => {
    expect(() => decodeControlRecord(key, value)).toThrow(message);
  });

  test("a layer's own settings win over the settings for all", () => {
    expect(effectiveSettings({ threshold: 0.5, batchMaxWaitMs: 2, issuedAt: 1 }, { threshold: 0.9, issuedAt: 2, by: 'x' })).toEqual({
      threshold: 0.9,
      batchMaxWaitMs: 2,
    });
    expect(effectiveSettings(null, null)).toEqual({});
  });
});

describe('ddnn-settings header', () => {
  test('round trip, oldest first', () => {
    const s = [
      { layer: 'edge', threshold: 0.8, features: 'float16' as const, batchWaitMs: 0 },
      { layer: 'cloud', threshold: 0, features: 'int8' as const, batchWaitMs: 2.5 },
    ];
    expect(decodeHopSettings(encodeHopSettings(s))).toEqual(s);
  });
  test.each(['edge,0.8,float16', 'edge,1.2,float16,0', 'edge,0.8,bf16,0', 'edge,,float16,0', 'edge,0.8,float16,0,x'])('"%s" is a bad header', (text) => {
    expect(() => decodeHopSettings(text)).toThrow(/ddnn-settings/);
  });
});
