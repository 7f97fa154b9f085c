import type { SourceConfig } from '../../config/schema';
import type { WebhookVerifier } from '../types';
import { verifyGithubWebhook } from './github';
import { verifySendgridWebhook } from './sendgrid';
import { verifyShopifyWebhook } from './shopify';
import { verifySlackWebhook } from './slack';
import { verifyStandardWebhook } from './standardWebhooks';
import { verifyStripeWebhook } from './stripe';
import { verifyTwilioWebhook } from './twilio';

/** The verifier for each `scheme` a source can declare. */
export const VERIFIERS: Record<SourceConfig['scheme'], WebhookVerifier> = {
  stripe: verifyStripeWebhook,
  github: verifyGithubWebhook,
  slack: verifySlackWebhook,
  shopify: verifyShopifyWebhook,
  twilio: verifyTwilioWebhook,
  sendgrid: verifySendgridWebhook,
  'standard-webhooks': verifyStandardWebhook,
};
