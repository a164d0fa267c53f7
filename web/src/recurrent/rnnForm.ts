/** The recurrent mode's settings form: read into an RnnConfig, or shown from one (a link's). */
import { element } from "../dom.js";
import type { RnnConfig } from "./rnnConfig.js";
import { SEQUENCE_TASKS, TASK_LABELS, type SequenceTaskName } from "./sequenceTask.js";

/** Fills the task list once (the page's HTML leaves it empty). */
function taskSelect(): HTMLSelectElement {
  const select = element<HTMLSelectElement>("rnn-task");
  if (select.options.length === 0) select.replaceChildren(...SEQUENCE_TASKS.map((name) => new Option(TASK_LABELS[name], name)));
  return select;
}

export function readRnnForm(): RnnConfig {
  const num = (id: string) => Number(element<HTMLInputElement>(id).value);
  return {
    task: taskSelect().value as SequenceTaskName,
    steps: num("rnn-steps"), hidden: num("rnn-hidden"), learningRate: num("rnn-lr"), seed: num("rnn-seed"),
  };
}

export function showRnnForm(c: RnnConfig): void {
  taskSelect().value = c.task;
  element<HTMLInputElement>("rnn-steps").value = String(c.steps);
  element("rnn-steps-out").textContent = String(c.steps);
  element<HTMLInputElement>("rnn-hidden").value = String(c.hidden);
  element<HTMLInputElement>("rnn-lr").value = String(c.learningRate);
  element<HTMLInputElement>("rnn-seed").value = String(c.seed);
}
