// Entry point bundled into Temporal's deterministic sandbox: everything it imports must be pure.
export { journeyWorkflow, journeyWorkflowV2, journeyWorkflowV3 } from './journey-workflow.js';
