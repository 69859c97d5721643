import {
  Body, Controller, Get, OperationId, Patch, Path, Post, Produces, Put, Query, Request, Response, Route, Security,
  Tags, UploadedFile,
} from "@tsoa/runtime";
import type { Request as ExpressRequest } from "express";
import type { Services } from "../../domain";
import type { ParameterOut } from "../../domain/recordData";
import type { RecordOut } from "../../domain/records";
import { matrixMediaType } from "../../formats";
import { LIMIT_VARIABLES } from "../../config";
import { declaredLength, limitedBody } from "../bodies";
import { acceptedType, sendJsonPieces, sendMatrix, sendNull, sendRecordData } from "../respond";
import type { ErrorBody, Int, UUID, Userdata, ValidationErrorBody } from "../types";
import { uploadedFile } from "../upload";

/**
 * Records are named matrices or files of an ensemble. Without `realization_index`
 * a record is ensemble-wide; with it, it belongs to that realization.
 */
@Route("")
@Tags("record")
@Security("Token")
@Response<ErrorBody>(403, "Not authenticated or invalid token")
@Response<ErrorBody>(404, "Record or ensemble not found")
@Response<ValidationErrorBody>(422, "Invalid request")
export class RecordController extends Controller {
  constructor(private readonly services: Services) {
    super();
  }

  /**
   * Stores a float64 matrix. The body is read by its Content-Type: `application/json`
   * (nested arrays, the default), `application/x-numpy` (NPY), `text/csv` (a pandas frame:
   * header row, first column the index; `application/x-dataframe` is an old alias) or
   * `application/x-parquet` (as pandas writes it). `prior` names a prior of the experiment.
   */
  @Post("ensembles/{ensemble_id}/records/{name}/matrix")
  @OperationId("postRecordMatrix")
  @Response<ErrorBody>(409, "A record of this name already exists here, or with another class or type")
  @Response<ErrorBody>(417, "Realization index outside the ensemble's active realizations")
  public async postMatrix(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
    @Query() prior?: string,
  ): Promise<RecordOut> {
    return this.services.records.createMatrix(
      ensemble_id,
      name,
      realization_index,
      prior,
      matrixMediaType(req.header("content-type")),
      // a large or chunked body is left unread (see parseBodies): it streams
      req.res!.locals.streamBody ? limitedBody(req, req.app.locals.limits.matrixBytes, "matrices", LIMIT_VARIABLES.matrixBytes, true) : req.body,
      declaredLength(req),
    );
  }

  /** Stores a file (multipart field `file`), keeping its filename and content type. */
  @Post("ensembles/{ensemble_id}/records/{name}/file")
  @OperationId("postRecordFile")
  @Response<ErrorBody>(409, "A record of this name already exists here")
  @Response<ErrorBody>(417, "Realization index outside the ensemble's active realizations")
  public async postFile(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @UploadedFile("file") file: Express.Multer.File,
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
  ): Promise<void> {
    await this.services.records.createFile(ensemble_id, name, realization_index, uploadedFile(file));
    sendNull(req);
  }

  /** Creates a file record to be filled by block uploads (PUT, then PATCH to commit). */
  @Post("ensembles/{ensemble_id}/records/{name}/blob")
  @OperationId("createRecordBlob")
  public async createBlob(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
  ): Promise<void> {
    await this.services.records.createBlob(ensemble_id, name, realization_index);
    sendNull(req);
  }

  /** Stages one block (the raw request body); blocks may come in any order. */
  @Put("ensembles/{ensemble_id}/records/{name}/blob")
  @OperationId("stageRecordBlock")
  public async stageBlock(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Query() block_index: Int,
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
  ): Promise<void> {
    const limit: number = req.app.locals.limits.blockBytes;
    const content = limitedBody(req, limit, "a staged block", LIMIT_VARIABLES.blockBytes);
    await this.services.blocks.stage(ensemble_id, name, realization_index, block_index, content);
    sendNull(req);
  }

  /** Commits the staged blocks in index order; a missing index is a 422. */
  @Patch("ensembles/{ensemble_id}/records/{name}/blob")
  @OperationId("commitRecordBlob")
  public async commitBlob(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
  ): Promise<void> {
    await this.services.blocks.commit(ensemble_id, name, realization_index);
    sendNull(req);
  }

  /**
   * A record's data. Files come back as stored. Matrices by `Accept`: JSON (default; one
   * row is a flat list), `application/x-numpy`, `text/csv`, `application/x-parquet`.
   * Without `realization_index`: the ensemble-wide record, else every realization's record
   * stacked as rows. With it: that realization's record, else row N of the ensemble-wide one.
   * `label` keeps one column.
   */
  @Get("ensembles/{ensemble_id}/records/{name}")
  @OperationId("getRecordData")
  @Produces("application/json")
  @Produces("application/x-numpy")
  @Produces("text/csv")
  @Produces("application/x-parquet")
  @Produces("application/octet-stream")
  public async getData(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
    @Query() label?: string,
  ): Promise<void> {
    await sendRecordData(req, await this.services.recordData.get(ensemble_id, name, realization_index, label, acceptedType(req)));
  }

  /** Column labels of the record's matrix; [] when it has none. */
  @Get("ensembles/{ensemble_id}/records/{name}/labels")
  @OperationId("getRecordLabels")
  public async labels(@Path() ensemble_id: UUID, @Path() name: string, @Request() req: ExpressRequest): Promise<(string | number)[]> {
    const labels = await this.services.recordData.labels(ensemble_id, name);
    if (Array.isArray(labels)) return labels;
    await sendJsonPieces(req, labels); // long stored labels: written a piece at a time
    return undefined as never; // answered
  }

  @Get("ensembles/{ensemble_id}/records/{name}/userdata")
  @OperationId("getRecordUserdata")
  public async getUserdata(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Query() realization_index?: Int,
  ): Promise<Userdata> {
    return this.services.records.getUserdata(ensemble_id, name, realization_index);
  }

  @Put("ensembles/{ensemble_id}/records/{name}/userdata")
  @OperationId("replaceRecordUserdata")
  public async putUserdata(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Body() body: Userdata,
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
  ): Promise<void> {
    await this.services.records.putUserdata(ensemble_id, name, realization_index, body);
    sendNull(req);
  }

  @Patch("ensembles/{ensemble_id}/records/{name}/userdata")
  @OperationId("patchRecordUserdata")
  public async patchUserdata(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Body() body: Userdata,
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
  ): Promise<void> {
    await this.services.records.patchUserdata(ensemble_id, name, realization_index, body);
    sendNull(req);
  }

  /** One record per name. */
  @Get("ensembles/{ensemble_id}/records")
  @OperationId("listEnsembleRecords")
  public async list(@Path() ensemble_id: UUID): Promise<{ [name: string]: RecordOut }> {
    return this.services.records.list(ensemble_id);
  }

  /** The ensemble's parameters in `parameter_names` order, with their column labels. */
  @Get("ensembles/{ensemble_id}/parameters")
  @OperationId("listEnsembleParameters")
  public async parameters(@Path() ensemble_id: UUID): Promise<ParameterOut[]> {
    return this.services.recordData.parameters(ensemble_id);
  }

  @Get("ensembles/{ensemble_id}/responses")
  @OperationId("listEnsembleResponses")
  public async responses(@Path() ensemble_id: UUID): Promise<{ [name: string]: RecordOut }> {
    return this.services.records.list(ensemble_id, "response");
  }

  /**
   * A response over all realizations as CSV: one row per realization (ascending), columns
   * the union of the realizations' labels in first-seen order, missing cells empty.
   */
  @Get("ensembles/{ensemble_id}/responses/{name}/data")
  @OperationId("getResponseData")
  @Produces("text/csv")
  public async responseData(@Path() ensemble_id: UUID, @Path() name: string, @Request() req: ExpressRequest): Promise<void> {
    await sendRecordData(req, await this.services.recordData.responseFrame(ensemble_id, name), "text/csv");
  }

  @Get("records/{record_id}")
  @OperationId("getRecord")
  public async get(@Path() record_id: UUID): Promise<RecordOut> {
    return this.services.records.getById(record_id);
  }

  /** The record's data, by the same `Accept` rules. */
  @Get("records/{record_id}/data")
  @OperationId("getRecordDataById")
  @Produces("application/json")
  @Produces("application/x-numpy")
  @Produces("text/csv")
  @Produces("application/x-parquet")
  @Produces("application/octet-stream")
  public async dataById(@Path() record_id: UUID, @Request() req: ExpressRequest): Promise<void> {
    await sendRecordData(req, await this.services.recordData.byId(record_id, acceptedType(req)));
  }
}

