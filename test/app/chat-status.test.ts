// The open chat's status line and the relay banner (docs/app.md "Network: TURN and relay-only"):
// which state wins when several hold at once, and the stable codes of the failed states.
import { describe, expect, it } from 'vitest';
import { chatStatus, relayProblem, type NetworkView } from '../../src/app/chat-status';
import { appError } from '../../src/app/errors';
import type { ContactRecord } from '../../src/store/db';
import type { PeerState } from '../../src/app/connection-hooks';

const bob: ContactRecord = {
  key: 'b0b',
  publicKey: new Uint8Array(32).fill(2),
  name: 'Bob',
  contactSecret: new Uint8Array(32).fill(9),
  addedAt: 1,
  lastSeen: 1,
};

function net(over: Partial<NetworkView> = {}, peer?: PeerState): NetworkView {
  return {
    peers: peer ? { [bob.key]: peer } : {},
    relayStatus: 'open',
    relayRetryAt: null,
    meeting: { network: { problem: null } },
    ...over,
  };
}

describe('chatStatus', () => {
  it('says nothing without an open chat or before the network exists', () => {
    expect(chatStatus(null, net())).toEqual({ state: 'none', text: '' });
    expect(chatStatus(bob, null)).toEqual({ state: 'none', text: '' });
  });

  it('names the contact by the label the person gave them', () => {
    const s = chatStatus({ ...bob, label: 'Robert' }, net({}, 'connected'));
    expect(s.state).toBe('connected');
    expect(s.text).toContain('Robert');
    expect(s.text).not.toContain('Bob');
  });

  it('a blocked contact is blocked, even with a live link', () => {
    expect(chatStatus({ ...bob, blocked: true }, net({}, 'connected')).state).toBe('none');
  });

  it('a live link outranks a relay that is down', () => {
    expect(chatStatus(bob, net({ relayStatus: 'retrying' }, 'connected')).state).toBe('connected');
    expect(chatStatus(bob, net({ relayStatus: 'retrying' }, 'unreachable')).state).toBe('relay');
  });

  it('relay-only without TURN fails with TURN_UNAVAILABLE before any route is tried', () => {
    const problem = appError('TURN_UNAVAILABLE');
    const s = chatStatus(bob, net({ meeting: { network: { problem } } }, 'connecting'));
    expect(s).toMatchObject({ state: 'failed', code: 'TURN_UNAVAILABLE' });
  });

  it('no route is CONNECTION_FAILED; no link state yet is waiting', () => {
    expect(chatStatus(bob, net({}, 'unreachable'))).toMatchObject({ state: 'failed', code: 'CONNECTION_FAILED' });
    expect(chatStatus(bob, net({}, 'connecting')).state).toBe('connecting');
    expect(chatStatus(bob, net()).state).toBe('waiting');
  });
});

describe('relayProblem', () => {
  it('is RELAY_DOWN only while the relay is retrying or closed', () => {
    expect(relayProblem(null)).toBeNull();
    expect(relayProblem(net({ relayStatus: 'open' }))).toBeNull();
    expect(relayProblem(net({ relayStatus: 'connecting' }))).toBeNull();
    expect(relayProblem(net({ relayStatus: 'closed' }))).toEqual(appError('RELAY_DOWN'));
  });

  it('says when the next try is, once one is scheduled', () => {
    const at = new Date(2026, 11, 5, 21, 47).getTime();
    const e = relayProblem(net({ relayStatus: 'retrying', relayRetryAt: at }));
    expect(e?.code).toBe('RELAY_DOWN');
    expect(e?.action).not.toBe(appError('RELAY_DOWN').action);
    expect(e?.action).toMatch(/47/);
  });
});
