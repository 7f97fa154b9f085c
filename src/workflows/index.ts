export { webhookDelivery } from './webhookDelivery';
export { providerAction } from './providerAction';
