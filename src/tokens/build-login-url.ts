/**
 * The Facebook Login dialog URL for the server-side code flow
 * (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/;
 * docs/graph-api.md "Login: a short-lived user token"), or, for a Business-type app, the Facebook Login for Business
 * dialog: `config_id` (a configuration made in the App Dashboard) replaces `scope`, with
 * `response_type=code` and `override_default_response_type=true`, which a system user token
 * needs (https://developers.facebook.com/docs/facebook-login/facebook-login-for-business).
 * A Business app's dialog opened with `scope` only answers "It looks like this app isn't available".
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
  /** Pinned Graph version, e.g. v26.0. */
  version: string;
  appId: string;
  /** Must be byte-identical when the code is exchanged, or Facebook answers 100/36008. */
  redirectUri: string;
  /** Random, single-use; checked on the callback against CSRF. */
  state: string;
  scopes?: readonly string[];
  /** Re-asks permissions the person declined before (`auth_type=rerequest`). */
  rerequest?: boolean;
  /** Facebook Login for Business configuration id; replaces `scope` (PAGEKEEPER_LOGIN_CONFIG_ID). */
  configId?: string | undefined;
}

/** Builds `{dialogUrl}/{version}/dialog/oauth?client_id&redirect_uri&state&scope&response_type=code` (or `config_id` instead of `scope`). */
export function buildLoginUrl(options: LoginUrlOptions): string {
  const url = new URL(`${options.dialogUrl.replace(/\/+$/, '')}/${options.version}/dialog/oauth`);
  url.searchParams.set('client_id', options.appId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('state', options.state);
  if (options.configId !== undefined) {
    // The configuration fixes the permissions, all or none, so there is nothing to re-request.
    url.searchParams.set('config_id', options.configId);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('override_default_response_type', 'true');
    return url.toString();
  }
  url.searchParams.set('scope', (options.scopes ?? DEFAULT_LOGIN_SCOPES).join(','));
  url.searchParams.set('response_type', 'code');
  if (options.rerequest) url.searchParams.set('auth_type', 'rerequest');
  return url.toString();
}
