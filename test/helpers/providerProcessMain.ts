// A fake provider as a process of its own (see providerProcess.ts): its event loop does nothing but answer
// and record arrivals, so the times it records are not held up by the test's or benchmark's own work.
import { startFakeProvider } from '../../src/demo/fakeProvider';

const options = JSON.parse(process.argv[2] ?? '{}') as { itemCount?: number; apiKey?: string };

async function main() {
  const { apiKey } = options;
  const fake = await startFakeProvider({
    itemCount: options.itemCount,
    acceptToken: apiKey ? (token) => token === apiKey : undefined,
  });
  process.on('message', (message: { type: 'arrivals' | 'reset' | 'stop' }) => {
    if (message.type === 'arrivals') {
      const arrivals = fake.requests.map((request) => ({ path: request.path, at: request.at }));
      process.send?.({ type: 'arrivals', arrivals });
    } else if (message.type === 'reset') {
      fake.requests.length = 0;
      process.send?.({ type: 'reset' });
    } else {
      void fake.close().then(() => process.exit(0));
    }
  });
  process.send?.({ type: 'ready', url: fake.url });
}

void main();
