import { createHmac } from "node:crypto";
import { test, expect, hydrated } from "./fixtures";
import { resendDoublePort, resendPort, resendWebhookSecret } from "../e2e-ports";

// This instance sends email through Resend (the local double) instead of the dev mailbox.
test.use({ baseURL: `http://127.0.0.1:${resendPort}` });

const unique = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
const double = `http://127.0.0.1:${resendDoublePort}`;

type Sent = { id: string; to: string[]; subject: string };

/** The email Resend accepted for `to` with a subject containing `subject`, once there is one. */
async function sentTo(request, to: string, subject: string): Promise<Sent> {
  let found: Sent | undefined;
  await expect.poll(async () => {
    const sent: Sent[] = await (await request.get(`${double}/sent`)).json();
    found = sent.find((e) => e.to.includes(to) && e.subject.includes(subject));
    return found !== undefined;
  }, { timeout: 15_000 }).toBe(true);
  return found!;
}

/** Resend's `email.bounced` webhook for the email it calls `emailId`, signed as Svix signs. */
function bounce(emailId: string, to: string) {
  const body = JSON.stringify({
    type: "email.bounced",
    created_at: new Date().toISOString(),
    data: {
      email_id: emailId, to: [to], subject: "Your tickets",
      bounce: { message: "550 5.1.1 The email account that you tried to reach does not exist.", type: "Permanent" },
    },
  });
  const id = `msg_${Date.now()}`;
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const key = Buffer.from(resendWebhookSecret.slice("whsec_".length), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return {
    headers: { "content-type": "application/json", "svix-id": id, "svix-timestamp": timestamp, "svix-signature": `v1,${signature}` },
    data: body,
  };
}

test("the organizer sees a bounced ticket email and sends the tickets to a corrected address", async ({ page, browser, request }) => {
  // A buyer with a mistyped address buys a seat.
  const typo = unique("typo");
  const buyerContext = await browser.newContext();
  const buyer = await buyerContext.newPage();
  await buyer.goto("/register?next=/");
  await hydrated(buyer);
  await buyer.getByLabel("Name").fill("Tina Typo");
  await buyer.getByLabel("Email").fill(typo);
  await buyer.getByLabel("Password").fill("a long enough password");
  await buyer.getByRole("button", { name: "Create account" }).click();
  await expect(buyer.getByRole("link", { name: "Tina Typo" })).toBeVisible();
  await buyer.getByRole("link", { name: /Open Source Design Workshop/ }).click();
  await hydrated(buyer);
  await buyer.getByRole("button", { name: "Add one Workshop seat" }).click();
  await buyer.getByRole("button", { name: "Buy tickets" }).click();
  await buyer.getByRole("button", { name: "Pay $49.00" }).click();
  await expect(buyer.getByText("Your tickets are below")).toBeVisible();
  await hydrated(buyer);
  const order = new URL(buyer.url()).pathname.split("/").pop();
  await buyerContext.close();

  // Resend accepts the ticket email, then reports that the address bounced.
  const sent = await sentTo(request, typo, "Your tickets");
  const report = bounce(sent.id, typo);
  const answer = await request.post(`/api/webhooks/resend`, report);
  expect(answer.status()).toBe(200);

  // The organizer sees it on the order and sends the tickets to the right address.
  await page.goto(`/login?next=/dashboard/orders/${order}`);
  await hydrated(page);
  await page.getByLabel("Email").fill("organizer@demo.tickex.test");
  await page.getByLabel("Password").fill("tickex-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText(/Ticket email: bounced: 550 5\.1\.1/)).toBeVisible();
  await expect(page.getByRole("heading", { name: "The ticket email did not arrive" })).toBeVisible();
  await hydrated(page);
  const corrected = unique("corrected");
  await page.getByLabel("Send the tickets to").fill(corrected);
  await page.getByRole("button", { name: "Send tickets again" }).click();
  await expect(page.getByRole("status").filter({ hasText: "on their way to the corrected address" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "The ticket email did not arrive" })).toHaveCount(0);
  await sentTo(request, corrected, "Your tickets");
  await page.reload();
  await expect(page.getByText(`ticket email sent to ${corrected}`)).toBeVisible();
});
