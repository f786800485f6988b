/**
 * What the relay does with each parsed client frame (docs/relay.md "Protocol"): room frames go to
 * the hub, mailbox requests to the mailbox handler, `hello` is answered with `welcome`.
 */
import type { RelayConfig } from './config';
import type { Client, Connections, Dispatch } from './connections';
import type { Hub, JoinOutcome } from './hub';
import { roomTag, type Logger } from './log';
import { CloseCode, RELAY_PROTOCOL_VERSION, encode, type ClientMessage } from './protocol';
import { MAILBOX_SIZE_CLASSES, type MailboxRequest } from './protocol-mailbox';

/**
 * Called for every accepted publish before it is forwarded. Return a string to forward that
 * instead of `data`, `null` to drop the message, or nothing to forward `data` unchanged. Tests use
 * it to record what the relay sees and to play a hostile relay. It is not validated or limited:
 * what it returns is forwarded as is.
 */
export type ForwardHook = (room: string, data: string, fromSocketId: string) => string | null | undefined | void;

/**
 * Called when a socket joins a room (not for a repeated subscribe). Tests record which connection
 * joined which room (what a relay could link by connection). A hook that throws is logged.
 */
export type SubscribeHook = (room: string, socketId: string) => void;

export interface DispatchOptions {
  cfg: RelayConfig;
  log: Logger;
  conns: Connections;
  hub: Hub<Client>;
  mailbox: (c: Client, m: MailboxRequest) => Promise<void>;
  onForward?: ForwardHook;
  onSubscribe?: SubscribeHook;
}

/** The `welcome` answer to `hello`: protocol version, features, mailbox limits. */
function welcomeFrame(cfg: RelayConfig): string {
  return encode.welcome({
    protocol: RELAY_PROTOCOL_VERSION,
    features: ['mailbox'],
    mailbox: {
      maxBlobs: cfg.mailboxMaxBlobs,
      maxBytes: cfg.mailboxMaxBytes,
      sizes: MAILBOX_SIZE_CLASSES.filter((s) => s <= cfg.mailboxMaxBytes),
      ttlS: cfg.mailboxTtlS,
    },
  });
}

export function createDispatch(o: DispatchOptions): Dispatch {
  const { cfg, conns, hub } = o;
  const welcome = welcomeFrame(cfg);

  const forwarded = (c: Client, room: string, data: string): string | null => {
    if (!o.onForward) return data;
    try {
      const replaced = o.onForward(room, data, c.id);
      return replaced === undefined ? data : replaced;
    } catch (e) {
      o.log.error('onForward hook threw; message dropped', { error: (e as Error).message });
      return null;
    }
  };

  const publish = (c: Client, room: string, data: string): void => {
    if (!hub.isIn(room, c))
      return conns.send(c, encode.error('not-subscribed', 'publish to a room this socket has not subscribed to', room));
    const out = forwarded(c, room, data);
    if (out === null) return;
    // Validated room and data are base64url, which needs no JSON escaping: skip stringify.
    hub.publish(room, c, Buffer.from(out === data ? encode.plainMessage(room, out) : encode.message(room, out)));
  };

  const subscribed = (c: Client, room: string, outcome: JoinOutcome): void => {
    if (outcome === 'too-many-rooms')
      return conns.fail(c, CloseCode.TOO_MANY_ROOMS, `more than ${cfg.maxRoomsPerSocket} rooms`);
    if (outcome !== 'joined') return;
    o.log.debug('subscribed', { socket: c.id, room: roomTag(room) });
    try {
      o.onSubscribe?.(room, c.id);
    } catch (e) {
      o.log.error('onSubscribe hook threw', { error: (e as Error).message });
    }
  };

  return (c: Client, m: ClientMessage): void | Promise<void> => {
    switch (m.type) {
      case 'ping':
        return conns.send(c, encode.pong());
      case 'hello':
        return conns.send(c, welcome);
      case 'subscribe': {
        const r = hub.join(m.room, c);
        if (r instanceof Promise) return r.then((outcome) => subscribed(c, m.room, outcome));
        return subscribed(c, m.room, r);
      }
      case 'unsubscribe':
        hub.leave(m.room, c);
        return;
      case 'publish':
        return publish(c, m.room, m.data);
      default:
        return o.mailbox(c, m);
    }
  };
}
