import { createServer } from 'node:net';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Logger } from '../logging/logger';
import { PinoTemporalLogger } from '../logging/temporalLogger';

let installed: { metricsUrl: string | undefined } | undefined;

function bindable(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/**
 * A free loopback port for something that binds it a moment later (the SDK's Prometheus exporter, a dev
 * server). Taken below Linux's ephemeral range (32768 and up), where the outgoing connections of every other
 * process on the machine take theirs, so the port is not handed to someone else in between.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await bindable(host, 20_000 + Math.floor(Math.random() * 12_000));
    if (port !== undefined) return port;
  }
  const port = await bindable(host, 0);
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return port;
}

/**
 * Installs the Temporal SDK runtime once per process: SDK and Core logs go to Junction's logger, worker
 * metrics to a loopback Prometheus endpoint. Later calls return the first installation.
 */
export async function installRuntime(logger: Logger, options: { metrics?: boolean } = {}) {
  if (installed) return installed;
  const metricsPort = options.metrics === false ? undefined : await freePort();
  Runtime.install({
    logger: new PinoTemporalLogger(logger.child({ component: 'temporal-sdk' })),
    // Junction drains the worker itself on SIGINT/SIGTERM, in order with the HTTP server and dev server.
    shutdownSignals: [],
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      metrics: metricsPort ? { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } : undefined,
    },
  });
  installed = { metricsUrl: metricsPort ? `http://127.0.0.1:${metricsPort}/metrics` : undefined };
  return installed;
}
