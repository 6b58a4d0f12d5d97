import type { Payload } from '@temporalio/common';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { Keyring } from '../security/keyring.js';
import {
  createEncryptionCodec,
  isEncryptedPayload as encrypted,
} from '../security/payload-codec.js';
import { fieldErrorsOf } from './field-errors.js';
import { requireOperatorKey } from './operator-key.js';
import { HttpProblem } from './problem.js';

// Temporal's remote codec protocol: payloads as JSON, bytes in base64 (the UI's and the CLI's).
const jsonPayloads = z.strictObject({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.string()).optional(),
      data: z.string().optional(),
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

export interface CodecServerOptions {
  keyring: Keyring;
  /** The key operators send (`Authorization: Bearer <key>`). */
  decodeKey: string;
  /** Origins allowed to call from a browser (the Temporal UI's). */
  corsOrigins: readonly string[];
}

/**
 * Temporal's remote codec endpoints (`POST /codec/decode`, `/codec/encode`), so an operator sees
 * a run's payloads decoded in the Temporal UI or CLI. Secrets stay what the history holds: vault
 * references. Every call needs the key.
 */
export function createCodecServer(options: CodecServerOptions): Router {
  const codec = createEncryptionCodec(options.keyring);
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

  router.use(requireOperatorKey({ operatorKey: options.decodeKey, realm: 'parcours-codec' }));

  const handle = (direction: 'encode' | 'decode') => async (req: Request, res: Response) => {
    const body = jsonPayloads.safeParse(req.body);
    if (!body.success)
      throw new HttpProblem('invalid_input', { errors: fieldErrorsOf(body.error.issues) });
    const payloads = body.data.payloads.map(fromJson);
    // Decoding passes through what the codec never encoded (search attributes, marker data).
    const toCode = direction === 'decode' ? payloads.filter(encrypted) : payloads;
    const coded = await codec[direction](toCode);
    const out =
      direction === 'decode'
        ? payloads.map((payload) => (encrypted(payload) ? (coded.shift() as Payload) : payload))
        : coded;
    res.set('Cache-Control', 'no-store').json({ payloads: out.map(toJson) });
  };
  router.post('/decode', express.json({ limit: '4mb' }), handle('decode'));
  router.post('/encode', express.json({ limit: '4mb' }), handle('encode'));
  return router;
}
