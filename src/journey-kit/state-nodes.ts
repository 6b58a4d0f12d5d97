import type { AnyStateNode } from 'xstate';

/** Every state below `node`, depth first (the node itself excluded). */
export function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [
    child as AnyStateNode,
    ...descendants(child as AnyStateNode),
  ]);
}

/** A state's dot path from the root (`verifyEmail.live.code.awaiting`), as journeys name steps. */
export const statePath = (node: AnyStateNode): string => node.path.join('.');
