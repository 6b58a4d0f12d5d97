import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { Keyring } from '../security/keyring.js';
import {
  createEncryptionCodec,
  isEncryptedPayload as encrypted,
} from '../security/payload-codec.js';
import type { RunKeys } from '../security/run-keys.js';
import { fieldErrorsOf } from './field-errors.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requireOperatorKey } from './operator-key.js';
import { type FieldError, HttpProblem } from './problem.js';

// Temporal's remote codec protocol: payloads as JSON, bytes in base64 (the UI's and the CLI's).
// Proto3 JSON writes standard base64; the URL-safe and unpadded forms are read too, nothing else
// (Buffer.from would skip stray characters and decode what was never sent).
const base64 = z
  .string()
  .regex(
    /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/,
    'Not base64',
  );
const jsonPayloads = z.strictObject({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).optional(),
      data: base64.optional(),
    }),
  ),
});
type JsonPayload = z.infer<typeof jsonPayloads>['payloads'][number];

const fromJson = (payload: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64'),
    ]),
  ),
  data: Buffer.from(payload.data ?? '', 'base64'),
});
const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]),
  ),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

/** The payloads of a request body, or a 400 naming each field that is not what the protocol sends. */
function payloadsOf(body: unknown): Payload[] {
  const parsed = jsonPayloads.safeParse(body);
  if (!parsed.success)
    throw new HttpProblem(
      'bad_request',
      { errors: fieldErrorsOf(parsed.error.issues) },
      { title: 'The body is not a list of payloads' },
    );
  return parsed.data.payloads.map(fromJson);
}

/**
 * Each payload decoded; what the codec never encoded (search attributes, marker data) passes
 * through. One that does not open (another key, altered, not ours) is the request's fault: a 400
 * naming it, never a 500.
 */
async function decodeEach(codec: PayloadCodec, payloads: Payload[]): Promise<Payload[]> {
  const results = await Promise.all(
    payloads.map(async (payload, at): Promise<{ payload: Payload } | { error: FieldError }> => {
      if (!encrypted(payload)) return { payload };
      try {
        const [plain] = await codec.decode([payload]);
        return { payload: plain as Payload };
      } catch {
        const message = 'Not a payload this server encrypted, or altered since';
        return { error: { path: `/payloads/${at}`, code: 'not_decodable', message } };
      }
    }),
  );
  const errors = results.flatMap((result) => ('error' in result ? [result.error] : []));
  if (errors.length)
    throw new HttpProblem('bad_request', { errors }, { title: 'Some payloads cannot be decoded' });
  return results.flatMap((result) => ('payload' in result ? [result.payload] : []));
}

export interface CodecServerOptions {
  keyring: Keyring;
  /** Runs' own keys: a run whose key was destroyed (an erased customer's) stays unreadable. */
  runKeys?: RunKeys;
  /** The key operators send (`Authorization: Bearer <key>`) to see payloads decoded. */
  decodeKey: string;
  /**
   * A key of its own for `/codec/encode`, never the decode key; absent, encode is not served:
   * encrypting a payload is forging what a run reads, a power viewing does not need.
   */
  encodeKey?: string;
  /** Origins allowed to call from a browser (the Temporal UI's). */
  corsOrigins: readonly string[];
}

/**
 * Temporal's remote codec endpoints, so an operator sees a run's payloads decoded in the Temporal
 * UI or CLI: `POST /codec/decode`, and `POST /codec/encode` only where an encode key is set.
 * Secrets stay what the history holds: vault references. Every call needs its key.
 */
export function createCodecServer(options: CodecServerOptions): Router {
  const codec = createEncryptionCodec(options.keyring, options.runKeys);
  const router = Router();

  // The UI calls from the browser: answer its preflight, and only for the origins named.
  router.use((req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    if (origin && options.corsOrigins.includes(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
        'Access-Control-Allow-Credentials': 'true',
        Vary: 'Origin',
      });
    }
    if (req.method === 'OPTIONS') return res.status(204).end();
    next();
  });

  const body = express.json({ limit: '4mb' });
  const answer = (res: Response, payloads: Payload[]) =>
    res.set('Cache-Control', 'no-store').json({ payloads: payloads.map(toJson) });
  // The key is checked before the body is read: nobody without it has 4 MB parsed.
  router.post(
    '/decode',
    requireOperatorKey({ operatorKey: options.decodeKey, realm: 'parcours-codec' }),
    body,
    async (req: Request, res: Response) =>
      answer(res, await decodeEach(codec, payloadsOf(req.body))),
  );
  router.all('/decode', methodNotAllowed('POST'));
  if (options.encodeKey) {
    router.post(
      '/encode',
      requireOperatorKey({ operatorKey: options.encodeKey, realm: 'parcours-codec-encode' }),
      body,
      async (req: Request, res: Response) => answer(res, await codec.encode(payloadsOf(req.body))),
    );
    router.all('/encode', methodNotAllowed('POST'));
  }
  return router;
}
