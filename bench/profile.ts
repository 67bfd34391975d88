/**
 * Splits a V8 CPU profile (`node --cpu-prof`) of the bot by where the time went: each sample's self time is
 * charged to the nearest frame (itself or a caller) that belongs to a known package or folder, so that
 * JSON.stringify called by BotState counts as botbuilder and a regex run by the matcher counts as the matcher.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Main-thread CPU (everything but idle) per turn, ms. */
  cpuMsPerTurn: number | null;
  categories: { name: string; share: number; msPerTurn: number | null }[];
}

/** Ordered: the first rule whose test matches a frame's URL names its category. */
const RULES: Array<[string, RegExp]> = [
  ['matcher (knowledge/)', /\/dist\/knowledge\//],
  ['fuse.js', /node_modules\/fuse\.js\//],
  ['botbuilder-dialogs', /node_modules\/botbuilder-dialogs\//],
  ['connector clients (botframework-connector, msal, @azure)', /node_modules\/(botframework-connector|@azure|@azure\/msal-node|jsonwebtoken|jwks-rsa)\//],
  ['botbuilder (core, adapter, state)', /node_modules\/(botbuilder|botbuilder-core|botframework-schema|botbuilder-stdlib)\//],
  ['ioredis', /node_modules\/(ioredis|redis-parser|denque|cluster-key-slot|@ioredis)\//],
  ['bullmq (mail queue)', /node_modules\/(bullmq|msgpackr)\//],
  ['rate-limiter-flexible', /node_modules\/rate-limiter-flexible\//],
  ['restify', /node_modules\/(restify|find-my-way|send|formidable|restify-errors|spdy|mime)\//],
  ['zod', /node_modules\/zod\//],
  ['pino', /node_modules\/(pino|sonic-boom|fast-redact)\//],
  ['bot/ (host, channels)', /\/dist\/bot\//],
  ['dialogs/', /\/dist\/dialogs\//],
  ['services/state (storage, lock, sealer)', /\/dist\/services\/state\//],
  ['services/ (other)', /\/dist\/services\//],
  ['other packages', /node_modules\//],
  ['node core (http, net, streams, crypto)', /^node:/],
];

function categoryOf(url: string): string | undefined {
  for (const [name, test] of RULES) if (test.test(url)) return name;
  return undefined;
}

export function summariseProfile(profile: CpuProfile, turns: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string>();
  const classify = (id: number): string => {
    const hit = cache.get(id);
    if (hit) return hit;
    const node = byId.get(id);
    const fn = node?.callFrame.functionName ?? '';
    let name: string;
    if (fn === '(garbage collector)') name = 'garbage collection';
    else if (fn === '(idle)') name = 'idle';
    else if (fn === '(program)') name = '(program: V8/native, unattributed)';
    else {
      // Nearest package/folder frame, walking up at most 200 callers; node core only if nothing better.
      let core: string | undefined;
      let found: string | undefined;
      let cur: number | undefined = id;
      for (let i = 0; i < 200 && cur !== undefined && !found; i += 1) {
        const c = categoryOf(byId.get(cur)?.callFrame.url ?? '');
        if (c === 'node core (http, net, streams, crypto)') core ??= c;
        else if (c) found = c;
        cur = parent.get(cur);
      }
      name = core && !found ? core : (found ?? 'other (native, unattributed)');
      // A node-core frame directly under a package (e.g. http parsing under restify) is core work, not the package's.
      if (core && found && categoryOf(node?.callFrame.url ?? '') === core) name = core;
    }
    cache.set(id, name);
    return name;
  };
  const micros = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = classify(id);
    micros.set(name, (micros.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const busy = [...micros].filter(([k]) => k !== 'idle').reduce((a, [, v]) => a + v, 0);
  const round = (x: number, d: number) => Number(x.toFixed(d));
  const categories = [...micros]
    .filter(([k]) => k !== 'idle')
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ name, share: round((100 * us) / busy, 1), msPerTurn: turns > 0 ? round(us / 1000 / turns, 3) : null }));
  return { cpuMsPerTurn: turns > 0 ? round(busy / 1000 / turns, 3) : null, categories };
}
