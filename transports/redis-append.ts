import { randomUUID } from 'node:crypto';
import type { StoredLogEntry } from '../src/types.js';
import type { Redelivery } from './batcher.js';

/** What the transport publishes on the channel after each batch that added entries. */
export interface StreamNotice {
  count: number;
  lastStreamId: string;
}

export interface StreamAppendTarget {
  streamKey: string;
  channel: string;
  maxLen: number;
}

/** How long an attempt's marker is kept: longer than any retry of its entries waits. */
export const ATTEMPT_MARKER_TTL_SECONDS = 3_600;

/**
 * One batch in one atomic step: XADD of each entry not already added by an earlier attempt,
 * a marker saying this attempt ran, and the notice.
 * KEYS[1] the stream, KEYS[2] this attempt's marker, KEYS[3..] markers of earlier attempts
 * whose outcome is unknown and id keys of entries read back from a spool. ARGV[1] MAXLEN,
 * ARGV[2] the channel, ARGV[3] the TTL of markers and id keys, then per entry: the KEYS indexes
 * of its earlier attempts ("" or "3,4"), the KEYS index of its id key ("" or "5"), its JSON.
 * An entry with an id key is added only if that key did not exist, and sets it.
 */
const APPEND_SCRIPT = `
local ran = {}
local function didRun(k)
  if ran[k] == nil then ran[k] = redis.call('EXISTS', KEYS[k]) == 1 end
  return ran[k]
end
local added, last = 0, nil
for i = 4, #ARGV, 3 do
  local done = false
  for k in string.gmatch(ARGV[i], '%d+') do
    if didRun(tonumber(k)) then done = true end
  end
  if not done and ARGV[i + 1] ~= '' then
    done = not redis.call('SET', KEYS[tonumber(ARGV[i + 1])], '1', 'NX', 'EX', ARGV[3])
  end
  if not done then
    last = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'entry', ARGV[i + 2])
    added = added + 1
  end
end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
if added > 0 then redis.call('PUBLISH', ARGV[2], cjson.encode({ count = added, lastStreamId = last })) end
return added
`;

/** The part of a node-redis client the appender uses. */
export interface ScriptClient {
  scriptLoad(script: string): Promise<unknown>;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * Appends batches to the stream so that a retried entry is never added twice. When a
 * write fails, the reply may have been lost after Redis ran it; each entry remembers the
 * markers of the attempts that carried it, and the next attempt's script skips the entries
 * whose earlier attempt ran. The script runs whole or not at all, so the marker exists exactly
 * when the attempt's entries were added. `redelivery` keeps those markers beside an entry in
 * the spool, and gives an entry read back from a spool an id key, which the script sets when it
 * adds the entry and checks first: a spool sent again after a crash adds nothing twice.
 */
export function createStreamAppender(client: ScriptClient, target: StreamAppendTarget) {
  let sha: string | undefined;
  const attempts = new WeakMap<StoredLogEntry, string[]>();
  const fromSpool = new WeakSet<StoredLogEntry>();

  async function run(keys: string[], args: string[]): Promise<number> {
    sha ??= String(await client.scriptLoad(APPEND_SCRIPT));
    try {
      return Number(await client.evalSha(sha, { keys, arguments: args }));
    } catch (error) {
      // a restarted Redis has forgotten the script
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      sha = undefined;
      return Number(await client.eval(APPEND_SCRIPT, { keys, arguments: args }));
    }
  }

  async function append(entries: StoredLogEntry[]): Promise<number> {
    const marker = `${target.streamKey}:attempt:${randomUUID()}`;
    const keys = [target.streamKey, marker];
    const keyIndex = new Map<string, number>();
    const indexOf = (key: string) => {
      let index = keyIndex.get(key);
      if (index === undefined) {
        keys.push(key);
        index = keys.length; // Lua indexes from 1
        keyIndex.set(key, index);
      }
      return index;
    };
    const args = [String(target.maxLen), target.channel, String(ATTEMPT_MARKER_TTL_SECONDS)];
    for (const entry of entries) {
      const earlier = attempts.get(entry);
      let indexes = '';
      for (const key of earlier ?? []) indexes += `${indexOf(key)},`;
      args.push(
        indexes,
        fromSpool.has(entry) ? String(indexOf(`${target.streamKey}:added:${entry.id}`)) : '',
        JSON.stringify(entry),
      );
      // before the attempt runs: an entry spooled while it is in flight keeps the marker
      if (earlier === undefined) attempts.set(entry, [marker]);
      else earlier.push(marker);
    }
    return run(keys, args);
  }

  const redelivery: Redelivery = {
    save: (entry) => attempts.get(entry),
    restore: (entry, saved) => {
      if (Array.isArray(saved)) attempts.set(entry, saved.map(String));
      fromSpool.add(entry);
    },
  };
  return Object.assign(append, { redelivery });
}
