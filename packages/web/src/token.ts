// The token: taken from the address's fragment (#token=..., which never reaches a server
// or a log), kept in sessionStorage for this tab, and removed from the address bar.
// Without one the page asks once.
import { h, mount } from "./dom";

const KEY = "ert-storage-token";

/** Moves a #token=... fragment into sessionStorage and out of the address bar. */
export function takeTokenFromFragment(): void {
  const match = /^#token=([^&]*)(?:&(.*))?$/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
  const route = match[2] ? decodeURIComponent(match[2]) : "/";
  history.replaceState(null, "", `${location.pathname}${location.search}#${route}`);
}

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** Shows a form asking for the token; resolves once it is given. */
export function askToken(host: HTMLElement, problem: string | null): Promise<string> {
  return new Promise((resolve) => {
    const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true, "aria-describedby": "token-help" });
    const form = h(
      "form",
      { class: "token-form" },
      h("h1", {}, "ERT Storage explorer"),
      problem ? h("p", { class: "error", role: "alert" }, problem) : null,
      h("label", { for: "token" }, "Token"),
      input,
      h(
        "p",
        { id: "token-help", class: "help" },
        "The server prints it at start, with a ready-to-open address, and writes it to storage_server.json (authtoken).",
      ),
      h("button", { type: "submit" }, "Open"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      sessionStorage.setItem(KEY, token);
      resolve(token);
    });
    mount(host, form);
    input.focus();
  });
}
