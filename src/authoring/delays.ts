import type { JourneyDefinition } from '../journey-kit/define-journey.js';

/**
 * An `after` delay in milliseconds: a number, or a named delay of the machine's `setup()` read from
 * a context (a run's, or `{ settings }` with the defaults, for a diagram).
 */
export function delayMs(definition: JourneyDefinition, delay: unknown, context: unknown): number {
  if (typeof delay === 'number') return delay;
  const named = (
    definition.machine.implementations.delays as Record<string, unknown> | undefined
  )?.[String(delay)];
  const ms =
    typeof named === 'function' ? named({ context, event: { type: '' } }, undefined) : named;
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new Error(`delay '${String(delay)}' gives no number of milliseconds`);
  return ms;
}
