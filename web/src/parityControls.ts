/**
 * The form fields added for TensorFlow Playground parity: problem type,
 * regularisation, seed, the input-feature toggles, and the view toggles
 * (discretise, show test data). controls.ts reads and writes the rest.
 */
import type { PlaygroundConfig, RegularizationKind } from "./config.js";
import { FEATURE_LABELS, FEATURE_NAMES, type FeatureName } from "./data/features.js";
import { element } from "./dom.js";
import { DATASETS, problemOf, type ProblemType, type ViewSettings } from "./urlState.js";

/** Makes one toggle button per feature in #features (pressed = the network sees it). */
export function buildFeatureToggles(onChange: () => void): void {
  const box = element("features");
  box.replaceChildren();
  for (const name of FEATURE_NAMES) {
    const b = document.createElement("button");
    b.type = "button";
    b.id = `feature-${name}`;
    b.className = "feature";
    b.dataset.feature = name;
    b.textContent = FEATURE_LABELS[name];
    b.setAttribute("aria-pressed", "false");
    b.setAttribute("aria-label", `input feature ${FEATURE_LABELS[name]}`);
    b.addEventListener("click", () => {
      b.setAttribute("aria-pressed", b.getAttribute("aria-pressed") === "true" ? "false" : "true");
      onChange();
    });
    box.append(b);
  }
}

function chosenFeatures(): FeatureName[] {
  return FEATURE_NAMES.filter((name) => element(`feature-${name}`).getAttribute("aria-pressed") === "true");
}

/** The parity fields of the configuration, as the form holds them. */
export function readParityFields(): Pick<PlaygroundConfig, "regularization" | "regularizationRate" | "features" | "seed"> {
  return {
    regularization: element<HTMLSelectElement>("reg").value as RegularizationKind,
    regularizationRate: Number(element<HTMLInputElement>("reg-rate").value),
    features: chosenFeatures(),
    seed: Number(element<HTMLInputElement>("seed").value),
  };
}

export function showParityFields(c: PlaygroundConfig): void {
  element<HTMLSelectElement>("reg").value = c.regularization;
  element<HTMLInputElement>("reg-rate").value = String(c.regularizationRate);
  element<HTMLInputElement>("seed").value = String(c.seed);
  element<HTMLSelectElement>("problem").value = problemOf(c.dataset);
  for (const name of FEATURE_NAMES) element(`feature-${name}`).setAttribute("aria-pressed", String(c.features.includes(name)));
  showDatasetsOf(problemOf(c.dataset));
}

/** The dataset list offers the datasets of the chosen problem type only. */
export function showDatasetsOf(problem: ProblemType): void {
  const select = element<HTMLSelectElement>("dataset");
  for (const option of Array.from(select.options)) {
    const fits = problemOf(option.value as (typeof DATASETS)[number]) === problem;
    option.hidden = !fits;
    option.disabled = !fits;
  }
}

export function readView(): ViewSettings {
  return { discretize: element<HTMLInputElement>("discretize").checked, showTestData: element<HTMLInputElement>("show-test").checked };
}

export function showView(v: ViewSettings): void {
  element<HTMLInputElement>("discretize").checked = v.discretize;
  element<HTMLInputElement>("show-test").checked = v.showTestData;
}
