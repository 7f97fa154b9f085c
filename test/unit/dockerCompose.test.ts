import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load';
import { newStandardSecret } from '../helpers/sign';

const root = join(__dirname, '..', '..');
interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const services = compose.services;

test('the scale-out shape: PostgreSQL, schema setup, Temporal, its UI, Junction server and worker', () => {
  expect(Object.keys(services).sort()).toEqual(
    [
      'junction-server',
      'junction-setup',
      'junction-worker',
      'postgresql',
      'temporal',
      'temporal-admin-tools',
      'temporal-ui',
    ].sort(),
  );
  expect(services.postgresql?.image).toMatch(/^postgres:\d+/);
  expect(services['temporal-admin-tools']?.image).toMatch(/^temporalio\/admin-tools:\d/);
  expect(services.temporal?.image).toMatch(/^temporalio\/server:\d/);
  expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:\d/);
  expect(services['junction-server']?.build).toBeDefined();
  expect(services['junction-worker']?.build).toBeDefined();
  expect(services['junction-server']?.command).toEqual(['server']);
  expect(services['junction-worker']?.command).toEqual(['worker']);
  expect(services['junction-setup']?.command).toEqual(['temporal', 'setup', '--create-namespace']);
});

test('ports: Temporal gRPC, UI and the Junction API are published', () => {
  expect(services.temporal?.ports).toContain('7233:7233');
  expect(services['temporal-ui']?.ports).toContain('8080:8080');
  expect(services['junction-server']?.ports).toContain('3000:3000');
});

test('Temporal waits for its schema; Junction waits for Temporal', () => {
  expect(services.temporal?.depends_on).toMatchObject({
    'temporal-admin-tools': { condition: 'service_completed_successfully' },
  });
  for (const name of ['junction-server', 'junction-worker']) {
    expect(services[name]?.depends_on).toMatchObject({
      temporal: { condition: 'service_healthy' },
      'junction-setup': { condition: 'service_completed_successfully' },
    });
  }
});

test("Junction's environment and mounted config satisfy the config schema", () => {
  for (const name of ['junction-server', 'junction-worker']) {
    const service = services[name]!;
    const env = service.environment ?? {};
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.JUNCTION_CONFIG).toBe('/etc/junction/junction.config.yaml');
    const mount = service.volumes?.find((volume) => volume.includes(':/etc/junction/junction.config.yaml'));
    expect(mount).toBeDefined();
    const hostFile = join(root, mount!.split(':')[0]!);
    // Every ${VAR} the mounted file needs must come through the service's environment: compose fills
    // `${X:?…}` from the operator's .env (a generated secret here) and `${X:-fallback}` with the fallback.
    const resolved = Object.fromEntries(
      Object.entries(env).map(([key, value]) => {
        if (/^\$\{[A-Z_]+:\?.*\}$/.test(value)) return [key, newStandardSecret()];
        return [key, value.replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1')];
      }),
    );
    const { config } = loadConfig({ ...resolved, JUNCTION_CONFIG: hostFile });
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.temporal.taskQueue).toBe('junction');
  }
  expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(services.temporal?.environment?.DB).toBe('postgres12');
});
