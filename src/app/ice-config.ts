/** The relay's ICE configuration (`GET /config.json`, docs/relay.md); none when it cannot be read. @module */
export async function loadIceServers(origin: URL): Promise<RTCIceServer[]> {
  try {
    const res = await fetch(new URL('/config.json', origin));
    if (!res.ok) return [];
    const j = (await res.json()) as { iceServers?: RTCIceServer[] };
    return Array.isArray(j.iceServers) ? j.iceServers : [];
  } catch {
    return [];
  }
}
