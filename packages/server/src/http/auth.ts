// The `Token` header check, called by the generated routes for every @Security("Token") route.
import { timingSafeEqual } from "node:crypto";
import type { Request } from "express";
import { Errors } from "../errors";

export function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function expressAuthentication(request: Request, _securityName: string): Promise<true> {
  const expected: string | null = request.app.locals.token;
  if (expected === null) return true;
  const given = request.header("token");
  if (!given) throw Errors.unauthenticated("Not authenticated");
  if (!tokenMatches(given, expected)) throw Errors.unauthenticated("Invalid token");
  return true;
}
