/**
 * The relay's ICE configuration (`GET /config.json`, docs/relay.md "STUN and TURN"; docs/net.md
 * "ICE configuration"): STUN/TURN servers, the deployment's transport policy, and when the TURN
 * credentials in it expire. `IceConfigSource` renews it before that, so a link opened hours
 * after the page loaded still gets working TURN credentials.
 * @module
 */

/** What `/config.json` said, checked and bounded. */
export interface IceConfig {
  readonly iceServers: RTCIceServer[];
  /** `relay`: the deployment allows relay candidates only (ICE_TRANSPORT_POLICY=relay). */
  readonly iceTransportPolicy: 'all' | 'relay';
  /**
   * When the TURN credentials stop working, on *this* browser's clock (ms since epoch), or
   * null when nothing in the config expires.
   */
  readonly expiresAt: number | null;
  /** When it was fetched (this browser's clock). */
  readonly fetchedAt: number;
}

/** Bounds on what the config may hold (docs/net.md "ICE configuration"); more is dropped. */
export const MAX_ICE_SERVERS = 8;
export const MAX_URLS_PER_SERVER = 8;
export const MAX_ICE_FIELD_CHARS = 512;
/** Renew when this share of the credentials' lifetime has passed. */
export const RENEW_AT_SHARE = 0.8;
/** Never renew sooner than this after the last fetch (a config that is already expired, a tiny TTL). */
export const MIN_RENEW_MS = 10_000;
/** After a failed renewal: retry after 10 s, doubling to 5 min. */
export const RETRY_MIN_MS = 10_000;
export const RETRY_MAX_MS = 300_000;
/** A fetch of the config that takes longer than this counts as failed. */
export const FETCH_TIMEOUT_MS = 10_000;

/** The config of a relay that serves none (or an unreadable one): no servers, policy `all`. */
export function emptyIceConfig(now: number): IceConfig {
  return { iceServers: [], iceTransportPolicy: 'all', expiresAt: null, fetchedAt: now };
}

const shortString = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_ICE_FIELD_CHARS;

/** One `RTCIceServer` from untrusted JSON: its `stun:`/`turn:`/`turns:` urls and credentials, or null. */
function iceServer(v: unknown): RTCIceServer | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const urls = (Array.isArray(o.urls) ? o.urls : [o.urls])
    .filter(shortString)
    .filter((u) => /^(stuns?|turns?):/i.test(u))
    .slice(0, MAX_URLS_PER_SERVER);
  if (urls.length === 0) return null;
  const s: RTCIceServer = { urls };
  if (shortString(o.username)) s.username = o.username;
  if (shortString(o.credential)) s.credential = o.credential;
  return s;
}

/**
 * Reads a `/config.json` body. `serverDate` is the response's `Date` header (ms), when there is
 * one: `expiresAt` is on the server's clock, so the lifetime is measured against the server's
 * own time and moved onto ours — a browser whose clock is an hour off still renews on time.
 */
export function parseIceConfig(body: unknown, fetchedAt: number, serverDate: number | null = null): IceConfig {
  if (typeof body !== 'object' || body === null) return emptyIceConfig(fetchedAt);
  const o = body as Record<string, unknown>;
  const iceServers = (Array.isArray(o.iceServers) ? o.iceServers : [])
    .slice(0, MAX_ICE_SERVERS)
    .map(iceServer)
    .filter((s): s is RTCIceServer => s !== null);
  const iceTransportPolicy = o.iceTransportPolicy === 'relay' ? 'relay' : 'all';
  let expiresAt: number | null = null;
  if (typeof o.expiresAt === 'number' && Number.isFinite(o.expiresAt)) {
    const serverNow = serverDate !== null && Number.isFinite(serverDate) ? serverDate : fetchedAt;
    expiresAt = fetchedAt + Math.max(0, o.expiresAt - serverNow);
  }
  return { iceServers, iceTransportPolicy, expiresAt, fetchedAt };
}

/** Whether the config names a TURN server (`turn:` or `turns:`), i.e. relay candidates are possible. */
export function hasTurn(c: Pick<IceConfig, 'iceServers'>): boolean {
  return c.iceServers.some((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^turns?:/i.test(u)));
}

/**
 * When to fetch the config again: at {@link RENEW_AT_SHARE} of the credentials' lifetime (at
 * least {@link MIN_RENEW_MS} after the fetch); null when nothing expires.
 */
export function renewAt(c: IceConfig): number | null {
  if (c.expiresAt === null) return null;
  return c.fetchedAt + Math.max(MIN_RENEW_MS, RENEW_AT_SHARE * (c.expiresAt - c.fetchedAt));
}

/** Whether a link opened at `now` should wait for a fresh config first. */
export function isStale(c: IceConfig, now: number): boolean {
  const at = renewAt(c);
  return at !== null && now >= at;
}

/** Fetches `/config.json` at `origin`: the body and the server's `Date`, or null when it cannot be read. */
export async function fetchIceConfig(origin: URL): Promise<{ body: unknown; serverDate: number | null } | null> {
  try {
    const res = await fetch(new URL('/config.json', origin), {
      cache: 'no-store',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!res.ok) return null;
    const date = Date.parse(res.headers.get('date') ?? '');
    return { body: (await res.json()) as unknown, serverDate: Number.isFinite(date) ? date : null };
  } catch {
    return null;
  }
}

/** What {@link IceConfigSource} needs from the outside world (tests give fakes). */
export interface IceConfigDeps {
  load(): Promise<{ body: unknown; serverDate: number | null } | null>;
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(t: unknown): void;
  /** Each new config, as it arrives. */
  onChange?(c: IceConfig): void;
}

/**
 * The current ICE config, renewed before its credentials expire: a timer fires at
 * {@link renewAt}, and {@link fresh} (called before every new link) renews first when the timer
 * was late (a laptop that slept, a throttled background tab). A failed renewal keeps the old
 * config and retries after 10 s, doubling to 5 min. Only one fetch runs at a time.
 */
export class IceConfigSource {
  private config: IceConfig;
  private timer: unknown = null;
  private inFlight: Promise<IceConfig> | null = null;
  private retryMs = RETRY_MIN_MS;
  /** After a failed fetch: when the next one is due. */
  private retryAt: number | null = null;
  private stopped = false;

  constructor(private readonly deps: IceConfigDeps) {
    this.config = emptyIceConfig(deps.now());
  }

  get current(): IceConfig {
    return this.config;
  }

  /** Loads the config (once at startup); resolves when it is read or could not be. */
  load(): Promise<IceConfig> {
    this.inFlight ??= this.reload().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /**
   * The config to open a link with now: renewed first if it is stale, unless a renewal failed
   * a moment ago (then the retry timer is pending and the link goes ahead with what we have).
   */
  async fresh(): Promise<IceConfig> {
    const now = this.deps.now();
    if (!isStale(this.config, now) || (this.retryAt !== null && now < this.retryAt)) return this.config;
    return this.load();
  }

  /** No more timers (the app is stopping). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
  }

  private async reload(): Promise<IceConfig> {
    const got = await this.deps.load();
    const now = this.deps.now();
    if (got) {
      this.config = parseIceConfig(got.body, now, got.serverDate);
      this.retryMs = RETRY_MIN_MS;
      this.retryAt = null;
      this.deps.onChange?.(this.config);
      this.schedule(renewAt(this.config));
    } else {
      // Keep what we have (an expired TURN credential still leaves STUN and host candidates).
      this.retryAt = now + this.retryMs;
      this.schedule(this.retryAt);
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    }
    return this.config;
  }

  private schedule(at: number | null): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
    if (at === null || this.stopped) return;
    this.timer = this.deps.setTimer(
      () => {
        this.timer = null;
        void this.load();
      },
      Math.max(0, at - this.deps.now()),
    );
  }
}
