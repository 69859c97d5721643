// The one SDK client of the page: same origin, the Token header on every data call.
import { createClient, ErtStorageError, unwrap, type ErtStorageClient } from "@ert-storage/sdk";
import { askToken, forgetToken, storedToken } from "./token";

let client: ErtStorageClient | null = null;

export function api(): ErtStorageClient {
  if (!client) throw new Error("not connected");
  return client;
}

export function isAuthError(error: unknown): boolean {
  return error instanceof ErtStorageError && error.status === 403;
}

/**
 * Connects with the stored token without asking the server first (a refused token shows
 * up as a 403 on the first data call: see refused). Without a stored token, asks the
 * server whether it needs one, and the user for it if so.
 */
export async function connect(host: HTMLElement): Promise<void> {
  let token = storedToken();
  if (!token) {
    client = createClient({ baseUrl: location.origin, token: null });
    try {
      await unwrap(client.GET("/experiments"));
      return; // authentication is off
    } catch (error) {
      if (!isAuthError(error)) throw error;
    }
    token = await askToken(host, null);
  }
  client = createClient({ baseUrl: location.origin, token });
}

/** The server refused the token: forget it and ask for another. */
export async function refused(host: HTMLElement): Promise<void> {
  forgetToken();
  const token = await askToken(host, "The server refused that token.");
  client = createClient({ baseUrl: location.origin, token });
}
