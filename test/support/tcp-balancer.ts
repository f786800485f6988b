/**
 * A TCP load balancer in front of several relay instances, for the scale-out tests: each new
 * connection goes to the next backend in turn (no stickiness at all), and to the one after if that
 * backend refuses the connection — as nginx does with `proxy_next_upstream error`. On loopback.
 * With `order: 'failover'`, every connection goes to the first backend that accepts it instead (an
 * active/standby pair: the e2e tests serve one origin from instance 1 until it stops, then from 2).
 * With `delayMs`, every chunk is held that long in each direction (a backend on a slower network:
 * the Redis tests put one instance's Redis connections behind it to widen the races they check).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Transform } from 'node:stream';

/** Passes chunks on in order, each `ms` after it arrived. */
function delayed(ms: number): Transform {
  return new Transform({
    transform(chunk, _enc, done) {
      setTimeout(() => {
        this.push(chunk);
      }, ms);
      done();
    },
    flush(done) {
      setTimeout(done, ms + 1);
    },
  });
}

export interface Balancer {
  port: number;
  /** Which backend each accepted connection went to, in order. */
  readonly routed: number[];
  close(): Promise<void>;
}

export async function startBalancer(
  backendPorts: number[],
  o: { delayMs?: number; order?: 'round-robin' | 'failover' } = {},
): Promise<Balancer> {
  let next = 0;
  const routed: number[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const pipeTo = (client: Socket, tries: number): void => {
    if (tries >= backendPorts.length) return void client.destroy();
    const port = o.order === 'failover' ? backendPorts[tries]! : backendPorts[next++ % backendPorts.length]!;
    const upstream = connect(port, '127.0.0.1');
    track(upstream);
    upstream.once('error', () => {
      if (!upstream.connecting && upstream.bytesRead + upstream.bytesWritten > 0) return client.destroy();
      pipeTo(client, tries + 1);
    });
    upstream.once('connect', () => {
      routed.push(port);
      if (o.delayMs) client.pipe(delayed(o.delayMs)).pipe(upstream).pipe(delayed(o.delayMs)).pipe(client);
      else client.pipe(upstream).pipe(client);
      client.resume();
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
    });
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => client.destroy());
    pipeTo(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    routed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
