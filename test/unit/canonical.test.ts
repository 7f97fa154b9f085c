import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalHash, canonicalJson } from '../../src/sync/canonical';

/**
 * The plain definition of the canonical text, as the store's first version computed it: every stored hash
 * was made from this text, so the faster serialiser must produce exactly the same characters, or every
 * record would count as changed on the next run.
 */
function definition(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(definition).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${definition(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Any JSON value, with keys from the whole of Unicode (including ones that look like array indexes). */
const json = fc.jsonValue({ maxDepth: 4 });
const withUndefined = fc.dictionary(
  fc.oneof(fc.string({ unit: 'binary' }), fc.nat().map(String)),
  fc.oneof(json, fc.constant(undefined)),
);

describe('canonical JSON', () => {
  test('is the plain definition, character for character', () => {
    fc.assert(
      fc.property(json, (value) => canonicalJson(value) === definition(value)),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(withUndefined, (value) => canonicalJson(value) === definition(value)),
      {
        numRuns: 1_000,
      },
    );
  });

  test('key order never counts: a record with its keys in any order hashes the same', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), fc.integer(), (record, seed) => {
        const keys = Object.keys(record);
        const shuffled = [...keys].sort(() => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 3) - 1);
        const reordered = Object.fromEntries(shuffled.map((key) => [key, record[key]]));
        return canonicalHash(reordered) === canonicalHash(record);
      }),
    );
  });

  test('any value change does count, and the text parses back to the value', () => {
    fc.assert(
      fc.property(json, (value) => {
        // Compared with JSON's own round trip (which turns -0 into 0, as any stored JSON does).
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
        const changed = { value, extra: 1 };
        return canonicalHash(changed) !== canonicalHash({ value });
      }),
    );
  });

  test('the hash is SHA-256 of that text, as stored hashes were made', () => {
    const record = { b: [1, { d: null, c: 'x' }], a: 'é', 10: true, 9: false };
    const text = '{"10":true,"9":false,"a":"é","b":[1,{"c":"x","d":null}]}';
    expect(canonicalJson(record)).toBe(text);
    expect(canonicalHash(record)).toBe(createHash('sha256').update(text).digest('hex'));
  });
});
