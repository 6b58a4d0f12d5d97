import type { PGlite } from '@electric-sql/pglite';

// Frontend messages after which an extended-query batch is still open: Parse, Bind, Describe,
// Execute, Close, Flush. Sync ends it; a simple Query is a batch of its own.
const BATCH_CONTINUES = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);

/**
 * Wraps a PGlite so that pglite-socket's query queue keeps every connection's extended-query batch
 * (Parse…Sync) together. All connections share PGlite's single session, and the queue (0.2.17) only
 * pins a connection while a transaction is open, so a batch split across TCP reads (large
 * parameters) could have its unnamed statement or portal replaced by another connection's
 * (electric-sql/pglite#1046). The queue pins the last connection while `isInTransaction()` is true,
 * so we report true until the batch's Sync.
 */
export function withBatchAffinity(db: PGlite): PGlite {
  let batchOpen = false;
  return new Proxy(db, {
    get(target, property) {
      switch (property) {
        case 'isInTransaction':
          return () => batchOpen || target.isInTransaction();
        case 'execProtocolRawStream':
          return (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
            batchOpen = BATCH_CONTINUES.has(message[0] ?? 0);
            return target.execProtocolRawStream(message, options);
          };
        case 'exec':
          // The queue's ROLLBACK after a connection dropped mid-transaction (or mid-batch).
          return (...args: Parameters<PGlite['exec']>) => {
            batchOpen = false;
            return target.exec(...args);
          };
        default: {
          // PGlite keeps private fields: its methods must run on the real instance.
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
      }
    },
  });
}
