import { test, expect, hydrated } from "./fixtures";
import { buyOneEntry, publishEventAsNewOrganizer, unique } from "./journeys";

// Issue 19: a promo code lowers the price the buyer pays; a hidden ticket type appears only
// with its access code; a sold-out buyer joins the waiting list, a refund frees the seat
// and the offer email's link leads to payment.

async function salesTools(page, title: string) {
  await page.goto("/dashboard");
  await page.getByRole("link", { name: `Orders of ${title}` }).click();
  await hydrated(page);
  return page.getByRole("region", { name: "Sales tools" });
}

test("a buyer applies a promo code and pays the discounted price", async ({ page }) => {
  const title = `Promo Night ${unique("e")}`;
  const code = unique("HALF").toUpperCase().slice(0, 30);
  const eventUrl = await publishEventAsNewOrganizer(page, "Pat Promo", title);
  const tools = await salesTools(page, title);
  await tools.getByLabel("Code", { exact: true }).fill(code);
  await tools.getByLabel("Discount", { exact: true }).selectOption("Percentage off");
  await tools.getByLabel("Percentage or amount").fill("50");
  await tools.getByLabel("Total uses (optional)").fill("10");
  await tools.getByRole("button", { name: "Add code" }).click();
  await expect(tools.getByRole("list", { name: "Codes" })).toContainText(`${code} · 50% off · all ticket types`);
  await expect(tools.getByRole("list", { name: "Codes" })).toContainText("0 of 10 used");
  await page.context().clearCookies();

  // The buyer types the code on the event page.
  await page.goto(eventUrl);
  await hydrated(page);
  await page.getByLabel("Promo or access code").fill(code.toLowerCase());
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Code ${code}: 50% off applied` })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Add one Entry" }).click();
  await expect(page.getByTestId("ticket-total")).toHaveText("€5.00");
  await page.getByLabel("Your name").fill("Dana Deal");
  await page.getByLabel("Your email").fill(`${unique("dana")}@example.com`);
  await page.getByRole("button", { name: "Buy tickets" }).click();
  await page.getByRole("button", { name: "Pay €5.00" }).click();
  await expect(page.getByText("Your tickets are below")).toBeVisible();
  await expect(page.getByText(`Entry (code ${code})`)).toBeVisible();

  // A wrong code is refused with a reason, and the page still sells at the full price.
  await page.goto(`${eventUrl}?code=NOPE-NOT-A-CODE`);
  await expect(page.getByRole("alert")).toContainText("That code does not exist for this event");
  await expect(page.getByText("€10.00").first()).toBeVisible();
});

test("a hidden ticket type appears only with its access code", async ({ page }) => {
  const title = `Speaker Night ${unique("e")}`;
  const code = unique("SPK").toUpperCase().slice(0, 30);
  const eventUrl = await publishEventAsNewOrganizer(page, "Hana Hidden", title);
  const tools = await salesTools(page, title);
  await tools.getByRole("button", { name: "Hide Entry" }).click();
  await expect(tools.getByRole("button", { name: "Show Entry" })).toBeVisible();
  await tools.getByLabel("Code", { exact: true }).fill(code);
  await tools.getByLabel("Discount", { exact: true }).selectOption("None (access code only)");
  await tools.getByRole("group", { name: /For these ticket types/ }).getByLabel("Entry").check();
  await tools.getByRole("button", { name: "Add code" }).click();
  await expect(tools.getByRole("list", { name: "Codes" })).toContainText(`${code} · access code · Entry`);
  await page.context().clearCookies();

  await page.goto(eventUrl);
  await hydrated(page);
  await expect(page.getByRole("button", { name: "Add one Entry" })).toHaveCount(0);
  await page.goto(`${eventUrl}?code=${code}`);
  await hydrated(page);
  await page.getByRole("button", { name: "Add one Entry" }).click();
  await expect(page.getByTestId("ticket-total")).toHaveText("€10.00");
});

test("a sold-out buyer joins the waiting list and a refund's seat comes to them by email", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const title = `Full House ${unique("e")}`;
  const eventUrl = await publishEventAsNewOrganizer(page, "Wes Waitlist", title);
  // One seat in all: a shared capacity of 1 over Entry.
  const tools = await salesTools(page, title);
  await tools.getByLabel("Name", { exact: true }).fill("Tiny room");
  await tools.getByLabel("Capacity", { exact: true }).fill("1");
  await tools.getByRole("group", { name: "Shared by" }).getByLabel("Entry").check();
  await tools.getByRole("button", { name: "Add shared capacity" }).click();
  await expect(tools.getByRole("list", { name: "Shared capacities" })).toContainText("Tiny room · Entry · 0 sold, 0 held, 1 left of 1");
  const first = await buyOneEntry(browser, eventUrl, "Fay First");
  await first.close();

  // Sold out: Wendy joins the waiting list as a guest.
  const wendyEmail = `${unique("wendy")}@example.com`;
  const wendy = await (await browser.newContext()).newPage();
  await wendy.goto(eventUrl);
  await hydrated(wendy);
  await expect(wendy.getByText("Sold out")).toBeVisible();
  await wendy.getByText("Join the waiting list for Entry").click();
  const join = wendy.getByRole("group", { name: "Waiting list for Entry" });
  await join.getByLabel("Your name").fill("Wendy Waiting");
  await join.getByLabel("Your email").fill(wendyEmail);
  await join.getByRole("button", { name: "Join the waiting list" }).click();
  await expect(wendy.getByRole("status")).toContainText("You are on the waiting list");
  const line = page.getByRole("region", { name: "Waiting list" });
  await page.reload();
  await expect(line).toContainText("Wendy Waiting");
  await expect(line).toContainText("#1 in line");

  // The organizer refunds Fay: the seat is offered to Wendy.
  const orders = page.getByRole("region", { name: "Orders" });
  await orders.getByRole("row").nth(1).getByRole("link").click();
  await hydrated(page);
  await page.getByRole("button", { name: /^Refund order/ }).click();
  await expect(page.getByRole("region", { name: "Status history" })).toContainText("paid → refunded");

  // Wendy's mailbox: the offer, and its link goes to payment.
  await wendy.goto("/register?next=/dev/mailbox");
  await hydrated(wendy);
  await wendy.getByLabel("Name").fill("Wendy Waiting");
  await wendy.getByLabel("Email").fill(wendyEmail);
  await wendy.getByLabel("Password").fill("a long enough password");
  await wendy.getByRole("button", { name: "Create account" }).click();
  await wendy.getByRole("link", { name: `A ticket for ${title} is waiting for you` }).click();
  const link = await wendy.getByRole("link", { name: /\/waitlist\// }).getAttribute("href");
  await wendy.goto(new URL(link!).pathname + new URL(link!).search);
  await expect(wendy.getByText(/a “Entry” ticket \(€10.00\) is held for you until/)).toBeVisible();
  await hydrated(wendy);
  await wendy.getByRole("button", { name: "Continue to payment" }).click();
  await wendy.getByRole("button", { name: "Pay €10.00" }).click();
  await expect(wendy.getByText("Your tickets are below")).toBeVisible();
});
