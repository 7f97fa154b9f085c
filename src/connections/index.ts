export {
  createCredentialCache,
  type AuthHeaders,
  type CredentialCache,
  type CredentialCacheOptions,
} from './credentialCache';
export { headerShape, refreshTiming } from './input';
