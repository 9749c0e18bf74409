// What every testbed response carries, and the query every request runs.
//
// Headers (all times in ms, Date.now() resolution 1 ms, measured inside
// workerd where they are real time at request time):
//   x-path      local | delegated | queued (local, after waiting for PGLite's init)
//   x-req       the DO's request number since its constructor (1 = first)
//   x-life      constructions of this tenant's DO seen by the isolate (1 = first life)
//   x-start-ms  router's stub.fetch() to the DO's constructor (DO start), on request 1
//   x-init-ms   PGlite.create() inside the DO, on the request that waited for it
//   x-exec-ms   the query (or `repeat` queries) inside whoever ran it
//   x-delegate-ms  the DO's wait for the compute worker
//   x-compute-init-ms  the compute worker's PGlite.create(), on its first query
export const QUERY = "SELECT v FROM items WHERE k = $1";

const lives = new Map();

// Per-DO bookkeeping: request number and life number (module globals outlive
// the DO's evictions, the isolate lives as long as the process).
export class Counters {
  constructor() {
    this.requests = 0;
    this.life = 0;
    this.constructedAt = Date.now();
  }
  next(request) {
    this.requests += 1;
    const headers = {};
    if (this.requests === 1) {
      const tenant = request.headers.get("x-tenant") ?? "?";
      this.life = (lives.get(tenant) ?? 0) + 1;
      lives.set(tenant, this.life);
      const sent = Number(request.headers.get("x-router-ms"));
      if (sent > 0) headers["x-start-ms"] = String(Math.max(0, this.constructedAt - sent));
    }
    headers["x-req"] = String(this.requests);
    headers["x-life"] = String(this.life);
    return headers;
  }
}

// "queued" when the request reached the DO (the router's timestamp) before
// its PGLite was ready and so waited for the init; "local" otherwise.
export function servedPath(request, readyAt) {
  const routed = Number(request.headers.get("x-router-ms"));
  return routed > 0 && routed < readyAt ? "queued" : "local";
}

export function repeatOf(request) {
  const n = Number(new URL(request.url).searchParams.get("repeat") ?? "1");
  return Number.isInteger(n) && n >= 1 && n <= 10000 ? n : 1;
}

export async function runQuery(pg, repeat) {
  const t0 = Date.now();
  let rows;
  for (let i = 0; i < repeat; i++) rows = (await pg.query(QUERY, [1 + (i % 1000)])).rows;
  return { rows, execMs: Date.now() - t0 };
}

export function reply(status, headers, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

// Sends the query to the compute worker through the service binding.
export async function delegate(env, request, repeat) {
  const t0 = Date.now();
  const res = await env.COMPUTE.fetch(`https://compute.invalid/query?repeat=${repeat}`);
  const delegateMs = Date.now() - t0;
  const body = await res.text();
  const headers = { "x-path": "delegated", "x-delegate-ms": String(delegateMs) };
  for (const h of ["x-exec-ms", "x-compute-init-ms"]) {
    const v = res.headers.get(h);
    if (v !== null) headers[h === "x-exec-ms" ? "x-compute-exec-ms" : h] = v;
  }
  return { status: res.status, headers, body };
}

// The worker's own fetch handler: /<tenant>[?repeat=N] goes to that tenant's DO.
export function router(bindingName) {
  return {
    async fetch(request, env) {
      const url = new URL(request.url);
      const tenant = url.pathname.slice(1);
      if (tenant === "" || tenant === "ready") return new Response("ready\n");
      const ns = env[bindingName];
      const stub = ns.get(ns.idFromName(tenant));
      const headers = new Headers(request.headers);
      headers.set("x-tenant", tenant);
      headers.set("x-router-ms", String(Date.now()));
      return stub.fetch(new Request(request.url, { headers }));
    },
  };
}
