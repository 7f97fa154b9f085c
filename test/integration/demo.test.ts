import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { onFreshPorts } from '../helpers/freshPorts';
import { eventually } from '../helpers/temporal';

jest.setTimeout(180_000);

test('`junction dev --demo` runs a fake provider with a connection, and its actions work (twice: restart-safe)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-demo-'));
  for (let run = 0; run < 2; run++) {
    // The same data directory both times; the ports are fresh each time.
    const { dev, banner, apiPort } = await onFreshPorts(async (ports) => {
      writeFileSync(
        join(dir, 'junction.config.yaml'),
        stringify({ dev: { port: ports.temporal, uiPort: ports.ui } }),
      );
      const env = {
        PORT: String(ports.api),
        JUNCTION_DATA_DIR: join(dir, 'data'),
        TEMPORAL_CLI_PATH: process.env.JUNCTION_TEST_TEMPORAL_CLI,
        TEMPORAL_ADDRESS: '',
        JUNCTION_CODEC_KEYS: '',
      };
      const dev = spawnCli(['dev', '--demo'], env, dir);
      return { dev, banner: await waitForOutput(dev, /Try: /), apiPort: ports.api };
    });
    const adminKey = /Admin key:\s+(\S+)/.exec(banner)?.[1];
    const fakeUrl = /Fake provider:\s+(\S+)/.exec(banner)?.[1];
    expect(adminKey).toBeDefined();
    const action = (name: string, input: unknown, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${apiPort}/actions/demo/${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ connectionId: 'demo', input }),
      });
    const got = await action('getItem', { id: 7 });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({
      status: 'completed',
      result: { body: { id: 7, name: 'item 7' } },
    });
    const created = await action(
      'createItem',
      { name: 'from the demo' },
      { 'idempotency-key': `demo-${run}` },
    );
    expect(await created.json()).toMatchObject({ status: 'completed', result: { status: 201 } });
    // The fake provider's misbehaviour switch works from outside too.
    const control = await fetch(`${fakeUrl}/_control`, {
      method: 'POST',
      body: '{"failNext":{"count":1,"status":404}}',
    });
    expect(control.status).toBe(200);
    expect((await action('getItem', { id: 1 })).status).toBe(502);
    // The CRM's contacts sync (enabled by default) fills the embedded store; after a restart it is still there.
    const records = await eventually(
      async () => {
        const answer = await fetch(`http://127.0.0.1:${apiPort}/records/demo-crm/contacts?limit=1000`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        const body = (await answer.json()) as { records?: Array<{ id: string }> };
        return answer.status === 200 && (body.records?.length ?? 0) >= 250 ? body.records : undefined;
      },
      { timeoutMs: 60_000, what: 'the demo CRM contacts in the store' },
    );
    expect(new Set(records.map((record) => record.id)).size).toBeGreaterThanOrEqual(250);
    dev.kill('SIGTERM');
    expect(await exited(dev)).toBe(0);
  }
});
