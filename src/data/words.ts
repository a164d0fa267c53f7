/**
 * The bundled word list (data/words.txt.gz, see data/PROVENANCE.md): 16,000
 * English words of 3 to 10 lowercase letters a–z from SCOWL, one per line,
 * for character-level language models (see chars.ts). Node only: it reads
 * the file next to the package, like the other bundled datasets.
 */
import { DataError } from "../errors.js";
import { readTextFile } from "./read-file.js";

// Resolved at run time (Node); the comment tells web bundlers not to treat the folder as an asset.
const WORDS_FILE = new URL(/* @vite-ignore */ "../../data/words.txt.gz", import.meta.url);

/** The bundled words, in alphabetical order. */
export function loadWords(): string[] {
  const words = readTextFile(WORDS_FILE, "loadWords", {
    name: "bp.data.loadWords",
    inBrowser: "fetch data/words.txt.gz from the package, gunzip it (DecompressionStream) and split it into lines",
  }).split("\n").filter((w) => w.length > 0);
  const bad = words.findIndex((w) => !/^[a-z]+$/.test(w));
  if (bad >= 0) throw new DataError(`loadWords: line ${bad + 1} of the bundled words.txt.gz is ${JSON.stringify(words[bad])}, not a lowercase a–z word (damaged installation?)`);
  return words;
}
