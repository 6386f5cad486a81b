// @bdk/auth: bearer-token (JWT) authentication and per-RPC permissions for BDK's public gRPC services, and
// the local stack's signing key for development.
export { AuthenticationError, type AuthenticationFailure } from './authentication-error.js';
export { authConfigVariable, parseAuthConfig, readAuthConfig, type AuthConfig, type IssuerConfig } from './config.js';
export { authInterceptor, type AuthInterceptorOptions, type MethodPermissions } from './interceptor.js';
export type { JwksUrlOptions } from './jwks-url-key-set.js';
export {
  readLocalSigningKey,
  writeLocalSigningKey,
  type LocalSigningKeyFile,
  type LocalSigningKeyFiles,
} from './local-signing-key.js';
export { isPermission, organizationPermissions, permissions, platformAdminPermissions, type Permission } from './permissions.js';
export { callerOrganization, describePrincipal, principalKey, principalOf, type Principal } from './principal.js';
export { generateSigningKey, issueToken, type IssueTokenOptions, type LocalSigningKey } from './signing-keys.js';
export { localAuthDir, parseTokenArguments, runTokenCommand, tokenPermissions, type TokenCommandIo, type TokenRequest } from './token-command.js';
export { acceptedAlgorithms, createTokenVerifier, type TokenVerifier, type TokenVerifierOptions } from './verifier.js';
