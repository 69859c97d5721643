// The `Token` header check, called by the generated routes for every @Security("Token") route.
import { timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler } from "express";
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

/**
 * Every request that carries a body (all of them are authenticated routes) shows its
 * token before the body is read: nobody without one makes the server buffer megabytes.
 */
export const authenticateBodies: RequestHandler = (req, _res, next) => {
  if (req.method !== "POST" && req.method !== "PUT" && req.method !== "PATCH") return next();
  expressAuthentication(req, "Token").then(() => next(), next);
};
