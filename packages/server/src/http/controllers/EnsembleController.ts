import { Body, Controller, Get, OperationId, Patch, Path, Put, Request, Response, Route, Security, Tags } from "@tsoa/runtime";
import type { Request as ExpressRequest } from "express";
import type { Services } from "../../domain";
import type { EnsembleOut } from "../../domain/ensembles";
import { sendNull } from "../respond";
import type { ErrorBody, UUID, Userdata, ValidationErrorBody } from "../types";

@Route("ensembles")
@Tags("ensemble")
@Security("Token")
@Response<ErrorBody>(403, "Not authenticated or invalid token")
@Response<ValidationErrorBody>(422, "Invalid request")
export class EnsembleController extends Controller {
  constructor(private readonly services: Services) {
    super();
  }

  /** `parent_ensemble_id` is the ensemble this one was updated from; `child_ensemble_ids` the ensembles updated from it. */
  @Get("{ensemble_id}")
  @OperationId("getEnsemble")
  @Response<ErrorBody>(404, "No such ensemble")
  public async get(@Path() ensemble_id: UUID): Promise<EnsembleOut> {
    return this.services.ensembles.get(ensemble_id);
  }

  @Get("{ensemble_id}/userdata")
  @OperationId("getEnsembleUserdata")
  public async getUserdata(@Path() ensemble_id: UUID): Promise<Userdata> {
    return this.services.userdata.get("ensemble", ensemble_id);
  }

  @Put("{ensemble_id}/userdata")
  @OperationId("replaceEnsembleUserdata")
  public async putUserdata(@Path() ensemble_id: UUID, @Body() body: Userdata, @Request() req: ExpressRequest): Promise<void> {
    await this.services.userdata.replace("ensemble", ensemble_id, body);
    sendNull(req);
  }

  @Patch("{ensemble_id}/userdata")
  @OperationId("patchEnsembleUserdata")
  public async patchUserdata(@Path() ensemble_id: UUID, @Body() body: Userdata, @Request() req: ExpressRequest): Promise<void> {
    await this.services.userdata.merge("ensemble", ensemble_id, body);
    sendNull(req);
  }
}
