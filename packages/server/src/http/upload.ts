// Multipart uploads stream straight into the blob store (no temp files, no whole-file buffers).
import type { Request } from "express";
import multer from "multer";
import type { Services } from "../domain";
import type { UploadedFile } from "../domain/records";
import { Errors } from "../errors";

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

export const upload = multer({ storage: new BlobStorage(), defParamCharset: "utf8", limits: { files: 1 } });

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
