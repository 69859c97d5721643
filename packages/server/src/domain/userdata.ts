// Userdata: a free JSON object attached to an experiment, ensemble, observation or
// record. GET answers {} when unset; PUT replaces it; PATCH merges top-level keys.
import { Errors } from "../errors";
import type { UserdataOwner, UserdataRepository } from "../store/db/userdata";

export type Userdata = { [key: string]: unknown };
export type { UserdataOwner } from "../store/db/userdata";

export function asUserdata(body: unknown): Userdata {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw Errors.unprocessable("userdata must be a JSON object");
  }
  return body as Userdata;
}

export class UserdataService {
  constructor(private readonly repo: UserdataRepository) {}

  async get(owner: UserdataOwner, id: string): Promise<Userdata> {
    const userdata = await this.repo.get(owner, id);
    if (userdata === undefined) throw Errors.itemNotFound();
    return userdata;
  }

  async replace(owner: UserdataOwner, id: string, body: unknown): Promise<void> {
    if (!(await this.repo.replace(owner, id, asUserdata(body)))) throw Errors.itemNotFound();
  }

  async merge(owner: UserdataOwner, id: string, body: unknown): Promise<void> {
    if (!(await this.repo.merge(owner, id, asUserdata(body)))) throw Errors.itemNotFound();
  }
}
