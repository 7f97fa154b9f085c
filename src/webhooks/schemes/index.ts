import type { SourceConfig } from '../../config/schema';
import type { WebhookVerifier } from '../types';
import { verifyStandardWebhook } from './standardWebhooks';

/** The verifier for each `scheme` a source can declare. */
export const VERIFIERS: Record<SourceConfig['scheme'], WebhookVerifier> = {
  'standard-webhooks': verifyStandardWebhook,
};
