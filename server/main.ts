/**
 * Process entry: `node --import tsx server/main.ts`. Reads the environment (server/config.ts),
 * serves the app and the relay on one port, prints the URL, and shuts down gracefully on
 * SIGTERM/SIGINT (docs/relay.md "Operations": sockets are told to reconnect now, with 1012, and
 * drained); a second signal exits at once.
 */
import { ConfigError, configFromEnv } from './config';
import { createLogger } from './log';
import { createRelay } from './relay';

let config;
try {
  config = configFromEnv();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(2);
}
const log = createLogger(config.logLevel);
const relay = createRelay({ ...config, logger: log });

try {
  const { url } = await relay.listen();
  const ws = url.replace(/^http/, 'ws');
  process.stdout.write(`Parley listening on ${url} (signaling at ${ws}/signal)\n`);
  log.info('listening', { url, staticDir: config.staticDir });
} catch (e) {
  process.stderr.write(`Parley relay could not listen on ${config.host}:${config.port}: ${(e as Error).message}\n`);
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info('shutting down', { signal });
    // A drain that hangs (a backend that never answers) must not keep the process alive for ever.
    setTimeout(
      () => {
        log.error('shutdown took too long; exiting');
        process.exit(1);
      },
      config.shutdownDrainMs * 2 + 5000,
    ).unref();
    relay.close().then(
      () => process.exit(0),
      (e: Error) => {
        log.error('shutdown failed', { error: e.message });
        process.exit(1);
      },
    );
  });
}
