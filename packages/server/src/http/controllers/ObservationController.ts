import { Body, Controller, Get, OperationId, Patch, Path, Post, Put, Query, Request, Response, Route, Security, Tags } from "@tsoa/runtime";
import type { Request as ExpressRequest } from "express";
import type { Services } from "../../domain";
import type { ObservationOut } from "../../domain/observations";
import { floats, type ObservationIn } from "../models";
import { sendNull } from "../respond";
import type { ErrorBody, Int, UUID, Userdata, ValidationErrorBody } from "../types";

@Route("")
@Tags("observation")
@Security("Token")
@Response<ErrorBody>(403, "Not authenticated or invalid token")
@Response<ErrorBody>(404, "Not found")
@Response<ValidationErrorBody>(422, "Invalid request")
export class ObservationController extends Controller {
  constructor(private readonly services: Services) {
    super();
  }

  /** Observed values with their errors at x_axis points; the name is unique in the experiment. */
  @Post("experiments/{experiment_id}/observations")
  @OperationId("createObservation")
  @Response<ErrorBody>(409, "An observation of this name already exists in the experiment")
  public async create(@Path() experiment_id: UUID, @Body() body: ObservationIn): Promise<ObservationOut> {
    return this.services.observations.create(experiment_id, {
      ...body,
      values: floats(["body", "values"], body.values),
      errors: floats(["body", "errors"], body.errors),
    });
  }

  @Get("experiments/{experiment_id}/observations")
  @OperationId("listExperimentObservations")
  public async listForExperiment(@Path() experiment_id: UUID): Promise<ObservationOut[]> {
    return this.services.observations.listForExperiment(experiment_id);
  }

  /** The experiment's observations, each with the transformation of the update that produced this ensemble. */
  @Get("ensembles/{ensemble_id}/observations")
  @OperationId("listEnsembleObservations")
  public async listForEnsemble(@Path() ensemble_id: UUID): Promise<ObservationOut[]> {
    return this.services.observations.listForEnsemble(ensemble_id);
  }

  /** Links observations (by id) to the record, replacing its links. */
  @Post("ensembles/{ensemble_id}/records/{name}/observations")
  @OperationId("linkRecordObservations")
  public async link(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Body() body: UUID[],
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
  ): Promise<void> {
    await this.services.observations.linkToRecord(ensemble_id, name, realization_index, body);
    sendNull(req);
  }

  @Get("ensembles/{ensemble_id}/records/{name}/observations")
  @OperationId("listRecordObservations")
  public async listForRecord(
    @Path() ensemble_id: UUID,
    @Path() name: string,
    @Query() realization_index?: Int,
  ): Promise<ObservationOut[]> {
    return this.services.observations.listForRecord(ensemble_id, name, realization_index);
  }

  @Get("observations/{observation_id}/userdata")
  @OperationId("getObservationUserdata")
  public async getUserdata(@Path() observation_id: UUID): Promise<Userdata> {
    return this.services.userdata.get("observation", observation_id);
  }

  @Put("observations/{observation_id}/userdata")
  @OperationId("replaceObservationUserdata")
  public async putUserdata(@Path() observation_id: UUID, @Body() body: Userdata, @Request() req: ExpressRequest): Promise<void> {
    await this.services.userdata.replace("observation", observation_id, body);
    sendNull(req);
  }

  @Patch("observations/{observation_id}/userdata")
  @OperationId("patchObservationUserdata")
  public async patchUserdata(@Path() observation_id: UUID, @Body() body: Userdata, @Request() req: ExpressRequest): Promise<void> {
    await this.services.userdata.merge("observation", observation_id, body);
    sendNull(req);
  }
}
