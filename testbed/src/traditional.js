// Traditional: PGLite bundled and loaded in the constructor; requests wait.
import { createPglite } from "./pglite-env.js";
import { modules } from "./modules.js";
import { Counters, servedPath, repeatOf, runQuery, reply, router } from "./common.js";

export class TraditionalDO {
  constructor(ctx) {
    this.counters = new Counters();
    this.initMs = null;
    ctx.blockConcurrencyWhile(async () => {
      const t0 = Date.now();
      this.pg = await createPglite(modules);
      this.readyAt = Date.now();
      this.initMs = this.readyAt - t0;
    });
  }
  async fetch(request) {
    const headers = this.counters.next(request);
    if (this.initMs !== null && !this.initReported) {
      headers["x-init-ms"] = String(this.initMs);
      this.initReported = true;
    }
    const { rows, execMs } = await runQuery(this.pg, repeatOf(request));
    return reply(200, { ...headers, "x-path": servedPath(request, this.readyAt), "x-exec-ms": String(execMs) }, rows);
  }
}

export default router("DO");
