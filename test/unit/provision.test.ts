import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JunctionError } from '../../src/shared/errors';
import { startDevServer } from '../../src/temporal/devServer';
import { TEMPORAL_CLI_VERSION, cachedCliPath, provisionTemporalCli } from '../../src/temporal/provision';
import { freePort } from '../../src/temporal/runtime';

function executable(path: string, script = '#!/bin/sh\nexit 0\n'): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return path;
}

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'junction-provision-'));
  const emptyBin = join(dir, 'empty-bin');
  mkdirSync(emptyBin);
  return {
    dir,
    env: { HOME: dir, JUNCTION_CACHE_DIR: join(dir, 'cache'), PATH: emptyBin } as NodeJS.ProcessEnv,
  };
}

test('TEMPORAL_CLI_PATH comes first, even over a temporal on PATH', async () => {
  const { dir, env } = sandbox();
  const explicit = executable(join(dir, 'mine', 'temporal'));
  executable(join(dir, 'bin', 'temporal'));
  const cli = await provisionTemporalCli({
    env: { ...env, TEMPORAL_CLI_PATH: explicit, PATH: join(dir, 'bin') },
  });
  expect(cli).toEqual({ kind: 'binary', path: explicit, origin: 'TEMPORAL_CLI_PATH' });
});

test('a TEMPORAL_CLI_PATH that is not an executable is an error, not a silent fallback', async () => {
  const { dir, env } = sandbox();
  await expect(
    provisionTemporalCli({ env: { ...env, TEMPORAL_CLI_PATH: join(dir, 'missing') } }),
  ).rejects.toMatchObject({
    code: 'temporal_cli_unavailable',
  });
});

test('then `temporal` on PATH, then the cached build', async () => {
  const { dir, env } = sandbox();
  const onPath = executable(join(dir, 'bin', 'temporal'));
  expect(await provisionTemporalCli({ env: { ...env, PATH: `${env.PATH}:${join(dir, 'bin')}` } })).toEqual({
    kind: 'binary',
    path: onPath,
    origin: 'PATH',
  });
  const cached = executable(cachedCliPath(env));
  expect(cached).toBe(join(dir, 'cache', `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal'));
  expect(await provisionTemporalCli({ env })).toEqual({ kind: 'binary', path: cached, origin: 'cache' });
});

test('then `go install` of the pinned version into the cache, with progress', async () => {
  const { dir, env } = sandbox();
  // A `go` that records its arguments and leaves a binary in $GOBIN, the way `go install` does.
  executable(
    join(dir, 'go-bin', 'go'),
    `#!/bin/sh\necho "$@" > "${dir}/go-args"\necho "go: downloading github.com/temporalio/cli v${TEMPORAL_CLI_VERSION}" >&2\nprintf '#!/bin/sh\\n' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n`,
  );
  const progress: string[] = [];
  const cli = await provisionTemporalCli({
    env: { ...env, PATH: `${env.PATH}:${join(dir, 'go-bin')}` },
    onProgress: (line) => progress.push(line),
  });
  expect(cli).toEqual({ kind: 'binary', path: cachedCliPath(env), origin: 'go install' });
  expect(existsSync(cachedCliPath(env))).toBe(true);
  expect(progress.join('\n')).toContain(`go: downloading github.com/temporalio/cli v${TEMPORAL_CLI_VERSION}`);
  const { readFileSync } = await import('node:fs');
  expect(readFileSync(join(dir, 'go-args'), 'utf8').trim()).toBe(
    `install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
  );
});

test('a failed go install falls through to the SDK download, and the final error names all four', async () => {
  const { dir, env } = sandbox();
  executable(join(dir, 'go-bin', 'go'), '#!/bin/sh\necho "go: module lookup disabled" >&2\nexit 1\n');
  const cli = await provisionTemporalCli({ env: { ...env, PATH: `${env.PATH}:${join(dir, 'go-bin')}` } });
  expect(cli.kind).toBe('sdk-download');
  if (cli.kind !== 'sdk-download') return;
  expect(cli.tried).toEqual([
    'TEMPORAL_CLI_PATH: not set',
    '`temporal` on PATH: not found',
    `cached build: none at ${cachedCliPath(env)}`,
    expect.stringContaining('go install: failed: go install exited with code 1: go: module lookup disabled'),
  ]);

  // This machine has no internet, so the SDK's download fails and the error lists every way tried; with
  // internet it would download a real server, which must then answer.
  let server;
  try {
    server = await startDevServer({
      cli: { ...cli, downloadDir: join(dir, 'download') },
      port: await freePort(),
    });
  } catch (error) {
    expect(error).toBeInstanceOf(JunctionError);
    const message = (error as Error).message;
    expect(message).toContain('TEMPORAL_CLI_PATH: not set');
    expect(message).toContain('`temporal` on PATH: not found');
    expect(message).toContain('cached build: none at');
    expect(message).toContain('go install: failed');
    expect(message).toContain("the SDK's own download: failed");
    return;
  }
  expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
  await server.stop();
});
