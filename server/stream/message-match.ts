/**
 * Matching of a search text against one message, in the server, for the live stream.
 * It follows the syntax of the query's full-text search (websearch_to_tsquery with the
 * `simple` configuration): words, "quoted phrases", -excluded terms and `or`, all
 * case-insensitive and on whole words. Every term must match (or one of an `or` group).
 */

interface Term {
  /** The words of the term, to be found consecutive in the message. */
  words: string[];
  negated: boolean;
}

/** Terms to match all of; each inner list is an `or` group of which one must match. */
export type MessageQuery = Term[][];

const WORD = /[\p{L}\p{N}_]+/gu;

function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

export function parseMessageQuery(q: string): MessageQuery {
  const groups: MessageQuery = [];
  let joinNext = false;
  for (const [, negation, phrase, bare] of q.matchAll(/(-?)(?:"([^"]*)"?|(\S+))/g)) {
    const text = phrase ?? bare;
    if (phrase === undefined && negation === '' && text.toLowerCase() === 'or') {
      joinNext = groups.length > 0;
      continue;
    }
    const term: Term = { words: words(text), negated: negation === '-' };
    if (term.words.length === 0) continue;
    if (joinNext) groups[groups.length - 1].push(term);
    else groups.push([term]);
    joinNext = false;
  }
  return groups;
}

function containsSequence(haystack: string[], needle: string[]): boolean {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let i = 0; i < needle.length; i++) if (haystack[start + i] !== needle[i]) continue outer;
    return true;
  }
  return false;
}

export function messageMatches(query: MessageQuery, message: string): boolean {
  if (query.length === 0) return true;
  const messageWords = words(message);
  return query.every((group) => group.some((term) => containsSequence(messageWords, term.words) !== term.negated));
}
