import {
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadCodec,
  type SerializationContext,
  str,
  u8,
} from '@temporalio/common';
// @temporalio/proto is CommonJS: Node's ESM loader exposes it only as a default export.
import proto from '@temporalio/proto';
import type { Keyring } from './keyring.js';
import { type RunKeys, runKeySet } from './run-keys.js';
import { openBytes, sealBytes } from './seal.js';

const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
/** The inner envelope of a payload sealed with its run's key. */
const RUN_SEALED_ENCODING = 'binary/run-sealed';
const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

/** Whether this codec encoded a payload (what it may decode; anything else it refuses). */
export const isEncryptedPayload = (payload: Payload): boolean => {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && str(encoding) === ENCRYPTED_ENCODING;
};

/** Metadata naming the run whose key sealed a payload inside the deployment's encryption. */
const RUN_KEY_METADATA = 'run-key';

/** A payload whose run key was destroyed: what it held can no longer be read (crypto-shredding). */
export class ShreddedPayloadError extends Error {
  override name = 'ShreddedPayloadError';
}

/**
 * A Temporal payload codec that encrypts every payload (metadata included) with AES-256-GCM,
 * so no workflow history holds customer data in clear. Encoded payloads carry
 * `encoding: binary/encrypted` and `encryption-key-id`. A payload that is not encrypted is
 * refused: whoever wrote it into a history or a request (a client without the key, an operator's
 * CLI) did not hold the key, and a workflow must not act on it. Keys come from
 * `keyring.derive('payload-codec')`.
 *
 * With `runKeys`, a payload that belongs to a run (Temporal's serialization context names its
 * workflow) is first sealed with that run's own key (run-keys.ts), bound to the run's id, and
 * carries `run-key: <run id>`: erasing a customer destroys the keys of their runs, and nothing
 * readable remains in those histories. Payloads without a run, and those written before run keys,
 * are sealed (and opened) with the deployment's key alone.
 */
export function createEncryptionCodec(keyring: Keyring, runKeys?: RunKeys): PayloadCodec {
  const keys = keyring.derive('payload-codec');
  const seal = (payload: Payload, runId?: string): Payload => ({
    metadata: {
      [METADATA_ENCODING_KEY]: u8(ENCRYPTED_ENCODING),
      [KEY_ID_METADATA]: u8(keys.activeKid),
      ...(runId ? { [RUN_KEY_METADATA]: u8(runId) } : {}),
    },
    data: sealBytes(keys, PayloadMessage.encode(payload).finish()),
  });
  return {
    async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
      const runId = runKeys ? context?.workflowId : undefined;
      if (!runId || !runKeys) return payloads.map((payload) => seal(payload));
      const runKey = runKeySet(await runKeys.keyFor(runId));
      return payloads.map((payload) =>
        seal(
          {
            metadata: { [METADATA_ENCODING_KEY]: u8(RUN_SEALED_ENCODING) },
            data: sealBytes(runKey, PayloadMessage.encode(payload).finish(), runId),
          },
          runId,
        ),
      );
    },
    async decode(payloads: Payload[]): Promise<Payload[]> {
      return Promise.all(
        payloads.map(async (payload) => {
          if (!isEncryptedPayload(payload)) {
            const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
            throw new Error(
              `refusing a payload that is not encrypted (encoding: ${encoding ? str(encoding) : 'none'})`,
            );
          }
          // The sealed envelope names (and authenticates) its own kid; the metadata copy is for operators.
          const inner = PayloadMessage.decode(openBytes(keys, payload.data ?? new Uint8Array()));
          const innerEncoding = inner.metadata?.[METADATA_ENCODING_KEY];
          if (!innerEncoding || str(innerEncoding) !== RUN_SEALED_ENCODING) return inner;
          const runIdBytes = payload.metadata?.[RUN_KEY_METADATA];
          const runId = runIdBytes ? str(runIdBytes) : '';
          const runKey = runKeys && runId ? await runKeys.existingKey(runId) : undefined;
          if (!runKey)
            throw new ShreddedPayloadError(`the key of run ${runId} is destroyed or unknown here`);
          // Bound to the run's id: a payload moved into another run's history does not open.
          return PayloadMessage.decode(
            openBytes(runKeySet(runKey), inner.data ?? new Uint8Array(), runId),
          );
        }),
      );
    },
  };
}
