/**
 * GET /metrics in Prometheus text format (docs/relay.md "Operations"), one registry per relay so
 * several relays in one process (tests) keep their own counts. Counters are per instance; the
 * mailbox gauges are deployment-wide with Redis (every instance reports the same totals).
 * Besides Node's default metrics (including `nodejs_eventloop_lag_seconds` and its percentiles):
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MailboxStats } from './mailbox-store';

export interface MetricSources {
  sockets: () => number;
  rooms: () => number;
  pausedSockets: () => number;
  bufferedBytes: () => number;
  mailbox: () => Promise<MailboxStats>;
}

export interface RelayMetrics {
  registry: Registry;
  /** A `message` frame of `bytes` handed to a socket. */
  relayed(bytes: number): void;
  /** A socket closed by the relay (close code), or a request refused (error code). */
  refused(code: number | string): void;
  mailboxOp(op: 'put' | 'fetch' | 'ack', result: string): void;
  /** A socket stopped being read because the global input budget ran out. */
  inputPaused(): void;
}

/** The gauges, read from `src` at every scrape. */
function registerGauges(registry: Registry, src: MetricSources): void {
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge('parley_relay_sockets', 'Open signaling sockets on this instance', src.sockets);
  gauge('parley_relay_rooms', 'Rooms with a member on this instance', src.rooms);
  gauge(
    'parley_relay_paused_sockets',
    'Sockets not being read because the global input budget ran out',
    src.pausedSockets,
  );
  gauge('parley_relay_buffered_bytes', 'Bytes handed to sockets and not yet written out', src.bufferedBytes);
  const mailboxGauge = (name: string, help: string, pick: (s: MailboxStats) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        try {
          this.set(pick(await src.mailbox()));
        } catch {
          this.set(Number.NaN); // storage unreachable: say so rather than report a stale number
        }
      },
    });
  };
  mailboxGauge('parley_relay_mailbox_blobs', 'Blobs stored in mailboxes (deployment-wide with Redis)', (s) => s.blobs);
  mailboxGauge('parley_relay_mailbox_bytes', 'Size-class bytes stored in mailboxes', (s) => s.bytes);
}

export function createMetrics(src: MetricSources): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerGauges(registry, src);
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const messages = counter('parley_relay_messages_relayed_total', 'Room messages handed to sockets on this instance');
  const bytes = counter(
    'parley_relay_bytes_relayed_total',
    'Bytes of room messages handed to sockets on this instance',
  );
  const refusals = counter(
    'parley_relay_refusals_total',
    'Sockets closed by the relay (by close code) and requests refused (by error code)',
    ['code'],
  );
  const mailboxOps = counter('parley_relay_mailbox_operations_total', 'Mailbox requests by operation and result', [
    'op',
    'result',
  ]);
  const pauses = counter(
    'parley_relay_input_pauses_total',
    'Times a socket stopped being read because GLOBAL_BYTES_PER_SECOND ran out',
  );
  return {
    registry,
    inputPaused: () => pauses.inc(),
    relayed: (n) => {
      messages.inc();
      bytes.inc(n);
    },
    refused: (code) => refusals.inc({ code: String(code) }),
    mailboxOp: (op, result) => mailboxOps.inc({ op, result }),
  };
}
