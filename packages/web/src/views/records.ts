// Records of an ensemble: class, type and userdata, each downloadable in every format.
import { readRecord, unwrap, type MatrixFormat } from "@ert-storage/sdk";
import { api } from "../api";
import { h, mount } from "../dom";
import { ensembleHeader, loadEnsemble, type ViewContext } from "./context";

const EXTENSIONS: Record<MatrixFormat, string> = { json: "json", npy: "npy", csv: "csv", parquet: "parquet" };

async function download(ensembleId: string, name: string, format: MatrixFormat | null, status: HTMLElement): Promise<void> {
  status.textContent = `Downloading ${name}…`;
  try {
    const content = await readRecord(api(), ensembleId, name, format ? { format } : {});
    const url = URL.createObjectURL(new Blob([content.bytes as BlobPart], { type: content.contentType }));
    const a = h("a", { href: url, download: content.filename ?? `${name.replace(/[/\\:]/g, "_")}.${format ? EXTENSIONS[format] : "bin"}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = `Downloaded ${name}${format ? ` as ${format.toUpperCase()}` : ""} (${content.bytes.length} bytes).`;
  } catch (error) {
    status.textContent = `Downloading ${name} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export async function recordsView(ctx: ViewContext, id: string): Promise<void> {
  const client = api();
  const [summary, records] = await Promise.all([
    loadEnsemble(id),
    unwrap(client.GET("/ensembles/{ensemble_id}/records", { params: { path: { ensemble_id: id } } })),
  ]);
  if (!ctx.current()) return;
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const rows = Object.values(records).sort((a, b) => a.name.localeCompare(b.name));
  mount(
    ctx.main,
    ensembleHeader(summary, "records"),
    h("h1", {}, "Records"),
    status,
    rows.length === 0
      ? h("p", {}, "This ensemble has no records.")
      : h(
          "table",
          { class: "data", "data-testid": "records" },
          h(
            "thead",
            {},
            h("tr", {}, ["Name", "Class", "Type", "Observations", "Userdata", "Download"].map((t) => h("th", { scope: "col" }, t))),
          ),
          h(
            "tbody",
            {},
            rows.map((r) =>
              h(
                "tr",
                { "data-record": r.name },
                h("th", { scope: "row" }, r.name),
                h("td", {}, r.record_class),
                h("td", {}, r.record_type),
                h("td", {}, r.has_observations ? "linked" : "–"),
                h("td", {}, Object.keys(r.userdata ?? {}).length ? h("pre", { class: "userdata" }, JSON.stringify(r.userdata, null, 1)) : "–"),
                h(
                  "td",
                  { class: "downloads" },
                  r.record_type === "file"
                    ? h("button", { type: "button", onclick: () => void download(id, r.name, null, status) }, "File")
                    : (Object.keys(EXTENSIONS) as MatrixFormat[]).map((f) =>
                        h("button", { type: "button", "aria-label": `Download ${r.name} as ${f.toUpperCase()}`, onclick: () => void download(id, r.name, f, status) }, f.toUpperCase()),
                      ),
                ),
              ),
            ),
          ),
        ),
  );
}
