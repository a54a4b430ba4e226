/**
 * Facebook's per-person callbacks (deauthorize, data deletion) name a user, not a tenant: the
 * same person may have connected Pages for several tenants. They reach every tenant.
 */
import type { ServiceDeps } from '../deps.js';
import type { TenantRegistry } from './tenant-registry.js';

export function withTenantFanOut(deps: ServiceDeps, registry: TenantRegistry): ServiceDeps {
  const others = () => registry.all().filter((t) => t !== registry.root);
  return {
    ...deps,
    async handleDeauthorize(userId) {
      await deps.handleDeauthorize?.(userId);
      for (const t of others()) await t.deps.handleDeauthorize?.(userId);
    },
    async deleteUserData(userId, confirmationCode) {
      for (const t of others()) await t.deps.deleteUserData(userId, confirmationCode);
      // The default tenant's store keeps the confirmation code that the status URL reads.
      await deps.deleteUserData(userId, confirmationCode);
    },
  };
}
