export { webhookDelivery } from './webhookDelivery';
export { connection } from './connection';
export { oauthAuthorization } from './oauthAuthorization';
export { providerAction } from './providerAction';
export { webhookSequencer } from './webhookSequencer';
export { sync } from './sync';
