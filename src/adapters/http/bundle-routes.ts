import { Hono } from "hono";
import { ClawopsError } from "../../core/errors.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";

/** Repro bundle downloads, `GET /bundles/:id`: only through an unexpired HMAC-signed link (core/bundles). */
export function bundleRoutes(deps: CoreDeps) {
  const app = new Hono();
  app.get("/:id", async (c) => {
    if (!deps.bundles.on)
      throw new ClawopsError("bundles_not_configured", "Bundles are not configured.", { status: 404 });
    const bundles = deps.bundles.use;
    const id = c.req.param("id");
    const verdict = await bundles.signer.verify(id, c.req.query("exp"), c.req.query("sig"), deps.clock.now());
    if (verdict !== "ok") {
      throw new ClawopsError(
        "bundle_link_invalid",
        verdict === "expired"
          ? "This bundle link has expired. Run `/openclaw bundle <host>` again for a fresh bundle."
          : "This bundle link is not valid (wrong or missing signature).",
        { status: 403 },
      );
    }
    const blob = await bundles.blobs.get(`${id}.zip`);
    if (!blob || blob.meta.expiresAt <= deps.clock.now()) {
      throw new ClawopsError("bundle_not_found", "This bundle is no longer kept (retention passed).", { status: 404 });
    }
    return new Response(blob.bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": blob.meta.contentType,
        "content-length": String(blob.bytes.byteLength),
        "content-disposition": `attachment; filename="${id}.zip"`,
        "cache-control": "private, no-store",
      },
    });
  });
  return app;
}
