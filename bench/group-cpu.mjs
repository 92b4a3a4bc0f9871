// CPU ticks (utime+stime) of every process in a process group, and the time:
//   node bench/group-cpu.mjs <pgid>  ->  {"ticks":N,"t":ms}
// bench/run.sh takes one before and one after a driver run to charge MID with all of
// `wrangler dev` (its Node proxy and workerd), not just the workerd process.
import { readdirSync, readFileSync } from 'node:fs';

const pgid = process.argv[2];
let ticks = 0;
for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    if (f[2] === pgid) ticks += Number(f[11]) + Number(f[12]);
  } catch { /* gone */ }
}
console.log(JSON.stringify({ ticks, t: Date.now() }));
