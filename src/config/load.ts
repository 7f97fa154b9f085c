import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { parseCodecKeyList } from '../codec/aesGcm';
import { ConfigError } from '../shared/errors';
import { interpolateEnv } from './interpolate';
import { formatPath } from './path';
import { codecSchema } from './access';
import { configSchema, type JunctionConfig } from './schema';
import { signingSecrets } from './primitives';
import { withSigningSecrets } from './signingDefaults';

export const DEFAULT_CONFIG_FILE = 'junction.config.yaml';

export interface LoadedConfig {
  config: JunctionConfig;
  /** The file read, or undefined when none exists and the defaults apply. */
  file: string | undefined;
}

/** Turns zod issues into one message per problem, each naming the key it is about. */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`).join('\n');
      }
      return `${formatPath(issue.path)}: ${issue.message}`;
    })
    .join('\n');
}

/** Validates an already-parsed config object (after interpolation) and applies the environment overrides. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): JunctionConfig {
  const interpolated = interpolateEnv(raw ?? {}, env);
  const result = configSchema.safeParse(interpolated);
  if (!result.success) {
    throw new ConfigError(`invalid configuration:\n${formatConfigIssues(result.error.issues)}`);
  }
  const config = result.data;
  if (env.PORT !== undefined && env.PORT !== '') {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new ConfigError(`PORT: must be an integer between 0 and 65535, got "${env.PORT}"`);
    }
    config.server.port = port;
  }
  if (env.HOST) config.server.host = env.HOST;
  if (env.JUNCTION_DATA_DIR) config.dev.dataDir = env.JUNCTION_DATA_DIR;
  if (env.JUNCTION_TASK_QUEUE) config.temporal.taskQueue = env.JUNCTION_TASK_QUEUE;
  if (env.TEMPORAL_NAMESPACE) config.temporal.namespace = env.TEMPORAL_NAMESPACE;
  if (env.JUNCTION_OPTIMIZE_FOR_SIZE !== undefined && env.JUNCTION_OPTIMIZE_FOR_SIZE !== '') {
    const flag = new Map([
      ['true', true],
      ['1', true],
      ['false', false],
      ['0', false],
    ]).get(env.JUNCTION_OPTIMIZE_FOR_SIZE);
    if (flag === undefined)
      throw new ConfigError(
        `JUNCTION_OPTIMIZE_FOR_SIZE: must be true, false, 1 or 0, got "${env.JUNCTION_OPTIMIZE_FOR_SIZE}"`,
      );
    config.temporal.optimizeForSize = flag;
  }
  if (env.JUNCTION_CODEC_KEYS) {
    const codec = codecSchema.safeParse({
      ...config.codec,
      keys: parseCodecKeyList(env.JUNCTION_CODEC_KEYS),
      currentKeyId: undefined,
    });
    if (!codec.success) {
      throw new ConfigError(
        `JUNCTION_CODEC_KEYS: ${codec.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`,
      );
    }
    config.codec = codec.data;
  }
  if (env.JUNCTION_LOG_LEVEL) {
    const level = configSchema.shape.log.unwrap().shape.level.safeParse(env.JUNCTION_LOG_LEVEL);
    if (!level.success)
      throw new ConfigError(`JUNCTION_LOG_LEVEL: ${level.error.issues[0]?.message ?? 'invalid'}`);
    config.log.level = level.data;
  }
  if (env.JUNCTION_DELIVERY_SIGNING_SECRETS) {
    const list = env.JUNCTION_DELIVERY_SIGNING_SECRETS.split(/[\s,]+/).filter(Boolean);
    const secrets = signingSecrets.safeParse(list);
    if (!secrets.success) {
      // The message names the entry, never its value.
      const issue = secrets.error.issues[0];
      throw new ConfigError(
        `JUNCTION_DELIVERY_SIGNING_SECRETS${issue?.path.length ? `[${String(issue.path[0])}]` : ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
    config.delivery.signingSecrets = secrets.data;
  }
  return withSigningSecrets(config);
}

/** Paths in the file (transform modules, JSON schema files) are relative to the file's own folder. */
function resolveConfigPaths(config: JunctionConfig, dir: string): JunctionConfig {
  for (const source of config.sources) {
    for (const route of source.routes) if (route.transform) route.transform = resolve(dir, route.transform);
    for (const [pattern, ref] of Object.entries(source.schemas ?? {})) {
      if (typeof ref === 'string' && source.schemas) source.schemas[pattern] = resolve(dir, ref);
    }
  }
  return config;
}

/**
 * Reads the YAML file named by `JUNCTION_CONFIG` (default `junction.config.yaml`). A file named explicitly
 * must exist; without one, Junction runs on its defaults (no webhook sources).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadedConfig {
  const explicit = env.JUNCTION_CONFIG || undefined;
  const file = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (explicit) {
      throw new ConfigError(`JUNCTION_CONFIG: file not found: ${file}`, { code: 'config_not_found' });
    }
    return { config: parseConfig({}, env), file: undefined };
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message : String(error);
    throw new ConfigError(`${file}: not valid YAML: ${detail}`, { cause: error });
  }
  try {
    return { config: resolveConfigPaths(parseConfig(raw, env), dirname(file)), file };
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${file}: ${error.message}`, { cause: error });
    throw error;
  }
}
