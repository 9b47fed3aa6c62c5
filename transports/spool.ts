import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/** Why the spool took no more records. */
export type SpoolRefusal = 'spool full' | 'spool unwritable';

export interface SpoolOptions {
  /** The folder of one service's spool for one store (see spoolDir). */
  dir: string;
  /** Most bytes on disk: this process's files and those it claimed. */
  maxBytes: number;
  /** A file is closed past this size and the next one begun. Default 8 MiB. */
  fileBytes?: number;
}

/** A record read back: its value, and the file to release it from once it is stored. */
export interface SpoolRecord {
  value: unknown;
  ticket: SpoolTicket;
}

export interface SpoolTicket {
  readonly name: string;
}

interface SpoolFile extends SpoolTicket {
  path: string;
  size: number;
  /** Bytes read back so far. */
  readAt: number;
  /** Records on disk not released yet, read or not. */
  records: number;
  /** Records read back and not released yet. */
  reading: number;
  /** Set while this process appends to the file. */
  fd?: number;
}

const FILE_NAME = /^(\d{13}-\d{6})\.([^.]+)\.spool$/;
const READ_CHUNK = 1024 * 1024;

/**
 * Where a service's spool for a store lives: `<root>/<service>/<store>`, the root being
 * `LOG_SPOOL_DIR`, else `$XDG_STATE_HOME/platform-logs`, else `<tmpdir>/platform-logs-<uid>`.
 */
export function spoolDir(
  store: string,
  service: string,
  root: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const base =
    root ||
    (env.XDG_STATE_HOME
      ? join(env.XDG_STATE_HOME, 'platform-logs')
      : join(tmpdir(), `platform-logs-${process.getuid?.() ?? 'user'}`));
  const name = service.replace(/[^\w.-]/g, '_');
  return join(base, name === '' ? 'unknown' : /^\.+$/.test(name) ? '_' : name, store);
}

/** The process's start time in clock ticks since boot (Linux), which tells a live owner from a later process with its pid. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** An owner is `<pid>-<start ticks or 0>-<random>`: the random part tells apart two spools of one process. */
function ownerTag(): string {
  return `${process.pid}-${startTicks(process.pid) ?? 0}-${randomBytes(3).toString('hex')}`;
}

function ownerAlive(owner: string): boolean {
  const [pid, start] = owner.split('-');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  try {
    process.kill(n, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTicks(n);
  return start === '0' || now === undefined || now === start;
}

/** The folder, made 0700 if it is new; refused when it is not a folder of this user's. */
function prepareDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a folder`);
  if (process.getuid && stat.uid !== process.getuid()) throw new Error(`${dir} belongs to another user`);
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** One record: CRC-32 of the JSON in hex, a space, the JSON, a newline (JSON never holds a raw newline). */
function encode(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value));
  const record = Buffer.allocUnsafe(json.length + 10);
  record.write(crc32(json).toString(16).padStart(8, '0'), 0, 'latin1');
  record[8] = 0x20;
  json.copy(record, 9);
  record[record.length - 1] = 0x0a;
  return record;
}

/** The value of one line (without its newline); undefined when it is damaged. */
function decode(line: Buffer): unknown {
  if (line.length < 10 || line[8] !== 0x20) return undefined;
  const json = line.subarray(9);
  if (crc32(json) !== Number.parseInt(line.toString('latin1', 0, 8), 16)) return undefined;
  try {
    return JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
}

function countLines(path: string): number {
  const data = readFileSync(path);
  let count = 0;
  for (let at = data.indexOf(0x0a); at !== -1; at = data.indexOf(0x0a, at + 1)) count++;
  return count;
}

function readAt(path: string, position: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    const read = readSync(fd, buffer, 0, length, position);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * A store's disk spool: records appended to files in one folder and read back oldest first.
 * A file is removed once every record in it is read and released (stored). Files are this
 * process's, named with its pid and start time; on opening, the files of an owner that is no
 * longer running (a crash, kill -9, or an exit with records left) are claimed by renaming them,
 * which only one claimer can do. A record that is cut off or damaged (a crash mid-write) is
 * skipped, and counted in `damaged`; every other record is read back. Folder 0700, files 0600.
 * Synchronous: appends and reads are short, and the worker must not lose a record between
 * taking it and having it on disk.
 */
export class Spool {
  readonly dir: string;
  /** Why records cannot be written, once they cannot. */
  problem: string | undefined;
  /** Records read back that were cut off or damaged, and skipped. */
  damaged = 0;
  private files: SpoolFile[] = [];
  private appending: SpoolFile | undefined;
  private bytes = 0;
  private made = 0;
  private readonly owner = ownerTag();
  private readonly fileBytes: number;

  constructor(private readonly options: SpoolOptions) {
    this.dir = options.dir;
    this.fileBytes = options.fileBytes ?? 8 * 1024 * 1024;
    try {
      prepareDir(this.dir);
      this.claim();
    } catch (error) {
      this.problem = (error as Error).message;
    }
  }

  /** Records on disk that are not released yet. */
  get records(): number {
    let records = 0;
    for (const file of this.files) records += file.records;
    return records;
  }

  /** Whether records wait to be read back. */
  get unread(): boolean {
    return this.files.some((file) => file.readAt < file.size);
  }

  /** Appends values in order until one does not fit or a write fails; says how many it took. */
  append(values: unknown[]): { written: number; refused?: SpoolRefusal } {
    if (this.problem) return { written: 0, refused: 'spool unwritable' };
    let written = 0;
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    let refused: SpoolRefusal | undefined;
    try {
      for (const value of values) {
        const record = encode(value);
        if (this.bytes + chunkBytes + record.length > this.options.maxBytes) {
          refused = 'spool full';
          break;
        }
        const room = this.fileBytes - (this.appending?.size ?? 0);
        if (chunk.length > 0 && chunkBytes + record.length > room) {
          written += this.writeChunk(chunk, chunkBytes);
          chunk = [];
          chunkBytes = 0;
        }
        chunk.push(record);
        chunkBytes += record.length;
      }
      if (chunk.length > 0) written += this.writeChunk(chunk, chunkBytes);
    } catch (error) {
      this.problem = (error as Error).message;
      return { written, refused: 'spool unwritable' };
    }
    return { written, refused };
  }

  /** Up to `maxRecords` records, and about `maxBytes` of them (at least one), oldest first. */
  read(maxRecords: number, maxBytes: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    let bytes = 0;
    for (const file of [...this.files]) {
      let chunkSize = READ_CHUNK;
      while (file.readAt < file.size && out.length < maxRecords && bytes < maxBytes) {
        const data = readAt(file.path, file.readAt, Math.min(chunkSize, file.size - file.readAt));
        let start = 0;
        for (
          let end = data.indexOf(0x0a);
          end !== -1 && out.length < maxRecords && bytes < maxBytes;
          end = data.indexOf(0x0a, start)
        ) {
          const value = decode(data.subarray(start, end));
          if (value === undefined) {
            this.damaged++;
            file.records--;
          } else {
            out.push({ value, ticket: file });
            file.reading++;
          }
          bytes += end + 1 - start;
          start = end + 1;
        }
        if (start > 0) {
          file.readAt += start;
          chunkSize = READ_CHUNK;
        } else if (file.readAt + data.length < file.size) {
          chunkSize *= 2; // one record longer than the chunk
        } else {
          // no newline before the end: a record cut off as it was written
          this.damaged++;
          file.readAt = file.size;
        }
      }
      this.removeIfDone(file);
      if (out.length >= maxRecords || bytes >= maxBytes) break;
    }
    return out;
  }

  /** The record is stored: its file goes once all of its records are. */
  release(ticket: SpoolTicket): void {
    const file = ticket as SpoolFile;
    file.reading--;
    file.records--;
    this.removeIfDone(file);
  }

  /** Stops appending. Files with records not released stay, for the next process to claim. */
  close(): void {
    if (this.appending?.fd !== undefined) closeSync(this.appending.fd);
    this.appending = undefined;
  }

  private claim(): void {
    for (const name of readdirSync(this.dir).sort()) {
      const match = FILE_NAME.exec(name);
      if (!match || ownerAlive(match[2])) continue;
      const file = this.entry(`${match[1]}.${this.owner}.spool`);
      try {
        renameSync(join(this.dir, name), file.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process claimed it first
        throw error;
      }
      file.size = statSync(file.path).size;
      file.records = countLines(file.path);
      this.bytes += file.size;
      this.files.push(file);
    }
  }

  private entry(name: string): SpoolFile {
    return { name, path: join(this.dir, name), size: 0, readAt: 0, records: 0, reading: 0 };
  }

  private writeChunk(chunk: Buffer[], bytes: number): number {
    if (!this.appending || this.appending.size + bytes > this.fileBytes) this.startFile();
    const file = this.appending!;
    const data = Buffer.concat(chunk, bytes);
    try {
      for (let at = 0; at < data.length; ) at += writeSync(file.fd!, data, at);
    } catch (error) {
      // no half-written chunk left behind (a full disk): the file stays as it was
      try {
        ftruncateSync(file.fd!, file.size);
      } catch {}
      throw error;
    }
    file.size += bytes;
    file.records += chunk.length;
    this.bytes += bytes;
    return chunk.length;
  }

  private startFile(): void {
    this.close();
    const name = `${String(Date.now()).padStart(13, '0')}-${String(this.made++ % 1e6).padStart(6, '0')}.${this.owner}.spool`;
    const file = this.entry(name);
    file.fd = openSync(file.path, 'wx', 0o600);
    this.files.push(file);
    this.appending = file;
  }

  private removeIfDone(file: SpoolFile): void {
    if (file.readAt < file.size || file.reading > 0) return;
    if (file === this.appending) this.close();
    unlinkSync(file.path);
    this.files.splice(this.files.indexOf(file), 1);
    this.bytes -= file.size;
  }
}
