// transync: a little help for the task editor; every page works without it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-use]");
  if (!button) return;
  const field = document.getElementById(button.dataset.use);
  if (field) {
    field.value = button.dataset.text;
    field.focus();
  }
});

// An act with a second step (details.confirm): one question open at a time, its answer
// focused, Escape closes it. Without this, the <details> works all the same.
document.addEventListener("toggle", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLDetailsElement) || !box.classList.contains("confirm") || !box.open) return;
  for (const other of document.querySelectorAll("details.confirm[open]")) {
    if (other !== box) other.open = false;
  }
  const answer = box.querySelector("input[name=reason], button[type=submit]");
  if (answer) answer.focus();
}, true);

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const box = event.target.closest && event.target.closest("details.confirm[open]");
  if (box) {
    box.open = false;
    box.querySelector("summary").focus();
  }
});
