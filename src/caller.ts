import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CallerLocation {
  readonly file: string | null;
  readonly line: number | null;
  readonly function: string | null;
}

function callerLocationOf(file: string | null, line: number | null, fn: string | null): CallerLocation {
  return { file, line, function: fn };
}

const NO_LOCATION = callerLocationOf(null, null, null);

// "    at fn (file:line:col)", "    at async fn (file:line:col)" or "    at file:line:col"
const FRAME = /^\s*at (?:async )?(?:(.*?) \()?(.*):(\d+):\d+\)?$/;

const CACHE_LIMIT = 10_000;
const locations = new Map<string, CallerLocation>();

const callSites = (_error: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] => sites;

/**
 * Where the code that called `loggingMethod` is: file (relative to the working directory
 * when under it), line and function. V8 skips every frame up to and including
 * `loggingMethod` and hands over the caller's frame as a structured CallSite (no stack
 * text is formatted). Once per call site, the frame is formatted by the installed
 * Error.prepareStackTrace, so that whatever maps generated code back to its sources
 * applies (Node's --enable-source-maps, tsx, vitest, source-map-support), and cached.
 */
export function callerLocation(loggingMethod: Function): CallerLocation {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = callSites;
  Error.stackTraceLimit = 1;
  const holder: { stack?: unknown } = {};
  Error.captureStackTrace(holder, loggingMethod);
  const sites = holder.stack;
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;

  if (!Array.isArray(sites) || sites.length === 0) return NO_LOCATION;
  const site = sites[0] as NodeJS.CallSite;
  const key = `${site.getFileName()}:${site.getLineNumber()}:${site.getColumnNumber()}`;
  let location = locations.get(key);
  if (location === undefined) {
    location = locate(site, prepare);
    if (locations.size >= CACHE_LIMIT) locations.clear();
    locations.set(key, location);
  }
  return location;
}

function locate(site: NodeJS.CallSite, prepare: typeof Error.prepareStackTrace): CallerLocation {
  if (prepare !== undefined) return fromStackText(prepare(new Error(), [site]));
  const file = site.getFileName();
  const line = site.getLineNumber();
  if (!file || line === null) return NO_LOCATION;
  return callerLocationOf(displayFile(file), line, functionName(site.getFunctionName() ?? undefined));
}

function fromStackText(text: unknown): CallerLocation {
  if (typeof text !== 'string') return NO_LOCATION;
  const frame = FRAME.exec(text.slice(text.indexOf('\n') + 1).split('\n', 1)[0]);
  if (frame === null) return NO_LOCATION;
  return callerLocationOf(displayFile(frame[2]), Number(frame[3]), functionName(frame[1]));
}

function functionName(name: string | undefined): string | null {
  return name === undefined || name === '' || name.includes('<anonymous>') ? null : name;
}

function displayFile(raw: string): string {
  let path = raw;
  if (path.startsWith('file://')) {
    try {
      path = fileURLToPath(path);
    } catch {
      return raw;
    }
  }
  if (!isAbsolute(path)) return path;
  const fromCwd = relative(process.cwd(), path);
  return fromCwd.startsWith(`..${sep}`) || fromCwd === '..' || isAbsolute(fromCwd) ? path : fromCwd;
}
