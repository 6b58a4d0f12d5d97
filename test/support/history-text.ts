import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, str } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { isEncryptedPayload as encrypted } from '../../src/security/payload-codec.js';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const { History: HistoryMessage } = proto.temporal.api.history.v1;
// At run time the proto root is reflection-based: a message's class is its type's `ctor`.
const PayloadClass = (PayloadMessage as unknown as { ctor: abstract new () => Payload }).ctor;
const isPayload = (value: unknown): value is Payload => value instanceof PayloadClass;

export interface Found {
  path: string;
  payload: Payload;
}

/** Every Payload anywhere in the history, found by type rather than by a list of known fields. */
export function payloadsIn(value: unknown, path = 'history', found: Found[] = []): Found[] {
  if (isPayload(value)) found.push({ path, payload: value });
  else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) payloadsIn(item, `${path}[${index}]`, found);
  } else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    for (const [key, item] of Object.entries(value)) payloadsIn(item, `${path}.${key}`, found);
  }
  return found;
}

// Two kinds of payload bypass the codec by Temporal's design; each is checked for what it may hold.
export const isSearchAttribute = ({ path }: Found) => path.includes('.searchAttributes.');
// Temporal Core writes its own bookkeeping (seq, attempt, activity type, times) beside a local activity's result.
export const isLocalActivityMarkerData = ({ path }: Found) =>
  /\.markerRecordedEventAttributes\.details\.data\.payloads\[\d+\]$/.test(path);

export const encodingOf = (payload: Payload) =>
  str(payload.metadata?.[METADATA_ENCODING_KEY] ?? new Uint8Array());
export const bytesText = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
/** A code as a whole number, so a timestamp that happens to contain its digits does not count. */
export const digitsPattern = (code: string) => new RegExp(`(?<![0-9])${code}(?![0-9])`);

/** The history as an operator holding the key would read it: every payload decoded, as JSON text. */
export async function decodedHistoryText(
  history: History,
  decode: (payloads: Payload[]) => Promise<Payload[]>,
): Promise<string> {
  const found = payloadsIn(history);
  // As the SDK does: only encrypted payloads go through the codec (search attributes and the
  // bookkeeping of local-activity markers bypass it by Temporal's design, and stay readable).
  const opened = await decode(found.map(({ payload }) => payload).filter(encrypted));
  const decoded = found.map(({ payload }) => (encrypted(payload) ? opened.shift() : payload));
  const values = new Map(
    found.map(({ payload }, index) => [
      payload,
      defaultPayloadConverter.fromPayload(decoded[index] as Payload),
    ]),
  );
  const plain = (value: unknown): unknown => {
    if (isPayload(value)) return { decoded: values.get(value) };
    if (value instanceof Uint8Array) return bytesText(value);
    if (Array.isArray(value)) return value.map(plain);
    if (typeof value === 'object' && value !== null) {
      // Long (event ids) prints as a number; messages keep only the fields that are set.
      if ('low' in value && 'high' in value) return String(value);
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
    }
    return value;
  };
  return JSON.stringify(plain(history));
}

/** The history's raw bytes as text: what anyone with read access to Temporal's store sees. */
export const rawHistoryText = (history: History): string =>
  bytesText(HistoryMessage.encode(history).finish());
