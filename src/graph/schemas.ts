/**
 * Wire shapes of the Graph responses pagekeeper reads, checked at the edge (docs/graph-api.md).
 * Names keep Graph's spelling; processing into camelCase domain types happens in the callers
 * (see to-token-inspection.ts). Objects accept unknown extra fields: Graph adds fields over time.
 * Fields the notes call optional are optional here: the client accepts every variant listed.
 */
import { z } from 'zod';

/** `/oauth/access_token` (code exchange and fb_exchange_token). */
export const accessTokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  /** Seconds; absent for tokens that do not expire. */
  expires_in: z.number().optional(),
});
export type AccessTokenResponse = z.infer<typeof accessTokenResponseSchema>;

/** `GET /me` (with a user or page token). */
/**
 * Graph object ids (users, Pages) are numeric strings. Stored tokens are bound to them
 * (src/store/crypto/aad.ts), which relies on it: anything else is a broken or hostile answer.
 */
export const GraphIdSchema = z.string().regex(/^\d{1,32}$/, 'must be a numeric Graph id');

export const meSchema = z.object({ id: GraphIdSchema, name: z.string().optional() });
export type Me = z.infer<typeof meSchema>;

export const pagingSchema = z.object({
  cursors: z.object({ before: z.string().optional(), after: z.string().optional() }).optional(),
  next: z.string().optional(),
  previous: z.string().optional(),
});
export type Paging = z.infer<typeof pagingSchema>;

/** A cursor-paged list: `{data: [...], paging?: {...}}`. */
export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), paging: pagingSchema.optional() });
}

export const PAGE_TASKS = ['ANALYZE', 'ADVERTISE', 'MESSAGING', 'MODERATE', 'CREATE_CONTENT', 'MANAGE'] as const;

/** One item of `/me/accounts` (default fields). `tasks` is kept as strings: Facebook adds tasks. */
export const pageAccountSchema = z.object({
  access_token: z.string().min(1),
  id: GraphIdSchema,
  name: z.string(),
  category: z.string().optional(),
  category_list: z.array(z.object({ id: z.string(), name: z.string() })).optional(),
  tasks: z.array(z.string()).optional(),
});
export type PageAccount = z.infer<typeof pageAccountSchema>;
export const pageAccountsSchema = listSchema(pageAccountSchema);

/** `GET /{page-id}?fields=access_token`. */
export const pageTokenSchema = z.object({ access_token: z.string().min(1), id: GraphIdSchema });

/** `/me/businesses` items. */
export const businessSchema = z.object({ id: z.string(), name: z.string().optional() });
export const businessesSchema = listSchema(businessSchema);
/** `/{business-id}/owned_pages` and `/client_pages` items (ask for `fields=id,name,access_token`). */
export const businessPageSchema = z.object({ id: GraphIdSchema, name: z.string().optional(), access_token: z.string().optional() });
export const businessPagesSchema = listSchema(businessPageSchema);

const granularScopeSchema = z.object({
  scope: z.string(),
  /** Omitted when the grant is not limited to specific Pages. */
  target_ids: z.array(z.string()).optional(),
});

/** The error inside debug_token data: note `subcode`, not `error_subcode`. */
export const debugTokenErrorSchema = z.object({
  code: z.number(),
  message: z.string(),
  subcode: z.number().optional(),
});

const debugTokenCommon = {
  app_id: z.string().optional(),
  type: z.string().optional(),
  application: z.string().optional(),
  data_access_expires_at: z.number().optional(),
  /** Seconds since epoch; 0 means never. */
  expires_at: z.number().optional(),
  issued_at: z.number().optional(),
  profile_id: z.string().optional(),
  user_id: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  granular_scopes: z.array(granularScopeSchema).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
};

export const debugTokenValidSchema = z.object({
  ...debugTokenCommon,
  is_valid: z.literal(true),
  app_id: z.string(),
  type: z.string(),
});
/** An invalid token still answers HTTP 200, with the reason in `data.error`. */
export const debugTokenInvalidSchema = z.object({
  ...debugTokenCommon,
  is_valid: z.literal(false),
  error: debugTokenErrorSchema.optional(),
});
export const debugTokenDataSchema = z.discriminatedUnion('is_valid', [debugTokenValidSchema, debugTokenInvalidSchema]);
export type DebugTokenData = z.infer<typeof debugTokenDataSchema>;
/** `GET /debug_token?input_token=...` */
export const debugTokenResponseSchema = z.object({ data: debugTokenDataSchema });

/** A top-level Graph error body. Only `message` and `code` are always there. */
export const graphErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().optional(),
    code: z.number(),
    error_subcode: z.number().optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
    fbtrace_id: z.string().optional(),
    is_transient: z.boolean().optional(),
    error_data: z.unknown().optional(),
  }),
});
export type GraphErrorBody = z.infer<typeof graphErrorBodySchema>;

/** One answer in a batch response; `null` when the item did not finish in time. */
export const batchItemResponseSchema = z
  .object({
    code: z.number(),
    headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    /** JSON text, parsed by the batch helper. */
    body: z.string().optional(),
  })
  .nullable();
export const batchResponseSchema = z.array(batchItemResponseSchema);

/** Send API message: `POST /{page-id}/messages`. */
export const sendMessageResponseSchema = z.object({ recipient_id: z.string(), message_id: z.string() });
export type SendMessageResponse = z.infer<typeof sendMessageResponseSchema>;
/** Send API sender action (typing_on, mark_seen): no message id. */
export const senderActionResponseSchema = z.object({ recipient_id: z.string() });

/** `DELETE` and most mutating calls without an object to return. */
export const successSchema = z.object({ success: z.boolean() });
