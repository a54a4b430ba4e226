/**
 * The app's mode and the people with a role on it. An app in development mode (or whose
 * pages_messaging is not approved) may only message people who are admins, developers or
 * testers of the app; Facebook refuses the rest with code 10 (recorded answer:
 * "(#10) Cannot message users who are not admins, developers or testers of the app until
 * pages_messaging permission is reviewed and the app is live."; the error table lists the same
 * text as 200/2018028: https://developers.facebook.com/docs/messenger-platform/error-codes).
 * A person's role is keyed by the id the Page sees them under (the emulator uses one id per
 * person). Changed through PUT /_emulator/app and POST /_emulator/users/{id}/role.
 */
export const APP_MODES = ['development', 'live'] as const;
export type AppMode = (typeof APP_MODES)[number];
export const APP_ROLES = ['admin', 'developer', 'tester'] as const;
export type AppRole = (typeof APP_ROLES)[number];

export const NOT_A_TESTER_MESSAGE =
  '(#10) Cannot message users who are not admins, developers or testers of the app until pages_messaging permission is reviewed and the app is live.';

export interface AppModeState {
  readonly mode: AppMode;
  setMode(mode: AppMode): void;
  /** null removes the role. */
  setRole(personId: string, role: AppRole | null): void;
  roleOf(personId: string): AppRole | null;
  /** May the app message this person now? */
  mayMessage(personId: string): boolean;
  /** Everyone with a role, in the order the roles were given. */
  roles(): Array<{ personId: string; role: AppRole }>;
}

/**
 * `GET /{app-id}/roles` (app token): "The developer roles defined for a Facebook app", fields
 * app_id, user, role (https://developers.facebook.com/docs/graph-api/reference/app/roles/).
 * Role values as Facebook spells them in recorded answers: administrators, developers, testers.
 */
export const ROLE_NAMES: Readonly<Record<AppRole, string>> = { admin: 'administrators', developer: 'developers', tester: 'testers' };

export function createAppModeState(): AppModeState {
  let mode: AppMode = 'live';
  const roles = new Map<string, AppRole>();
  return {
    get mode() {
      return mode;
    },
    setMode(m) {
      mode = m;
    },
    setRole(personId, role) {
      if (role === null) roles.delete(personId);
      else roles.set(personId, role);
    },
    roleOf: (personId) => roles.get(personId) ?? null,
    mayMessage: (personId) => mode === 'live' || roles.has(personId),
    roles: () => [...roles].map(([personId, role]) => ({ personId, role })),
  };
}
