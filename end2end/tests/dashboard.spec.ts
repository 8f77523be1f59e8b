import { test, expect, hydrated } from "./fixtures";

const unique = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

function localInput(days: number, hour: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hour)}:00`;
}

async function register(page, name: string, organizer: boolean, next: string) {
  await page.goto(`/register?next=${next}`);
  await hydrated(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(`${unique("dash")}@example.com`);
  await page.getByLabel("Password").fill("a long enough password");
  if (organizer) await page.getByLabel("I want to sell tickets for my events").check();
  await page.getByRole("button", { name: "Create account" }).click();
}

const metric = (page, label: string) => page.locator(`[data-metric="${label}"] .metric-value`);

test("a purchase shows up first on the organizer's dashboard and moves the metrics", async ({ page, browser }) => {
  const title = `Dash Night ${unique("e")}`;
  await register(page, "Dora Dashboard", true, "/dashboard/events/new");
  await expect(page.getByRole("heading", { name: "Create an event" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("Title").fill(title);
  await page.getByRole("button", { name: "2. Date and place" }).click();
  await page.getByLabel("Starts").fill(localInput(10, 19));
  await page.getByLabel("Ends").fill(localInput(10, 22));
  await page.getByLabel("Venue").fill("Club Metric");
  await page.getByRole("button", { name: "3. Tickets" }).click();
  const row = page.getByRole("group", { name: "Ticket type 1" });
  await row.getByLabel("Name").fill("Entry");
  await row.getByLabel("Price").fill("15");
  await row.getByLabel("Capacity").fill("50");
  await page.getByRole("button", { name: "5. Review" }).click();
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  const eventUrl = page.url();

  await page.goto("/dashboard");
  await expect(metric(page, "Tickets sold")).toHaveText("0");
  await expect(metric(page, "Paid orders")).toHaveText("0");
  await expect(page.getByText("No bookings yet.")).toBeVisible();

  // A customer buys two tickets in another browser.
  const buyerContext = await browser.newContext();
  const buyer = await buyerContext.newPage();
  await register(buyer, "Carl Customer", false, "/");
  await expect(buyer.getByRole("link", { name: "Carl Customer" })).toBeVisible();
  await buyer.goto(eventUrl);
  await hydrated(buyer);
  await buyer.getByRole("button", { name: "Add one Entry" }).click();
  await buyer.getByRole("button", { name: "Add one Entry" }).click();
  await buyer.getByRole("button", { name: "Buy tickets" }).click();
  await buyer.getByRole("button", { name: "Pay €30.00" }).click();
  await expect(buyer.getByText("Your tickets are below")).toBeVisible();
  await buyerContext.close();

  await page.reload();
  await expect(metric(page, "Tickets sold")).toHaveText("2");
  await expect(metric(page, "Paid orders")).toHaveText("1");
  await expect(metric(page, "Revenue")).toHaveText("€30.00");
  const first = page.getByRole("table", { name: "Recent bookings" }).getByRole("row").nth(1);
  await expect(first).toContainText("Carl Customer");
  await expect(first).toContainText(title);
  await expect(first).toContainText("€30.00");
  await expect(page.getByRole("img", { name: "2 tickets sold in the last 30 days" })).toBeVisible();
  await expect(page.getByRole("img", { name: "Entry: 2 sold, 0 held, 48 left" })).toBeVisible();

  // The event's orders page: search, open the order, refund it, see the log grow.
  await page.getByRole("link", { name: `Orders of ${title}` }).click();
  await expect(page.getByRole("heading", { name: `Orders and attendees: ${title}` })).toBeVisible();
  await page.getByLabel("Search orders").fill("CARL");
  await page.getByLabel("Status").selectOption("paid");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/q=CARL&status=paid/);
  const orders = page.getByRole("region", { name: "Orders" });
  await expect(orders.getByRole("row")).toHaveCount(2);
  await expect(page.getByRole("region", { name: "Attendees" }).getByRole("row")).toHaveCount(3);
  await orders.getByRole("row").nth(1).getByRole("link").click();
  await expect(page.getByRole("heading", { name: /^Order TX-/ })).toBeVisible();
  await hydrated(page);
  const log = page.getByRole("region", { name: "Status history" });
  await expect(log.getByRole("listitem")).toHaveCount(2);
  await expect(log).toContainText("pending → paid");
  await page.getByRole("button", { name: /^Refund order/ }).click();
  await expect(log.getByRole("listitem")).toHaveCount(3);
  await expect(log).toContainText("paid → refunded");
  await expect(page.getByRole("region", { name: "Tickets" })).toContainText("void");
});
