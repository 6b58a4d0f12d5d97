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
import type { DerivedKeys, Keyring } from './keyring.js';
import { type RunKeys, runKeySet } from './run-keys.js';
import { openBytes, sealBytes } from './seal.js';

const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

/** Whether this codec encoded a payload (what it may decode; anything else it refuses). */
export const isEncryptedPayload = (payload: Payload): boolean => {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && str(encoding) === ENCRYPTED_ENCODING;
};

/** Metadata naming the run whose own key sealed a payload (its envelope's AAD binds it too). */
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
 * workflow) is sealed with that run's own key instead (run-keys.ts; the key is itself sealed by
 * the keyring where it is kept), bound to the run's id, and carries `run-key: <run id>`: erasing a
 * customer destroys the keys of their runs, and nothing readable remains in those histories. Once
 * sealed is enough: a second seal under the deployment's key cost every payload twice and protected
 * nothing the run key does not. Payloads without a run, and those written before run keys, are
 * sealed (and opened) with the deployment's key.
 */
export function createEncryptionCodec(keyring: Keyring, runKeys?: RunKeys): PayloadCodec {
  const keys = keyring.derive('payload-codec');
  /** Sealed with the deployment's keys, or with a run's own key and bound to that run. */
  const seal = (payload: Payload, run?: { id: string; key: DerivedKeys }): Payload => ({
    metadata: {
      [METADATA_ENCODING_KEY]: u8(ENCRYPTED_ENCODING),
      [KEY_ID_METADATA]: u8((run?.key ?? keys).activeKid),
      ...(run ? { [RUN_KEY_METADATA]: u8(run.id) } : {}),
    },
    data: sealBytes(run?.key ?? keys, PayloadMessage.encode(payload).finish(), run?.id),
  });
  return {
    async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
      const runId = runKeys ? context?.workflowId : undefined;
      if (!runId || !runKeys) return payloads.map((payload) => seal(payload));
      const run = { id: runId, key: runKeySet(await runKeys.keyFor(runId)) };
      return payloads.map((payload) => seal(payload, run));
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
          const data = payload.data ?? new Uint8Array();
          const runIdBytes = payload.metadata?.[RUN_KEY_METADATA];
          // The sealed envelope names (and authenticates) its own kid; the metadata copy is for
          // operators. Without `run-key`, the deployment's keys do not open a run's envelope.
          if (!runIdBytes) return PayloadMessage.decode(openBytes(keys, data));
          const runId = str(runIdBytes);
          const runKey = runKeys && runId ? await runKeys.existingKey(runId) : undefined;
          if (!runKey)
            throw new ShreddedPayloadError(`the key of run ${runId} is destroyed or unknown here`);
          // Bound to the run's id: a payload moved into another run's history does not open.
          return PayloadMessage.decode(openBytes(runKeySet(runKey), data, runId));
        }),
      );
    },
  };
}
