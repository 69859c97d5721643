export { createApp, type AppOptions } from "./app";
export { readConfig, parseDatabaseUrl, type Config } from "./config";
export { serve, type Running } from "./server";
export { openDatabase, type Database } from "./store/db/connect";
export { createBlobStore } from "./store/blob";
