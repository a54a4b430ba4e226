/**
 * pagekeeper as a library: Facebook Page access tokens that never expire, stored encrypted,
 * checked and handed to every Page call.
 * https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/
 */
export {
  createPageKeeper,
  createPageKeeperFromContext,
  DEFAULT_EXPIRING_WINDOW_MS,
  type PageKeeper,
  type PageKeeperOptions,
  type PageHandle,
  type PageSummary,
} from './pagekeeper.js';
export type { ConnectResult, ConnectedPage, ConnectOptions } from './tokens/connect.js';
export type { SweepResult, SweptPage, SweepOptions, SweepProgress } from './health/sweep.js';
export { startHealthScheduler, type HealthScheduler, type HealthSchedulerOptions, type HealthRound } from './health/start-health-scheduler.js';
export type { DeauthorizeResult } from './health/handle-deauthorize.js';
export type { HealthEvent, Notifier, AlertEventType } from './notify/types.js';
export { createWebhookNotifier, type WebhookNotifierOptions } from './notify/webhook-notifier.js';
export { createLogNotifier } from './notify/log-notifier.js';
export { notifiersFromConfig } from './notify/notifiers-from-config.js';
export { signBody, verifyBodySignature, SIGNATURE_HEADER } from './notify/sign-body.js';
export type { PageKeeperContext, ResolvedConfig } from './context.js';
export type { Logger } from './core/logger.js';
export type { Clock } from './core/clock.js';
export type { PageTokenCache, CachedPageToken } from './tokens/page-token-cache.js';
export type { TokenInspection, TokenInvalidReason, TokenType, GranularScope, PageStatus } from './core/types.js';
export { buildLoginUrl, DEFAULT_LOGIN_SCOPES, type LoginUrlOptions } from './tokens/build-login-url.js';
export { createState } from './tokens/create-state.js';
export { verifyState } from './tokens/verify-state.js';
export { REQUIRED_SCOPES } from './tokens/check-connect-token.js';
export { PageKeeperError, pkError, isPageKeeperError, ERRORS, type ErrorCode } from './errors.js';
export { GraphError, isGraphError, type GraphErrorKind, type GraphDelivery } from './graph/graph-error.js';
export type { UsageSnapshot } from './graph/usage.js';
