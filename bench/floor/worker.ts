// The floor's worker, in a process of its own like the journey worker: `node --import tsx worker.ts ADDRESS QUEUE`.
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

const [address = '', taskQueue = ''] = process.argv.slice(2);
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
});
process.on('SIGINT', () => worker.shutdown());
console.log('floor worker ready');
await worker.run();
await connection.close();
