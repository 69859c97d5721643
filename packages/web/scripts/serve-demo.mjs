// Starts a server on the embedded database with seeded demo data, for looking at the
// explorer by hand: node scripts/serve-demo.mjs [--realizations 100] [--points 400] [--port 8000]
import server from "@ert-storage/server";
import { seed } from "./seed.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const { createApp, openDatabase } = server;
const db = await openDatabase({ kind: "pglite", dataDir: null });
const token = "demo-token";
const app = createApp({ db, token });
const listening = app.listen(Number(arg("port", "8000")), "127.0.0.1");
await new Promise((resolve) => listening.once("listening", resolve));
const baseUrl = `http://127.0.0.1:${listening.address().port}`;
const seeded = await seed({ baseUrl, token, realizations: Number(arg("realizations", "100")), points: Number(arg("points", "400")) });
console.log(`Explorer: ${baseUrl}/ui#token=${token}&/ensemble/${seeded.posteriorId}/responses/FOPR`);
