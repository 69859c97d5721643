// Multipart uploads stream straight into the blob store (no temp files, no whole-file buffers).
import type { Request } from "express";
import multer from "multer";
import type { Services } from "../domain";
import type { UploadedFile } from "../domain/records";
import { Errors } from "../errors";
import { encodingOf } from "./bodies";

class BlobStorage implements multer.StorageEngine {
  _handleFile(req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void) {
    const services: Services = req.app.locals.services;
    services.blocks.receive(file.stream).then(
      (stored) => cb(null, stored as Partial<Express.Multer.File>),
      (error) => cb(error),
    );
  }

  _removeFile(req: Request, file: Express.Multer.File, cb: (error: Error | null) => void) {
    const services: Services = req.app.locals.services;
    services.blocks.discard((file as unknown as UploadedFile).blobKey).then(
      () => cb(null),
      (error) => cb(error),
    );
  }
}

/** busboy's errors for a body that is not well-formed multipart (plain Errors, told apart by their words). */
const MALFORMED = /^(Multipart: Boundary not found|Malformed content type|Malformed part header|Unexpected end of (form|file)|Missing Content-Type)$/;

function malformedMultipart(error: unknown): unknown {
  if (!(error instanceof Error) || error.constructor !== Error || !MALFORMED.test(error.message)) return error;
  return Errors.invalidField(["body", "file"], `malformed multipart body: ${error.message}`, "value_error.multipart");
}

export const upload = multer({ storage: new BlobStorage(), defParamCharset: "utf8", limits: { files: 1 } });
// The generated routes take their middleware from upload.fields: its parse errors become 422s there.
// A multipart body is read as sent: one with a Content-Encoding is refused (415), not read as
// malformed multipart (a gzip body was a 422 that named the multipart).
const fields = upload.fields.bind(upload);
upload.fields = (specs) => {
  const middleware = fields(specs);
  return (req, res, next) => {
    const encoding = encodingOf(req);
    if (encoding !== "identity") return next(Errors.http(415, `Unsupported Content-Encoding '${encoding}' for a multipart upload: send it unencoded`));
    middleware(req, res, (error?: unknown) => next(error === undefined ? undefined : malformedMultipart(error)));
  };
};

/** The stored upload; a request without the `file` field is a 422 like any missing field. */
export function uploadedFile(file: Express.Multer.File | undefined): UploadedFile {
  if (!file) throw Errors.invalidField(["body", "file"], "field required", "value_error.missing");
  const stored = file as unknown as UploadedFile & Express.Multer.File;
  return {
    fileId: stored.fileId,
    blobKey: stored.blobKey,
    size: stored.size,
    filename: file.originalname,
    contentType: file.mimetype || "application/octet-stream",
  };
}
