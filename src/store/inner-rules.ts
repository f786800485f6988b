/**
 * What this side does with a decrypted inner message (docs/protocol.md "Compatibility", the
 * receiver's rule), the same for a message that came over a live link and one that came any
 * other way (the mailbox): usable → applied; a type this side cannot use (an unknown code, or a
 * known type whose feature this side lacks) → its ratchet step is spent, nothing is stored, and
 * it is receipted as `unsupported` so the sender stops resending it; anything else → refused.
 * A side configured without `unsupported-ack` (version 1) refuses what it cannot use, as version
 * 1 did.
 * @module
 */
import { failure, type Failure } from '../core/errors';
import { hasFeature, TYPE_FEATURE, type Announcement } from '../core/features';
import { messageIdOf, type decodeWire, type WireMessage } from '../core/wire';

/** The inner types of every version that knows them; all others are refused inside the ratchet. */
const INNER = new Set<WireMessage['type']>([
  'chat',
  'receipt',
  'resume',
  'file-key',
  'unsupported',
  'features-check',
  'group',
]);

/** An inner message this side takes. */
export type InnerMessage = Extract<
  WireMessage,
  { type: 'chat' | 'receipt' | 'resume' | 'file-key' | 'unsupported' | 'features-check' | 'group' }
>;

/** How an inner message is handled. */
export type InnerVerdict =
  | { kind: 'usable'; message: InnerMessage }
  /** Cannot be used here: receipted as `unsupported` when it names an outbox id. */
  | { kind: 'unusable'; id: string | null }
  | { kind: 'refused'; failure: Failure };

/** Whether a side configured with `own` (null: version 1) can use an inner message of `type`. */
function canUse(own: Announcement | null, type: WireMessage['type']): boolean {
  if (type === 'features-check') return own !== null;
  const f = TYPE_FEATURE[type];
  return f === undefined || hasFeature(own, f);
}

/** Sorts a decoded inner message (`plaintext` is what decodeWire read) by the receiver's rule. */
export function judgeInner(
  plaintext: Uint8Array,
  decoded: ReturnType<typeof decodeWire>,
  own: Announcement | null,
): InnerVerdict {
  const acks = hasFeature(own, 'unsupported-ack');
  if (!decoded.ok) {
    if (decoded.step === 'wire: type' && acks) return { kind: 'unusable', id: messageIdOf(plaintext) };
    return { kind: 'refused', failure: decoded };
  }
  const m = decoded.message;
  if (!INNER.has(m.type))
    return {
      kind: 'refused',
      failure: failure(
        'SESSION_BAD_PAYLOAD',
        'receiver',
        'sessions.receive',
        `a ${m.type} message cannot travel inside the ratchet`,
      ),
    };
  if (canUse(own, m.type)) return { kind: 'usable', message: m as InnerMessage };
  if (acks) return { kind: 'unusable', id: messageIdOf(plaintext) };
  return {
    kind: 'refused',
    failure: failure(
      'SESSION_BAD_PAYLOAD',
      'receiver',
      'sessions.receive',
      `a ${m.type} message arrived, which this version does not take (its feature is off)`,
    ),
  };
}
