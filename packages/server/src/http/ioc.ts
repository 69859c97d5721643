// Controllers get the services of the app that serves the request.
import type { Request } from "express";
import type { IocContainer, IocContainerFactory } from "@tsoa/runtime";
import type { Services } from "../domain";

type ControllerClass = new (services: Services) => unknown;

export const iocContainer: IocContainerFactory<Request> = (request: Request): IocContainer =>
  ({
    get: (controller: ControllerClass) => new controller(request.app.locals.services as Services),
  }) as IocContainer;
