import { github } from './github';
import { sendgrid } from './sendgrid';
import { shopify } from './shopify';
import { slack } from './slack';
import { standardWebhooks } from './standardWebhooks';
import { stripe } from './stripe';
import { twilio } from './twilio';
import type { WebhookScheme } from './scheme';

/** Every scheme a source can declare, by its `scheme` id. Adding one is its module and a line here. */
export const SCHEMES = {
  stripe,
  github,
  slack,
  shopify,
  twilio,
  sendgrid,
  'standard-webhooks': standardWebhooks,
} as const satisfies Record<string, WebhookScheme>;

export type SchemeId = keyof typeof SCHEMES;

/** The scheme ids, for the config schema's enum. */
export const SCHEME_IDS = Object.keys(SCHEMES) as [SchemeId, ...SchemeId[]];
