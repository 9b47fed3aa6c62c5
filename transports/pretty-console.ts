import build from 'pino-abstract-transport';
import { prettyFactory } from 'pino-pretty';
import pino from 'pino';
import { once } from 'node:events';

export interface PrettyConsoleOptions {
  colorize?: boolean;
}

/** Fields a developer's console does without: they are the same on every line or shown elsewhere. */
const IGNORED = 'id,service,environment,version,region,file,line,function,errorType,errorCode';

/** An entry without its empty fields, which would otherwise fill the console with nulls. */
function withoutEmptyFields(entry: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key in entry) if (entry[key] !== null) kept[key] = entry[key];
  return kept;
}

/** The development console: one readable line per entry (pino-pretty), empty fields left out. */
export default async function prettyConsole(options: PrettyConsoleOptions = {}) {
  const prettify = prettyFactory({
    colorize: options.colorize ?? false,
    messageKey: 'message',
    timestampKey: 'timestamp',
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: IGNORED,
    // a stack reads as lines, not as one escaped string
    customPrettifiers: { errorStack: (stack) => String(stack) },
  });
  const stdout = pino.destination({ dest: 1 });
  return build(
    async (source: AsyncIterable<Record<string, unknown>>) => {
      for await (const entry of source) stdout.write(prettify(withoutEmptyFields(entry)));
    },
    {
      async close() {
        stdout.end();
        await once(stdout, 'close');
      },
    },
  );
}
