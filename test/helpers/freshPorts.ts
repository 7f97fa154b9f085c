import { freePort } from '../../src/temporal/runtime';

/** The three ports a `junction dev` of a test's own listens on. */
export interface DevPorts {
  api: number;
  temporal: number;
  ui: number;
}

/**
 * Runs `start` on three fresh ports, and again on new ones (up to `attempts` in all) when it fails because
 * one of them was taken between `freePort` and the server binding it ("address already in use"): tests that
 * run beside each other pick ports this way, and CI saw it happen. Any other failure is thrown at once.
 */
export async function onFreshPorts<T>(start: (ports: DevPorts) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
    try {
      return await start(ports);
    } catch (error) {
      if (attempt >= attempts || !String(error).includes('address already in use')) throw error;
    }
  }
}
