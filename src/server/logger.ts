// Structured JSON logs (pino) on stdout, written synchronously so that the reason for a fatal stop
// is never lost; `local up` sends each node's stdout to <dir>/<node>/server.log.
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, nodeName: string): Logger {
  return pino({ level, base: { node: nodeName }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ sync: true }));
}
