/**
 * The meeting context (docs/app.md "Meeting context"): what every attempt to meet someone at a
 * rendezvous needs — the relay sockets, the ICE servers, the shared room budget, a wait for the
 * relay to be open, and the app's stop signal. `ContactPeer` and `PairingState` receive it
 * explicitly instead of reaching through `ConnectionManager`.
 * @module
 */
import type { SignalingClient, SignalingStatus } from '../net/signaling';
import { DaySockets } from '../net/day-sockets';
import { ROOM_BUDGET, ROOM_RATE, RoomBudget } from './room-budget';
import { NetworkState, type LinkIce } from './network.svelte';
import type { AppError } from './errors';
import { Gate } from './gate';
import { CURRENT, type Announcement } from '../core/features';

export interface MeetingContext {
  /**
   * The relay sockets: one per UTC day of contact rooms, one for invite rooms (docs/protocol-app.md
   * §3.5); null until {@link Meeting.connect}. A meeting leases the days of its rooms.
   */
  readonly relay: DaySockets | null;
  /** The socket for invite rooms (pairing), opened on first use: each read counts as a use. */
  readonly signaling: SignalingClient | null;
  /**
   * The ICE settings for a link opened now (docs/app.md "Network: TURN and relay-only"): the
   * relay's STUN/TURN servers with credentials renewed if stale, the transport policy, and a
   * signal that aborts when the policy changes.
   */
  ice(): Promise<LinkIce>;
  /** CONNECTION_FAILED for `name` — both online, no route — with what to do given the settings. */
  noRoute(name?: string): AppError;
  /** Rooms that background attempts (contacts, invites made here) may hold at once. */
  readonly rooms: RoomBudget;
  /** Resolves once the relay is open, or the app is stopping. */
  relayOpen(): Promise<void>;
  /** Aborts when the app stops: every meeting and listening loop ends. */
  readonly stop: AbortSignal;
  /** What this page announces on every link (docs/protocol.md "Compatibility"); null: nothing, version 1. */
  readonly features: Announcement | null;
}

/** The app's one meeting context, owned by `ConnectionManager`. */
export class Meeting implements MeetingContext {
  relay: DaySockets | null = null;
  /** The relay's ICE configuration and the relay-only choice. */
  readonly network = new NetworkState();
  /** Set once by `ConnectionManager` from the page's one configuration point (peer-features.ts). */
  features: Announcement | null = CURRENT;
  /** Below the relay's default of 128 rooms per socket, paced under its frame rate (room-budget.ts). */
  readonly rooms = new RoomBudget(ROOM_BUDGET, { rate: ROOM_RATE });
  private readonly stopper = new AbortController();
  private readonly openGate = new Gate();

  get signaling(): SignalingClient | null {
    return this.relay?.invites ?? null;
  }

  get stop(): AbortSignal {
    return this.stopper.signal;
  }

  relayOpen(): Promise<void> {
    return this.openGate.wait(() => this.relay?.status === 'open' || this.stop.aborted);
  }

  /** Opens the relay sockets (same origin, path /signal); `onStatus` hears each change first. */
  connect(origin: URL, onStatus: (s: SignalingStatus, nextRetryAt: number | null) => void): DaySockets {
    const ws = `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}/signal`;
    const relay = new DaySockets(ws);
    this.relay = relay;
    relay.onStatus((s) => {
      onStatus(s, relay.nextRetryAt);
      if (s === 'open') this.openGate.open();
    });
    return relay;
  }

  /** Loads the relay's ICE configuration (`GET /config.json`, docs/relay.md) and keeps it fresh. */
  loadIceConfig(origin: URL): Promise<void> {
    return this.network.load(origin);
  }

  ice(): Promise<LinkIce> {
    return this.network.forLink();
  }

  noRoute(name?: string): AppError {
    return this.network.noRoute(name);
  }

  /** Fires the stop signal: loops end, waits for the relay return. */
  abort(): void {
    this.stopper.abort();
    this.network.stop();
  }

  /** Closes the relay sockets (after {@link abort}, once the links are told to close). */
  close(): void {
    this.relay?.close();
  }
}
