import { Body, Controller, Delete, Get, OperationId, Patch, Path, Post, Put, Request, Response, Route, Security, Tags } from "@tsoa/runtime";
import type { Request as ExpressRequest } from "express";
import type { Services } from "../../domain";
import type { EnsembleOut } from "../../domain/ensembles";
import type { ExperimentOut } from "../../domain/experiments";
import type { PriorSpec } from "../../domain/priors";
import { exactBody } from "../bodies";
import { priorNumbers, type EnsembleIn, type ExperimentIn } from "../models";
import { sendNull } from "../respond";
import type { ErrorBody, UUID, Userdata, ValidationErrorBody } from "../types";

@Route("experiments")
@Tags("experiment")
@Security("Token")
@Response<ErrorBody>(403, "Not authenticated or invalid token")
@Response<ValidationErrorBody>(422, "Invalid request")
export class ExperimentController extends Controller {
  constructor(private readonly services: Services) {
    super();
  }

  @Post()
  @OperationId("createExperiment")
  public async create(@Body() body: ExperimentIn, @Request() req: ExpressRequest): Promise<ExperimentOut> {
    const exact = exactBody<ExperimentIn>(req).priors ?? {};
    const priors = Object.fromEntries(Object.keys(body.priors ?? {}).map((name) => [name, priorNumbers(name, exact[name])]));
    return this.services.experiments.create(body.name, priors);
  }

  @Get()
  @OperationId("listExperiments")
  public async list(): Promise<ExperimentOut[]> {
    return this.services.experiments.list();
  }

  @Get("{experiment_id}")
  @OperationId("getExperiment")
  @Response<ErrorBody>(404, "No such experiment")
  public async get(@Path() experiment_id: UUID): Promise<ExperimentOut> {
    return this.services.experiments.get(experiment_id);
  }

  /** The experiment's priors by name, each exactly as posted. */
  @Get("{experiment_id}/priors")
  @OperationId("getExperimentPriors")
  @Response<ErrorBody>(404, "No such experiment")
  public async priors(@Path() experiment_id: UUID): Promise<{ [name: string]: PriorSpec }> {
    return (await this.services.experiments.get(experiment_id)).priors;
  }

  /** Deletes the experiment with its ensembles, records, files and observations. */
  @Delete("{experiment_id}")
  @OperationId("deleteExperiment")
  @Response<ErrorBody>(404, "No such experiment")
  public async delete(@Path() experiment_id: UUID, @Request() req: ExpressRequest): Promise<void> {
    await this.services.experiments.delete(experiment_id);
    sendNull(req);
  }

  @Get("{experiment_id}/ensembles")
  @OperationId("listExperimentEnsembles")
  @Response<ErrorBody>(404, "No such experiment")
  public async ensembles(@Path() experiment_id: UUID): Promise<EnsembleOut[]> {
    return this.services.ensembles.listForExperiment(experiment_id);
  }

  /**
   * Creates an ensemble. Empty `active_realizations` means 0..size-1; `size` -1 means unknown.
   * With `update_id` the ensemble becomes that update's result.
   */
  @Post("{experiment_id}/ensembles")
  @OperationId("createEnsemble")
  @Response<ErrorBody>(404, "No such experiment or update")
  @Response<ErrorBody>(409, "The update already has a result ensemble")
  @Response<ErrorBody>(417, "Active realization index out of range or repeated")
  public async createEnsemble(@Path() experiment_id: UUID, @Body() body: EnsembleIn): Promise<EnsembleOut> {
    return this.services.ensembles.create(experiment_id, body);
  }

  @Get("{experiment_id}/userdata")
  @OperationId("getExperimentUserdata")
  public async getUserdata(@Path() experiment_id: UUID): Promise<Userdata> {
    return this.services.userdata.get("experiment", experiment_id);
  }

  /** Replaces the userdata. */
  @Put("{experiment_id}/userdata")
  @OperationId("replaceExperimentUserdata")
  public async putUserdata(@Path() experiment_id: UUID, @Body() body: Userdata, @Request() req: ExpressRequest): Promise<void> {
    await this.services.userdata.replace("experiment", experiment_id, body);
    sendNull(req);
  }

  /** Merges top-level keys into the userdata. */
  @Patch("{experiment_id}/userdata")
  @OperationId("patchExperimentUserdata")
  public async patchUserdata(@Path() experiment_id: UUID, @Body() body: Userdata, @Request() req: ExpressRequest): Promise<void> {
    await this.services.userdata.merge("experiment", experiment_id, body);
    sendNull(req);
  }
}
