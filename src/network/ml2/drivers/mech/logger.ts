import type { DriverContext, HookName, MechanismDriver, MechanismDriverFactory } from '../../types.js';

const HOOKS: HookName[] = ['network', 'subnet', 'port'].flatMap((r) =>
  ['create', 'update', 'delete'].flatMap((a) => [`${a}_${r}_precommit`, `${a}_${r}_postcommit`]),
) as HookName[];

/** Neutron's logger mechanism driver: records every call, changes nothing. */
export const loggerMechanismDriver: MechanismDriverFactory = ({ log }) => {
  const driver: Record<string, unknown> = { name: 'logger' };
  for (const hook of HOOKS) {
    driver[hook] = (ctx: DriverContext) => {
      log.debug({ driver: 'logger', hook, id: ctx.current.id }, hook);
    };
  }
  return driver as unknown as MechanismDriver;
};
