// Where the browser tests' servers listen, shared by playwright.config.ts and the specs.
export const port = Number(process.env.TICKEX_E2E_PORT ?? 3100);
// A second instance sends its email through Resend (a local double, resend-double.mjs) and
// takes Resend's delivery webhooks: tests/delivery.spec.ts runs there.
export const resendPort = port + 1;
export const resendDoublePort = port + 90;
export const resendWebhookSecret = "whsec_dGlja2V4IGUyZSB3ZWJob29rIHNpZ25pbmcga2V5";
