export { webhookDelivery } from './webhookDelivery';
export { webhookSequencer } from './webhookSequencer';
