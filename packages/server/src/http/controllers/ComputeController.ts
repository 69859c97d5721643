import { Controller, Get, OperationId, Produces, Query, Request, Response, Route, Security, Tags } from "@tsoa/runtime";
import type { Request as ExpressRequest } from "express";
import type { Services } from "../../domain";
import { sendMatrix } from "../respond";
import type { ErrorBody, Int, UUID, ValidationErrorBody } from "../types";

@Route("compute")
@Tags("misfits")
@Security("Token")
@Response<ErrorBody>(403, "Not authenticated or invalid token")
@Response<ValidationErrorBody>(422, "Invalid request, or misfits cannot be computed")
export class ComputeController extends Controller {
  constructor(private readonly services: Services) {
    super();
  }

  /**
   * Univariate misfits as CSV: rows are realizations, columns the observation's x_axis;
   * each cell is sign(r - o) * ((r - o) / error)^2. With `summary_misfits` one column `0`
   * holds the sum of absolute misfits per realization.
   */
  @Get("misfits")
  @OperationId("computeMisfits")
  @Produces("text/csv")
  @Response<ErrorBody>(404, "No such ensemble")
  public async misfits(
    @Query() ensemble_id: UUID,
    @Query() response_name: string,
    @Request() req: ExpressRequest,
    @Query() realization_index?: Int,
    @Query() summary_misfits?: boolean,
  ): Promise<void> {
    const frame = await this.services.misfits.compute(ensemble_id, response_name, realization_index, summary_misfits ?? false);
    await sendMatrix(req, frame, "text/csv");
  }
}
