// The page's integer twin (webapp/js/net.js) under Node, for tests/unit/test_page_twin.py. Reads
// {"network": <a quant.json's path>, "imageBits": n, "images": [[pixel, ...], ...]} on stdin and writes each image's
// scores as JSON (decimal strings) on stdout. net.js is a browser module without imports: it is loaded from a data:
// URL, since the repository's package.json does not declare its .js files ES modules.
import { readFileSync } from "node:fs";

const source = readFileSync(new URL("../../webapp/js/net.js", import.meta.url), "utf8");
const url = `data:text/javascript,${encodeURIComponent(source)}`;
const { forward, networkFrom } = await import(url);
const request = JSON.parse(readFileSync(0, "utf8"));
try {
  const network = networkFrom(JSON.parse(readFileSync(request.network, "utf8")), request.imageBits, request.network);
  process.stdout.write(JSON.stringify(request.images.map((pixels) => forward(network, pixels).map(String))));
} catch (error) {
  process.stderr.write(String(error.stack).replaceAll(url, "webapp/js/net.js"));
  process.exitCode = 1;
}
