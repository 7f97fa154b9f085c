import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/shared/errors';

const guide = readFileSync(join(__dirname, '..', '..', 'docs', 'troubleshooting.md'), 'utf8');

/** Each `### \`code\`` section of the guide, by code. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = guide.split(/^### /m).slice(1);
  for (const part of parts) {
    const match = /^`([a-z_]+)`\s*\n([\s\S]*)$/.exec(part);
    if (match) out.set(match[1] as string, (match[2] as string).split(/^## /m)[0] as string);
  }
  return out;
}

// The codes come from the source of truth (every code Junction answers, records or branches on).
const codes = Object.values(ERROR_CODES).flat();

test.each(codes)('the troubleshooting guide explains %s: meaning, causes and fix', (code) => {
  const section = sections().get(code);
  expect(section).toBeDefined();
  for (const part of ['**Means**', '**Causes**', '**Fix**']) expect(section).toContain(part);
  expect((section as string).length).toBeGreaterThan(150);
});

test('the guide explains no code that does not exist (a renamed code is renamed here too)', () => {
  const known = new Set<string>(codes);
  expect([...sections().keys()].filter((code) => !known.has(code))).toEqual([]);
});
