// The `Token` header check, called by the generated routes for every @Security("Token") route.
import { timingSafeEqual } from "node:crypto";
import type { Request } from "express";

export class AuthError extends Error {
  readonly status = 403;
}

export function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function expressAuthentication(request: Request, _securityName: string): Promise<true> {
  const expected: string | null = request.app.locals.token;
  if (expected === null) return true;
  const given = request.header("token");
  if (!given) throw new AuthError("Not authenticated");
  if (!tokenMatches(given, expected)) throw new AuthError("Invalid token");
  return true;
}
