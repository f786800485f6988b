/**
 * What the app says about the network, in words: the open chat's status line (docs/app.md
 * "Network: TURN and relay-only") and the relay's banner while it is away. Pure functions of the
 * connection manager's state, which `AppState` derives.
 * @module
 */
import type { ContactRecord } from '../store/db';
import type { SignalingStatus } from '../net/signaling';
import type { PeerState } from './connection-hooks';
import { appError, type AppError } from './errors';
import { shownName } from './names';
import { t } from './strings';
import { formatTime } from './format';

export interface StatusLine {
  /** `failed`: nothing can connect now (no route found, or relay-only without TURN): `code` says which. */
  state: 'connected' | 'connecting' | 'waiting' | 'relay' | 'failed' | 'none';
  text: string;
  code?: 'CONNECTION_FAILED' | 'TURN_UNAVAILABLE';
}

/** The parts of the connection manager (`ConnectionManager`) the words are made from. */
export interface NetworkView {
  readonly peers: Readonly<Record<string, PeerState>>;
  readonly relayStatus: SignalingStatus;
  readonly relayRetryAt: number | null;
  /** TURN's problem, when relay-only is on and TURN cannot be had (docs/app.md "Network: TURN and relay-only"). */
  readonly meeting: { readonly network: { readonly problem: AppError | null } };
}

/** The relay problem, when there is one (`RELAY_DOWN`, with the time of the next try when known). */
export function relayProblem(cm: NetworkView | null | undefined): AppError | null {
  const s = cm?.relayStatus;
  if (s !== 'retrying' && s !== 'closed') return null;
  const at = cm?.relayRetryAt;
  const e = appError('RELAY_DOWN');
  return at
    ? {
        ...e,
        action: t.status.relayRetry(formatTime(at)),
      }
    : e;
}

/** What the connection to the open chat's contact `c` is doing, in words. */
export function chatStatus(c: ContactRecord | null | undefined, cm: NetworkView | null): StatusLine {
  if (!c || !cm) return { state: 'none', text: '' };
  const who = shownName(c);
  if (c.blocked) return { state: 'none', text: t.status.blocked(who) };
  const s = cm.peers[c.key] ?? 'waiting';
  if (s === 'connected') return { state: 'connected', text: t.status.connected(who) };
  if (cm.relayStatus !== 'open') return { state: 'relay', text: t.status.relayDown };
  if (cm.meeting.network.problem)
    return {
      state: 'failed',
      code: 'TURN_UNAVAILABLE',
      text: t.status.noTurn(who),
    };
  if (s === 'connecting') return { state: 'connecting', text: t.status.connecting(who) };
  if (s === 'unreachable')
    return {
      state: 'failed',
      code: 'CONNECTION_FAILED',
      text: t.status.noRoute(who),
    };
  return { state: 'waiting', text: t.status.waiting(who) };
}
