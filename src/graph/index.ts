export { createGraphClient, toBatchItemResult, BATCH_LIMIT, DEFAULT_GRAPH_VERSION } from './create-graph-client.js';
export type { GraphClient, GraphClientOptions, PaginateOptions, BatchOptions } from './create-graph-client.js';
export type { BatchItem, BatchItemResult, CallOptions, GraphLogger, GraphMethod, GraphRequest, GraphResponse, Params } from './types.js';
export {
  GraphError,
  isGraphError,
  classifyGraphError,
  classifyNetworkError,
  graphErrorKind,
  tokenReasonFromSubcode,
  DEFAULT_RETRY_AFTER_MS,
} from './graph-error.js';
export type { GraphErrorKind, GraphDelivery, GraphPkCode, GraphErrorFacts, GraphAnswer } from './graph-error.js';
export { parseUsageHeaders, mergeUsage, regainAccessMs, emptyUsage } from './usage.js';
export type { UsageSnapshot, AppUsage, BusinessUseCaseUsage } from './usage.js';
export { redactUrl, redactText, redactBody } from './redact.js';
export { appsecretProof } from './appsecret-proof.js';
export { buildRequest } from './build-request.js';
export type { BuiltRequest } from './build-request.js';
export { processResponse } from './process-response.js';
export { decideRetry } from './decide-retry.js';
export type { RetryPolicy, RetryDecision } from './decide-retry.js';
export { toTokenInspection } from './to-token-inspection.js';
export * from './schemas.js';
