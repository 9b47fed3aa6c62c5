import { describe, expect, it } from 'vitest';
import { messageMatches, parseMessageQuery } from '../server/stream/message-match.js';

const matches = (q: string, message: string) => messageMatches(parseMessageQuery(q), message);

describe('live stream search on the message', () => {
  it('needs every word, in any case and order, as whole words', () => {
    expect(matches('payment declined', 'Card DECLINED during payment')).toBe(true);
    expect(matches('payment declined', 'payment accepted')).toBe(false);
    expect(matches('pay', 'payment accepted')).toBe(false);
    expect(matches('order', 'order-42 shipped')).toBe(true);
  });

  it('matches a quoted phrase only as consecutive words', () => {
    expect(matches('"card declined"', 'the card declined twice')).toBe(true);
    expect(matches('"card declined"', 'declined card')).toBe(false);
    expect(matches('"card declined"', 'card was declined')).toBe(false);
  });

  it('leaves out messages with an excluded term, and takes either side of or', () => {
    expect(matches('timeout -retry', 'upstream timeout')).toBe(true);
    expect(matches('timeout -retry', 'timeout, will retry')).toBe(false);
    expect(matches('timeout or refused upstream', 'connection refused by upstream')).toBe(true);
    expect(matches('timeout or refused upstream', 'connection refused')).toBe(false);
  });

  it('matches everything when the search holds no words', () => {
    expect(matches('', 'anything')).toBe(true);
    expect(matches('  ?! ', 'anything')).toBe(true);
  });
});
