import type { AnyMachineSnapshot, Snapshot } from 'xstate';
import type { JourneyDefinition, StepDefinition } from '../journey-kit/define-journey.js';
import { sealedSchemaOf } from '../journey-kit/secret-fields.js';
import { rejectionCodes } from './rejections.js';
import { currentStep, FINISHING_TAG } from './run-state.js';

export interface Rejection {
  code: (typeof rejectionCodes)[keyof typeof rejectionCodes];
  message: string;
}

/**
 * Decides whether a sealed submission may enter the machine: the run is open, the step is the
 * current one and the input parses. The workflow's update validator and the test kit share it.
 */
export function createSubmissionGate(definition: JourneyDefinition) {
  const sealedSchemas = new Map<StepDefinition, ReturnType<typeof sealedSchemaOf>>();
  const sealedSchema = (step: StepDefinition) => {
    const known = sealedSchemas.get(step);
    if (known) return known;
    const schema = sealedSchemaOf(step.input);
    sealedSchemas.set(step, schema);
    return schema;
  };
  return {
    check(snapshot: Snapshot<unknown>, step: string, input: unknown): Rejection | undefined {
      if (snapshot.status !== 'active' || (snapshot as AnyMachineSnapshot).hasTag(FINISHING_TAG))
        return { code: rejectionCodes.journeyClosed, message: 'The journey has ended' };
      const current = currentStep(definition, snapshot);
      if (!current)
        return {
          code: rejectionCodes.journeyBusy,
          message: 'The journey is still working on an earlier submission',
        };
      if (current.definition.name !== step) {
        return {
          code: rejectionCodes.stepNotCurrent,
          message: `'${step}' is not the current step`,
        };
      }
      if (!sealedSchema(current.definition).safeParse(input).success) {
        return { code: rejectionCodes.invalidInput, message: 'Invalid step input' };
      }
      return undefined;
    },
    /** The event the machine receives for an accepted submission (zod transforms applied). */
    event(
      snapshot: Snapshot<unknown>,
      step: string,
      input: unknown,
    ): { type: string; input: unknown } {
      const current = currentStep(definition, snapshot);
      if (!current) throw new Error(`'${step}' is not the current step`);
      return { type: step, input: sealedSchema(current.definition).parse(input) };
    },
  };
}
