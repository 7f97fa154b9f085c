import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { urlHost } from '../config/address';
import { loadConfig } from '../config/load';
import type { JunctionConfig, SourceConfig } from '../config/schema';
import { RequestError, WebhookVerificationError } from '../shared/errors';
import { SCHEMES } from '../webhooks/schemes';
import { connectJunction } from './connect';
import { formatDelivery } from './deliveryShow';

function findSource(config: JunctionConfig, id: string): SourceConfig {
  const source = config.sources.find((s) => s.id === id);
  if (!source) {
    const known = config.sources.map((s) => s.id).join(', ') || 'none';
    throw new WebhookVerificationError(
      'unknown_source',
      `no webhook source "${id}" in the configuration (configured: ${known})`,
    );
  }
  return source;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new RequestError('bad_request', `cannot read ${what} ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** `junction webhooks show <workflowId>`: the delivery's status query, its delivery log included. */
function registerShowCommand(webhooks: Command): void {
  webhooks
    .command('show <workflowId>')
    .description('a delivery: its state, its targets and its latest attempts (status, duration, error)')
    .option('--json', 'print the status query’s answer as JSON')
    .action(async (workflowId: string, options: { json?: boolean }) => {
      const { junction, close } = await connectJunction();
      try {
        const status = await junction.webhooks.deliveryStatus(workflowId);
        process.stdout.write(
          options.json ? `${JSON.stringify(status, null, 2)}\n` : formatDelivery(workflowId, status),
        );
      } finally {
        await close();
      }
    });
}

export function registerWebhookCommands(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .description('send test webhooks, show deliveries and replay finished ones');

  webhooks
    .command('send <source>')
    .description(
      'sign a body with the source’s configured secret, as its provider would, and post it to a running Junction',
    )
    .requiredOption('--file <path>', 'the request body')
    .option(
      '--event <type>',
      'event type (a header for GitHub/Shopify, the JSON "type" for Stripe/Standard Webhooks)',
    )
    .option('--id <deliveryId>', 'delivery id (random by default)')
    .option('--content-type <type>', 'content type of the body', 'application/json')
    .option(
      '--private-key <pem file>',
      'signing key for public-key schemes (SendGrid, Standard Webhooks v1a)',
    )
    .option('--url <base>', 'where Junction listens (default: server.host and server.port from the config)')
    .action(
      async (
        sourceId: string,
        options: {
          file: string;
          event?: string;
          id?: string;
          contentType: string;
          privateKey?: string;
          url?: string;
        },
      ) => {
        const { config } = loadConfig();
        const source = findSource(config, sourceId);
        const signed = SCHEMES[source.scheme].sign(source, {
          body: readText(options.file, 'body file'),
          eventType: options.event,
          deliveryId: options.id,
          contentType: options.contentType,
          privateKeyPem: options.privateKey ? readText(options.privateKey, 'private key') : undefined,
        });
        const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
        const base = (options.url ?? `http://${urlHost(host)}:${config.server.port}`).replace(/\/$/, '');
        let response: Response;
        try {
          response = await fetch(`${base}/webhooks/${encodeURIComponent(sourceId)}${signed.query}`, {
            method: 'POST',
            headers: signed.headers,
            body: signed.body,
          });
        } catch (error) {
          throw new RequestError(
            'bad_request',
            `cannot reach Junction at ${base}: ${(error as Error).message}`,
            { cause: error },
          );
        }
        const text = await response.text();
        process.stdout.write(`${response.status} ${text}\n`);
        if (!response.ok) process.exitCode = 1;
      },
    );

  registerShowCommand(webhooks);

  webhooks
    .command('replay <workflowId>')
    .description('re-run a finished delivery as a new one, routed by the current configuration')
    .action(async (workflowId: string) => {
      const { junction, close } = await connectJunction();
      try {
        const outcome = await junction.webhooks.replay(workflowId);
        process.stdout.write(`replay started: ${outcome.workflowId}\n`);
      } finally {
        await close();
      }
    });
}
