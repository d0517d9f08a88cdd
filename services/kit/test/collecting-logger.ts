/** A kit logger whose entries land in an array, for tests that check what was logged. */
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '../src/logging.ts';

export function collectingLogger(service: string, level: string) {
  const logged: Array<Record<string, unknown>> = [];
  const logger = createLogger(service, level);
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        objectMode: true,
        write(entry, _encoding, done) {
          logged.push(entry as Record<string, unknown>);
          done();
        },
      }),
    }),
  );
  return { logger, logged };
}
