import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createPayloadCodec } from '../../src/codec';
import { loadConfig } from '../../src/config/load';
import { unsignedTargets } from '../../src/config/signingDefaults';
import { withDeliverySigning } from '../../src/app/run';
import { TEMPORAL_SERVER_VERSION } from '../../src/temporal/serverProvision';
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
      'prometheus',
      'grafana',
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

test('one Temporal release everywhere: the images are the version `junction temporal cluster` builds', () => {
  expect(TEMPORAL_SERVER_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  expect(services.temporal?.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
  expect(services['temporal-admin-tools']?.image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
  // Every Temporal server or admin-tools image in the repository's compose and deploy files names it too.
  const files = [join(root, 'docker-compose.yml'), ...deployFiles(join(root, 'deploy'))];
  for (const file of files) {
    for (const [, image, tag] of readFileSync(file, 'utf8').matchAll(
      /temporalio\/(server|admin-tools|auto-setup):([\w.-]+)/g,
    )) {
      expect(`${file}: ${image}:${tag}`).toBe(`${file}: ${image}:${TEMPORAL_SERVER_VERSION}`);
    }
  }
});

function deployFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? deployFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

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

/** What an operator's .env holds for each required variable (generated here, as the README says). */
const operatorEnv: Record<string, () => string> = {
  JUNCTION_CODEC_KEYS: () => `k1:${randomBytes(32).toString('base64')}`,
  JUNCTION_STATE_SECRET: () => randomBytes(32).toString('hex'),
};

/** The service's environment as compose resolves it from `.env`: `${X:?…}` required, `${X:-fallback}`. */
function resolveEnvironment(env: Record<string, string>, dotEnv: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => {
      const required = /^\$\{([A-Z_]+):\?.*\}$/.exec(value);
      if (required) {
        const name = required[1]!;
        dotEnv[name] ??= (operatorEnv[name] ?? newStandardSecret)();
        return [key, dotEnv[name]];
      }
      return [key, value.replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1')];
    }),
  );
}

/** Variables compose refuses to start without (`${X:?message}`). */
const requiredIn = (env: Record<string, string>) =>
  Object.entries(env)
    .filter(([, value]) => /^\$\{[A-Z_]+:\?.+\}$/.test(value))
    .map(([key]) => key);

test("Junction's environment and mounted config satisfy the config schema", () => {
  const dotEnv: Record<string, string> = {};
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
    const resolved = resolveEnvironment(env, dotEnv);
    const { config } = loadConfig({ ...resolved, JUNCTION_CONFIG: hostFile });
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.temporal.taskQueue).toBe('junction');
    // A worker starts only when every delivery to the application is signed.
    expect(unsignedTargets(config)).toEqual([]);
    expect(() => withDeliverySigning(config, { devServer: false, worker: true })).not.toThrow();
  }
  expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(services.temporal?.environment?.DB).toBe('postgres12');
});

test('server and worker get the codec keys, admin key, operator token and state secret from .env', () => {
  const dotEnv: Record<string, string> = {};
  const codecs = [];
  for (const name of ['junction-server', 'junction-worker']) {
    const service = services[name]!;
    const env = service.environment ?? {};
    // Required from .env: compose stops with the message instead of starting a Junction without them.
    expect(requiredIn(env)).toEqual(
      expect.arrayContaining([
        'JUNCTION_CODEC_KEYS',
        'JUNCTION_ADMIN_KEY',
        'JUNCTION_OPERATOR_TOKEN',
        'JUNCTION_STATE_SECRET',
        'JUNCTION_DELIVERY_SIGNING_SECRETS',
      ]),
    );
    const hostFile = join(root, 'deploy', 'junction.config.yaml');
    const resolved = resolveEnvironment(env, dotEnv);
    const { config } = loadConfig({ ...resolved, JUNCTION_CONFIG: hostFile });
    expect(config.codec.keys.map((k) => k.id)).toEqual(['k1']);
    expect(config.admin.apiKeys).toEqual([dotEnv.JUNCTION_ADMIN_KEY]);
    expect(config.codec.operatorTokens).toEqual([dotEnv.JUNCTION_OPERATOR_TOKEN]);
    expect(config.connections.stateSecret).toBe(dotEnv.JUNCTION_STATE_SECRET);
    expect(config.connections.publicUrl).toBe('http://localhost:3000');
    expect(config.connections.returnToAllowlist).toHaveLength(1);
    // host.docker.internal is a private address: the example allowlists Docker's ranges explicitly.
    expect(config.network.allowPrivate).toEqual(expect.arrayContaining(['172.16.0.0/12']));
    expect(config.codec.uiOrigin).toBe('http://localhost:8080');
    // What `junction server` and `junction worker` do at start: build the codec, never generating a key.
    codecs.push(createPayloadCodec(config));
    // Without the keys they would refuse to start.
    const { config: keyless } = loadConfig({
      ...resolved,
      JUNCTION_CODEC_KEYS: '',
      JUNCTION_DATA_DIR: join(root, 'no-such-dir'),
      JUNCTION_CONFIG: hostFile,
    });
    expect(() => createPayloadCodec(keyless)).toThrow(/codec\.keys/);
  }
  // One set of keys for the whole fleet: what a server encrypts, a worker decrypts.
  expect(codecs.map((codec) => codec.currentKeyId)).toEqual(['k1', 'k1']);
});

test('the Temporal UI decodes through the server, with the session cookie, from the allowed origin', () => {
  const ui = services['temporal-ui']?.environment ?? {};
  expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe('${JUNCTION_PUBLIC_URL:-http://localhost:3000}/codec');
  expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
  const server = services['junction-server']!;
  expect(server.ports).toContain('3000:3000');
  expect(server.environment?.JUNCTION_PUBLIC_URL).toBe('${JUNCTION_PUBLIC_URL:-http://localhost:3000}');
  // The origin the server allows is where the UI is published.
  expect(server.environment?.JUNCTION_UI_ORIGIN).toBe('${JUNCTION_UI_ORIGIN:-http://localhost:8080}');
  expect(services['temporal-ui']?.ports).toContain('8080:8080');
});

test('monitoring: Prometheus mounts the rules and scrape config, Grafana the provisioning and dashboard', () => {
  const mounted = (service: string) =>
    (services[service]?.volumes ?? [])
      .map((volume) => volume.split(':')[0] as string)
      .filter((source) => source.startsWith('./'));
  const prometheus = mounted('prometheus');
  expect(prometheus).toEqual(['./deploy/prometheus/prometheus.yml', './deploy/prometheus/alerts.yml']);
  expect(services.prometheus?.volumes).toContain(
    './deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
  );
  const grafana = mounted('grafana');
  expect(grafana).toEqual(['./deploy/grafana/provisioning', './deploy/grafana/dashboards']);
  for (const source of [...prometheus, ...grafana]) expect(existsSync(join(root, source))).toBe(true);
  // The scrape config reads the rules where compose mounts them, and scrapes server and workers.
  const scrape = parse(readFileSync(join(root, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    scrape_configs: Array<{ job_name: string }>;
  };
  expect(scrape.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  expect(scrape.scrape_configs.map((job) => job.job_name)).toEqual(['junction-server', 'junction-worker']);
  // Grafana's data source uid is the one every dashboard panel names.
  const datasource = parse(
    readFileSync(join(root, 'deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
  ) as { datasources: Array<{ uid: string; url: string }> };
  expect(datasource.datasources[0]).toMatchObject({
    uid: 'junction-prometheus',
    url: 'http://prometheus:9090',
  });
  const dashboard = JSON.parse(
    readFileSync(join(root, 'deploy', 'grafana', 'dashboards', 'junction.json'), 'utf8'),
  ) as { panels: Array<{ type: string; datasource?: { uid: string } }> };
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
  expect(panels.length).toBeGreaterThan(10);
  for (const panel of panels) expect(panel.datasource?.uid).toBe('junction-prometheus');
});
