/**
 * The credentials /config.json hands out, against a real coturn (Debian's package, started here
 * on loopback with `use-auth-secret`): they get a relay allocation; the same scheme signed with a
 * wrong secret, or expired, gets none (docs/relay.md "STUN and TURN", issue 13).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnCredential } from '../../server/ice';
import { startCoturn, type Service } from '../support/services';
import { turnAllocate } from '../support/turn-allocate';
import { startRelay, type Running } from './helpers';

const SECRET = 'coturn-test-secret-4f9a1c';

describe('TURN credentials against a real coturn', () => {
  let turn: Service;
  let good: Running;
  let wrong: Running;
  beforeAll(async () => {
    turn = await startCoturn({ secret: SECRET });
    const turnUrls = [`turn:127.0.0.1:${turn.port}?transport=udp`];
    good = await startRelay({ turnUrls, turnSecret: SECRET });
    wrong = await startRelay({ turnUrls, turnSecret: 'not-the-coturn-secret' });
  });
  afterAll(async () => {
    await good?.relay.close();
    await wrong?.relay.close();
    await turn?.stop();
  });

  const credentialFrom = async (r: Running): Promise<{ username: string; credential: string }> => {
    const body = (await (await fetch(`${r.url}/config.json`)).json()) as { iceServers: Record<string, string>[] };
    const t = body.iceServers.find((s) => String(s.urls).startsWith('turn:'))!;
    return { username: t.username!, credential: t.credential! };
  };

  it('grants an allocation with the credentials /config.json hands out, and coturn logs it', async () => {
    const { username, credential } = await credentialFrom(good);
    const r = await turnAllocate(turn.port, username, credential);
    expect(r).toMatchObject({ ok: true });
    expect(r.ok && r.relayed).toMatch(/^127\.0\.0\.1:\d+$/);
    // coturn logs the session after it answered: wait for the line to come through its pipe.
    for (let i = 0; i < 100 && !turn.log().includes(username); i++) await new Promise((res) => setTimeout(res, 50));
    expect(turn.log()).toContain(username);
  });

  it('refuses credentials signed with another secret (401)', async () => {
    const { username, credential } = await credentialFrom(wrong);
    expect(await turnAllocate(turn.port, username, credential)).toMatchObject({ ok: false, errorCode: 401 });
  });

  it('refuses a credential whose expiry has passed, even with the right secret', async () => {
    const past = turnCredential(SECRET, Math.floor(Date.now() / 1000) - 60, 'expired');
    expect(await turnAllocate(turn.port, past.username, past.credential)).toMatchObject({ ok: false, errorCode: 401 });
  });
});
