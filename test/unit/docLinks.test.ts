import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Every relative link in the README and in docs/ resolves: to a file that exists and, with a `#fragment`, to a
 * heading of that file (GitHub's slugs). External links are left to the reader's browser.
 */
const root = join(__dirname, '..', '..');
const pages = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => join(root, 'docs', file)),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => slug(match[1] ?? '')));
}

/** Markdown links `[text](target)` outside code blocks and inline code. */
function links(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');
}

test('the README and every page in docs/ link only to files and headings that exist', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    for (const target of links(page)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      checked++;
      const [path, fragment] = target.split('#', 2) as [string, string | undefined];
      const file = path === '' ? page : resolve(dirname(page), decodeURIComponent(path));
      const where = `${relative(root, page)} → ${target}`;
      if (!existsSync(file)) broken.push(`${where}: no such file`);
      else if (fragment && file.endsWith('.md') && !anchors(file).has(fragment.toLowerCase())) {
        broken.push(`${where}: no heading #${fragment}`);
      }
    }
  }
  expect(checked).toBeGreaterThan(10);
  expect(broken).toEqual([]);
});

test('the link check finds a broken link', () => {
  expect(existsSync(resolve(root, 'docs', 'no-such-page.md'))).toBe(false);
  expect(anchors(join(root, 'docs', 'syncs.md')).has('provider-webhooks-feed-a-stream')).toBe(true);
  expect(anchors(join(root, 'docs', 'syncs.md')).has('no-such-heading')).toBe(false);
});
