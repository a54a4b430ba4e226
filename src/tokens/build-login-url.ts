/**
 * The Facebook Login dialog URL for the server-side code flow
 * (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/;
 * graph-api-notes.md "Step 1").
 */

/** What connect needs: list the Pages and message as them. `pages_manage_metadata` subscribes webhooks. */
export const DEFAULT_LOGIN_SCOPES = ['pages_show_list', 'pages_messaging', 'pages_manage_metadata'] as const;

/**
 * Asked for too when PAGEKEEPER_INSTAGRAM=true: Instagram messaging through the Page needs
 * instagram_basic and instagram_manage_messages, and Meta's list adds business_management for
 * accounts owned by a business (https://developers.facebook.com/docs/messenger-platform/instagram/get-started).
 */
export const INSTAGRAM_LOGIN_SCOPES = ['instagram_basic', 'instagram_manage_messages', 'business_management'] as const;

/** The default scopes for this configuration: the Instagram ones only when enabled (review scope stays as it was otherwise). */
export function loginScopesFor(config: { instagram?: boolean }): readonly string[] {
  return config.instagram === true ? [...DEFAULT_LOGIN_SCOPES, ...INSTAGRAM_LOGIN_SCOPES] : DEFAULT_LOGIN_SCOPES;
}

export interface LoginUrlOptions {
  /** e.g. https://www.facebook.com (PAGEKEEPER_DIALOG_URL). */
  dialogUrl: string;
  /** Pinned Graph version, e.g. v25.0. */
  version: string;
  appId: string;
  /** Must be byte-identical when the code is exchanged, or Facebook answers 100/36008. */
  redirectUri: string;
  /** Random, single-use; checked on the callback against CSRF. */
  state: string;
  scopes?: readonly string[];
  /** Re-asks permissions the person declined before (`auth_type=rerequest`). */
  rerequest?: boolean;
}

/** Builds `{dialogUrl}/{version}/dialog/oauth?client_id&redirect_uri&state&scope&response_type=code`. */
export function buildLoginUrl(options: LoginUrlOptions): string {
  const url = new URL(`${options.dialogUrl.replace(/\/+$/, '')}/${options.version}/dialog/oauth`);
  url.searchParams.set('client_id', options.appId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('state', options.state);
  url.searchParams.set('scope', (options.scopes ?? DEFAULT_LOGIN_SCOPES).join(','));
  url.searchParams.set('response_type', 'code');
  if (options.rerequest) url.searchParams.set('auth_type', 'rerequest');
  return url.toString();
}
