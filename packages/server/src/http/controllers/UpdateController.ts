import { Body, Controller, Get, OperationId, Path, Post, Response, Route, Security, Tags } from "@tsoa/runtime";
import type { Services } from "../../domain";
import type { UpdateIn, UpdateOut } from "../../domain/updates";
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
  public async create(@Body() body: UpdateIn): Promise<UpdateOut> {
    return this.services.updates.create(body);
  }

  @Get("{update_id}")
  @OperationId("getUpdate")
  public async get(@Path() update_id: UUID): Promise<UpdateOut> {
    return this.services.updates.get(update_id);
  }
}
