import { z } from 'zod';
import type { JourneyDefinition, SessionRef } from '../journey-kit/define-journey.js';
import type { RunState } from '../run/run-state.js';
import {
  checkSimulatedActivities,
  type SimulatedActivity,
  simulatedActivities,
} from './simulated-activities.js';
import { createJourneyTestKit } from './test-kit.js';

const outcome = z.union([
  z.strictObject({ returns: z.unknown() }),
  z.strictObject({
    throws: z.strictObject({
      code: z.string(),
      detail: z.record(z.string(), z.unknown()).optional(),
      message: z.string().optional(),
    }),
  }),
  z.strictObject({ fails: z.string() }),
]);

/** `90000`, `"90s"`, `"10m"`, `"1h"`, `"3d"`: how long the simulated clock moves. */
const duration = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30s, 10m, 1h or 3d')
    .transform((text) => {
      const [, amount, unit] = /^(\d+)(\w+)$/.exec(text) as RegExpExecArray;
      const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
      return Number(amount) * unitMs[unit as keyof typeof unitMs];
    }),
]);

/**
 * A simulation file (`journeys/simulations/<id>@<version>.json`): how the run starts, what each
 * activity answers, and what the customer does, in order. `paths` reads the same file for the
 * inputs and activity outcomes it may try.
 */
export const simulationScript = z.strictObject({
  description: z.string().optional(),
  start: z.record(z.string(), z.unknown()).default({}),
  /** The session a session-started journey acts on; a signed-in aal1 session by default. */
  session: z
    .strictObject({
      id: z.string(),
      userId: z.string(),
      aal: z.number().int(),
      amr: z.array(z.string()),
      authTime: z.string(),
      factorAuthTimes: z.record(z.string(), z.string()),
    })
    .optional(),
  settings: z.record(z.string(), z.unknown()).default({}),
  requester: z.string().optional(),
  activities: z
    .record(z.string(), z.union([outcome, z.array(outcome).min(1)]))
    .default({}) as z.ZodType<Record<string, SimulatedActivity>>,
  steps: z.array(
    z.union([
      z.strictObject({ submit: z.string(), input: z.record(z.string(), z.unknown()).default({}) }),
      z.strictObject({ advance: duration }),
    ]),
  ),
});
export type SimulationScript = z.infer<typeof simulationScript>;

export const defaultSession: SessionRef = {
  id: 'session-1',
  userId: 'user-1',
  aal: 1,
  amr: ['pwd'],
  authTime: '2026-01-01T00:00:00.000Z',
  factorAuthTimes: { pwd: '2026-01-01T00:00:00.000Z' },
};

/** A simulation file's content, checked: the problems name the field at fault. */
export function parseSimulation(content: unknown): SimulationScript {
  const parsed = simulationScript.safeParse(content);
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  const problems = checkSimulatedActivities(parsed.data.activities);
  if (problems.length) throw new Error(problems.join('\n'));
  return parsed.data;
}

/** The test kit options a simulation gives: its fakes, start, settings and session. */
export function simulationKitOptions(
  definition: JourneyDefinition,
  script: SimulationScript,
  missing?: (activity: string) => void,
) {
  return {
    activities: simulatedActivities(script.activities, missing),
    settings: script.settings,
    start: script.start,
    ...(definition.start?.session ? { session: script.session ?? defaultSession } : {}),
    ...(script.requester ? { requester: script.requester } : {}),
  };
}

export interface SimulationStep {
  /** What happened: `start`, `submit <step>`, `advance <ms>`. */
  action: string;
  /** Activities called since the previous view, in order. */
  calls: string[];
  view: RunState;
}

/**
 * Runs a simulation in memory through the test kit, reporting each view as it comes. A submission
 * the step API would refuse ends the run with its reason.
 */
export async function simulate(
  definition: JourneyDefinition,
  script: SimulationScript,
  report: (step: SimulationStep) => void,
): Promise<RunState> {
  const missing = new Set<string>();
  const kit = createJourneyTestKit(
    definition,
    simulationKitOptions(definition, script, (activity) => missing.add(activity)),
  );
  let seen = 0;
  const reportView = (action: string, view: RunState) => {
    report({ action, calls: kit.calls.slice(seen).map((call) => call.name), view });
    seen = kit.calls.length;
    // The run went on as if the activity had failed: what follows would mislead.
    if (missing.size)
      throw new Error(
        `the simulation gives no outcome for ${[...missing].map((name) => `'${name}'`).join(', ')}, which has no default: add it under "activities"`,
      );
    return view;
  };
  let view = reportView('start', await kit.view());
  for (const step of script.steps) {
    view =
      'submit' in step
        ? reportView(`submit ${step.submit}`, await kit.submit(step.submit, step.input))
        : reportView(`advance ${step.advance}ms`, await kit.advance(step.advance));
  }
  return view;
}
