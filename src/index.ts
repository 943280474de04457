import { DurableObject } from "cloudflare:workers";
export class SessionTree extends DurableObject {
  inc(): number {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS c(n INTEGER)");
    this.ctx.storage.sql.exec("INSERT INTO c VALUES (1)");
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM c").one().n;
  }
}
export class Principal extends DurableObject {}
export default { async fetch() { return new Response("ok"); } };
