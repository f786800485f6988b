import { describe, expect, it } from 'vitest';
import { deliveryView } from '../../src/app/delivery-view';

describe('the tick of an outgoing message', () => {
  it('says delivered once the receipt came, whether or not it went through the mailbox', () => {
    expect(deliveryView({ delivered: true }, 'Bob').state).toBe('delivered');
    expect(deliveryView({ delivered: true, mailboxAt: 5 }, 'Bob')).toMatchObject({
      state: 'delivered',
      text: '✓✓ delivered',
    });
  });
  it('says where a message left at the relay waits, and for whom', () => {
    const v = deliveryView({ delivered: false, mailboxAt: 5 }, 'Bob');
    expect(v.state).toBe('mailbox');
    expect(v.text).toBe('✓ sent — waiting for Bob to come online');
    expect(v.title).toContain('relay');
  });
  it('says only "sent" for a message sent over a link or still in the outbox', () => {
    expect(deliveryView({ delivered: false }, 'Bob')).toMatchObject({ state: 'sent', text: '✓ sent' });
  });
});
