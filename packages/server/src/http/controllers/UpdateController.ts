import { Body, Controller, Get, OperationId, Path, Post, Request, Response, Route, Security, Tags } from "@tsoa/runtime";
import type { Request as ExpressRequest } from "express";
import type { Services } from "../../domain";
import type { UpdateOut } from "../../domain/updates";
import { exactBody } from "../bodies";
import { floats, type UpdateIn } from "../models";
import type { ErrorBody, UUID, ValidationErrorBody } from "../types";

@Route("updates")
@Tags("update")
@Security("Token")
@Response<ErrorBody>(403, "Not authenticated or invalid token")
@Response<ErrorBody>(404, "Ensemble, observation or update not found")
@Response<ValidationErrorBody>(422, "Invalid request")
export class UpdateController extends Controller {
  constructor(private readonly services: Services) {
    super();
  }

  /**
   * Records an update (e.g. an ensemble smoother step) from `ensemble_reference_id`, with
   * per-observation transformations whose `active` and `scale` match the observation's length.
   */
  @Post()
  @OperationId("createUpdate")
  @Response<ErrorBody>(409, "The result ensemble already has a parent update")
  @Response<ErrorBody>(422, "Ensembles or observations of different experiments, or transformation lengths that do not match")
  public async create(@Body() body: UpdateIn, @Request() req: ExpressRequest): Promise<UpdateOut> {
    const exact = exactBody<UpdateIn>(req).observation_transformations ?? [];
    const transformations = (body.observation_transformations ?? []).map((t, i) => ({
      ...t,
      scale: floats(["body", "observation_transformations", i, "scale"], exact[i].scale),
    }));
    return this.services.updates.create({ ...body, observation_transformations: transformations });
  }

  @Get("{update_id}")
  @OperationId("getUpdate")
  public async get(@Path() update_id: UUID): Promise<UpdateOut> {
    return this.services.updates.get(update_id);
  }
}
