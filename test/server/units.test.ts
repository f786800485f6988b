/** Unit and property tests of the relay's pure parts: token bucket, config, frame parsing, rooms. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, configFromEnv } from '../../server/config';
import { TokenBucket } from '../../server/limits';
import { parseClientMessage } from '../../server/protocol';
import { Rooms } from '../../server/rooms';
import { roomTag } from '../../server/log';
import { newRoom } from './helpers';

describe('TokenBucket', () => {
  it('never lets more than burst + rate × elapsed through, and lets a steady sender under the rate through', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 500 }),
        (rate, burst, gaps) => {
          const b = new TokenBucket(rate, burst, 0);
          let now = 0;
          let taken = 0;
          for (const gap of gaps) {
            now += gap;
            if (b.take(now)) taken++;
          }
          expect(taken).toBeLessThanOrEqual(burst + (rate * now) / 1000 + 1e-9);
        },
      ),
    );
    const b = new TokenBucket(50, 100, 0);
    for (let t = 0; t < 60_000; t += 25) expect(b.take(t)).toBe(true); // 40/s for a minute
  });

  it('refuses the message after the burst when they all arrive at once', () => {
    const b = new TokenBucket(50, 100, 1000);
    for (let i = 0; i < 100; i++) expect(b.take(1000)).toBe(true);
    expect(b.take(1000)).toBe(false);
    expect(b.take(1020)).toBe(true); // 20 ms at 50/s refills one token
  });

  it('rejects nonsense parameters', () => {
    expect(() => new TokenBucket(0, 10, 0)).toThrow(/rate/);
    expect(() => new TokenBucket(10, 0, 0)).toThrow(/burst/);
  });
});

describe('configFromEnv', () => {
  it('uses the contract defaults', () => {
    expect(configFromEnv({})).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({
      port: 8080,
      host: 'localhost',
      staticDir: 'dist',
      maxMessageBytes: 65536,
      maxRoomsPerSocket: 128,
      maxPeersPerRoom: 8,
      maxMessagesPerSecond: 50,
      burst: 100,
      idleTimeoutMs: 60000,
      heartbeatMs: 20000,
      maxConnections: 10000,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const c = configFromEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      STATIC_DIR: 'x',
      ICE_SERVERS: '[{"urls":"stun:s"}]',
      MAX_MESSAGE_BYTES: '1024',
      MAX_ROOMS_PER_SOCKET: '4',
      MAX_PEERS_PER_ROOM: '2',
      MAX_MESSAGES_PER_SECOND: '10',
      IDLE_TIMEOUT_MS: '1000',
      HEARTBEAT_MS: '500',
      MAX_CONNECTIONS: '7',
      LOG_LEVEL: 'warn',
      RELAY_STATS: '1',
    });
    expect(c).toEqual({
      ...DEFAULT_CONFIG,
      port: 0,
      host: '127.0.0.1',
      staticDir: 'x',
      iceServers: [{ urls: 'stun:s' }],
      maxMessageBytes: 1024,
      maxRoomsPerSocket: 4,
      maxPeersPerRoom: 2,
      maxMessagesPerSecond: 10,
      burst: 20,
      idleTimeoutMs: 1000,
      heartbeatMs: 500,
      maxConnections: 7,
      logLevel: 'warn',
      stats: true,
    });
  });

  it('names the bad variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /PORT/],
      [{ MAX_CONNECTIONS: '-1' }, /MAX_CONNECTIONS/],
      [{ MAX_PEERS_PER_ROOM: '1.5' }, /MAX_PEERS_PER_ROOM/],
      [{ ICE_SERVERS: '{' }, /ICE_SERVERS.*JSON/],
      [{ ICE_SERVERS: '{"urls":"stun:x"}' }, /ICE_SERVERS must be a JSON array/],
      [{ ICE_SERVERS: '[{"url":"stun:x"}]' }, /ICE_SERVERS\[0\]/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    ];
    for (const [env, msg] of bad) {
      expect(() => configFromEnv(env)).toThrow(ConfigError);
      expect(() => configFromEnv(env)).toThrow(msg);
    }
  });
});

describe('parseClientMessage', () => {
  const room = newRoom();

  it('accepts the four message types', () => {
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ ok: true, message: { type: 'ping' } });
    expect(parseClientMessage(JSON.stringify({ type: 'subscribe', room }))).toEqual({
      ok: true,
      message: { type: 'subscribe', room },
    });
    expect(parseClientMessage(JSON.stringify({ type: 'unsubscribe', room }))).toEqual({
      ok: true,
      message: { type: 'unsubscribe', room },
    });
    expect(parseClientMessage(JSON.stringify({ type: 'publish', room, data: 'QQ' }))).toEqual({
      ok: true,
      message: { type: 'publish', room, data: 'QQ' },
    });
  });

  it('never throws, and accepts nothing but the protocol (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const r = parseClientMessage(text);
          if (r.ok) {
            const v = JSON.parse(text) as Record<string, unknown>;
            expect(['ping', 'subscribe', 'unsubscribe', 'publish']).toContain(v.type);
          }
        },
      ),
    );
  });

  it('rejects a publish whose room or data is altered by one character outside base64url', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 42 }),
        fc.constantFrom('=', '+', '/', ' ', '"', '\u00e9', '\n'),
        (i, ch) => {
          const badRoom = room.slice(0, i) + ch + room.slice(i + 1);
          const r = parseClientMessage(JSON.stringify({ type: 'publish', room: badRoom, data: 'QUJD' }));
          expect(r).toMatchObject({ ok: false, fatal: true });
          const r2 = parseClientMessage(JSON.stringify({ type: 'publish', room, data: 'QU' + ch + 'JD' }));
          expect(r2).toMatchObject({ ok: false, fatal: true });
        },
      ),
    );
  });

  it('tolerates up to two padding characters at the end of data only', () => {
    for (const data of ['QUI=', 'QQ=='])
      expect(parseClientMessage(JSON.stringify({ type: 'publish', room, data }))).toMatchObject({ ok: true });
    for (const data of ['QQ===', '=QQ', '=='])
      expect(parseClientMessage(JSON.stringify({ type: 'publish', room, data }))).toMatchObject({
        ok: false,
        fatal: true,
      });
  });
});

describe('Rooms', () => {
  it('enforces both caps and forgets empty rooms', () => {
    const r = new Rooms<string>(2, 2);
    expect(r.join('r1', 'a')).toBe('joined');
    expect(r.join('r1', 'a')).toBe('already');
    expect(r.join('r1', 'b')).toBe('joined');
    expect(r.join('r1', 'c')).toBe('room-full');
    expect(r.join('r2', 'a')).toBe('joined');
    expect(r.join('r3', 'a')).toBe('too-many-rooms');
    expect(r.others('r1', 'a')).toEqual(['b']);
    expect(r.leaveAll('a').sort()).toEqual(['r1', 'r2']);
    expect(r.roomCount).toBe(1);
    expect(r.leave('r1', 'b')).toBe(true);
    expect(r.leave('r1', 'b')).toBe(false);
    expect(r.roomCount).toBe(0);
  });
});

describe('roomTag', () => {
  it('is 8 hex digits, stable for a room and different between rooms', () => {
    const room = newRoom();
    expect(roomTag(room)).toMatch(/^[0-9a-f]{8}$/);
    expect(roomTag(room)).toBe(roomTag(room));
    expect(roomTag(newRoom())).not.toBe(roomTag(room));
  });
});
