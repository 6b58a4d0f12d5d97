import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';

type SchemaEngineModule = typeof import('@prisma/schema-engine-wasm');

/** An open WASM schema engine bound to one database, and how to let go of it. */
export interface OpenSchemaEngine {
  engine: SchemaEngine;
  close(): Promise<void>;
}

// The WebAssembly global is untyped here (lib ES2023, no DOM): declare the one call we make.
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, object>,
  ): Promise<{ instance: { exports: object } }>;
}

// The wasm-bindgen glue keeps one WebAssembly instance in its own module state, so the instance
// must be created once per process: a second one would swap memory under a running engine.
let engineModule: Promise<SchemaEngineModule> | undefined;

/**
 * Loads `@prisma/schema-engine-wasm` without `--experimental-wasm-modules`: the package's
 * `schema_engine.js` imports the .wasm file as an ES module (flag needed on Node 20), so we do
 * its three lines ourselves from the exported `schema_engine_bg` glue.
 */
function loadSchemaEngine(): Promise<SchemaEngineModule> {
  engineModule ??= (async () => {
    installPanicRegistry();
    const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    // createRequire rather than import.meta.resolve: test runners' module loaders may lack the latter.
    const entry = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm');
    const wasmPath = join(dirname(entry), 'schema_engine_bg.wasm');
    const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WasmApi };
    const { instance } = await wasm.instantiate(await readFile(wasmPath), {
      './schema_engine_bg.js': glue,
    });
    (glue as unknown as { __wbg_set_wasm(exports: object): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue as SchemaEngineModule;
  })().catch((err: unknown) => {
    engineModule = undefined;
    throw new Error(
      `Could not load the Prisma schema engine (@prisma/schema-engine-wasm): ${String(err)}`,
      {
        cause: err,
      },
    );
  });
  return engineModule;
}

// The engine reports a Rust panic through this global (the Prisma CLI defines it). Without it
// the panic surfaces as "Cannot read properties of undefined"; with it, as the panic message.
function installPanicRegistry(): void {
  const scope = globalThis as {
    PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void };
  };
  scope.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message) {
      throw new Error(`Prisma schema engine panicked: ${message}`);
    },
  };
}

// The schema describer reads pg_catalog columns of type "char" (OID 18: contype, confdeltype, …)
// and expects them as Character values, but @prisma/adapter-pg 7.10 rejects OID 18 ("Column type
// 'char' could not be deserialized"). The client reports them as text so the adapter accepts the
// row, and the adapter wrapper below restores Character for those columns.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

function catalogFriendlyClient(onCharColumns: (indexes: number[]) => void): typeof pg.Client {
  return class extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      const connection = (this as unknown as { connection: NodeJS.EventEmitter }).connection;
      connection.prependListener('rowDescription', (msg: { fields: { dataTypeID: number }[] }) => {
        const indexes: number[] = [];
        msg.fields.forEach((field, index) => {
          if (field.dataTypeID !== PG_CHAR_OID) return;
          field.dataTypeID = PG_TEXT_OID;
          indexes.push(index);
        });
        onCharColumns(indexes);
      });
    }
  };
}

/**
 * The adapter factory the engine runs on. Its "shadow database" is the same database: the WASM
 * engine replays migrations into whatever `connect()` opens, so diffs need an empty scratch database.
 */
function migrationAdapterFactory(databaseUrl: string): {
  factory: SqlMigrationAwareDriverAdapterFactory;
  pool: pg.Pool;
} {
  // Queries run one at a time on one connection (max: 1), so the last row description seen
  // belongs to the query being answered.
  let charColumns: number[] = [];
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 1, // the engine's advisory lock and its scripts must share a session
    Client: catalogFriendlyClient((indexes) => {
      charColumns = indexes;
    }),
  });
  pool.on('error', () => {}); // an idle connection dropped by the server; the next query reconnects
  const base = new PrismaPg(pool);
  const connect = async () => {
    const adapter = await base.connect();
    const queryRaw = adapter.queryRaw.bind(adapter);
    adapter.queryRaw = async (query) => {
      charColumns = [];
      const result = await queryRaw(query);
      for (const index of charColumns) {
        if (index < result.columnTypes.length) result.columnTypes[index] = ColumnTypeEnum.Character;
      }
      return result;
    };
    // PrismaPg runs scripts by splitting on ';' (breaks on ';' in strings or function bodies) and
    // statement by statement (not atomic). Send the script as one simple-protocol query instead,
    // as the native engine does: Postgres runs it in one implicit transaction.
    adapter.executeScript = async (script) => {
      await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
    };
    return adapter;
  };
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: base.provider,
    adapterName: base.adapterName,
    connect,
    connectToShadowDb: connect,
  };
  return { factory, pool };
}

/**
 * Opens the WASM schema engine on `databaseUrl`. `datamodel` is the Prisma schema (path, content)
 * when the command needs one. Engine log lines at WARN and above go to `log`.
 */
export async function openSchemaEngine(
  databaseUrl: string,
  opts: { datamodel?: { path: string; content: string }; log?: (msg: string) => void } = {},
): Promise<OpenSchemaEngine> {
  const { SchemaEngine } = await loadSchemaEngine();
  const { factory, pool } = migrationAdapterFactory(databaseUrl);
  try {
    const engine = await SchemaEngine.new(
      { datamodels: opts.datamodel ? [[opts.datamodel.path, opts.datamodel.content]] : undefined },
      (line: string) => forwardEngineLog(line, opts.log),
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    return {
      engine,
      async close() {
        try {
          engine.free();
        } finally {
          await pool.end();
        }
      },
    };
  } catch (err) {
    await pool.end();
    throw err;
  }
}

function forwardEngineLog(line: string, log: ((msg: string) => void) | undefined): void {
  if (!log) return;
  try {
    const entry = JSON.parse(line) as { level?: string; fields?: { message?: string } };
    if (entry.level === 'WARN' || entry.level === 'ERROR') {
      log(`schema engine ${entry.level.toLowerCase()}: ${entry.fields?.message ?? line}`);
    }
  } catch {
    log(`schema engine: ${line}`);
  }
}
