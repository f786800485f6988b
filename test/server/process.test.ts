/** The real process, as `npm start` and Playwright run it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, newBlob, newRoom, root, startRelayProcess as startProcess } from './helpers';

describe('server/main.ts as a process', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

  it('serves /healthz and /metrics, relays between two sockets, logs no room id, and drains on SIGTERM', async () => {
    const { child, url, output } = await startProcess({ LOG_LEVEL: 'debug' });
    children.push(child);
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ ok: true });

    const wsUrl = url.replace(/^http/, 'ws') + '/signal';
    const room = newRoom();
    const a = await Client.connect(wsUrl);
    const b = await Client.connect(wsUrl);
    await a.subscribe(room);
    expect(await b.subscribe(room)).toBe(1);
    const data = newBlob(200);
    a.send({ type: 'publish', room, data });
    expect(await b.nextOfType('message')).toEqual({ type: 'message', room, data });

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^parley_relay_sockets 2$/m);
    expect(metrics).toMatch(/^parley_relay_rooms 1$/m);
    expect(metrics).toMatch(/^parley_relay_messages_relayed_total 1$/m);

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect((await a.closed).code).toBe(1012); // service restart: reconnect now, elsewhere
    expect(await exited).toBe(0);
    const log = output();
    expect(log).toContain('"msg":"subscribed"');
    expect(log).not.toContain(room);
    expect(log).not.toContain(data);
    for (const line of log.split('\n').filter((l) => l.startsWith('{'))) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('refuses to start with a bad environment variable, naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ICE_SERVERS: '{not json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toContain('ICE_SERVERS');
  });
});
