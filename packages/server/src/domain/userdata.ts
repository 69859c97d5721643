// Free JSON objects attached to entities: replace (PUT) or merge top-level keys (PATCH).
import { Errors } from "./errors";

/** Free JSON object attached to an entity. */
export type Userdata = { [key: string]: unknown };

export function asUserdata(body: unknown): Userdata {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw Errors.unprocessable("userdata must be a JSON object");
  }
  return body as Userdata;
}
