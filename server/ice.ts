/**
 * What GET /config.json tells browsers about ICE (docs/relay.md "STUN and TURN"): the static
 * ICE_SERVERS, STUN_URLS, and TURN_URLS with fresh short-lived credentials in the TURN REST
 * scheme that coturn checks with `use-auth-secret` (draft-uberti-behave-turn-rest-00, coturn's
 * "TURN REST API"):
 *
 *   username   = "<unix time the credential expires>:<id>"
 *   credential = base64(HMAC-SHA1(TURN_SECRET, username))
 *
 * coturn recomputes the HMAC from its `static-auth-secret` and refuses a username whose time has
 * passed. The secret itself never leaves the server; `id` is random per response, so it names no
 * one (coturn logs it).
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface TurnCredential {
  username: string;
  credential: string;
}

/** A TURN REST credential valid until `expiresAtS` (unix seconds). */
export function turnCredential(secret: string, expiresAtS: number, id: string): TurnCredential {
  if (!secret) throw new TypeError('turnCredential: secret must be non-empty');
  if (!Number.isSafeInteger(expiresAtS) || expiresAtS <= 0)
    throw new TypeError('turnCredential: expiresAtS must be a positive integer (unix seconds)');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new TypeError('turnCredential: id must be 1..64 base64url characters');
  const username = `${expiresAtS}:${id}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

export interface IceSettings {
  iceServers: unknown[];
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | null;
  turnTtlS: number;
  iceTransportPolicy: 'all' | 'relay';
}

export interface IceConfigBody {
  iceServers: unknown[];
  iceTransportPolicy: 'all' | 'relay';
  /** When the TURN credentials stop working (ms since epoch); fetch /config.json again before. */
  expiresAt?: number;
}

/** The /config.json body for one request at `nowMs`. */
export function iceConfig(s: IceSettings, nowMs: number, random: (n: number) => Buffer = randomBytes): IceConfigBody {
  const servers: unknown[] = [...s.iceServers];
  if (s.stunUrls.length > 0) servers.push({ urls: s.stunUrls });
  if (s.turnUrls.length === 0 || !s.turnSecret)
    return { iceServers: servers, iceTransportPolicy: s.iceTransportPolicy };
  const expiresAtS = Math.floor(nowMs / 1000) + s.turnTtlS;
  const cred = turnCredential(s.turnSecret, expiresAtS, random(9).toString('base64url'));
  servers.push({ urls: s.turnUrls, ...cred });
  return { iceServers: servers, iceTransportPolicy: s.iceTransportPolicy, expiresAt: expiresAtS * 1000 };
}
