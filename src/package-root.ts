import { existsSync } from 'node:fs';

/**
 * The package's root folder as a file URL (ending in '/'), whether this module runs from
 * source (src/) or compiled (dist/src/).
 */
export const packageRoot: URL = (() => {
  let dir = new URL('./', import.meta.url);
  while (!existsSync(new URL('package.json', dir))) {
    const parent = new URL('../', dir);
    if (parent.href === dir.href) throw new Error(`platform-logging: package.json not found above ${import.meta.url}`);
    dir = parent;
  }
  return dir;
})();
