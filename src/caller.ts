import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CallerLocation {
  file: string | null;
  line: number | null;
  function: string | null;
}

export const NO_LOCATION: CallerLocation = { file: null, line: null, function: null };

// "    at fn (file:line:col)", "    at async fn (file:line:col)" or "    at file:line:col"
const FRAME = /^\s*at (?:async )?(?:(.*?) \()?(.*):(\d+):\d+\)?$/;

const files = new Map<string, string>();
const FILES_LIMIT = 1_000;

function displayFile(raw: string): string {
  let file = files.get(raw);
  if (file === undefined) {
    let path = raw;
    if (path.startsWith('file://')) {
      try {
        path = fileURLToPath(path);
      } catch {
        // keep the URL as it is
      }
    }
    if (isAbsolute(path)) {
      const fromCwd = relative(process.cwd(), path);
      if (!fromCwd.startsWith('..' + sep) && fromCwd !== '..' && !isAbsolute(fromCwd)) path = fromCwd;
    }
    file = path;
    if (files.size >= FILES_LIMIT) files.clear();
    files.set(raw, file);
  }
  return file;
}

/**
 * Where the code that called `loggingMethod` is: file (relative to the working directory
 * when under it), line and function. The stack is read as text, one frame deep, so that
 * whatever maps positions back to sources (Node's --enable-source-maps, tsx, vitest)
 * applies; V8 skips every frame up to and including `loggingMethod`.
 */
export function callerLocation(loggingMethod: Function): CallerLocation {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, loggingMethod);
  Error.stackTraceLimit = limit;

  const stack = holder.stack;
  if (typeof stack !== 'string') return NO_LOCATION;
  const frame = FRAME.exec(stack.slice(stack.indexOf('\n') + 1));
  if (frame === null) return NO_LOCATION;
  const name = frame[1];
  return {
    file: displayFile(frame[2]),
    line: Number(frame[3]),
    function: name === undefined || name.includes('<anonymous>') ? null : name,
  };
}
