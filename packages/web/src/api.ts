// The one SDK client of the page: same origin, the Token header on every data call.
import { createClient, ErtStorageError, unwrap, type ErtStorageClient } from "@ert-storage/sdk";
import { askToken, forgetToken, storedToken } from "./token";

let client: ErtStorageClient | null = null;

export function api(): ErtStorageClient {
  if (!client) throw new Error("not connected");
  return client;
}

/** Connects with the stored token (or none), asking for one until the server accepts it. */
export async function connect(host: HTMLElement): Promise<void> {
  let problem: string | null = null;
  for (;;) {
    const token = storedToken();
    client = createClient({ baseUrl: location.origin, token });
    try {
      await unwrap(client.GET("/experiments"));
      return;
    } catch (error) {
      if (!(error instanceof ErtStorageError) || error.status !== 403) throw error;
      if (token) forgetToken();
      problem = token ? "The server refused that token." : null;
      await askToken(host, problem);
    }
  }
}
