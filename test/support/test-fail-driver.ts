import { mechanismDrivers } from '../../src/network/ml2/drivers/registry.js';
import type { DriverContext, HookName, MechanismDriver, MechanismDriverFactory } from '../../src/network/ml2/types.js';

/**
 * A driver that fails on demand, for tests and fault drills: it fails every
 * hook named in CLOUDLET_TEST_FAIL_HOOKS (comma-separated, e.g.
 * "create_port_postcommit"), or any hook of a resource whose name starts
 * with "fail-<hook>" (e.g. a network named "fail-create_network_postcommit").
 */
export const testFailMechanismDriver: MechanismDriverFactory = () => {
  const fromEnv = new Set((process.env.CLOUDLET_TEST_FAIL_HOOKS ?? '').split(',').filter(Boolean));
  const driver: Record<string, unknown> = { name: 'test_fail' };
  for (const resource of ['network', 'subnet', 'port']) {
    for (const action of ['create', 'update', 'delete']) {
      for (const phase of ['precommit', 'postcommit']) {
        const hook = `${action}_${resource}_${phase}` as HookName;
        driver[hook] = (ctx: DriverContext) => {
          const name = String(ctx.current.name ?? '');
          if (fromEnv.has(hook) || name.startsWith(`fail-${hook}`)) {
            throw new Error(`test_fail: ${hook} fails on demand`);
          }
        };
      }
    }
  }
  return driver as unknown as MechanismDriver;
};

/** Makes `test_fail` a mechanism driver name the configuration may use (tests only: no production code registers it). */
export function registerTestFailDriver(): void {
  mechanismDrivers.test_fail = testFailMechanismDriver;
}
