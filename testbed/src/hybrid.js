// Hybrid: PGLite bundled, loaded in the background from the constructor;
// requests that find it not ready are delegated to the compute worker.
import { createPglite } from "./pglite-env.js";
import { modules } from "./modules.js";
import { Counters, servedPath, repeatOf, runQuery, reply, delegate, router } from "./common.js";

export class HybridDO {
  constructor(ctx, env) {
    this.env = env;
    this.counters = new Counters();
    this.pg = null;
    this.initMs = null;
    const t0 = Date.now();
    this.loading = createPglite(modules).then((pg) => {
      this.pg = pg;
      this.readyAt = Date.now();
      this.initMs = this.readyAt - t0;
    });
    ctx.waitUntil?.(this.loading);
  }
  async fetch(request) {
    const headers = this.counters.next(request);
    const repeat = repeatOf(request);
    if (this.pg === null) {
      const d = await delegate(this.env, request, repeat);
      return new Response(d.body, { status: d.status, headers: { ...headers, ...d.headers } });
    }
    if (!this.initReported) {
      headers["x-init-ms"] = String(this.initMs);
      this.initReported = true;
    }
    const { rows, execMs } = await runQuery(this.pg, repeat);
    return reply(200, { ...headers, "x-path": servedPath(request, this.readyAt), "x-exec-ms": String(execMs) }, rows);
  }
}

export default router("DO");
