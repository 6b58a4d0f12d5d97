import type { z } from 'zod';

/** Default inactivity timeout of an interactive step: the run ends `abandoned` when it fires. */
export const DEFAULT_STEP_TIMEOUT_MS = 30 * 60_000;

/** An interactive step: a state where the journey waits for the customer. */
// biome-ignore lint/suspicious/noExplicitAny: one steps map holds steps typed against the journey's own context
export interface StepDefinition<TContext = any> {
  /** Public name used in the step API (`/steps/{name}`) and in analytics. */
  name: string;
  /** What the customer submits. The single source of truth for validation and JSON Schema. */
  input: z.ZodType;
  /** What the app shows at this step; never include secrets. */
  data?: (context: TContext) => Record<string, unknown>;
  /**
   * The JSON Schema the view publishes, drawn from the step's data, where what is asked differs
   * from run to run (progressive profiling's questions): narrower than `input`, never wider.
   * `input` still validates; what it cannot know (each answer's own schema) an activity checks.
   */
  viewSchema?: (data: Record<string, unknown>) => Record<string, unknown>;
  /** Inactivity timeout in milliseconds (default 30 minutes). */
  timeoutMs?: number;
}

/** Declares an interactive step; typed against the machine's context. */
export function step<TContext>(definition: StepDefinition<TContext>): StepDefinition<TContext> {
  return definition;
}
