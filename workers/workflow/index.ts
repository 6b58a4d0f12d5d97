// Entry point bundled into Temporal's deterministic sandbox: everything it imports must be pure.
export { journeyWorkflow } from './journey-workflow.js';
