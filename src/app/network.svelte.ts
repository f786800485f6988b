/**
 * How this browser connects to people (docs/app.md "Network: TURN and relay-only"): the relay's
 * ICE configuration, renewed before its TURN credentials expire (ice-config.ts), and the
 * person's "Hide my IP address from contacts (always relay)" choice. Every link attempt asks
 * {@link NetworkState.forLink} for its ICE settings, so a link opened hours after the page
 * loaded still gets valid credentials and the current choice.
 * @module
 */
import { browserKeyValue, readJson, writeJson, type KeyValue } from './attention';
import { IceConfigSource, emptyIceConfig, fetchIceConfig, hasTurn, type IceConfig } from './ice-config';
import { appError, type AppError } from './errors';
import { t } from './strings';

/**
 * Where the relay-only choice is kept: `localStorage`, not IndexedDB. It is a property of this
 * browser's network, not of the identity (a backup restored elsewhere must not carry it), it is
 * needed synchronously before the first link starts, and it applies to every tab at once.
 */
export const RELAY_ONLY_KEY = 'parley.relayOnly';

/** The ICE settings one link is opened with, and a signal that fires when they change. */
export interface LinkIce {
  readonly iceServers: RTCIceServer[];
  readonly iceTransportPolicy: RTCIceTransportPolicy;
  /** Aborts when the transport policy changes (relay-only switched): attempts under the old one stop. */
  readonly changed: AbortSignal;
}

const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

export class NetworkState {
  /** The relay's ICE configuration (empty until `/config.json` is read). */
  config = $state.raw<IceConfig>(emptyIceConfig(Date.now()));
  /** `/config.json` was read (or could not be): until then nothing is known about TURN. */
  loaded = $state(false);
  /** The person's choice: relay candidates only, so contacts never learn this browser's IP addresses. */
  relayOnlyChosen = $state(false);
  /** The choice could not be stored (site data blocked): it holds for this visit only. */
  notSaved = $state(false);
  /** The deployment imposes relay-only on every browser (`ICE_TRANSPORT_POLICY=relay`). */
  readonly serverRequiresRelay = $derived(this.config.iceTransportPolicy === 'relay');
  /** Whether this browser uses relay candidates only, by its own choice or the server's. */
  readonly relayOnly = $derived(this.serverRequiresRelay || this.relayOnlyChosen);
  readonly turnAvailable = $derived(hasTurn(this.config));
  /** Relay-only without a TURN server: no connection can be made at all. */
  readonly problem = $derived.by((): AppError | null =>
    this.loaded && this.relayOnly && !this.turnAvailable ? this.noTurnError() : null,
  );
  private source: IceConfigSource | null = null;
  private changedCtl = new AbortController();

  constructor(private readonly kv: KeyValue = browserKeyValue()) {
    this.relayOnlyChosen = readJson(kv, RELAY_ONLY_KEY, false, isBoolean);
  }

  /** Reads `/config.json` at `origin` and keeps renewing it; resolves after the first read. */
  async load(origin: URL): Promise<void> {
    this.source?.stop();
    const source = new IceConfigSource({
      load: () => fetchIceConfig(origin),
      now: () => Date.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      onChange: (c) => this.configChanged(c),
    });
    this.source = source;
    await source.load();
    this.loaded = true;
  }

  /** The settings for a link opened now: the config renewed first if its credentials are near expiry. */
  async forLink(): Promise<LinkIce> {
    const c = this.source ? await this.source.fresh() : this.config;
    return {
      iceServers: c.iceServers,
      iceTransportPolicy: this.relayOnly ? 'relay' : 'all',
      changed: this.changedCtl.signal,
    };
  }

  /** The signal of the current transport policy (see {@link LinkIce.changed}). */
  get changed(): AbortSignal {
    return this.changedCtl.signal;
  }

  /**
   * Sets the person's relay-only choice and stores it. Returns whether the policy became
   * stricter (relay-only now, not before): then the caller ends links that may be direct.
   */
  setRelayOnly(on: boolean): boolean {
    const before = this.relayOnly;
    this.relayOnlyChosen = on;
    writeJson(this.kv, RELAY_ONLY_KEY, on);
    this.notSaved = readJson(this.kv, RELAY_ONLY_KEY, null, isBoolean) !== on;
    if (before !== this.relayOnly) this.policyChanged();
    return !before && this.relayOnly;
  }

  /** No more renewals (the app is stopping). */
  stop(): void {
    this.source?.stop();
  }

  /**
   * CONNECTION_FAILED for `name` (both online, no route found), with what to do given this
   * browser's settings: who can fix it (the relay's operator, by configuring TURN) and what the
   * person can try (relay-only).
   */
  noRoute(name?: string): AppError {
    const e = appError('CONNECTION_FAILED', name);
    if (this.relayOnly && !this.turnAvailable) return { ...e, action: this.noTurnError().action };
    if (this.relayOnly)
      return {
        ...e,
        action: t.noRouteAction.turnFailed,
      };
    if (this.turnAvailable)
      return {
        ...e,
        action: t.noRouteAction.tryRelay,
      };
    return e;
  }

  private noTurnError(): AppError {
    const e = appError('TURN_UNAVAILABLE');
    return this.serverRequiresRelay ? { ...e, action: t.noRouteAction.serverRequiresRelay } : e;
  }

  private configChanged(c: IceConfig): void {
    const before = this.relayOnly;
    this.config = c;
    if (before !== this.relayOnly) this.policyChanged();
  }

  private policyChanged(): void {
    const old = this.changedCtl;
    this.changedCtl = new AbortController();
    old.abort();
  }
}
