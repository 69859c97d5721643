// Multipart uploads stream straight into the blob store (no temp files, no whole-file buffers).
import { randomUUID } from "node:crypto";
import type { Request } from "express";
import multer from "multer";
import type { Services } from "../domain";
import type { UploadedFile } from "../domain/records";
import { blobKeys } from "../store/blob";
import { BodyError } from "./errors";

class BlobStorage implements multer.StorageEngine {
  _handleFile(req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void) {
    const services: Services = req.app.locals.services;
    const fileId = randomUUID();
    const blobKey = blobKeys.file(fileId);
    services.deps.blobs.put(blobKey, file.stream).then(
      (size) => cb(null, { fileId, blobKey, size } as Partial<Express.Multer.File>),
      (error) => cb(error),
    );
  }

  _removeFile(req: Request, file: Express.Multer.File, cb: (error: Error | null) => void) {
    const services: Services = req.app.locals.services;
    services.deps.blobs.delete([(file as unknown as UploadedFile).blobKey]).then(
      () => cb(null),
      (error) => cb(error),
    );
  }
}

export const upload = multer({ storage: new BlobStorage(), defParamCharset: "utf8", limits: { files: 1 } });

/** The stored upload; a request without the `file` field is a 422 like any missing field. */
export function uploadedFile(file: Express.Multer.File | undefined): UploadedFile {
  if (!file) throw new BodyError([{ loc: ["body", "file"], msg: "field required", type: "value_error.missing" }]);
  const stored = file as unknown as UploadedFile & Express.Multer.File;
  return {
    fileId: stored.fileId,
    blobKey: stored.blobKey,
    size: stored.size,
    filename: file.originalname,
    contentType: file.mimetype || "application/octet-stream",
  };
}
