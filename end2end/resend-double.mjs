// A local Resend double for the browser tests: `POST /emails` as Resend's API answers it
// (a bearer key and a User-Agent are required, as Resend documents: 401 / 403 error 1010),
// and `GET /sent` lists what it accepted, with the id Resend's webhooks would name.
import { createServer } from "node:http";

const port = Number(process.env.RESEND_DOUBLE_PORT ?? 3190);
const sent = [];

function answer(response, status, body) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

createServer((request, response) => {
  if (request.method === "GET" && request.url === "/sent") return answer(response, 200, sent);
  if (request.method !== "POST" || request.url !== "/emails") {
    return answer(response, 404, { name: "not_found", message: "The requested endpoint does not exist." });
  }
  if (!request.headers["user-agent"]) return answer(response, 403, { error_code: 1010, message: "error code: 1010" });
  if (!(request.headers.authorization ?? "").startsWith("Bearer re_")) {
    return answer(response, 401, { name: "missing_api_key", message: "Missing API key in the authorization header." });
  }
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    let email;
    try {
      email = JSON.parse(body);
    } catch {
      return answer(response, 422, { name: "validation_error", message: "Invalid JSON body." });
    }
    const id = `e2e-${sent.length + 1}-${Date.now()}`;
    sent.push({ id, to: email.to, subject: email.subject });
    answer(response, 200, { id });
  });
}).listen(port, "127.0.0.1");
