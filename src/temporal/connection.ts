import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Keyring } from '../security/keyring.js';
import { createEncryptionCodec } from '../security/payload-codec.js';
import type { RunKeys } from '../security/run-keys.js';

/** A search attribute's type, as the dev server and the operator API name it. */
export type SearchAttributeType = 'Keyword' | 'Int' | 'Text' | 'Datetime' | 'Bool' | 'Double';

/** The journey search attributes by name and type, as the dev server and the operator API want them. */
export const journeySearchAttributeTypes: Record<string, SearchAttributeType> = {
  ParcoursJourney: 'Keyword',
  ParcoursVersion: 'Int',
  ParcoursStep: 'Keyword',
  ParcoursStatus: 'Keyword',
};

/** Failures are converted with their messages and stack traces as (encrypted) payloads. */
export const failureConverterPath = fileURLToPath(
  new URL('../temporal-contract/failure-converter.cjs', import.meta.url),
);

/**
 * Every payload is encrypted on its way to Temporal: client, worker and workflow bundle share this.
 * With `runKeys`, each run's payloads are sealed with its own key too (crypto-shredding).
 */
export const journeyDataConverter = (keyring: Keyring, runKeys?: RunKeys): DataConverter => ({
  payloadCodecs: [createEncryptionCodec(keyring, runKeys)],
  failureConverterPath,
});

export async function connectTemporalClient(opts: {
  address: string;
  namespace: string;
  keyring: Keyring;
  runKeys?: RunKeys;
}) {
  const connection = await Connection.connect({ address: opts.address });
  const client = new Client({
    connection,
    namespace: opts.namespace,
    dataConverter: journeyDataConverter(opts.keyring, opts.runKeys),
  });
  return { connection, client };
}

const { IndexedValueType } = proto.temporal.api.enums.v1;
const indexedTypes: Record<SearchAttributeType, number> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
};

/**
 * Registers the journey search attributes on a Temporal namespace where they are missing
 * (a production cluster; the embedded dev server gets them at launch).
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.entries(journeySearchAttributeTypes).filter(([name]) => !known.has(name));
  if (missing.length) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map(([name, type]) => [name, indexedTypes[type]]),
      ),
    });
  }
  return missing.map(([name]) => name);
}
