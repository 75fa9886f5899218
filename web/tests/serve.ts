/** `npm run serve [PORT]`: serves the built page (web/dist) on 127.0.0.1 until interrupted. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "./static-server.js";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist");
const server = await serve(dist, Number(process.argv[2] ?? 8080));
console.log(`payplan page: ${server.url} (Ctrl-C to stop)`);
