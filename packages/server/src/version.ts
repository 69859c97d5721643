export const SERVER_NAME = "Ert Storage Server";
export const VERSION = "0.1.0";
