/**
 * The "Network" selector (issue #18): which network the page shows, a
 * radio group in the header (arrow keys move between the options). The MLP
 * owns the header's transport and status and the page's <main>; every other
 * mode has its own section marked data-mode-only="<mode>". The mode is kept
 * in the address with the other settings (urlState.ts): the selector writes
 * it there, and the rest of the page, rewriting the address, keeps it.
 */
import { DEFAULT_MODE, MODES, decodeState, encodeState, type PlaygroundMode } from "./urlState.js";

function radios(): HTMLInputElement[] {
  return [...document.querySelectorAll<HTMLInputElement>('input[name="mode"]')];
}

/** The mode the selector shows. */
function readMode(): PlaygroundMode {
  const value = radios().find((r) => r.checked)?.value;
  return (MODES as readonly string[]).includes(value ?? "") ? (value as PlaygroundMode) : DEFAULT_MODE;
}

export class ModeSelector {
  /** `onChange` runs on every switch, and once at start with the address's mode. */
  constructor(private readonly onChange: (mode: PlaygroundMode) => void) {
    for (const radio of radios()) {
      radio.addEventListener("change", () => {
        this.apply(readMode());
        // Same settings, new mode: the rest of the address stays as the page wrote it.
        history.replaceState(null, "", `#${encodeState({ ...decodeState(location.hash).state, mode: readMode() })}`);
      });
    }
    window.addEventListener("hashchange", () => this.show(decodeState(location.hash).state.mode));
    this.show(decodeState(location.hash).state.mode);
  }

  private show(mode: PlaygroundMode): void {
    for (const radio of radios()) radio.checked = radio.value === mode;
    this.apply(mode);
  }

  private apply(mode: PlaygroundMode): void {
    document.body.dataset.mode = mode;
    for (const section of document.querySelectorAll<HTMLElement>("[data-mode-only]")) section.hidden = section.dataset.modeOnly !== mode;
    this.onChange(mode);
  }
}
