/**
 * End to end, in headless Chromium: every parameter of the network diagram
 * from the keyboard (Tab into the diagram, arrows move, Enter opens the
 * value's edit, Escape comes back), with labels naming the parameter; the
 * computation graph's boxes from the keyboard too; and
 * drawn points carried by the address (a link reopens them; a cut link
 * says so; more than the link holds shows a notice). Screenshots go to
 * runs/web/ (and SCREENSHOT_DIR when set).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startPlayground, repo, type Playground } from "./browser.js";
import { MAX_LINK_POINTS, encodeDrawnPoints } from "../../web/src/data/drawnPointsLink.js";
import type {} from "../../web/src/parityStats.js"; // declares window.playgroundParity
import type {} from "../../web/src/stats.js";

const shots = [join(repo, "runs", "web"), ...(process.env.SCREENSHOT_DIR ? [process.env.SCREENSHOT_DIR] : [])];
let playground: Playground;

async function screenshot(page: Page, selector: string, name: string): Promise<void> {
  for (const dir of shots) {
    mkdirSync(dir, { recursive: true });
    await page.locator(selector).screenshot({ path: join(dir, name) });
  }
}

/** The focused element's parameter ("W1[1,0]", "b1[1]") or its id. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | SVGElement | null;
    if (!el) return "";
    const d = el.dataset;
    if (d.kind === "weight") return `W${Number(d.layer) + 1}[${d.row},${d.col}]`;
    if (d.kind === "bias") return `b${Number(d.layer) + 1}[${d.row}]`;
    return `#${el.id}`;
  });
}

beforeAll(async () => {
  playground = await startPlayground("keyboard-e2e-");
}, 180_000);

afterAll(async () => {
  await playground?.close();
});

test("Tab into the network diagram, arrows move between weights and biases, Enter edits, Escape comes back", async () => {
  const page = await playground.open();
  await page.focus("#show-grads");
  await page.keyboard.press("Tab");
  expect(await focused(page)).toBe("W1[0,0]");
  // One parameter at a time is in the tab order.
  expect(await page.locator('#network [tabindex="0"]').count()).toBe(1);
  expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toMatch(/^weight W1\[0,0\] from x1 to h1,1 = -?\d+\.\d{3}$/);

  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  expect(await focused(page)).toBe("W1[1,0]");
  await page.keyboard.press("ArrowRight");
  expect(await focused(page)).toBe("b1[1]");
  expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toMatch(/^bias b1\[1\] of h1,2 = -?\d+\.\d{3}$/);
  await page.keyboard.press("ArrowRight");
  expect(await focused(page)).toBe("W2[0,1]");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowLeft");
  expect(await focused(page)).toBe("W1[1,0]");
  expect(await page.locator('#network [tabindex="0"]').count()).toBe(1);
  // The focus is visible: the focused weight is drawn thick and black (with a glow).
  const look = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement!);
    return { stroke: s.stroke, width: s.strokeWidth };
  });
  expect(look).toEqual({ stroke: "rgb(0, 0, 0)", width: "5px" });
  await screenshot(page, ".panel.network", "keyboard-focus.png");

  // Enter: the chain-rule panel explains it, and the value field takes the focus with its value.
  await page.keyboard.press("Enter");
  await page.waitForSelector('#chain[data-param="W1[1,0]"] .product');
  expect(await focused(page)).toBe("#param-value");
  expect(await page.inputValue("#param-name")).toBe("W1[1,0]");
  const shownValue = Number(await page.inputValue("#param-value"));
  expect(shownValue).toBe(Number(await page.getAttribute('#network line[data-layer="0"][data-row="1"][data-col="0"]', "data-value")));
  await page.keyboard.type("0.75");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector<SVGElement>('#network line[data-layer="0"][data-row="1"][data-col="0"]')?.dataset.value === "0.75");
  await screenshot(page, ".panel.network", "keyboard-edit.png");
  // Escape: back to the same weight in the diagram, whose label now says the new value.
  await page.keyboard.press("Escape");
  expect(await focused(page)).toBe("W1[1,0]");
  expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("weight W1[1,0] from x1 to h1,2 = 0.750");
  // Space selects another parameter without leaving the diagram.
  await page.keyboard.press("End");
  expect(await focused(page)).toBe("W1[7,1]");
  await page.keyboard.press(" ");
  await page.waitForSelector('#chain[data-param="W1[7,1]"] .product');
  expect(await focused(page)).toBe("W1[7,1]");

  // The computation graph: Tab from its refresh button enters it; Right follows the data to the box that uses it.
  await page.click("#graph-refresh");
  await page.waitForSelector("#graph .graph-node");
  await page.focus("#graph-refresh");
  await page.keyboard.press("Tab");
  const box = () => page.evaluate(() => {
    const g = document.activeElement as SVGGElement;
    return { id: g.dataset.id, op: g.dataset.op, label: g.getAttribute("aria-label") ?? "", tabStops: document.querySelectorAll('#graph [tabindex="0"]').length };
  });
  const first = await box();
  expect(first.id).toBeDefined();
  expect(first.tabStops).toBe(1);
  expect(first.label).toMatch(/^(parameter|input|op) \S+ \[[\d×]*\]; gradient norm /);
  await page.keyboard.press("ArrowRight");
  const user = await box();
  expect(user.id).not.toBe(first.id);
  expect(first.label).toContain(`used by: ${user.op}`);
  expect(user.label).toContain("inputs: ");
  expect(user.tabStops).toBe(1);
  await page.keyboard.press("ArrowLeft");
  expect((await box()).label).toMatch(/^(parameter|input|op) /);
  expect(playground.consoleErrors).toEqual([]);
  await page.close();
});

test("drawn points travel in the address: a link reopens them, a cut link says so, the cap shows a notice", async () => {
  const page = await playground.open("#dataset=xor");
  await page.waitForFunction(() => window.playgroundParity.trainSize > 0);
  const baseSize = await page.evaluate(() => window.playgroundParity.trainSize);
  await page.click("#boundary", { position: { x: 60, y: 60 } });
  await page.click("#boundary", { position: { x: 300, y: 300 }, modifiers: ["Shift"] });
  await page.click("#boundary", { position: { x: 200, y: 90 } });
  await page.waitForFunction(() => window.playgroundParity.drawnPoints === 3);
  const link = page.url();
  const drawn = /[#&]drawn=([A-Za-z0-9_-]*)/.exec(link)?.[1];
  expect(drawn).toHaveLength(12);
  // The page counts a drawn point at once; trainSize comes from the worker's next frame, once it has taken the point.
  const trainSize = baseSize + 3;
  await page.waitForFunction((n) => window.playgroundParity.trainSize === n, trainSize);

  const again = await playground.open(new URL(link).hash);
  expect(await again.evaluate(() => window.playgroundParity.drawnPoints)).toBe(3);
  expect(await again.textContent("#drawn-count")).toBe("3 drawn");
  await again.waitForFunction((n) => window.playgroundParity.trainSize === n, trainSize);
  expect(new URL(again.url()).hash).toBe(new URL(link).hash);
  expect(await again.isHidden("#url-notice")).toBe(true);
  await again.close();

  // A cut link keeps the whole points and says what was lost.
  const cut = await playground.open(`#dataset=xor&drawn=${drawn!.slice(0, 10)}`);
  expect(await cut.evaluate(() => window.playgroundParity.drawnPoints)).toBe(2);
  expect(await cut.textContent("#url-notice")).toContain("the drawn points end in 2 stray character(s)");
  await cut.close();

  // A link with as many points as it can hold; one more drawn shows the notice.
  const full = Array.from({ length: MAX_LINK_POINTS }, (_, i) => ({ x: (i % 20) / 4 - 2.5, y: Math.floor(i / 20) / 4 - 2, positive: i % 2 === 0 }));
  const many = await playground.open(`#dataset=xor&drawn=${encodeDrawnPoints(full)}`);
  expect(await many.evaluate(() => window.playgroundParity.drawnPoints)).toBe(MAX_LINK_POINTS);
  expect(await many.isHidden("#drawn-link-notice")).toBe(true);
  await many.click("#boundary", { position: { x: 40, y: 320 } });
  await many.waitForFunction((n) => window.playgroundParity.drawnPoints === n, MAX_LINK_POINTS + 1);
  expect(await many.isVisible("#drawn-link-notice")).toBe(true);
  expect(await many.textContent("#drawn-link-notice")).toBe(`The link keeps the first ${MAX_LINK_POINTS} drawn points; 1 more stays on this page only.`);
  await screenshot(many, "#boundary >> xpath=..", "keyboard-drawn-points-cap.png");
  await many.close();
  await page.close();
  expect(playground.consoleErrors).toEqual([]);
});
