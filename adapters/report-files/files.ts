/** Report files under REPORTS_DIR: written whole (a temporary name, then renamed), so a reader never sees half a file. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export function createReportFiles(dir: string): { write(relativePath: string, body: string): Promise<string> } {
  return {
    async write(relativePath, body) {
      const path = join(dir, relativePath);
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, body, 'utf8');
      await rename(temporary, path);
      return path;
    },
  };
}
