import pino from 'pino';
import { PinoTemporalLogger } from '../../src/logging/temporalLogger';

function capture() {
  type Line = { level: number; msg: string; err?: { message: string } };
  const lines: Line[] = [];
  const logger = pino(
    { level: 'trace' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
  );
  return { lines, sdk: new PinoTemporalLogger(logger) };
}

test('the SDK notes on activity-only workers go to debug; everything else keeps its level', () => {
  const { lines, sdk } = capture();
  sdk.warn('No workflows registered, not polling for workflow tasks', { sdkComponent: 'worker' });
  sdk.info('No Nexus services registered, not polling for Nexus tasks', { sdkComponent: 'worker' });
  sdk.warn('Activity heartbeat timed out', { sdkComponent: 'worker' });
  sdk.error('Worker failed', { error: new Error('boom') });
  expect(lines.map((line) => [line.msg, line.level])).toEqual([
    ['No workflows registered, not polling for workflow tasks', 20],
    ['No Nexus services registered, not polling for Nexus tasks', 20],
    ['Activity heartbeat timed out', 40],
    ['Worker failed', 50],
  ]);
  expect(lines[3]?.err?.message).toBe('boom');
});
