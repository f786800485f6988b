/**
 * Parsers for the relay's environment variables (server/config.ts, docs/relay.md
 * "Environment"). Each one names the variable in its error, so a bad deployment stops at
 * startup with a message that says what to fix.
 */

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = NodeJS.ProcessEnv;

const isBlank = (raw: string | undefined): raw is undefined => raw === undefined || raw.trim() === '';

/** An integer ≥ `min` (and ≤ `max` when given), or `fallback` when unset. */
export function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (isBlank(raw)) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
    throw new ConfigError(`relay config: ${name} must be an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** One of `choices`, or `fallback` when unset. */
export function oneOf<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!(choices as readonly string[]).includes(raw))
    throw new ConfigError(`relay config: ${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

/** A comma-separated list of URLs whose scheme is one of `schemes` (e.g. `turn:`), or []. */
export function urlList(env: Env, name: string, schemes: readonly string[]): string[] {
  const raw = env[name];
  if (isBlank(raw)) return [];
  const urls = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const u of urls) {
    if (!schemes.some((s) => u.startsWith(s)) || /\s/.test(u) || u.length > 512)
      throw new ConfigError(
        `relay config: ${name} must be comma-separated ${schemes.join('/')} URLs, got ${JSON.stringify(u)}`,
      );
  }
  return urls;
}

/** `REDIS_URL`: redis:// or rediss://, or null when unset. */
export function redisUrl(env: Env): string | null {
  const raw = env.REDIS_URL?.trim();
  if (!raw) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError('relay config: REDIS_URL is not a URL (expected redis://HOST:PORT[/DB])');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new ConfigError(`relay config: REDIS_URL must start with redis:// or rediss://, got ${u.protocol}//`);
  return raw;
}

/** `TRUST_PROXY_HEADER`: an HTTP header name, lower-cased, or null when unset. */
export function headerName(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  if (!/^[A-Za-z0-9-]{1,64}$/.test(raw))
    throw new ConfigError(`relay config: ${name} must be an HTTP header name such as x-forwarded-for, got ${raw}`);
  return raw.toLowerCase();
}

/** `ICE_SERVERS`: a JSON array of RTCIceServer objects, each with `urls`. */
export function iceServers(raw: string | undefined): unknown[] {
  if (isBlank(raw)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(`relay config: ICE_SERVERS is not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(parsed))
    throw new ConfigError('relay config: ICE_SERVERS must be a JSON array of RTCIceServer objects');
  for (const [i, s] of parsed.entries()) {
    if (typeof s !== 'object' || s === null || !('urls' in s)) {
      throw new ConfigError(`relay config: ICE_SERVERS[${i}] must be an object with "urls"`);
    }
  }
  return parsed;
}

/** `TURN_SECRET`: required with TURN_URLS and meaningless without; at least 16 characters. */
export function turnSecret(env: Env, turnUrls: string[]): string | null {
  const secret = env.TURN_SECRET?.trim() || null;
  if (turnUrls.length > 0 && !secret)
    throw new ConfigError("relay config: TURN_URLS needs TURN_SECRET (coturn's static-auth-secret)");
  if (secret && turnUrls.length === 0)
    throw new ConfigError('relay config: TURN_SECRET is set but TURN_URLS is empty: which TURN servers is it for?');
  if (secret && secret.length < 16)
    throw new ConfigError('relay config: TURN_SECRET must be at least 16 characters (use a long random string)');
  return secret;
}
