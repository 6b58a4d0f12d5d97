// Loaded by Temporal both in the workflow sandbox (bundled) and in Node (require): plain CommonJS.
// Failure messages and stack traces become encoded attributes, so the payload codec encrypts them
// like any payload: an SMTP error naming the recipient never sits in a history in clear.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
