import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

/**
 * One HTTP exchange with a throwaway server on loopback, inside this process, so that the first call to a
 * provider does not pay for loading and compiling the HTTP client's parser (tens of milliseconds, more on a
 * busy machine) between its turn and its arrival. Nothing leaves the process.
 */
export async function warmUpHttpClient(): Promise<void> {
  const server = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new Agent();
  try {
    const { port } = server.address() as AddressInfo;
    const response = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent });
    await response.body.text();
  } finally {
    await agent.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
