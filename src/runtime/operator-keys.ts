import { join } from 'node:path';
import type { CodecServerOptions } from '../http/codec-server.js';
import { loadOrCreateSecretFile } from '../security/secret-file.js';
import { randomToken } from '../security/tokens.js';
import type { Config } from './config.js';

/** Where embedded mode keeps the operator key it generated. */
export const operatorKeyFile = (dataDir: string) => join(dataDir, 'operator-key');

/** The operator key kept in the data folder, made once (256 random bits, mode 0600). */
export async function loadOrCreateOperatorKey(dataDir: string): Promise<string> {
  const file = operatorKeyFile(dataDir);
  const key = await loadOrCreateSecretFile(file, () => randomToken(32));
  if (key.length < 32)
    throw new Error(`${file} holds no key of 32+ characters: delete it to have one made`);
  return key;
}

export interface OperatorSurfaces {
  analytics?: { adminKey: string };
  codec?: Omit<CodecServerOptions, 'keyring'>;
  /** The key generated in embedded mode, where a surface is served without a key given. */
  generatedKey?: string;
}

/**
 * The operator surfaces the API serves, each with the key it takes: never none, whoever calls
 * (loopback grants nothing). A key the environment does not give is, in embedded mode, the
 * operator key generated once into the data folder.
 */
export async function operatorSurfaces(config: Config): Promise<OperatorSurfaces> {
  const { analytics, codec } = config;
  const needsKey = (analytics && !analytics.adminKey) || (codec && !codec.decodeKey);
  if (needsKey && !config.embeddedDatabase)
    throw new Error('the operator surfaces need PARCOURS_ADMIN_KEY or PARCOURS_CODEC_KEY');
  const generatedKey = needsKey ? await loadOrCreateOperatorKey(config.dataDir) : undefined;
  const keyOf = (given: string | undefined) => (given ?? generatedKey) as string;
  if (codec?.encodeKey && codec.encodeKey === generatedKey)
    throw new Error(
      `PARCOURS_CODEC_ENCODE_KEY must be a key of its own, not the operator key in ${operatorKeyFile(config.dataDir)}`,
    );
  return {
    ...(analytics ? { analytics: { adminKey: keyOf(analytics.adminKey) } } : {}),
    ...(codec ? { codec: { ...codec, decodeKey: keyOf(codec.decodeKey) } } : {}),
    ...(generatedKey ? { generatedKey } : {}),
  };
}
