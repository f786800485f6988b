/**
 * A relay in record mode: the real relay (`createRelay` from server/relay.ts) serving the built
 * app, with an `onForward` hook that appends every frame it forwards to RECORD_FILE, one JSON
 * line each, exactly as the receiving sockets get it. The metadata test scans that file.
 *
 * Run as a process: `RECORD_FILE=… PORT=… node --import tsx e2e/support/recording-relay.ts`
 * (or `startRecordingRelay()` from a test).
 */
import { appendFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnRelay, type RelayProcess } from './spawn-relay';

/** What the relay forwarded, as the JSON text frames it sent. */
export function readRecording(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

export function startRecordingRelay(port: number, recordFile: string): Promise<RelayProcess> {
  writeFileSync(recordFile, '');
  return spawnRelay('./recording-relay.ts', port, { RECORD_FILE: recordFile });
}

async function main(): Promise<void> {
  const { createRelay } = await import('../../server/relay');
  const file = process.env.RECORD_FILE;
  if (!file) throw new Error('RECORD_FILE is required');
  const relay = createRelay({
    port: Number(process.env.PORT ?? 8182), host: '127.0.0.1', staticDir: process.env.STATIC_DIR ?? 'dist', logLevel: 'warn',
    onForward: (room, data) => {
      appendFileSync(file, JSON.stringify({ type: 'message', room, data }) + '\n');
    },
  });
  await relay.listen();
  const stop = () => void relay.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
