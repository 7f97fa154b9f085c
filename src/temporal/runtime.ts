import { createServer } from 'node:net';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Logger } from '../logging/logger';
import { PinoTemporalLogger } from '../logging/temporalLogger';

let installed: { metricsUrl: string | undefined } | undefined;

/** A free loopback port, for the SDK's Prometheus exporter (read back into Junction's own `/metrics`). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
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
