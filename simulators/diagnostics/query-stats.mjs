/**
 * Diagnostic preload for the service under load (SIM_QSTATS=<file> npm run load …): counts every
 * statement the pg client sends — calls, rows returned, time — and writes the table to <file> when
 * the process exits. Stream reads are grouped by stream kind and by "whole" (from version 0) or
 * "suffix" reads, which is what tells a cache miss from a hit. Not loaded otherwise.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';
const stats = new Map();
const orig = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, cb) {
  const text = typeof config === 'string' ? config : (config?.text ?? String(config));
  let key = text.replace(/\s+/g, ' ').slice(0, 150);
  const vals = Array.isArray(values) ? values : config?.values;
  if (key.includes('where stream = $1 and stream_version'))
    key = `READSTREAM ${String(vals?.[0]).split(/[-:]/)[0]} ${vals?.[1] === 0n || vals?.[1] === 0 ? 'whole' : 'suffix'}`;
  // `$all` reads by their limit: a projection batch, or the lag scan (projections/runner/live.ts LAG_SCAN_LIMIT).
  else if (key.startsWith('select position, stream, stream_version, id, type, data, metadata from events where position > $1'))
    key = `READALL limit ${vals?.[1]}`;
  const s = stats.get(key) ?? { n: 0, rows: 0, ms: 0 };
  stats.set(key, s);
  s.n++;
  const t0 = performance.now();
  const done = (res) => {
    s.rows += res?.rows?.length ?? res?.rowCount ?? 0;
    s.ms += performance.now() - t0;
  };
  if (typeof values === 'function') {
    const c = values;
    values = (e, r) => {
      done(r);
      c(e, r);
    };
  } else if (typeof cb === 'function') {
    const c = cb;
    cb = (e, r) => {
      done(r);
      c(e, r);
    };
  } else if (config && typeof config.callback === 'function') {
    const c = config.callback;
    config.callback = (e, r) => {
      done(r);
      c(e, r);
    };
  }
  const r = orig.call(this, config, values, cb);
  if (r && typeof r.then === 'function') r.then(done, () => {});
  return r;
};
/** SIGUSR2 writes the table so far to <file>.<n> and starts counting afresh (a window of a run). */
let windows = 0;
process.on('SIGUSR2', () => {
  writeTable(`${process.env.SIM_QSTATS}.${++windows}`);
  stats.clear();
});
process.on('exit', () => writeTable(process.env.SIM_QSTATS));
function writeTable(file) {
  const header = '   calls       rows  total ms (incl. queueing)  statement (stream reads grouped by stream kind)';
  const out = [...stats]
    .sort((a, b) => b[1].rows - a[1].rows)
    .slice(0, 400)
    .map(([k, s]) => `${String(s.n).padStart(8)} q ${String(s.rows).padStart(10)} rows ${s.ms.toFixed(0).padStart(8)} ms  ${k}`)
    .join('\n');
  writeFileSync(file, `${header}\n${out}\n`);
}
