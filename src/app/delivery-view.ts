/**
 * What an outgoing message's tick says (docs/app.md "Mailbox"): delivered once the contact's
 * receipt came back; "waiting for … to come online" while it sits in the contact's mailbox at the
 * relay (the contact's Parley fetches it when it comes online); plain "sent" otherwise — sent over
 * a link without a receipt yet, or still in this browser's outbox.
 * @module
 */
import type { MessageRecord } from '../store/db';

export interface DeliveryView {
  /** `data-state` of the tick: how far the message got. */
  state: 'delivered' | 'mailbox' | 'sent';
  text: string;
  /** The tooltip: the same, in a sentence. */
  title: string;
}

export function deliveryView(m: Pick<MessageRecord, 'delivered' | 'mailboxAt'>, peer: string): DeliveryView {
  if (m.delivered) return { state: 'delivered', text: '✓✓ delivered', title: 'Delivered' };
  if (m.mailboxAt !== undefined)
    return {
      state: 'mailbox',
      text: `✓ sent — waiting for ${peer} to come online`,
      title: `Left end-to-end encrypted at the relay: ${peer}'s Parley fetches it when ${peer} comes online, and it shows as delivered then.`,
    };
  return { state: 'sent', text: '✓ sent', title: 'Not delivered yet' };
}
