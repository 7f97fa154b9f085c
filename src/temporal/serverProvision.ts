import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TemporalError } from '../shared/errors';
import { cacheDir, findGo, isExecutable, runGoInstall } from './provision';

/** The Temporal server release the cluster runs; docker-compose.yml names the same one (a test checks). */
export const TEMPORAL_SERVER_VERSION = '1.32.0';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** The schema directory (inside the module) for PostgreSQL 12 and later. */
const POSTGRES_SCHEMA = join('schema', 'postgresql', 'v12');

/** What a Temporal cluster on PostgreSQL is started from. */
export interface TemporalServerKit {
  /** `go.temporal.io/server/cmd/server`. */
  server: string;
  /** `temporal-sql-tool` (`go.temporal.io/server/cmd/tools/sql`). */
  sqlTool: string;
  /** Holds `temporal/versioned` and `visibility/versioned` for PostgreSQL 12+. */
  schemaDir: string;
  origin: 'environment' | 'cache' | 'go install';
}

export interface ServerProvisionOptions {
  env?: NodeJS.ProcessEnv;
  onProgress?: (line: string) => void;
  /** Whether building with Go may be attempted; tests of the search order turn it off. */
  allowGoInstall?: boolean;
}

/** Where the `go install` build of the pinned server (and its SQL tool and schema) is kept between runs. */
export function cachedServerDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();
const hasSchema = (dir: string) =>
  isDirectory(join(dir, 'temporal', 'versioned')) && isDirectory(join(dir, 'visibility', 'versioned'));

function explicitPath(env: NodeJS.ProcessEnv, name: string, check: (path: string) => boolean, what: string) {
  const value = env[name];
  if (value && !check(value)) {
    throw new TemporalError(
      'temporal_server_unavailable',
      `${name} is set to ${value}, which is not ${what}`,
    );
  }
  return value || undefined;
}

/**
 * The PostgreSQL schema files of the pinned release: copied once from the Go module cache
 * (`go mod download -json` prints where the module is) into the server's cache directory.
 */
async function provideSchema(go: string | undefined, target: string, env: NodeJS.ProcessEnv) {
  if (hasSchema(target)) return target;
  if (!go) return undefined;
  const { stdout } = await promisify(execFile)(
    go,
    ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`],
    { env: { ...env, GOFLAGS: '-mod=mod' }, maxBuffer: 4 * 1024 * 1024 },
  );
  const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!moduleDir || !hasSchema(join(moduleDir, POSTGRES_SCHEMA))) return undefined;
  const staging = `${target}.copy-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(join(moduleDir, POSTGRES_SCHEMA), staging, { recursive: true });
  mkdirSync(join(target, '..'), { recursive: true });
  renameSync(staging, target);
  return target;
}

async function buildBinaries(
  go: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  onProgress: (l: string) => void,
) {
  const staging = `${dir}.build-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  onProgress(
    `building the Temporal server ${TEMPORAL_SERVER_VERSION} and temporal-sql-tool with \`go install\` into ${dir} (first run only; this takes several minutes)`,
  );
  try {
    const packages = ['cmd/server', 'cmd/tools/sql'].map(
      (path) => `${TEMPORAL_SERVER_MODULE}/${path}@v${TEMPORAL_SERVER_VERSION}`,
    );
    await runGoInstall(go, staging, env, onProgress, packages, 'the Temporal server');
    mkdirSync(dir, { recursive: true });
    for (const name of ['server', 'sql']) {
      if (!existsSync(join(staging, name))) throw new Error(`go install finished without ${name}`);
      renameSync(join(staging, name), join(dir, name));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Finds or provides the Temporal server, temporal-sql-tool and the PostgreSQL schema, like the dev CLI:
 * `TEMPORAL_SERVER_PATH` / `TEMPORAL_SQL_TOOL_PATH` / `TEMPORAL_SCHEMA_DIR` for existing ones, then the
 * cached build under the home directory, then a `go install` of the pinned release into that cache.
 */
export async function provisionTemporalServer(
  options: ServerProvisionOptions = {},
): Promise<TemporalServerKit> {
  const env = options.env ?? process.env;
  const onProgress = options.onProgress ?? (() => undefined);
  const dir = cachedServerDir(env);
  const explicitServer = explicitPath(env, 'TEMPORAL_SERVER_PATH', isExecutable, 'an executable file');
  const explicitTool = explicitPath(env, 'TEMPORAL_SQL_TOOL_PATH', isExecutable, 'an executable file');
  const explicitSchema = explicitPath(
    env,
    'TEMPORAL_SCHEMA_DIR',
    hasSchema,
    'a PostgreSQL v12 schema directory',
  );
  let server = explicitServer ?? join(dir, 'server');
  let sqlTool = explicitTool ?? join(dir, 'sql');
  let origin: TemporalServerKit['origin'] = explicitServer ? 'environment' : 'cache';
  const go = options.allowGoInstall === false ? undefined : findGo(env);

  if (!isExecutable(server) || !isExecutable(sqlTool)) {
    if (!go) {
      throw new TemporalError(
        'temporal_server_unavailable',
        `no Temporal server ${TEMPORAL_SERVER_VERSION} at ${dir} and Go is not installed to build one: set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH, or install Go`,
      );
    }
    try {
      await buildBinaries(go, dir, env, onProgress);
    } catch (error) {
      throw new TemporalError(
        'temporal_server_unavailable',
        `building the Temporal server failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    server = explicitServer ?? join(dir, 'server');
    sqlTool = explicitTool ?? join(dir, 'sql');
    origin = 'go install';
    onProgress(`Temporal server ready in ${dir}`);
  }

  const schemaDir =
    explicitSchema ?? (await provideSchema(go, join(dir, 'schema', 'postgresql', 'v12'), env));
  if (!schemaDir) {
    throw new TemporalError(
      'temporal_server_unavailable',
      `no PostgreSQL schema for Temporal ${TEMPORAL_SERVER_VERSION} in ${dir}/schema and Go is not installed to fetch it: set TEMPORAL_SCHEMA_DIR`,
    );
  }
  return { server, sqlTool, schemaDir, origin };
}
