/**
 * STUN/TURN in /config.json (docs/relay.md "STUN and TURN", issue 13): TURN REST credentials in
 * the format coturn's `use-auth-secret` checks, the static ICE_SERVERS kept, the transport
 * policy passed on, and the shared secret never reaching a browser.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv } from '../../server/config';
import { iceConfig, turnCredential } from '../../server/ice';
import { startRelay, type Running } from './helpers';

const SECRET = 'north-pole-secret-0123';

describe('TURN REST credentials (draft-uberti-behave-turn-rest-00, coturn use-auth-secret)', () => {
  it('match values computed independently (Python hmac/base64) for the documented formula', () => {
    // python3: base64.b64encode(hmac.new(secret, username, hashlib.sha1).digest())
    expect(turnCredential(SECRET, 1767225600, 'parley')).toEqual({
      username: '1767225600:parley',
      credential: 'HptBlR5lX3z/BwbI5YgBvRu9YGo=',
    });
    // The draft's example username, with our secret.
    expect(turnCredential('0123456789abcdef', 12334939, 'mbzrxpgjys').credential).toBe('d5iL1HxAk+SWtT5Pby4g3EHLs3k=');
  });

  it('are "<unix expiry>:<id>" with base64 HMAC-SHA1 of exactly that username', () => {
    const now = Date.UTC(2026, 11, 5, 12, 0, 0);
    const body = iceConfig(
      {
        iceServers: [],
        stunUrls: [],
        turnUrls: ['turn:t.example:3478'],
        turnSecret: SECRET,
        turnTtlS: 6 * 3600,
        iceTransportPolicy: 'all',
      },
      now,
    );
    const turn = body.iceServers[0] as { urls: string[]; username: string; credential: string };
    const [expiry, id] = turn.username.split(':');
    expect(Number(expiry)).toBe(now / 1000 + 6 * 3600);
    expect(id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(turn.credential).toBe(createHmac('sha1', SECRET).update(turn.username).digest('base64'));
    expect(body.expiresAt).toBe((now / 1000 + 6 * 3600) * 1000);
  });

  it('refuse nonsense arguments by name', () => {
    expect(() => turnCredential('', 1, 'a')).toThrow(/secret/);
    expect(() => turnCredential(SECRET, 1.5, 'a')).toThrow(/expiresAtS/);
    expect(() => turnCredential(SECRET, 1, 'a:b')).toThrow(/id/);
  });
});

describe('ICE configuration from the environment', () => {
  it('reads STUN_URLS, TURN_URLS, TURN_SECRET, TURN_TTL_S and ICE_TRANSPORT_POLICY', () => {
    const c = configFromEnv({
      STUN_URLS: 'stun:s.example:3478, stun:s2.example',
      TURN_URLS: 'turn:t.example:3478?transport=udp,turns:t.example:5349',
      TURN_SECRET: SECRET,
      TURN_TTL_S: '600',
      ICE_TRANSPORT_POLICY: 'relay',
    });
    expect(c).toMatchObject({
      stunUrls: ['stun:s.example:3478', 'stun:s2.example'],
      turnUrls: ['turn:t.example:3478?transport=udp', 'turns:t.example:5349'],
      turnSecret: SECRET,
      turnTtlS: 600,
      iceTransportPolicy: 'relay',
    });
    expect(configFromEnv({}).turnTtlS).toBe(6 * 3600);
  });

  it('names the bad variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ TURN_URLS: 'turn:t.example' }, /TURN_URLS needs TURN_SECRET/],
      [{ TURN_SECRET: SECRET }, /TURN_SECRET is set but TURN_URLS is empty/],
      [{ TURN_URLS: 'http://t.example', TURN_SECRET: SECRET }, /TURN_URLS must be/],
      [{ TURN_URLS: 'turn:t.example', TURN_SECRET: 'short' }, /TURN_SECRET must be at least 16/],
      [{ STUN_URLS: 'turn:t.example' }, /STUN_URLS/],
      [{ ICE_TRANSPORT_POLICY: 'relay' }, /ICE_TRANSPORT_POLICY=relay needs TURN_URLS/],
      [{ ICE_TRANSPORT_POLICY: 'direct' }, /ICE_TRANSPORT_POLICY must be one of all, relay/],
      [{ TURN_URLS: 'turn:t', TURN_SECRET: SECRET, TURN_TTL_S: '5' }, /TURN_TTL_S/],
    ];
    for (const [env, msg] of bad) {
      expect(() => configFromEnv(env)).toThrow(ConfigError);
      expect(() => configFromEnv(env)).toThrow(msg);
    }
  });
});

describe('GET /config.json with TURN configured', () => {
  let r: Running;
  const staticIce = [{ urls: 'stun:static.example:3478' }];
  beforeAll(async () => {
    r = await startRelay({
      iceServers: staticIce,
      stunUrls: ['stun:stun.example:3478'],
      turnUrls: ['turn:turn.example:3478', 'turns:turn.example:5349'],
      turnSecret: SECRET,
      turnTtlS: 3600,
      iceTransportPolicy: 'relay',
    });
  });
  afterAll(() => r.relay.close());

  const getConfig = async (): Promise<{ text: string; body: Record<string, unknown>; cache: string | null }> => {
    const res = await fetch(`${r.url}/config.json`);
    const text = await res.text();
    return { text, body: JSON.parse(text) as Record<string, unknown>, cache: res.headers.get('cache-control') };
  };

  it('keeps ICE_SERVERS, adds STUN and TURN with fresh credentials, and passes the policy on', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { body, cache } = await getConfig();
    expect(cache).toBe('no-store');
    expect(body.iceTransportPolicy).toBe('relay');
    const servers = body.iceServers as Record<string, unknown>[];
    expect(servers[0]).toEqual(staticIce[0]);
    expect(servers[1]).toEqual({ urls: ['stun:stun.example:3478'] });
    expect(servers[2]).toMatchObject({ urls: ['turn:turn.example:3478', 'turns:turn.example:5349'] });
    const expiry = Number(String(servers[2]!.username).split(':')[0]);
    expect(expiry).toBeGreaterThanOrEqual(before + 3600);
    expect(body.expiresAt).toBe(expiry * 1000);
    const again = (await getConfig()).body.iceServers as Record<string, unknown>[];
    expect(again[2]!.username).not.toBe(servers[2]!.username); // a new id each time: nothing to link
  });

  it('never contains TURN_SECRET, in any common encoding', async () => {
    const { text } = await getConfig();
    const b = Buffer.from(SECRET);
    for (const form of [
      SECRET,
      b.toString('hex'),
      b.toString('base64'),
      b.toString('base64url'),
      encodeURIComponent(SECRET),
    ])
      expect(text).not.toContain(form);
    expect(text.toLowerCase()).not.toContain('secret');
  });
});
