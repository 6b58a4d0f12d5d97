import {
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadCodec,
  str,
  u8,
} from '@temporalio/common';
// @temporalio/proto is CommonJS: Node's ESM loader exposes it only as a default export.
import proto from '@temporalio/proto';
import type { Keyring } from './keyring.js';
import { openBytes, sealBytes } from './seal.js';

const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

/** Whether this codec encoded a payload (what it may decode; anything else it refuses). */
export const isEncryptedPayload = (payload: Payload): boolean => {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && str(encoding) === ENCRYPTED_ENCODING;
};

/**
 * A Temporal payload codec that encrypts every payload (metadata included) with AES-256-GCM,
 * so no workflow history holds customer data in clear. Encoded payloads carry
 * `encoding: binary/encrypted` and `encryption-key-id`. A payload that is not encrypted is
 * refused: whoever wrote it into a history or a request (a client without the key, an operator's
 * CLI) did not hold the key, and a workflow must not act on it. Keys come from
 * `keyring.derive('payload-codec')`.
 */
export function createEncryptionCodec(keyring: Keyring): PayloadCodec {
  const keys = keyring.derive('payload-codec');
  return {
    async encode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((payload) => ({
        metadata: {
          [METADATA_ENCODING_KEY]: u8(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: u8(keys.activeKid),
        },
        data: sealBytes(keys, PayloadMessage.encode(payload).finish()),
      }));
    },
    async decode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((payload) => {
        if (!isEncryptedPayload(payload)) {
          const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
          throw new Error(
            `refusing a payload that is not encrypted (encoding: ${encoding ? str(encoding) : 'none'})`,
          );
        }
        // The sealed envelope names (and authenticates) its own kid; the metadata copy is for operators.
        return PayloadMessage.decode(openBytes(keys, payload.data ?? new Uint8Array()));
      });
    },
  };
}
