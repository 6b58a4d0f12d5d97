import { pino } from 'pino';

export type { Logger } from 'pino';

export const createLogger = (level: string, name = 'parcours') => pino({ name, level });
