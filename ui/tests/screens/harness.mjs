// Serves the UI with Vite and opens it in headless Chromium with the fake backend in place
// of the Rust commands. One server and one browser per test file; a fresh context (own
// localStorage, locale and time zone) per page.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createServer } from "vite";
import { chromium } from "playwright-core";
import { installFakeBackend } from "./fake-backend.js";

const uiRoot = path.resolve(import.meta.dirname, "../..");
export const shots = path.join(uiRoot, "tests/screens/artifacts");

let server;
let browser;
let baseUrl;

before(async () => {
  fs.mkdirSync(shots, { recursive: true });
  server = await createServer({
    root: uiRoot,
    configFile: path.join(uiRoot, "vite.config.ts"),
    logLevel: "error",
    server: { port: 0, strictPort: false, host: "127.0.0.1", hmr: false },
  });
  await server.listen();
  baseUrl = `http://127.0.0.1:${server.httpServer.address().port}/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * Opens the app against a fake backend. `scenario` configures the backend (see
 * fake-backend.js); `locale` and `timezoneId` stand for the computer's settings.
 */
export async function openApp(scenario = {}, { locale = "en-US", timezoneId = "Asia/Shanghai" } = {}) {
  const context = await browser.newContext({ locale, timezoneId, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  await page.addInitScript(installFakeBackend, scenario);
  await page.goto(baseUrl);
  return {
    page,
    problems,
    /** Every command the UI sent, with its arguments, in order. */
    calls: () => page.evaluate(() => window.__fakeBackend.calls),
    backend: () => page.evaluate(() => window.__fakeBackend.state),
    shot: (name) => page.screenshot({ path: path.join(shots, `${name}.png`) }),
    close: () => context.close(),
  };
}

/**
 * Runs `body` with a fresh app; afterwards the page must have had no script error, no
 * console error and no failed request.
 */
export async function withApp(scenario, options, body) {
  if (typeof options === "function") [options, body] = [{}, options];
  const app = await openApp(scenario, options);
  try {
    await body(app);
    assert.deepEqual(app.problems, [], "the page reported errors");
  } finally {
    await app.close();
  }
}

/** `[data-testid=…]` as a locator. */
export const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

/** A patient row as the core stores it (for seeding scenarios). */
export function patient(n, fields) {
  return {
    id: `11111111-0000-7000-8000-${String(n).padStart(12, "0")}`,
    sex: null, birthDate: null, age: null, phone: null, email: null, address: null,
    paymentType: null, allergies: null, notes: null, idNumber: null, idNumberMasked: null,
    createdAt: "2026-01-05T08:00:00Z", updatedAt: "2026-01-05T08:00:00Z", archivedAt: null,
    ...fields,
  };
}
