import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TEMPORAL_SERVER_VERSION,
  cachedServerDir,
  provisionTemporalServer,
} from '../../src/temporal/serverProvision';

function executable(path: string, script = '#!/bin/sh\nexit 0\n'): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return path;
}

function schema(dir: string): string {
  for (const part of ['temporal', 'visibility']) {
    mkdirSync(join(dir, part, 'versioned', 'v1.0'), { recursive: true });
    writeFileSync(join(dir, part, 'versioned', 'v1.0', 'manifest.json'), `{"part":"${part}"}`);
  }
  return dir;
}

/** The error a promise rejects with (the test fails if it resolves). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'junction-server-provision-'));
  const emptyBin = join(dir, 'empty-bin');
  mkdirSync(emptyBin);
  return {
    dir,
    env: { HOME: dir, JUNCTION_CACHE_DIR: join(dir, 'cache'), PATH: emptyBin } as NodeJS.ProcessEnv,
  };
}

/**
 * A `go` that behaves like the real one for the two commands provisioning runs: `install` leaves the
 * binaries in $GOBIN, `mod download -json` prints where the module (with its schema) is.
 */
function fakeGo(dir: string): string {
  const moduleDir = join(dir, 'gomod', `server@v${TEMPORAL_SERVER_VERSION}`);
  schema(join(moduleDir, 'schema', 'postgresql', 'v12'));
  return executable(
    join(dir, 'go-bin', 'go'),
    [
      '#!/bin/sh',
      `echo "$@" >> "${dir}/go-args"`,
      'if [ "$1" = install ]; then',
      `  echo "go: downloading go.temporal.io/server v${TEMPORAL_SERVER_VERSION}" >&2`,
      `  printf '#!/bin/sh\\n' > "$GOBIN/server"; printf '#!/bin/sh\\n' > "$GOBIN/sql"`,
      '  /bin/chmod +x "$GOBIN/server" "$GOBIN/sql"',
      'else',
      `  echo '{"Path":"go.temporal.io/server","Dir":"${moduleDir}"}'`,
      'fi',
      '',
    ].join('\n'),
  );
}

test('TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH and TEMPORAL_SCHEMA_DIR name existing ones', async () => {
  const { dir, env } = sandbox();
  const server = executable(join(dir, 'mine', 'server'));
  const sqlTool = executable(join(dir, 'mine', 'temporal-sql-tool'));
  const schemaDir = schema(join(dir, 'mine', 'schema'));
  const kit = await provisionTemporalServer({
    env: {
      ...env,
      TEMPORAL_SERVER_PATH: server,
      TEMPORAL_SQL_TOOL_PATH: sqlTool,
      TEMPORAL_SCHEMA_DIR: schemaDir,
    },
    allowGoInstall: false,
  });
  expect(kit).toEqual({ server, sqlTool, schemaDir, origin: 'environment' });
});

test('an override that is not what it says is an error, not a silent fallback', async () => {
  const { dir, env } = sandbox();
  expect(
    await failure(
      provisionTemporalServer({
        env: { ...env, TEMPORAL_SERVER_PATH: join(dir, 'missing') },
        allowGoInstall: false,
      }),
    ),
  ).toMatchObject({
    code: 'temporal_server_unavailable',
    message: expect.stringContaining('TEMPORAL_SERVER_PATH') as string,
  });
  expect(
    await failure(
      provisionTemporalServer({ env: { ...env, TEMPORAL_SCHEMA_DIR: dir }, allowGoInstall: false }),
    ),
  ).toMatchObject({
    code: 'temporal_server_unavailable',
    message: expect.stringContaining('TEMPORAL_SCHEMA_DIR') as string,
  });
});

test('without binaries and without Go: a message that says what to set', async () => {
  const { env } = sandbox();
  expect(await failure(provisionTemporalServer({ env, allowGoInstall: false }))).toMatchObject({
    code: 'temporal_server_unavailable',
    message: expect.stringContaining('set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH') as string,
  });
});

test('builds the pinned release with go install into the cache once, copies the schema, then reuses both', async () => {
  const { dir, env } = sandbox();
  fakeGo(dir);
  const withGo = { ...env, PATH: `${env.PATH}:${join(dir, 'go-bin')}` };
  const progress: string[] = [];
  const cache = cachedServerDir(withGo);
  expect(cache).toBe(join(dir, 'cache', `temporal-server-${TEMPORAL_SERVER_VERSION}`));

  const built = await provisionTemporalServer({ env: withGo, onProgress: (line) => progress.push(line) });
  expect(built).toEqual({
    server: join(cache, 'server'),
    sqlTool: join(cache, 'sql'),
    schemaDir: join(cache, 'schema', 'postgresql', 'v12'),
    origin: 'go install',
  });
  expect(progress.join('\n')).toContain(`go: downloading go.temporal.io/server v${TEMPORAL_SERVER_VERSION}`);
  expect(
    readFileSync(join(built.schemaDir, 'visibility', 'versioned', 'v1.0', 'manifest.json'), 'utf8'),
  ).toContain('visibility');
  expect(readFileSync(join(dir, 'go-args'), 'utf8').trim().split('\n')).toEqual([
    `install go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION} go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
    `mod download -json go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`,
  ]);

  // The second time nothing is built or downloaded: the cache has it all.
  const again = await provisionTemporalServer({ env: withGo });
  expect(again).toEqual({ ...built, origin: 'cache' });
  expect(readFileSync(join(dir, 'go-args'), 'utf8').trim().split('\n')).toHaveLength(2);
  expect(existsSync(`${cache}.build-${process.pid}`)).toBe(false);
});
