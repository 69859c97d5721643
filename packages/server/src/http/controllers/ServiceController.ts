import { Controller, Get, OperationId, Post, Route, Security, Tags } from "@tsoa/runtime";
import { SERVER_NAME, VERSION } from "../../version";

export interface ServerInfo {
  name: string;
  version: string;
}

@Route("")
@Tags("service")
export class ServiceController extends Controller {
  /** How clients probe a server: no token needed. */
  @Get("healthcheck")
  @OperationId("healthcheck")
  public async healthcheck(): Promise<string> {
    return "ALL OK!";
  }

  @Get("server/info")
  @Security("Token")
  @OperationId("serverInfo")
  public async info(): Promise<ServerInfo> {
    return { name: SERVER_NAME, version: VERSION };
  }

  /** Kept for old clients' refresh button: answers 200 and does nothing. */
  @Post("updates/facade")
  @Security("Token")
  @OperationId("refreshFacade")
  public async facade(): Promise<string> {
    return "OK";
  }
}
